"""A cross-validated execution: one seed of one configuration, trained once per fold of the training data.

With [tuner] folds = k, a trial's objective is its mean over k stratified
folds of the training data (train and validation splits together) instead
of one validation split. On a small split (JapaneseVowels keeps 27
sequences) every setting can score 100% and the ranking is noise; k folds
validate on every training example once. Keras Tuner has no
cross-validation of its own (its issue #139): it happens here, inside a
trial, so it works with every oracle, with resume (each finished fold is
kept) and with workers (a trial's folds stay on the worker that runs it).

The folds never hold the test split (data.folds leaves it out), so the
search cannot touch it; test numbers come from refitting after the search
(runner.refit).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import data, files
from .execution import train as train_execution

# The numbers each fold keeps; an execution keeps their means (the objective among them).
FOLD_METRICS = ("train_accuracy", "train_loss", "val_accuracy", "val_loss")


def execution(run, params: dict, dataset: data.Dataset, seed: int, *, path: Path, log: tuple[str, ...],
              budget: int | None = None) -> dict:
    """Train `params` with `seed` on each of the run's folds; return the execution's summary (see `summarise`).

    Folds finished before a stop are read back from `path` and not trained
    again. Fold i logs for TensorBoard in `log` + "-fold{i}".
    """
    done = files.read_json(path) if path.exists() else []
    for index, fold in enumerate(data.folds(dataset, run.spec.tuner["folds"], run.seed)):
        if index < len(done):
            continue
        with train_execution(run, params, fold, seed, log=(*log[:-1], f"{log[-1]}-fold{index}"),
                             budget=budget) as trained:
            record = {"fold": index, **{k: trained.metrics[k] for k in FOLD_METRICS},
                      "duration_s": round(trained.duration_s, 3)}
            if index == 0:
                record["history"] = trained.history   # one fold's curves: the report draws each trial's
        done.append(record)
        files.write_json(path, done, within=run.folder)
    return summarise(seed, done)


def summarise(seed: int, folds: list[dict]) -> dict:
    """Return an execution made of its folds: the mean of each metric, their sum of time, every fold's numbers."""
    means = {key: float(np.mean([fold[key] for fold in folds])) for key in FOLD_METRICS}
    return {"seed": seed, **means, "duration_s": round(sum(fold["duration_s"] for fold in folds), 3),
            "history": folds[0].get("history", {}),
            "folds": [{k: v for k, v in fold.items() if k != "history"} for fold in folds]}
