"""One run's settings, carried together: the spec, the seed, where it writes, who hears about it.

Every stage of a search (the trials, the paper's extra settings, the final
model) reads these from one `Run` instead of taking them as keyword
arguments; the seed rule lives here and nowhere else.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..specs import Spec
from .events import Event, ignore
from .roles import Role


@dataclass(frozen=True)
class Run:
    """What `ann-keras tune` or `train` was asked to do, and how."""

    spec: Spec
    kind: str                                   # "tune" or "train"
    seed: int
    runs_root: Path = Path("runs")
    command: str = ""                           # the command line, for the report
    overwrite: bool = False                     # delete the run folder first
    verbose: int = 0                            # Keras's progress output: 0 none, 1 bar, 2 a line per epoch
    tensorboard: bool = True                    # write TensorBoard event files (training.tensorboard_logs)
    on_event: Callable[[Event], None] = field(default=ignore, compare=False)
    strategy: object = field(default=None, compare=False)   # a tf.distribute.Strategy; None: the default placement
    role: Role | None = None                    # chief or worker of a distributed search; None: a single process
    data_fingerprint: str | None = None         # digest of the data files' content (data.fingerprint); None: no files
    backend: str = "tensorflow"                 # the Keras backend that trains (ann_keras.backend)

    @property
    def folder(self) -> Path:
        """The run folder, named after everything that decides its numbers, so the same command resumes it.

        Data read from files is named by its content, not its path: a CIFAR-10
        copy moved to a faster disk or another machine resumes the same run,
        and a file changed in place starts a new one instead of mixing two
        data sets in one search. (The decode cache is keyed the same way.) A
        folder named by an earlier release after the data's path is still
        found and resumed. A backend other than TensorFlow is part of the name
        (`paper-grid-seed42-jax-...`): two backends' numbers never mix in one
        folder, and TensorFlow's runs keep the names they had.
        """
        tuner = self.spec.tuner["name"] if self.kind == "tune" else "train"
        parent = Path(self.runs_root) / self.spec.name
        on = "" if self.backend == "tensorflow" else f"-{self.backend}"
        prefix = f"{self.spec.profile}-{tuner}-seed{self.seed}{on}"
        folder = parent / f"{prefix}-{self.spec.digest(self.data_fingerprint)}"
        if self.data_fingerprint is not None and not folder.exists():
            by_location = parent / f"{prefix}-{self.spec.digest()}"
            if by_location.exists():
                return by_location
        return folder

    @property
    def worker(self) -> bool:
        """Whether this process is a worker of a distributed search (it runs trials, nothing else)."""
        return self.role is not None and self.role.name == "worker"

    @property
    def seeds(self) -> list[int]:
        """The seeds of a configuration's executions: seed + i, the same for every configuration.

        Configurations are compared on equal draws of initialisation,
        shuffling and augmentation.
        """
        return [self.seed + index for index in range(self.spec.tuner["executions"])]


class Stopwatch:
    """When the run started, and the seconds each stage took (for results.json's timings)."""

    def __init__(self):
        self.started = now()
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str):
        """Time the block as `<name>_s`."""
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.timings[f"{name}_s"] = time.perf_counter() - begin

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def now() -> str:
    """The time in UTC, to the second, as results.json records it."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
