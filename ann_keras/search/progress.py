"""Estimates of the time left, from the epoch times a run measures as it goes.

A run's plan (search/plan.py) counts its training in example-epochs
(training examples seen) and trainings, from the spec alone. Each epoch
that ends says how many examples it saw and how long it took (validation
included): their ratio is this machine's pace for this experiment, and the
wall time outside the epochs, per training started, is what each training
costs besides (building, tracing, the final evaluation). The plan's
remaining examples and trainings at those rates are the estimate. It is
rough where stages differ in cost per example (augmented against plain
epochs, wide against narrow networks), and says so by being "about".

No TensorFlow here, and no printing: `Tracker` passes every event on and
adds `Estimate` events, which the CLI prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from . import events
from .plan import plan

EVERY_S = 60.0   # at most one estimate a minute, besides one when the final model ends


@dataclass(frozen=True)
class Estimate(events.Event):
    """How far a run is and about how long it has left, from this run's measured epoch times."""

    stage: str
    epoch: int
    epochs: int
    stage_left_s: float
    run_left_s: float | None     # None where the plan is not known (Hyperband)
    after_s: float | None        # the experiments still to come in `reproduce`, estimated; None elsewhere
    label: str = ""              # the experiment's place in `reproduce`, e.g. "cnn 2/4"

    def line(self) -> str:
        text = f"{self.label + ': ' if self.label else ''}{self.stage} epoch {self.epoch}/{self.epochs}"
        text += f", about {minutes(self.stage_left_s)} left in it"
        if self.run_left_s is not None:
            text += f", {minutes(self.run_left_s)} in this experiment"
            if self.after_s is not None:
                text += f", {minutes(self.run_left_s + self.after_s)} in all"
        return text


def minutes(seconds: float) -> str:
    """Return a duration as a person reads it: "40 s", "12 min", "1 h 5 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    whole = round(seconds / 60)
    return f"{whole // 60} h {whole % 60} min" if whole >= 60 else f"{whole} min"


class Tracker:
    """An event listener for one run: passes every event on to `listener` and adds `Estimate`s.

    `after_s` is the estimated time of what comes after this run (the
    rest of `reproduce`); `label` names the run there.
    """

    def __init__(self, spec, kind: str, listener: Callable[[events.Event], None], *, after_s: float | None = None,
                 label: str = "", clock: Callable[[], float] = time.monotonic, every_s: float = EVERY_S):
        self.spec, self.kind, self.listener = spec, kind, listener
        self.after_s, self.label, self.clock, self.every_s = after_s, label, clock, every_s
        self.planned = self.planned_trainings = None
        self.started = None
        self.done = self.trainings = 0
        self.epoch_seconds = 0.0
        self.last_shown = None

    def __call__(self, event: events.Event) -> None:
        self.listener(event)
        if isinstance(event, events.DataLoaded):
            sizes = event.description["sizes"]
            planned = plan(self.spec, self.kind, sizes["train"], sizes.get("validation", 0))
            self.planned, self.planned_trainings = planned if planned is not None else (None, None)
            self.started = self.last_shown = self.clock()
        elif isinstance(event, events.TrainingStarted):
            self.trainings += 1
        elif isinstance(event, events.EpochEnded) and self.started is not None:
            self.done += event.examples
            self.epoch_seconds += event.seconds
            now = self.clock()
            last = event.stage.startswith("final") and event.epoch == event.epochs
            if now - self.last_shown >= self.every_s or last:
                self.last_shown = now
                self.listener(self.estimate(event, now))

    def estimate(self, event: events.EpochEnded, now: float) -> Estimate:
        """Return the estimate after `event`: the stage's epochs left at its own pace, the plan's at the run's.

        The plan's examples left go at this run's seconds per example in its
        epochs (validation included); each training still to start adds this
        run's time per training outside its epochs (building, tracing, the
        final evaluation).
        """
        stage_left = (event.epochs - event.epoch) * event.seconds
        run_left = None
        if self.planned is not None and self.done:
            per_example = self.epoch_seconds / self.done
            per_training = max(now - self.started - self.epoch_seconds, 0.0) / max(self.trainings, 1)
            run_left = (max(self.planned - self.done, 0) * per_example
                        + max(self.planned_trainings - self.trainings, 0) * per_training)
            run_left = max(run_left, stage_left)
        return Estimate(event.stage, event.epoch, event.epochs, stage_left, run_left, self.after_s, self.label)
