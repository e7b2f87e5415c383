"""The search: the spec's axes as a Keras Tuner HyperModel, run by a Keras Tuner oracle.

Keras Tuner's split is kept: `SpecHyperModel` says what can vary, an oracle
(search/oracles.py, chosen in search/tuners.py) decides what to try next,
`SpecTuner` runs a trial. A trial runs one
execution per seed and keeps every execution's numbers (Keras Tuner's own
`executions_per_trial` keeps only the average), including test accuracy,
because the paper compares test accuracies.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import keras_tuner as kt
import numpy as np

from .. import files, models, results
from ..training import tensorboard_logs
from . import cross_validation, events
from .execution import train as train_execution
from .plan import planned_trials
from .tuners import make_oracle
from ..data import Dataset
from ..errors import AnnKerasError
from ..specs import Spec

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
    """Maps the spec's [search] axes onto the model builder.

    Keras Tuner builds a model once to learn the search space; the trials
    themselves train through search/execution.py (see SpecTuner.run_trial).
    """

    def __init__(self, spec: Spec, dataset: Dataset):
        super().__init__(name=spec.name)
        self.spec, self.dataset = spec, dataset

    def params(self, hp: kt.HyperParameters) -> dict:
        """Return [params] with this trial's values for every search axis."""
        chosen = {name: decode(hp.Choice(name, [encode(v) for v in values]))
                  for name, values in self.spec.search.items()}
        return self.spec.with_params(chosen, "trial")

    def build(self, hp):
        return models.build(self.spec.model, self.dataset.input_shape, self.dataset.num_classes,
                            self.params(hp), self.spec.augment)


# ---------------------------------------------------------------- the tuner


class RunFolderMismatch(AnnKerasError, kt.errors.FatalError):
    """A worker does not share the chief's run folder (Keras Tuner stops on a FatalError)."""


class SpecTuner(kt.Tuner):
    """Runs a trial as `executions` seeded trainings and records each one.

    Nothing here prints. In a worker process (Keras Tuner's variables set),
    the oracle is the chief's, reached over gRPC, and `on_trial` is called
    with a plain dict after each trial (elsewhere the oracle reports them).
    """

    def __init__(self, oracle, hypermodel: SpecHyperModel, *, run, dataset: Dataset, **kwargs):
        # Keras Tuner prints "Reloading Tuner from ..." itself; the CLI says it instead.
        with contextlib.redirect_stdout(io.StringIO()):
            super().__init__(oracle, hypermodel, **kwargs)
        self.run, self.dataset = run, dataset
        self.worker_id = None
        if self._is_worker():
            from . import distributed
            self.oracle = distributed.PatientOracleClient(self.oracle._oracle)
            self.worker_id = self.tuner_id

    def run_trial(self, trial, *args, **kwargs):
        if self.worker_id and not (self._trial_dir(trial) / "trial.json").exists():
            # The chief wrote trial.json when it handed this trial out: without it, this worker's run
            # folder is not the chief's, and its results would never reach results.json.
            raise RunFolderMismatch(
                f"worker {self.worker_id}: the chief's run folder is not {Path(self.project_dir).parent} "
                f"(trial {trial.trial_id} is not in it): give every worker the chief's experiment, profile, "
                "--set, --seed, --data path and --runs-dir, on a file system they share")
        hp = trial.hyperparameters
        budget = hp.values.get("tuner/epochs")
        path = self._trial_dir(trial) / EXECUTIONS_FILE
        # A trial cut short (a killed worker, Ctrl-C) keeps the seeds it finished; running it again
        # trains only the others.
        executions = files.read_json(path) if path.exists() else []
        done = {execution["seed"] for execution in executions}
        params = self.hypermodel.params(hp)
        for seed in self.run.seeds:
            if seed in done:
                continue
            if self.run.spec.tuner["folds"] > 1:
                summary = cross_validation.execution(self.run, params, self.dataset, seed, budget=budget,
                                                     path=self._trial_dir(trial) / f"folds-seed{seed}.json",
                                                     log=(f"trial_{trial.trial_id}", f"seed{seed}"))
            else:
                with train_execution(self.run, params, self.dataset, seed, budget=budget,
                                     log=(f"trial_{trial.trial_id}", f"seed{seed}")) as execution:
                    summary = execution.summary()
            if self.worker_id:
                summary["worker"] = self.worker_id
            executions.append(summary)
            files.write_json(path, sorted(executions, key=lambda e: e["seed"]), within=self.run.folder)
        metrics = mean_metrics(executions)
        if self.run.tensorboard:   # the HParams dashboard's row for this trial (values as the spec spells them)
            tensorboard_logs.write_trial(self.run.folder, trial.trial_id,
                                         {name: decode(value) for name, value in hp.values.items()
                                          if not name.startswith("tuner/")}, metrics)
        return metrics

    def _trial_dir(self, trial) -> Path:
        return Path(self.get_trial_dir(trial.trial_id))

    def save(self):
        files.write_json(Path(self._get_tuner_fname()), self.get_state(), within=Path(self.project_dir))

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if self.worker_id:   # elsewhere the oracle reports the trial (see `search`)
            ended = self.oracle.get_trial(trial.trial_id)
            self.run.on_event(events.WorkerTrialEnded(trial_record(ended, self._trial_dir(trial)), self.worker_id))

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
    path = trial_dir / EXECUTIONS_FILE
    return results.trial(
        trial.trial_id, {k: decode(v) for k, v in values.items() if not k.startswith("tuner/")},
        json.loads(path.read_text()) if path.exists() else [],
        status=trial.status, budget=values.get("tuner/epochs"), score=trial.score,
        # Keras Tuner keeps the whole traceback; the last line says what went wrong.
        message=(trial.message or "").strip().splitlines()[-1] if trial.message else None)


def search(run, dataset: Dataset) -> list[dict]:
    """Run (or resume) the search of `run` (a search.run.Run) in its folder; return every ended trial's record.

    `run.role` makes this process the chief, which serves the oracle to
    workers and returns the merged trials when they are done, or a worker,
    which runs the trials the chief hands it and returns []. Each ended trial
    is reported as an events.TrialEnded (on a worker, WorkerTrialEnded).
    """
    spec, role = run.spec, run.role
    if role is not None:
        role.enter()
    tuner = SpecTuner(make_oracle(spec, run.seed), SpecHyperModel(spec, dataset), run=run, dataset=dataset,
                      directory=str(run.folder), project_name="tuner", overwrite=False)
    if run.worker:
        tuner.search(verbose=0)
        return []
    if run.tensorboard:
        tensorboard_logs.write_experiment(run.folder, spec.search, spec.tuner["objective"])
    oracle = tuner.oracle

    def progress(trial, tuner_id):
        best = oracle.get_best_trials(1)
        run.on_event(events.TrialEnded(
            len(oracle.end_order), planned_trials(spec),
            trial_record(trial, Path(tuner.get_trial_dir(trial.trial_id))),
            trial_record(best[0], Path(tuner.get_trial_dir(best[0].trial_id))) if best else None,
            tuner_id if role is not None else None))
    oracle.on_trial_end = progress
    # Trials left running by a process that stopped run again first.
    oracle.requeue()
    if role is None:
        tuner.search(verbose=0)
    else:
        oracle.verbose = 0   # Keras Tuner's own per-trial display; the CLI prints its lines instead
        tuner.save()
        from . import distributed
        distributed.serve(oracle, role, on_event=run.on_event)
    ended = dict.fromkeys(oracle.end_order)   # in order, once each (older runs could list a trial twice)
    return [trial_record(oracle.trials[trial_id], Path(tuner.get_trial_dir(trial_id))) for trial_id in ended]
