"""The oracles that decide which trial runs next: Keras Tuner's own, made resumable and safe to kill.

Keras Tuner's grid, random, Bayesian and Hyperband oracles, each with
`AtomicStateMixin`: state written whole or not at all, trials a stopped
process left running handed back, and the grid's bookkeeping rebuilt on
resume. search/tuners.py names them for the specs.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import keras_tuner as kt

from .. import files


class AtomicStateMixin:
    """Writes oracle.json and trial.json through a temporary file and a rename, and hands back lost trials.

    Keras Tuner writes them in place, so a kill at the wrong moment would
    leave a truncated file that the next resume cannot read. A trial whose
    process stopped mid-way stays "running" in the oracle for ever; `requeue`
    puts it on the oracle's own retry queue, where the next tuner to ask
    for a trial gets it.
    """

    # Called with (trial, tuner_id) after each trial ends; the chief prints from it.
    on_trial_end = None

    def save(self):
        files.write_json(Path(self._get_oracle_fname()), self.get_state(), within=Path(self._project_dir))

    def _save_trial(self, trial):
        files.write_json(Path(self._get_trial_dir(trial.trial_id)) / "trial.json", trial.get_state(),
                         within=Path(self._project_dir))

    @kt.synchronized
    def end_trial(self, trial):
        tuner_id = next((tuner for tuner, ongoing in self.ongoing_trials.items()
                         if ongoing.trial_id == trial.trial_id), None)
        super().end_trial(trial)
        # Keras Tuner saves before it removes the trial from `ongoing_trials`, so the saved state of a
        # finished search still lists its last trial as running, and a resume would run it again.
        self.save()
        if self.on_trial_end is not None:
            try:
                self.on_trial_end(self.trials[trial.trial_id], tuner_id)
            except Exception as error:   # noqa: BLE001 - Keras Tuner's lock is not released on an exception
                warnings.warn(f"progress report for trial {trial.trial_id} failed: {error!r}", stacklevel=2)

    @kt.synchronized
    def requeue(self, tuner_id: str | None = None) -> str | None:
        """Hand the trial running on `tuner_id` (every running trial, without one) back to the oracle.

        For a tuner that stopped mid-trial: the trial runs again, once, on
        whichever tuner asks next. Returns the last trial id requeued.
        """
        requeued = None
        for tuner in [tuner_id] if tuner_id is not None else list(self.ongoing_trials):
            trial = self.ongoing_trials.pop(tuner, None)
            self.tuner_ids.discard(tuner)
            if trial is not None and trial.trial_id not in self._retry_queue:
                self._retry_queue.append(trial.trial_id)
                requeued = trial.trial_id
        if requeued is not None:
            self.save()
        return requeued

    @kt.synchronized
    def search_ended(self) -> bool:
        """Whether no trial is running or waiting to run again, and every tuner has been told to stop."""
        return not self.ongoing_trials and not self._retry_queue and not self.tuner_ids

    def set_state(self, state):
        super().set_state(state)
        # Repair state saved that way: a trial that has ended is not running.
        ended = set(self.end_order)
        self.ongoing_trials = {tuner: trial for tuner, trial in self.ongoing_trials.items()
                               if trial.trial_id not in ended}


class GridSearchOracle(AtomicStateMixin, kt.oracles.GridSearchOracle):
    """Keras Tuner's grid oracle, made resumable.

    keras-tuner 1.4.8 does not save the grid's bookkeeping (`_ordered_ids`,
    `_populate_next`), so a resumed search dies with KeyError on its first
    finished trial (upstream issue #1055). Both are derived here from the
    reloaded trials: the trials sorted in grid order, and every ended trial
    queued to propose its successor; a successor that already exists is
    skipped by the oracle's own check.
    """

    def set_state(self, state):
        super().set_state(state)
        ordered = sorted(
            (trial_id for trial_id in self.start_order if trial_id in self.trials),
            key=functools.cmp_to_key(lambda a, b: self._compare(
                self.trials[a].hyperparameters.values, self.trials[b].hyperparameters.values)),
        )
        previous = None
        for trial_id in ordered:
            self._ordered_ids.insert(trial_id, previous)
            previous = trial_id
        self._populate_next = list(self.end_order)

    def populate_space(self, trial_id):
        response = super().populate_space(trial_id)
        if response["status"] != kt.engine.trial.TrialStatus.IDLE:
            return response
        # Keras Tuner proposes a grid point only as the successor of an *ended* trial, in case a
        # running one reveals new (conditional) hyperparameters; with several workers that runs the
        # grid nearly one trial at a time. SpecHyperModel declares every axis up front, so the point
        # after the last one proposed can go to an idle worker now. The trials proposed so far are
        # always a prefix of the grid's order, so that point is new.
        last = max(self.trials, key=functools.cmp_to_key(lambda a, b: self._compare(
            self.trials[a].hyperparameters.values, self.trials[b].hyperparameters.values)))
        values = self._get_next_combination(self.trials[last].hyperparameters.values)
        if values is None:
            return response   # the grid is exhausted: wait for the running trials to end
        self._ordered_ids.insert(trial_id, last)
        return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}


class RandomSearchOracle(AtomicStateMixin, kt.oracles.RandomSearchOracle):
    pass


class BayesianOptimizationOracle(AtomicStateMixin, kt.oracles.BayesianOptimizationOracle):
    pass


class HyperbandOracle(AtomicStateMixin, kt.oracles.HyperbandOracle):
    pass


def objective_direction(objective: str) -> str:
    """Return 'min' for a loss, 'max' for an accuracy."""
    return "min" if objective.endswith("loss") else "max"
