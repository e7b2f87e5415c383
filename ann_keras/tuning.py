"""The search: the spec's axes as a Keras Tuner HyperModel, run by a Keras Tuner oracle.

Keras Tuner's split is kept: `SpecHyperModel` says what can vary, an oracle
decides what to try next, `SpecTuner` runs a trial. A trial runs one
execution per seed and keeps every execution's numbers (Keras Tuner's own
`executions_per_trial` keeps only the average), including test accuracy,
because the paper compares test accuracies.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
from pathlib import Path

import keras
import keras_tuner as kt
import numpy as np

from . import models, results, training
from .data import Dataset
from .specs import Spec

EXECUTIONS_FILE = "executions.json"


# ---------------------------------------------------------------- search space


def encode(value):
    """Return a hyperparameter value as Keras Tuner keeps it: lists and booleans become JSON text.

    (Keras Tuner's Choice takes no lists, and turns booleans into 0 and 1.)
    """
    return json.dumps(value) if isinstance(value, (list, bool)) else value


def decode(value):
    """Undo `encode`."""
    if isinstance(value, str) and (value.startswith("[") or value in ("true", "false")):
        return json.loads(value)
    return value


class SpecHyperModel(kt.HyperModel):
    """Maps the spec's [search] axes onto the model builder; trains through `training`."""

    def __init__(self, spec: Spec, dataset: Dataset, *, verbose: int = 0):
        super().__init__(name=spec.name)
        self.spec, self.dataset, self.verbose = spec, dataset, verbose

    def params(self, hp: kt.HyperParameters) -> dict:
        """Return [params] with this trial's values for every search axis."""
        chosen = {name: decode(hp.Choice(name, [encode(v) for v in values]))
                  for name, values in self.spec.search.items()}
        return self.spec.with_params(chosen, "trial")

    def build(self, hp):
        return models.build(self.spec.model, self.dataset.input_shape, self.dataset.num_classes, self.params(hp),
                            self.spec.augment)

    def fit(self, hp, model, *, seed: int, budget: int | None = None, **_):
        return training.fit(model, self.params(hp), self.dataset, seed=seed, verbose=self.verbose, budget=budget)


def grid_size(spec: Spec) -> int:
    """Return the number of grid points: the product of the axis lengths."""
    return math.prod(len(values) for values in spec.search.values())


def planned_trials(spec: Spec) -> int | None:
    """Return how many trials the search will run, where that is known in advance."""
    if spec.tuner["name"] == "hyperband":
        return None
    return min(spec.tuner["max_trials"] or grid_size(spec), grid_size(spec))


# ---------------------------------------------------------------- oracles


class AtomicStateMixin:
    """Writes oracle.json and trial.json through a temporary file and a rename.

    Keras Tuner writes them in place, so a kill at the wrong moment would
    leave a truncated file that the next resume cannot read.
    """

    def save(self):
        results.write_json(Path(self._get_oracle_fname()), self.get_state())

    def _save_trial(self, trial):
        results.write_json(Path(self._get_trial_dir(trial.trial_id)) / "trial.json", trial.get_state())

    def end_trial(self, trial):
        # Keras Tuner saves before it removes the trial from `ongoing_trials`, so the saved state of a
        # finished search still lists its last trial as running, and a resume would run it again.
        super().end_trial(trial)
        self.save()

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


class RandomSearchOracle(AtomicStateMixin, kt.oracles.RandomSearchOracle):
    pass


class BayesianOptimizationOracle(AtomicStateMixin, kt.oracles.BayesianOptimizationOracle):
    pass


class HyperbandOracle(AtomicStateMixin, kt.oracles.HyperbandOracle):
    pass


def objective_direction(objective: str) -> str:
    """Return 'min' for a loss, 'max' for an accuracy."""
    return "min" if objective.endswith("loss") else "max"


def make_oracle(spec: Spec, seed: int) -> kt.Oracle:
    """Return the oracle the spec's [tuner] names, optimising its objective on the validation split."""
    objective = kt.Objective(spec.tuner["objective"], direction=objective_direction(spec.tuner["objective"]))
    max_trials = spec.tuner["max_trials"] or grid_size(spec)
    # A bad grid point fails its own trial; only a run of failures stops the search.
    common = dict(objective=objective, seed=seed, max_consecutive_failed_trials=max(3, grid_size(spec)))
    name = spec.tuner["name"]
    if name == "grid":
        return GridSearchOracle(max_trials=spec.tuner["max_trials"] or None, **common)
    if name == "random":
        return RandomSearchOracle(max_trials=max_trials, **common)
    if name == "bayesian":
        return BayesianOptimizationOracle(max_trials=max_trials, **common)
    # Hyperband's budget is in Keras epochs: logged points when counting iterations.
    length = spec.params["iterations"] // spec.params["log_every"] if spec.params.get("iterations") \
        else spec.params["epochs"]
    return HyperbandOracle(max_epochs=max(length, 2), **common)


# ---------------------------------------------------------------- the tuner


class SpecTuner(kt.Tuner):
    """Runs a trial as `executions` seeded trainings and records each one.

    `on_trial` is called with a plain dict after each trial; the CLI prints
    it. Nothing here prints.
    """

    def __init__(self, oracle, hypermodel: SpecHyperModel, *, executions: int, seed: int, total: int | None,
                 on_trial=None, **kwargs):
        # Keras Tuner prints "Reloading Tuner from ..." itself; the CLI says it instead.
        with contextlib.redirect_stdout(io.StringIO()):
            super().__init__(oracle, hypermodel, **kwargs)
        self.executions, self.base_seed, self.total, self.on_trial = executions, seed, total, on_trial

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        budget = hp.values.get("tuner/epochs")
        executions = []
        for index in range(self.executions):
            # The same seeds for every trial: configurations are compared on equal draws.
            seed = self.base_seed + index
            keras.utils.set_random_seed(seed)
            model = self.hypermodel.build(hp)
            outcome = self.hypermodel.fit(hp, model, seed=seed, budget=budget)
            executions.append(outcome.summary())
            keras.backend.clear_session(free_memory=True)
        results.write_json(self._trial_dir(trial) / EXECUTIONS_FILE, executions)
        return mean_metrics(executions)

    def _trial_dir(self, trial) -> Path:
        return Path(self.get_trial_dir(trial.trial_id))

    def save(self):
        results.write_json(Path(self._get_tuner_fname()), self.get_state())

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if self.on_trial:
            best = self.oracle.get_best_trials(1)
            self.on_trial({
                "number": len(self.oracle.end_order),
                "total": self.total,
                "trial": trial_record(self.oracle.trials[trial.trial_id], self._trial_dir(trial)),
                "best": trial_record(best[0], self._trial_dir(best[0])) if best else None,
            })

    # Trials are retrained, not reloaded: no per-epoch checkpoints are written.
    def save_model(self, trial_id, model, step=0):
        pass


def mean_metrics(executions: list[dict]) -> dict:
    """Return the mean of every metric over executions (what the oracle scores)."""
    keys = [key for key, value in executions[0].items() if key not in ("seed", "duration_s")
            and isinstance(value, (int, float))]
    return {key: float(np.mean([e[key] for e in executions])) for key in keys}


def trial_record(trial, trial_dir: Path) -> dict:
    """Return what results.json keeps of a Keras Tuner trial."""
    values = dict(trial.hyperparameters.values)
    record = {
        "trial_id": trial.trial_id,
        "status": trial.status,
        "hyperparameters": {k: decode(v) for k, v in values.items() if not k.startswith("tuner/")},
        "budget": values.get("tuner/epochs"),
        "score": trial.score,
        "executions": [],
        # Keras Tuner keeps the whole traceback; the last line says what went wrong.
        "message": (trial.message or "").strip().splitlines()[-1] if trial.message else None,
    }
    path = trial_dir / EXECUTIONS_FILE
    if path.exists():
        record["executions"] = json.loads(path.read_text())
    return record


def search(spec: Spec, dataset: Dataset, run_dir: Path, *, seed: int, verbose: int = 0, on_trial=None) -> list[dict]:
    """Run (or resume) the search in `run_dir/tuner`; return every ended trial's record."""
    hypermodel = SpecHyperModel(spec, dataset, verbose=verbose)
    tuner = SpecTuner(make_oracle(spec, seed), hypermodel, executions=spec.tuner["executions"], seed=seed,
                      total=planned_trials(spec), on_trial=on_trial, directory=str(run_dir),
                      project_name="tuner", overwrite=False)
    tuner.search(verbose=0)
    oracle = tuner.oracle
    ended = dict.fromkeys(oracle.end_order)   # in order, once each (older runs could list a trial twice)
    return [trial_record(oracle.trials[trial_id], Path(tuner.get_trial_dir(trial_id))) for trial_id in ended]
