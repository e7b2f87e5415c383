"""One training run: build, compile, fit, evaluate; returns plain numbers.

The paper counts full-batch gradient steps ("iterations"). A plain
`model.fit(epochs=5000)` pays Keras's per-epoch Python overhead 5000 times;
here `log_every` steps run inside one compiled call (`steps_per_execution`)
and one Keras "epoch" is one logged point, so 5000 steps cost 20 calls.
"""

from __future__ import annotations

import contextlib
import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .. import data, models
from ..models import normalization
from ..data import Dataset
from . import tensorboard_logs

HISTORY_FILE = "history.csv"
TRAIN_EVALUATION = 10_000


@dataclass
class Execution:
    """What one seed of one configuration produced."""

    seed: int
    metrics: dict            # train/val/test accuracy and loss at the end of training
    history: dict            # per logged step: {"unit", "step", "loss", "accuracy", "val_loss", ...}
    y_pred: np.ndarray       # predicted class of every test example
    duration_s: float        # fit and evaluation, model building excluded
    model: keras.Model = field(repr=False)

    def summary(self) -> dict:
        """Return the JSON-able part kept for every execution of every trial."""
        summary = {"seed": self.seed, **self.metrics, "duration_s": round(self.duration_s, 3),
                   "history": self.history}   # every trial's curves, for the report's per-trial figures and CSV
        if "test_accuracy" in self.history:   # tracked per epoch (track_test): the paper's per-epoch figures
            summary["test_accuracy_by_epoch"] = self.history["test_accuracy"]
        return summary


def train(model_name: str, params: dict, dataset: Dataset, *, seed: int, augment: dict | None = None,
          verbose: int = 0, budget: int | None = None, resume_dir: Path | None = None,
          strategy: tf.distribute.Strategy | None = None, log_dir: Path | None = None) -> Execution:
    """Build the model from `params` with `seed` fixed, train it and evaluate it (within `strategy`'s scope)."""
    keras.utils.set_random_seed(seed)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = models.build(model_name, dataset.input_shape, dataset.num_classes, params, augment)
        return fit(model, params, dataset, seed=seed, verbose=verbose, budget=budget, resume_dir=resume_dir,
                   log_dir=log_dir)


@contextlib.contextmanager
def execution(run, params: dict, dataset: Dataset, seed: int, *, log: tuple[str, ...], budget: int | None = None,
              resume_dir: Path | None = None):
    """Train one seeded execution of `params` for `run` (a search.run.Run); yield it, then free its memory.

    The one way every stage trains: a search's trials, the paper's extra
    settings, `train` and the final model. Keras's session is cleared when
    the block ends, after the caller has kept what it needs (numbers, the
    saved model). `log` names its TensorBoard folder inside the run folder
    (tensorboard_logs.log_dir), e.g. ("trial_0003", "seed42").
    """
    try:
        yield train(run.spec.model, params, dataset, seed=seed, augment=run.spec.augment, verbose=run.verbose,
                    budget=budget, resume_dir=resume_dir, strategy=run.strategy,
                    log_dir=tensorboard_logs.log_dir(run.folder, *log) if run.tensorboard else None)
    finally:
        keras.backend.clear_session(free_memory=True)


def compile_model(model: keras.Model, params: dict, steps_per_execution: int = 1, total_steps: int = 1) -> None:
    """Attach the optimizer, learning-rate schedule, loss and accuracy metric that `params` name."""
    rate = params["learning_rate"]
    if params["schedule"] == "onecycle":
        rate = OneCycle(rate, total_steps, params["warmup"])
    options = dict(learning_rate=rate, weight_decay=params["weight_decay"] or None,
                   use_ema=params["ema"] > 0, ema_momentum=params["ema"] or 0.99)
    if params["optimizer"] == "sgd":
        optimizer = keras.optimizers.SGD(momentum=params["momentum"], nesterov=params["momentum"] > 0, **options)
    else:
        optimizer = keras.optimizers.Adam(**options)
    model.compile(optimizer=optimizer, loss=loss_function(params, emits_logits(model)), metrics=["accuracy"],
                  steps_per_execution=steps_per_execution, jit_compile=params["jit_compile"])


@keras.saving.register_keras_serializable(package="ann_keras")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `peak` over `warmup` of the steps, then linear decay to 0."""

    def __init__(self, peak: float, total_steps: int, warmup: float):
        self.peak, self.total_steps, self.warmup = peak, max(int(total_steps), 1), warmup

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rise = max(self.warmup * self.total_steps, 1.0)
        up = step / rise
        down = (self.total_steps - step) / max(self.total_steps - rise, 1.0)
        return self.peak * keras.ops.clip(keras.ops.minimum(up, down), 0.0, 1.0)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup": self.warmup}


def emits_logits(model: keras.Model) -> bool:
    """Whether the model's output layer is linear (logits) rather than a softmax or sigmoid (probabilities)."""
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "") == "linear"


def loss_function(params: dict, logits: bool = False) -> keras.losses.Loss:
    """Return the Keras loss for `params`; MSE and smoothed cross-entropy take one-hot targets, the rest labels."""
    if params["loss"] == "mse":
        return keras.losses.MeanSquaredError()
    if params["label_smoothing"]:
        return keras.losses.CategoricalCrossentropy(label_smoothing=params["label_smoothing"], from_logits=logits)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=logits)


def targets(labels: np.ndarray, params: dict, num_classes: int) -> np.ndarray:
    """Return what the loss compares predictions with: one-hot rows (MSE, label smoothing) or labels."""
    if params["loss"] == "mse" or params["label_smoothing"]:
        return np.eye(num_classes, dtype=np.float32)[labels]
    return labels


def fit(model: keras.Model, params: dict, dataset: Dataset, *, seed: int, verbose: int = 0,
        budget: int | None = None, resume_dir: Path | None = None, log_dir: Path | None = None) -> Execution:
    """Compile and train `model`, then evaluate it on every split.

    `budget` caps the number of Keras epochs (logged points when counting
    iterations); Hyperband uses it to train short before training long.
    With `resume_dir`, a killed run continues from its last completed epoch
    (Keras's BackupAndRestore) and its history survives in a CSV file there.
    With `log_dir`, each logged point is also written for TensorBoard there.
    """
    k = dataset.num_classes
    x_train, y_train = data.subset(dataset.x_train, dataset.y_train, params["train_examples"], seed)
    y_train, y_val = targets(y_train, params, k), targets(dataset.y_val, params, k)
    batch_size = params["batch_size"] or len(y_train)
    started = time.perf_counter()
    if params.get("iterations"):
        per_call = steps_per_epoch = params["log_every"]
        epochs = params["iterations"] // per_call
        batches = _repeating_batches(x_train, y_train, batch_size, seed)
    else:
        # A finite dataset: Keras makes a fresh pass each epoch only when steps_per_epoch is None.
        per_call, steps_per_epoch = params["steps_per_execution"], None
        epochs = params["epochs"]
        batches = epoch_batches(x_train, y_train, batch_size, seed)
    if budget is not None:
        epochs = min(epochs, budget)
    if model.distribute_strategy.num_replicas_in_sync > 1:
        # Keras 3.15's multi-step loop fails under MirroredStrategy ("You must feed a value for
        # placeholder tensor"), so a model trained on several devices runs one step per call.
        per_call = 1
    total_steps = epochs * (steps_per_epoch or math.ceil(len(y_train) / batch_size))
    compile_model(model, params, steps_per_execution=per_call, total_steps=total_steps)
    statistics = RecomputeStatistics(dataset, params["bn_recompute"], seed) if params["bn_recompute"] else None
    # Recomputing comes first: validation and the per-epoch test accuracy are measured after it.
    callbacks = [statistics] if statistics is not None else []
    has_test = len(dataset.y_test) > 0   # a cross-validation fold has none: the search never sees the test split
    if params["track_test"] and has_test:
        callbacks.append(TestMetrics(dataset, params))
    if params["patience"] and len(dataset.y_val) and not params.get("iterations"):
        # The weights at the stop are kept, not the best epoch's: with a moving average of the weights (ema)
        # those are the averaged ones, which the per-epoch validation never saw.
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", min_delta=1e-4, patience=params["patience"]))
    if log_dir is not None:
        callbacks.append(tensorboard_logs.callback(log_dir))
    callbacks.append(Clock(started))   # last: its time includes the other callbacks' work
    if resume_dir is not None:
        callbacks += [keras.callbacks.BackupAndRestore(str(Path(resume_dir) / "backup")),
                      keras.callbacks.CSVLogger(str(Path(resume_dir) / HISTORY_FILE), append=True)]
    # tf.data shuffles itself, so Keras's shuffle is off.
    history = model.fit(batches, steps_per_epoch=steps_per_epoch, shuffle=False, epochs=epochs,
                        validation_data=(dataset.x_val, y_val),
                        validation_batch_size=1024, verbose=verbose, callbacks=callbacks).history
    if resume_dir is not None:
        history = read_history_csv(Path(resume_dir) / HISTORY_FILE)   # includes epochs before a restart
    extra = statistics.compare_running(model, params) if statistics is not None and has_test else {}
    metrics, y_pred = evaluate(model, params, dataset)
    metrics.update(extra)
    duration = time.perf_counter() - started
    return Execution(seed, metrics, _history(history, params), y_pred, duration, model)


class Clock(keras.callbacks.Callback):
    """Adds `time_s`, seconds since training started, to each epoch's logs: accuracy against time."""

    def __init__(self, started: float):
        super().__init__()
        self.started = started

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["time_s"] = time.perf_counter() - self.started


class RecomputeStatistics(keras.callbacks.Callback):
    """Recomputes batch normalisation's statistics on clean training images before each validation.

    Training itself is unchanged (it normalises with each batch's own
    statistics); only what inference uses is measured afresh. The moving
    averages training left are kept aside, so the final test accuracy can be
    given with them too.
    """

    def __init__(self, dataset: Dataset, examples: int, seed: int):
        super().__init__()
        self.dataset = dataset
        self.images, _ = data.subset(dataset.x_train, dataset.y_train, examples, seed)
        self.running = None

    def on_test_begin(self, logs=None):
        self.running = normalization.moving_statistics(self.model)
        normalization.recompute_statistics(self.model, self.images)

    def compare_running(self, model: keras.Model, params: dict) -> dict:
        """Return test accuracy and loss with the moving averages training left (the frameworks' default)."""
        if self.running is None:   # no validation ran (a resumed, finished run): recompute now
            self.set_model(model)
            self.on_test_begin()
        recomputed = normalization.moving_statistics(model)
        normalization.set_moving_statistics(model, self.running)
        scores = predict(model, self.dataset.x_test, params)
        normalization.set_moving_statistics(model, recomputed)
        y = self.dataset.y_test
        return {"test_accuracy_running_bn": float(np.mean(scores.argmax(axis=1) == y)),
                "test_loss_running_bn": float(loss_function(params, emits_logits(model))(
                    targets(y, params, self.dataset.num_classes), scores))}


class TestMetrics(keras.callbacks.Callback):
    """Adds test accuracy and loss to each epoch's logs (the paper reports test accuracy per epoch)."""

    def __init__(self, dataset: Dataset, params: dict):
        super().__init__()
        # Not `self.params`: Keras sets that attribute on every callback.
        self.dataset, self.spec_params = dataset, params

    def on_epoch_end(self, epoch, logs=None):
        scores = predict(self.model, self.dataset.x_test, self.spec_params)
        if logs is not None:
            logs["test_accuracy"] = float(np.mean(scores.argmax(axis=1) == self.dataset.y_test))
            logs["test_loss"] = float(loss_function(self.spec_params, emits_logits(self.model))(
                targets(self.dataset.y_test, self.spec_params, self.dataset.num_classes), scores))


def read_history_csv(path: Path) -> dict:
    """Return Keras's history from a CSVLogger file, keeping the last row of an epoch logged twice."""
    with open(path, newline="") as stream:
        rows = {int(row["epoch"]): row for row in csv.DictReader(stream)}
    keys = [key for key in (next(iter(rows.values())) if rows else {}) if key != "epoch"]
    return {key: [float(rows[epoch][key]) for epoch in sorted(rows)] for key in keys}


def evaluate(model: keras.Model, params: dict, dataset: Dataset) -> tuple[dict, np.ndarray]:
    """Return loss and accuracy on train, validation and test, and the test predictions.

    Training accuracy is measured on at most TRAIN_EVALUATION examples (a
    fixed stratified subset): enough to see over-fitting, without predicting
    all 45,000 CIFAR-10 training images after every run. An empty split (the
    test split of a cross-validation fold) is not measured.
    """
    loss = loss_function(params, emits_logits(model))
    metrics = {}
    test_predictions = np.zeros(0, dtype=np.int64)
    x_train, y_train = data.subset(dataset.x_train, dataset.y_train, TRAIN_EVALUATION, 0)
    for split, x, y in (("train", x_train, y_train), ("val", dataset.x_val, dataset.y_val),
                        ("test", dataset.x_test, dataset.y_test)):
        if len(y) == 0:
            continue
        scores = predict(model, x, params)
        predicted = scores.argmax(axis=1)
        metrics[f"{split}_accuracy"] = float(np.mean(predicted == y))
        metrics[f"{split}_loss"] = float(loss(targets(y, params, dataset.num_classes), scores))
        if split == "test":
            test_predictions = predicted
    return metrics, test_predictions


def predict(model: keras.Model, x: np.ndarray, params: dict) -> np.ndarray:
    """Return class scores; with `tta_flip`, the mean over each image and its mirror image."""
    scores = model.predict(x, batch_size=1024, verbose=0)
    if params["tta_flip"] and x.ndim == 4:
        scores = (scores + model.predict(x[:, :, ::-1], batch_size=1024, verbose=0)) / 2
    return scores


def epoch_batches(x, y, batch_size: int, seed: int) -> tf.data.Dataset:
    # uint8 images stay uint8 here; the model casts and rescales each batch.
    batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    return batches.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _repeating_batches(x, y, batch_size: int, seed: int) -> tf.data.Dataset:
    if batch_size >= len(y):
        # Full batch: the same tensors every step, no copies, no shuffling needed.
        return tf.data.Dataset.from_tensors((x, y)).repeat()
    batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    return batches.repeat().batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _history(history: dict, params: dict) -> dict:
    """Return Keras's history with the step each point was logged at, in the spec's unit."""
    if params.get("iterations"):
        unit, every = "iteration", params["log_every"]
    else:
        unit, every = "epoch", 1
    points = len(history.get("loss", []))
    return {"unit": unit, "step": [every * (i + 1) for i in range(points)],
            **{key: [float(v) for v in values] for key, values in history.items()}}
