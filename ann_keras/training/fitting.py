"""One training run: build, compile, fit, evaluate; returns plain numbers.

The paper counts full-batch gradient steps ("iterations"). A plain
`model.fit(epochs=5000)` pays Keras's per-epoch Python overhead 5000 times;
here `log_every` steps run inside one compiled call (`steps_per_execution`)
and one Keras "epoch" is one logged point, so 5000 steps cost 20 calls.
"""

from __future__ import annotations

import contextlib
import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from .. import backend, data, models
from ..data import Dataset
from ..models import augment as augmentation
from ..models import normalization, whitening
from . import callbacks, evaluation, feeding, optimizers, tensorboard_logs

HISTORY_FILE = "history.csv"


@dataclass
class Execution:
    """What one seed of one configuration produced."""

    seed: int
    metrics: dict            # train/val/test accuracy and loss at the end of training
    history: dict            # per logged step: {"unit", "step", "loss", "accuracy", "val_loss", ...}
    y_pred: np.ndarray       # predicted class of every test example
    duration_s: float        # fit and evaluation, model building excluded
    model: keras.Model = field(repr=False)
    # Test predictions with the batch-norm moving averages training left (the paper's and the frameworks'
    # evaluation), where bn_recompute measured the statistics afresh for `y_pred`; else None.
    y_pred_running_bn: np.ndarray | None = None

    def summary(self) -> dict:
        """Return the JSON-able part kept for every execution of every trial."""
        summary = {"seed": self.seed, **self.metrics, "duration_s": round(self.duration_s, 3),
                   "history": self.history}   # every trial's curves, for the report's per-trial figures and CSV
        if "test_accuracy" in self.history:   # tracked per epoch (track_test): the paper's per-epoch figures
            summary["test_accuracy_by_epoch"] = self.history["test_accuracy"]
        if "test_accuracy_running_bn" in self.history:   # the same under the paper's evaluation
            summary["test_accuracy_by_epoch_running_bn"] = self.history["test_accuracy_running_bn"]
        return summary


def train(model_name: str, params: dict, dataset: Dataset, *, seed: int, augment: dict | None = None,
          verbose: int = 0, budget: int | None = None, resume_dir: Path | None = None,
          strategy=None, log_dir: Path | None = None,
          on_progress=None) -> Execution:
    """Build the model from `params` with `seed` fixed, train it and evaluate it (within `strategy`'s scope)."""
    backend.set_seed(seed)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = models.build(model_name, dataset.input_shape, dataset.num_classes, params, augment)
        return fit(model, params, dataset, seed=seed, verbose=verbose, budget=budget, resume_dir=resume_dir,
                   log_dir=log_dir, augment=augment, on_progress=on_progress)


def fit(model: keras.Model, params: dict, dataset: Dataset, *, seed: int, verbose: int = 0,
        budget: int | None = None, resume_dir: Path | None = None, log_dir: Path | None = None,
        augment: dict | None = None, on_progress=None) -> Execution:
    """Compile and train `model`, then evaluate it on every split.

    `budget` caps the number of Keras epochs (logged points when counting
    iterations); Hyperband uses it to train short before training long.
    With `resume_dir`, a killed run continues from its last completed epoch
    (Keras's BackupAndRestore) and its history survives in a CSV file there.
    With `log_dir`, each logged point is also written for TensorBoard there.
    `on_progress(epoch, epochs, examples, seconds)` hears of the start
    (epoch 0) and of each logged point's end, for progress estimates.
    `augment` is the spec's [augment] table: where the family's `augment`
    switch is on, the batches are augmented before the model (training/batches.py, training/feeding.py).
    """
    k = dataset.num_classes
    x_train, y_train = data.subset(dataset.x_train, dataset.y_train, params["train_examples"], seed)
    y_train, y_val = optimizers.targets(y_train, params, k), optimizers.targets(dataset.y_val, params, k)
    batch_size = min(params["batch_size"] or len(y_train), len(y_train))
    started = time.perf_counter()
    # A patch-whitening first layer is set from the training images (only airbench has one, and the key freezing it).
    whitens = whitening.adapt(model, x_train, seed) > 0
    # Only families with an `augment` switch augment at all (the MLP and RNNs have none).
    augments = bool("augment" in params and params["augment"] and augment and augmentation.is_on(augment))
    # Keras's PyTorch trainer refuses more than one step per compiled call ("steps_per_execution must be 1").
    one_step_per_call = backend.name() == "torch"
    if params.get("iterations"):
        per_call = steps_per_epoch = params["log_every"]
        epochs = params["iterations"] // per_call
    else:
        # One Keras epoch is one pass's worth of full batches of the endless stream. (A finite dataset that Keras
        # re-reads each epoch measured 17% slower: 46.6 s against 39.7 s an augmented CIFAR-10 epoch in batches of
        # 64 on 2 cores.)
        steps_per_epoch = max(len(y_train) // batch_size, 1)
        # Keras runs whole compiled calls of `per_call` steps on an endless stream, so an epoch is rounded up to a
        # multiple of them (703 steps of 64 images become 704); were it not, every epoch would overrun silently.
        # (On PyTorch, one step per call, below: its epochs are not rounded.)
        per_call = 1 if one_step_per_call else min(params["steps_per_execution"], steps_per_epoch)
        steps_per_epoch = -(-steps_per_epoch // per_call) * per_call
        epochs = params["epochs"]
    batches = feeding.stream(x_train, y_train, batch_size, seed, augment if augments else {}, steps_per_epoch)
    if budget is not None:
        epochs = min(epochs, budget)
    # Keras 3.15's multi-step loop fails under MirroredStrategy ("You must feed a value for placeholder tensor"),
    # so a model trained on several devices runs one step per call, as PyTorch does (the MLP's logged points stay
    # log_every steps each; only each step is a call of its own).
    if one_step_per_call or getattr(getattr(model, "distribute_strategy", None), "num_replicas_in_sync", 1) > 1:
        per_call = 1
    total_steps = epochs * steps_per_epoch
    optimizers.compile_model(model, params, steps_per_execution=per_call, total_steps=total_steps)
    # Only a model with batch normalisation has statistics to recompute (an RNN without its branch has none).
    statistics = callbacks.RecomputeStatistics(dataset, params["bn_recompute"], seed) \
        if params["bn_recompute"] and normalization.batch_norms(model) else None
    # Recomputing comes first: validation and the per-epoch test accuracy are measured after it.
    hooks = [statistics] if statistics is not None else []
    has_test = len(dataset.y_test) > 0   # a cross-validation fold has none: the search never sees the test split
    if params["track_test"] and has_test:
        hooks.append(callbacks.TestMetrics(dataset, params, statistics))
    if params["patience"] and len(dataset.y_val) and not params.get("iterations"):
        # The weights at the stop are kept, not the best epoch's: with a moving average of the weights (ema)
        # those are the averaged ones, which the per-epoch validation never saw.
        hooks.append(keras.callbacks.EarlyStopping("val_loss", min_delta=1e-4, patience=params["patience"]))
    if params["lookahead"]:
        hooks.append(callbacks.Lookahead(params["lookahead"], total_steps))
    if whitens and params["whitening_bias_epochs"]:
        hooks.append(whitening.FreezeBias(params["whitening_bias_epochs"]))
    if log_dir is not None:
        hooks.append(tensorboard_logs.callback(log_dir))
    hooks.append(callbacks.Clock(started))   # its time includes the other callbacks' work
    if on_progress is not None:
        # Examples seen per logged point: a full pass, or the steps of one compiled call.
        examples = steps_per_epoch * batch_size
        hooks.append(callbacks.Progress(on_progress, epochs, examples))   # last: after validation and test
    if resume_dir is not None:
        hooks += [keras.callbacks.BackupAndRestore(str(Path(resume_dir) / "backup")),
                  keras.callbacks.CSVLogger(str(Path(resume_dir) / HISTORY_FILE), append=True)]
    # The stream shuffles itself, so Keras's shuffle is off.
    # A refit after cross-validation has no validation split (data.whole_training): nothing to validate on.
    validation = (dataset.x_val, y_val) if len(dataset.y_val) else None
    history = model.fit(batches, steps_per_epoch=steps_per_epoch, shuffle=False, epochs=epochs,
                        validation_data=validation,
                        validation_batch_size=1024, verbose=verbose, callbacks=hooks).history
    if hasattr(batches, "close"):
        batches.close()   # the portable stream's preparing thread
    if params["ema"] and backend.name() == "jax":
        # Keras puts the moving average in place by assigning the optimizer's average arrays to the weights; on JAX
        # both then hold one buffer, which the next compiled call frees, and saving the optimizer fails. Each
        # weight gets its own copy.
        for variable in model.trainable_variables:
            variable.assign(keras.ops.copy(variable.value))
    if resume_dir is not None:
        history = read_history_csv(Path(resume_dir) / HISTORY_FILE)   # includes epochs before a restart
    if statistics is not None:
        # Training may end on other weights than the last validation measured (a moving average's, which fit
        # puts in place at its end, or lookahead's): their statistics are recomputed once more.
        statistics.finish(model)
    extra, y_pred_running = statistics.compare_running(model, params) if statistics is not None and has_test \
        else ({}, None)
    metrics, y_pred = evaluation.evaluate(model, params, dataset)
    metrics.update(extra)
    duration = time.perf_counter() - started
    return Execution(seed, metrics, _history(history, params), y_pred, duration, model, y_pred_running)


def read_history_csv(path: Path) -> dict:
    """Return Keras's history from a CSVLogger file, keeping the last row of an epoch logged twice.

    Columns Keras left empty ("NA" in every row: validation without validation data) are left out.
    """
    with open(path, newline="") as stream:
        rows = {int(row["epoch"]): row for row in csv.DictReader(stream)}
    keys = [key for key in (next(iter(rows.values())) if rows else {}) if key != "epoch"]
    # Without validation data Keras still writes val_* columns, all "NA": they are no history.
    keys = [key for key in keys if any(row[key] != "NA" for row in rows.values())]
    return {key: [float(rows[epoch][key]) for epoch in sorted(rows)] for key in keys}


def _history(history: dict, params: dict) -> dict:
    """Return Keras's history with the step each point was logged at, in the spec's unit."""
    if params.get("iterations"):
        unit, every = "iteration", params["log_every"]
    else:
        unit, every = "epoch", 1
    points = len(history.get("loss", []))
    return {"unit": unit, "step": [every * (i + 1) for i in range(points)],
            **{key: [float(v) for v in values] for key, values in history.items()}}
