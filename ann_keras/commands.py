"""What each `ann-keras` command does, one library function per command; cli.py parses and prints.

`tune` and `train` turn command-line choices into a spec and a search.run.Run
and hand them to the runner; `reproduce` does that for the paper's
experiments; `report` and `index` rebuild pages from results.json. Nothing
here prints: progress goes to the `on_event` listener as search.events
records. TensorFlow is imported only by the functions that train.
"""

from __future__ import annotations

import functools
import math
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from . import backend, data, experiments, results
from .errors import AnnKerasError, DataError
from .errors import choices as choices_text
from .search.events import ignore
from .search.roles import DistributedError, Role

# (experiment, profile): None means the spec's default, or its `cpu` profile on a machine without a GPU.
# The paper's experiments and the recurrent networks its section V names, so that the whole fits in an hour on
# two CPU cores; beyond it, `ann-keras tune rnn --profile digits-seq` (the cells on digits read as sequences) and
# `ann-keras reproduce lstm` (the LSTM grid) are commands of their own.
EXPERIMENTS_TO_REPRODUCE = (("ann", None), ("cnn", None), ("rnn", None))

# Execution i uses seed + i, and NumPy's seeds stop at 2**32 - 1: this leaves room for any number of executions.
MAX_SEED = 2**31 - 1
PROGRESS = ("auto", "bar", "line", "none")   # Keras's progress output per training run


@dataclass(frozen=True)
class Call:
    """A call of the Python API (api.py), as results.json records it instead of a command line."""

    function: str                                  # "tune" or "train"
    experiment: str
    keywords: tuple[tuple[str, object], ...] = ()  # the keyword arguments given, in the signature's order


@dataclass(frozen=True)
class Choices:
    """What a person chose for `tune` or `train`, as the command line gives it."""

    profile: str | None = None
    seed: int = 42
    executions: int | None = None
    data_path: Path | None = None
    dataset: str | None = None           # --dataset: another data set than the profile's
    overrides: tuple[str, ...] = ()
    overwrite: bool = False
    runs_dir: Path = Path("runs")
    reports_dir: Path = Path("reports")
    report: bool = True
    tensorboard: bool = True             # event files for TensorBoard in the run folder
    progress: str = "auto"               # auto, bar, line or none
    precision: str | None = None
    strategy: str = "default"
    backend: str | None = None           # tensorflow, jax or torch; None: KERAS_BACKEND, else the default
    tuner: str | None = None             # tune only
    max_trials: int | None = None
    workers: int | None = None
    role: Role | None = None
    # How the person asked for it, recorded in results.json, the report and the model card (see _command):
    argv: tuple[str, ...] = ()           # the command line's arguments after `ann-keras`, as the CLI got them
    call: Call | None = None             # or the Python call of the API


@dataclass(frozen=True)
class Outcome:
    """What a `tune` or `train` left behind (result None: a worker, whose trials are in the chief's run)."""

    result: results.RunResult | None
    run_dir: Path
    report: Path | None = None

    @functools.cached_property
    def model(self):
        """The run's final model (a keras.Model, not compiled), loaded from final/model.keras on first use and kept.

        Loaded in Keras's safe mode, as `ann-keras predict` loads it; ModelError where the run has none.
        """
        _import_training_stack()
        from .deploy import trained
        return trained.locate(self.run_dir).load_model()


def tune(experiment: str, choices: Choices, on_event=ignore) -> Outcome:
    """Grid-search (or random, Bayesian, Hyperband) an experiment's [search] axes; write results and report."""
    if choices.workers is not None and choices.strategy != "default":
        raise DistributedError("--workers gives each worker its own GPU; --strategy mirrored spreads one trial over "
                               "all of them: choose one (with several machines, --role worker --strategy mirrored "
                               "uses every GPU of that worker's machine)")
    if choices.role is not None and choices.role.name == "worker":
        if choices.overwrite:
            raise DistributedError("--overwrite is for the chief: a worker works in the chief's run folder")
        _import_training_stack()   # before Keras Tuner's gRPC client imports TensorFlow unconfigured
        from .search.distributed import follow_chief
        follow_chief()
    return _run("tune", experiment, choices, on_event)


def train(experiment: str, choices: Choices, on_event=ignore) -> Outcome:
    """Train the spec's [params] once per seed, without a search; write results and report."""
    return _run("train", experiment, choices, on_event)


def reproduce(names: tuple[str, ...], *, seed: int, runs_dir: Path, reports_dir: Path, argv: tuple[str, ...] = (),
              on_event=ignore, on_start=lambda spec, profile: None, backend_name: str | None = None) -> list[Outcome]:
    """Run the paper's experiments (or `names`) end to end, write every report and the index.

    `argv` is the command line that asked for it (after `ann-keras`), recorded with every run and the summary.
    """
    from .search.run import Stopwatch
    watch = Stopwatch()   # the whole command's time, TensorFlow's start included
    entries = [(name, None) for name in names] or EXPERIMENTS_TO_REPRODUCE
    backend.choose(backend_name)
    _import_training_stack()
    from .training import devices
    gpu = bool(devices.gpus())
    chosen = []
    for name, profile in entries:
        spec = experiments.load(name, profile)   # every name is checked before any training starts
        if profile is None and "cpu" in spec.profiles and not gpu:
            # The paper's full protocol needs a GPU; this profile is sized for a CPU.
            spec = experiments.load(name, "cpu")
        chosen.append((spec, spec.profile))
    # The time left after each experiment: the last reports' wall times, scaled by how this machine has
    # compared with them so far in this command.
    last = [_last_wall_time(reports_dir, spec) for spec, _ in chosen]
    outcomes = []
    measured = reference = 0.0
    for index, (spec, profile) in enumerate(chosen):
        on_start(spec, profile)
        later = last[index + 1:]
        after_s = None if None in later else sum(later) * (measured / reference if reference else 1.0)
        outcome = _run("tune", spec.path, Choices(profile=profile, seed=seed, runs_dir=runs_dir,
                                                  reports_dir=reports_dir, argv=argv), on_event,
                       after_s=after_s, label=f"{spec.name} {index + 1}/{len(chosen)}")
        if last[index] is not None and outcome.result is not None:
            measured, reference = measured + outcome.result.wall_time_s, reference + last[index]
        outcomes.append(outcome)
    _record(reports_dir, watch, seed, outcomes, _command("reproduce", "", Choices(argv=argv)))
    return outcomes


def _record(reports_dir: Path, watch, seed: int, outcomes: list[Outcome], command: str) -> None:
    """Write reports/reproduce.json: the command, the machine and each report's time (the summary's compute)."""
    from .reports import reproduction
    from .reports.formatting import hardware_text
    from .search.run import now
    done = [outcome.result for outcome in outcomes if outcome.result is not None]
    if not done:
        return
    reproduction.write_record(
        reports_dir, command=command, seed=seed, started=watch.started, finished=now(), wall_time_s=watch.elapsed(),
        hardware=hardware_text(done[-1].environment["hardware"]),
        experiments=[{"report": r.spec.get("report_name") or r.experiment, "profile": r.profile,
                      "wall_time_s": round(r.wall_time_s, 1)} for r in done])


def _last_wall_time(reports_dir: Path, spec) -> float | None:
    """Return the wall time of the report `spec` writes, as it stands in `reports_dir`, or None."""
    try:
        return float(results.load(Path(reports_dir) / spec.report_name).wall_time_s)
    except (AnnKerasError, OSError, ValueError, TypeError):
        return None


def report(run_dirs, reports_dir: Path, *, notes_from_spec: bool = False) -> list[Path]:
    """Write reports/<name>/ from each run folder's results.json (no TensorFlow); return the pages.

    With `notes_from_spec`, the prose of each run's spec (description, notes, the paper's reasons and
    sources) is taken from the shipped spec of the same experiment and profile as it reads now; every
    number stays the run's.
    """
    from . import reports
    pages = []
    for run_dir in run_dirs:
        result = results.load(run_dir)
        if notes_from_spec:
            result = _current_prose(result)
        pages.append(reports.write_report(result, reports_dir) / "index.html")
    return pages


# Spec keys that are words about a run, not settings of it: a rebuilt report may take them from the spec as it
# reads now (a note corrected, a measured cost added), while every setting and number stays the run's.
PROSE = ("title", "description", "profile_description", "notes")
PAPER_PROSE = ("source", "notes", "why", "easy", "hard", "extension")


def _current_prose(result: results.RunResult) -> results.RunResult:
    """Return `result` with its spec's prose from the shipped spec of its experiment and profile."""
    data = result.to_dict()
    spec = data["spec"]
    try:
        current = experiments.load(spec["name"], spec["profile"]).to_dict()
    except AnnKerasError as error:
        raise AnnKerasError(f"--notes-from-spec: {spec['name']} [profile {spec['profile']}] is no shipped spec "
                            f"({str(error).splitlines()[0][:120]}); rebuild without --notes-from-spec") from None
    spec.update({key: current[key] for key in PROSE if key in current})
    spec["paper"].update({key: current["paper"][key] for key in PAPER_PROSE if key in current["paper"]})
    data["title"] = current["title"]
    return results.RunResult.from_dict(data)


def predict(target: Path, paths: list[Path], top: int = 3, backend_name: str | None = None):
    """Classify a user's own files with a trained model; return (predictions, lines for the inputs skipped)."""
    backend.choose(backend_name)
    _import_training_stack()
    from .deploy import predict as predicting
    return predicting.predict(target, paths, top)


def export(run_dir: Path, fmt: str, data_path: Path | None = None):
    """Write the run's final model in `fmt`, check it on the test split, and refresh its model card."""
    _import_training_stack()
    from .deploy import export as exporting
    from .reports import model_card
    try:
        return exporting.export(run_dir, fmt, data_path=str(data_path) if data_path else None)
    finally:   # the card states every check, a failed one too
        if (Path(run_dir) / results.RESULTS_FILE).is_file():
            model_card.write(results.load(run_dir), run_dir)


def evaluate(run_dir: Path, data_path: Path | None = None, backend_name: str | None = None):
    """Test the run's final model again on its test split under each test-time augmentation (deploy/evaluate.py)."""
    backend.choose(backend_name)
    _import_training_stack()
    from .deploy import evaluate as evaluating
    return evaluating.evaluate(run_dir, data_path=str(data_path) if data_path else None)


def index(reports_dir: Path) -> tuple[Path, list[str]]:
    """Write the index of every report under `reports_dir`; return it and the folders skipped, with why."""
    from . import reports
    return reports.write_index(reports_dir)


# ---------------------------------------------------------------- tune and train


def _run(kind: str, experiment, choices: Choices, on_event, *, after_s: float | None = None,
         label: str = "") -> Outcome:
    spec = _load_spec(experiment, choices)
    from .search import progress
    on_event = progress.Tracker(spec, kind, on_event, after_s=after_s, label=label)
    backend.choose(choices.backend)
    _import_training_stack()
    from .search import runner
    from .training import devices
    from .search.run import Run
    role = choices.role
    if choices.workers is not None:
        from .search.distributed import WorkerPool
        gpus = devices.gpu_ids()
        if gpus:
            devices.share_gpus()   # the chief builds a model too; it must not take the workers' GPU memory
        pool = WorkerPool(_worker_command(spec, choices), choices.workers, gpus=gpus, on_event=on_event)
        role = Role("chief", "127.0.0.1", 0, pool=pool)
    run = Run(spec, kind, choices.seed, choices.runs_dir, command=_command(kind, spec.name, choices),
              overwrite=choices.overwrite, verbose=_keras_verbose(choices.progress, spec), on_event=on_event,
              tensorboard=choices.tensorboard,
              strategy=devices.make_strategy(choices.strategy), role=role,
              data_fingerprint=data.fingerprint(spec.dataset, spec.data), backend=backend.name())
    result, run_dir = runner.tune(run) if kind == "tune" else runner.train(run)
    if result is None:
        return Outcome(result, run_dir)
    from . import reports
    from .reports import model_card
    model_card.write(result, run_dir)
    if not choices.report:
        return Outcome(result, run_dir)
    return Outcome(result, run_dir, reports.write_report(result, choices.reports_dir) / "index.html")


def _load_spec(experiment, choices: Choices):
    """Return the spec with the profile, --set values, the options that stand for --set values, --dataset, --data."""
    settings = list(choices.overrides)
    for option, setting in ((choices.tuner, "tuner.name"), (choices.max_trials, "tuner.max_trials"),
                            (choices.executions, "tuner.executions"), (choices.precision, "params.precision")):
        if option is not None:
            settings.append(f"{setting}={option}")
    spec = experiments.load(experiment, choices.profile, tuple(settings),
                            data_path=str(choices.data_path) if choices.data_path else None,
                            data_fallbacks=data.path_fallbacks(), dataset=choices.dataset)
    if choices.data_path is not None:
        _check_data_option(spec, choices.data_path)
    return spec


def _check_data_option(spec, data_path) -> None:
    """Refuse --data where it would be ignored: a data set that reads no files."""
    if not data.reads_path(spec.dataset):
        readers = [s.key for s in data.SOURCES if s.reads_path]
        raise DataError(f"--data {data_path}: data set {spec.dataset!r} (profile {spec.profile}) reads no files "
                        f"from --data; valid choices: {choices_text(readers)}")


def _command(kind: str, name: str, choices: Choices) -> str:
    """The command as the person gave it, for results.json, the report and the model card.

    The Python call where the API made it (`ann_keras.tune("ann", profile="smoke")`), else the command line as
    typed; a library caller that said neither gets what its call amounts to (`ann-keras tune ann`).
    """
    if choices.call is not None:
        arguments = [_python(choices.call.experiment)]
        arguments += [f"{key}={_python(value)}" for key, value in choices.call.keywords]
        return f"ann_keras.{choices.call.function}({', '.join(arguments)})"
    if choices.argv:
        return "ann-keras " + shlex.join(choices.argv)
    return shlex.join(["ann-keras", kind, *([name] if name else [])])


def _python(value) -> str:
    """Return `value` as Python source that gives it back: strings in double quotes where that needs no escape."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        text = repr(value)   # escapes what cannot be printed
        return f'"{text[1:-1]}"' if "'" not in value and '"' not in value else text
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, (list, tuple)):
        items = ", ".join(_python(item) for item in value)
        return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_python(key)}: {_python(item)}" for key, item in value.items()) + "}"
    return repr(value)


def _worker_command(spec, choices: Choices) -> list[str]:
    """Return the command line of a worker of this chief: the same spec, seed, settings and runs folder."""
    command = [sys.executable, "-m", "ann_keras", "tune", str(spec.path), "--profile", spec.profile,
               "--seed", str(choices.seed), "--runs-dir", str(Path(choices.runs_dir).resolve()),
               "--progress", choices.progress]
    if not choices.tensorboard:
        command.append("--no-tensorboard")
    for setting in spec.overrides:
        command += ["--set", setting]
    if spec.dataset_option:
        command += ["--dataset", spec.dataset_option]
    if spec.data_option:
        command += ["--data", spec.data_option]
    return command


def _import_training_stack() -> None:
    """Start the backend the person chose (backend.choose), quietly, and configure its devices."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")   # Keras Tuner imports gRPC; see search/distributed.py
    chosen = backend.choose()
    try:
        from .search import quiet
        with quiet.filtered():   # absl's start-up lines, which TF_CPP_MIN_LOG_LEVEL does not reach
            import keras  # noqa: F401  (starts the backend)
            if chosen == "tensorflow":
                import tensorflow as tf
        if chosen == "tensorflow":
            from .training import devices
            devices.configure()
            # Each trial builds new models, so tf.function retracing is expected, not a bug.
            tf.get_logger().setLevel("ERROR")
    except ImportError as error:
        raise AnnKerasError(f"cannot import the training stack on the {chosen} backend ({error}); install it with "
                            f"`pip install 'ann-keras[{backend.EXTRAS[chosen]}]'`") from None


def _keras_verbose(progress: str, spec) -> int:
    if progress != "auto":
        return {"bar": 1, "line": 2, "none": 0}[progress]
    if spec.counted_in == "iterations":
        return 0   # a few seconds per run: the per-trial line says enough
    return 1 if sys.stdout.isatty() else 2
