"""The commands as Python functions, for notebooks: keyword arguments in, results and the trained model out.

    import ann_keras

    run = ann_keras.tune("ann", profile="smoke", overrides={"learning_rate": 0.05})
    run.result                  # results.RunResult: what results.json holds
    run.run_dir, run.report     # the run folder and the report page (index.html)
    run.model.predict(x)        # the final model, loaded from final/model.keras when first asked for

Each function does what the `ann-keras` command of the same name does (the
work is in commands.py), with the same defaults. results.json, the report
and the model card record the Python call that produced them, e.g.
`ann_keras.tune("ann", profile="smoke", overrides={"learning_rate": 0.05})`,
not the notebook kernel's command line.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path

from . import commands, specs
from .commands import Outcome
from .errors import AnnKerasError
from .search import events

__all__ = ["Outcome", "report", "train", "tune"]

Listener = Callable[[events.Event], None]


def tune(experiment: str, *, profile: str | None = None, seed: int = 42, overrides: Mapping[str, object] | None = None,
         data: str | Path | None = None, dataset: str | None = None, executions: int | None = None,
         tuner: str | None = None, max_trials: int | None = None, workers: int | None = None,
         runs_dir: str | Path = "runs", reports_dir: str | Path = "reports", report: bool = True,
         overwrite: bool = False, tensorboard: bool = True, progress: str = "auto", precision: str | None = None,
         strategy: str = "default", backend: str | None = None, on_event: Listener | None = None) -> Outcome:
    """Search an experiment's [search] axes as `ann-keras tune` does; return its results, folders and model.

    `experiment` is a name in tuning/ ("ann", "cnn", "rnn", ...) or a path to a spec. `overrides` maps
    setting names to values, as `--set` does: {"learning_rate": 0.05} sets [params], {"search.hidden_units":
    [16, 32]} a [search] axis. `data` and `dataset` are --data and --dataset. `on_event` is called with each
    search.events.Event as the run goes; None prints their lines as the command line does, and
    `ann_keras.search.events.ignore` prints nothing. Running the same call again resumes the run (finished
    trials are kept); `overwrite=True` starts afresh. `backend` is --backend: Keras's backend for this process,
    which can be chosen only before Keras first starts in it (else the one it runs on).

    The returned Outcome's `model` is loaded from the run folder's final/model.keras the first time it is
    read (not compiled: `predict` works as it is).
    """
    call = _call(tune, "tune", experiment, locals())
    return commands.tune(experiment, _choices(call, locals()), on_event=_listener(on_event))


def train(experiment: str, *, profile: str | None = None, seed: int = 42, overrides: Mapping[str, object] | None = None,
          data: str | Path | None = None, dataset: str | None = None, executions: int | None = None,
          runs_dir: str | Path = "runs", reports_dir: str | Path = "reports", report: bool = True,
          overwrite: bool = False, tensorboard: bool = True, progress: str = "auto", precision: str | None = None,
          strategy: str = "default", backend: str | None = None, on_event: Listener | None = None) -> Outcome:
    """Train the spec's [params] once per seed, as `ann-keras train` does; return its results, folders and model.

    The arguments are tune's (see there), without the search's.
    """
    call = _call(train, "train", experiment, locals())
    return commands.train(experiment, _choices(call, locals()), on_event=_listener(on_event))


def report(run_dir: str | Path, *, reports_dir: str | Path = "reports", notes_from_spec: bool = False) -> Path:
    """Write reports/<name>/ from a run folder's results.json, as `ann-keras report` does; return the page.

    No TensorFlow. The index of every report under `reports_dir` is written again too.
    """
    [page] = commands.report([Path(run_dir)], Path(reports_dir), notes_from_spec=notes_from_spec)
    commands.index(Path(reports_dir))
    return page


# ---------------------------------------------------------------- from keyword arguments to the commands' choices


def _call(function, name: str, experiment, arguments: dict) -> commands.Call:
    """Return the call as the record shows it: the experiment and the keyword arguments that differ from defaults.

    A listener changes nothing that the run records, so it is left out.
    """
    if not isinstance(experiment, str | Path):
        raise AnnKerasError(f"experiment: expected a name such as \"ann\" or a path to a spec, got "
                            f"{type(experiment).__name__}")
    given = []
    for key, parameter in inspect.signature(function).parameters.items():
        if parameter.kind is parameter.KEYWORD_ONLY and key != "on_event" and arguments[key] != parameter.default:
            given.append((key, arguments[key]))
    return commands.Call(name, str(experiment), tuple(given))


def _choices(call: commands.Call, arguments: dict) -> commands.Choices:
    """Return the commands' choices for these keyword arguments, checked as the command line's options are."""
    seed, progress = arguments["seed"], arguments["progress"]
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= commands.MAX_SEED:
        raise AnnKerasError(f"seed: {seed!r} is not a whole number from 0 to {commands.MAX_SEED}")
    if progress not in commands.PROGRESS:
        raise AnnKerasError(f"progress: {progress!r} is not one of: {', '.join(commands.PROGRESS)}")
    data = Path(arguments["data"]).expanduser() if arguments["data"] is not None else None
    if data is not None and not data.exists():
        raise AnnKerasError(f"data: {str(data)!r} does not exist; valid: a file or folder of the data set")
    return commands.Choices(
        profile=arguments["profile"], seed=seed, executions=arguments["executions"],
        data_path=data, dataset=arguments["dataset"],
        overrides=_overrides(arguments["overrides"]), overwrite=arguments["overwrite"],
        runs_dir=Path(arguments["runs_dir"]), reports_dir=Path(arguments["reports_dir"]), report=arguments["report"],
        tensorboard=arguments["tensorboard"], progress=progress, precision=arguments["precision"],
        strategy=arguments["strategy"], tuner=arguments.get("tuner"), max_trials=arguments.get("max_trials"),
        workers=arguments.get("workers"), backend=arguments["backend"], call=call)


def _overrides(overrides: Mapping[str, object] | None) -> tuple[str, ...]:
    """Return the `--set` strings the spec reads, written from a dict of values (specs.format_override)."""
    if overrides is None:
        return ()
    if not isinstance(overrides, Mapping):
        raise AnnKerasError(f"overrides: expected a dict of settings such as {{\"learning_rate\": 0.05, "
                            f"\"search.hidden_units\": [16, 32]}}, got {type(overrides).__name__}")
    return tuple(specs.format_override(key, value) for key, value in overrides.items())


def _listener(on_event: Listener | None) -> Listener:
    return _print_event if on_event is None else on_event


def _print_event(event: events.Event) -> None:
    if events.printed(event):
        print(event.line(), flush=True)
