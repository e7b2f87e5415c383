"""What a run will train, counted from its spec before it starts: trials, and examples seen.

No TensorFlow and no Keras Tuner here: the progress estimate
(search/progress.py) and the CLI read it before any training starts.
"""

from __future__ import annotations

import math


def grid_size(spec) -> int:
    """Return the number of grid points: the product of the axis lengths."""
    return math.prod(len(values) for values in spec.search.values())


def planned_trials(spec) -> int | None:
    """Return how many trials the search will run, where that is known in advance."""
    if spec.tuner["name"] == "hyperband":
        return None
    return min(spec.tuner["max_trials"] or grid_size(spec), grid_size(spec))


def planned_work(spec, kind: str, train_examples: int, validation_examples: int = 0) -> int | None:
    """Return the example-epochs a `tune` or `train` of `spec` will train, or None where unknown (Hyperband)."""
    planned = plan(spec, kind, train_examples, validation_examples)
    return None if planned is None else planned[0]


def plan(spec, kind: str, train_examples: int, validation_examples: int = 0) -> tuple[int, int] | None:
    """Return (example-epochs, trainings) a run of `spec` will train: search, paper settings, refits, final model."""
    folds = spec.tuner["folds"]
    seeds = spec.tuner["executions"]
    # After cross-validation the final model and the refits train on the validation part too.
    whole = train_examples + validation_examples if folds > 1 else train_examples
    final = _work(spec.with_params(spec.final, "final"), whole)
    if kind != "tune":
        return final * seeds, seeds
    trials = planned_trials(spec)
    if trials is None:
        return None
    if folds > 1:
        per_fold = (train_examples + validation_examples) * (folds - 1) // folds
        refits = (trials if spec.tuner["refit"] == "all" else 1) * seeds - 1   # one refit is the final model
        search = trials * seeds * folds * _work(spec.params, per_fold) + refits * _work(spec.params, whole)
        trainings = trials * seeds * folds + refits
    else:
        search, trainings = trials * seeds * _work(spec.params, train_examples), trials * seeds
    paper = 0
    if spec.tuner["paper_runs"]:
        for run in spec.paper.get("runs", []):
            paper += seeds * _work(spec.with_params(run["params"], "paper run"), train_examples)
            trainings += seeds
    return search + paper + final, trainings + 1


def _work(params: dict, available: int) -> int:
    examples = min(params.get("train_examples") or available, available)
    if params.get("iterations"):
        return params["iterations"] * min(params.get("batch_size") or examples, examples)
    return params["epochs"] * examples
