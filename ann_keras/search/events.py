"""What a run reports while it works: small typed records, each able to say itself in one line.

The search emits them through `Run.on_event`; the CLI prints `event.line()`.
No printing here, and no TensorFlow: the CLI imports this for --help too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..results import Status, mean_std


def values(settings: dict) -> str:
    """Return hyperparameters as `name=value` pairs, or "(defaults)"."""
    return " ".join(f"{key}={value}" for key, value in settings.items()) or "(defaults)"


def scores(trial: dict) -> str:
    """Return a trial's validation and test accuracy (mean ± std over seeds) and time, or why it failed."""
    if trial["status"] != Status.COMPLETED:
        return f"FAILED: {trial['message']}"
    executions = trial["executions"]
    val, val_std = mean_std(executions, "val_accuracy")
    seconds = sum(execution["duration_s"] for execution in executions)
    folds = len(executions[0].get("folds", []))
    if folds:   # cross-validated: the search saw no test numbers
        return f"val {val:.3f}±{val_std:.3f} (mean of {folds} folds)  {seconds:.1f}s"
    test, test_std = mean_std(executions, "test_accuracy")
    return f"val {val:.3f}±{val_std:.3f}  test {test:.3f}±{test_std:.3f}  {seconds:.1f}s"


class Event:
    """Something a run reports; `line()` is what a person reads."""

    def line(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Resumed(Event):
    run_dir: str

    def line(self) -> str:
        return f"resuming in {self.run_dir}"


@dataclass(frozen=True)
class DataLoaded(Event):
    description: dict   # data.Dataset.describe()

    def line(self) -> str:
        sizes = self.description["sizes"]
        return (f"data: {self.description['name']} ({self.description['source']}): {sizes['train']} train, "
                f"{sizes['validation']} validation, {sizes['test']} test")


@dataclass(frozen=True)
class TrialEnded(Event):
    """A trial ended, seen by the process that keeps the search (a single process or the chief)."""

    number: int
    total: int | None    # None where the number of trials is not known in advance (Hyperband)
    trial: dict          # results.Trial
    best: dict | None    # the best trial so far
    worker: str | None = None

    def line(self) -> str:
        total = f"/{self.total}" if self.total else ""
        text = f"trial {self.number}{total} {values(self.trial['hyperparameters'])}  {scores(self.trial)}"
        if self.worker:
            text += f"  on {self.worker}"
        if self.trial["status"] == Status.COMPLETED and self.best:
            best = mean_std(self.best["executions"], "val_accuracy")[0]
            text += f"  best so far: trial {self.best['trial_id']} val {best:.3f}"
        return text


@dataclass(frozen=True)
class WorkerTrialEnded(Event):
    """A trial ended on this worker process."""

    trial: dict
    worker: str

    def line(self) -> str:
        return f"trial {self.trial['trial_id']} {values(self.trial['hyperparameters'])}  {scores(self.trial)}"


@dataclass(frozen=True)
class WorkerReady(Event):
    worker: str
    chief: str
    run_dir: str

    def line(self) -> str:
        return f"{self.worker}: asking the chief at {self.chief} for trials; run folder {self.run_dir}"


@dataclass(frozen=True)
class WorkerDone(Event):
    worker: str

    def line(self) -> str:
        return f"{self.worker}: no more trials; stopping"


@dataclass(frozen=True)
class ChiefReady(Event):
    address: str
    workers: list | None   # the workers this chief started itself, or None: they are started by hand

    def line(self) -> str:
        if self.workers:
            return f"chief: serving the search at {self.address} to {', '.join(self.workers)}"
        return (f"chief: serving the search at {self.address}; start each worker with the same experiment and "
                f"options plus --role worker --chief {self.address} --worker-id ID")


@dataclass(frozen=True)
class WorkerLost(Event):
    worker: str
    how: str
    trial_id: str | None   # the trial it held, now back in the queue

    def line(self) -> str:
        fate = f"its trial {self.trial_id} goes back to the queue" if self.trial_id else "it held no trial"
        return f"chief: {self.worker} stopped ({self.how}); {fate}"


@dataclass(frozen=True)
class WorkerOutput(Event):
    """A line a worker process started by this chief printed."""

    worker: str
    text: str

    def line(self) -> str:
        return f"[{self.worker}] {self.text}"


@dataclass(frozen=True)
class PaperRunStarted(Event):
    name: str
    params: dict

    def line(self) -> str:
        return f"paper setting {self.name!r}: training beside the search"


@dataclass(frozen=True)
class RefitStarted(Event):
    trials: int
    seeds: int

    def line(self) -> str:
        return (f"refit: training {self.trials} trial(s) x {self.seeds} seed(s) on the whole training split and "
                "testing them (the search saw only its folds)")


@dataclass(frozen=True)
class BaselineStarted(Event):
    label: str
    seed: int

    def line(self) -> str:
        return f"baseline {self.label} (aeon), seed {self.seed}: training on the same splits"


@dataclass(frozen=True)
class BaselineEnded(Event):
    label: str
    execution: dict   # {"seed", "test_accuracy", "duration_s", ...}

    def line(self) -> str:
        e = self.execution
        return f"baseline {self.label}, seed {e['seed']}: test {e['test_accuracy']:.3f}  fit {e['duration_s']:.1f}s"


@dataclass(frozen=True)
class FinalStarted(Event):
    trial_id: str
    overrides: dict   # what the final model trains with, beyond [params]
    fixed: dict       # values the spec's [final] sets instead of the best trial's

    def line(self) -> str:
        if self.fixed:
            return (f"final: the spec's [final] sets {values(self.fixed)} instead of best trial {self.trial_id}'s "
                    f"values; training with {values(self.overrides)}")
        return f"final: retraining trial {self.trial_id} with {values(self.overrides)}"


def ignore(event: Event) -> None:
    """The default listener: a run that nobody watches."""


def printed(event: Event) -> bool:
    """Whether a person watching the run (the command line, a notebook) is shown `event.line()`.

    Not each epoch's end: Keras prints epochs itself where asked, and the estimates (progress.Estimate)
    summarise them.
    """
    return not isinstance(event, EpochEnded)


@dataclass(frozen=True)
class TrainingStarted(Event):
    """One seeded training began: a trial's seed (or fold), a paper setting, a refit or the final model."""

    stage: str        # e.g. "trial_0003/seed42-fold1", "final", "paper_runs/0-seed42"
    settings: dict    # the search axes' values it trains with ({} where there are none)
    epochs: int       # logged points to train (epochs, or log_every iterations each)
    examples: int     # training examples seen per logged point
    iterations: int = 0   # where training counts gradient steps (the MLP's full batches) instead of epochs

    def line(self) -> str:
        shown = f" {values(self.settings)}" if self.settings else ""
        length = f"{self.iterations:,} iterations" if self.iterations else \
            f"{self.epochs} epoch(s) of {self.examples:,} examples"
        return f"{self.stage}: starting{shown}, {length}"


@dataclass(frozen=True)
class EpochEnded(Event):
    """A logged point of a training ended (an epoch, or log_every iterations): the progress estimate's input."""

    stage: str
    epoch: int        # 1-based
    epochs: int
    examples: int     # training examples seen in it
    seconds: float    # its wall time, validation included

    def line(self) -> str:
        return f"{self.stage}: epoch {self.epoch}/{self.epochs} ({self.seconds:.1f}s)"
