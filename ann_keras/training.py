"""One training run: build, compile, fit, evaluate; returns plain numbers.

The paper counts full-batch gradient steps ("iterations"). A plain
`model.fit(epochs=5000)` pays Keras's per-epoch Python overhead 5000 times;
here `log_every` steps run inside one compiled call (`steps_per_execution`)
and one Keras "epoch" is one logged point, so 5000 steps cost 20 calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from . import models
from .data import Dataset


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
        return {"seed": self.seed, **self.metrics, "duration_s": round(self.duration_s, 3)}


def train(model_name: str, params: dict, dataset: Dataset, *, seed: int, verbose: int = 0,
          budget: int | None = None, callbacks=()) -> Execution:
    """Build the model from `params` with `seed` fixed, train it and evaluate it."""
    keras.utils.set_random_seed(seed)
    model = models.build(model_name, dataset.input_shape, dataset.num_classes, params)
    return fit(model, params, dataset, seed=seed, verbose=verbose, budget=budget, callbacks=callbacks)


def compile_model(model: keras.Model, params: dict, steps_per_execution: int = 1) -> None:
    """Attach the optimizer, loss and accuracy metric that `params` names."""
    optimizers = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}
    model.compile(
        optimizer=optimizers[params["optimizer"]](learning_rate=params["learning_rate"]),
        loss=loss_function(params),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
        jit_compile=params["jit_compile"],
    )


def loss_function(params: dict) -> keras.losses.Loss:
    """Return the Keras loss for `params`; MSE takes one-hot targets, cross-entropy labels."""
    if params["loss"] == "mse":
        return keras.losses.MeanSquaredError()
    # A linear output layer emits logits, the others probabilities.
    return keras.losses.SparseCategoricalCrossentropy(from_logits=params["output_activation"] == "linear")


def targets(labels: np.ndarray, params: dict, num_classes: int) -> np.ndarray:
    """Return what the loss compares predictions with: one-hot rows for MSE, labels otherwise."""
    if params["loss"] == "mse":
        return np.eye(num_classes, dtype=np.float32)[labels]
    return labels


def fit(model: keras.Model, params: dict, dataset: Dataset, *, seed: int, verbose: int = 0,
        budget: int | None = None, callbacks=()) -> Execution:
    """Compile and train `model`, then evaluate it on every split.

    `budget` caps the number of Keras epochs (logged points when counting
    iterations); Hyperband uses it to train short before training long.
    """
    k = dataset.num_classes
    y_train, y_val = targets(dataset.y_train, params, k), targets(dataset.y_val, params, k)
    batch_size = params["batch_size"] or len(dataset.y_train)
    started = time.perf_counter()
    if params.get("iterations"):
        steps = params["log_every"]
        epochs = params["iterations"] // steps
        compile_model(model, params, steps_per_execution=steps)
        batches = _repeating_batches(dataset.x_train, y_train, batch_size, seed)
        fit_args = dict(x=batches, steps_per_epoch=steps, shuffle=False)  # tf.data shuffles itself
    else:
        epochs = params["epochs"]
        compile_model(model, params)
        fit_args = dict(x=dataset.x_train, y=y_train, batch_size=batch_size, shuffle=True)
    if budget is not None:
        epochs = min(epochs, budget)
    history = model.fit(**fit_args, epochs=epochs, validation_data=(dataset.x_val, y_val),
                        validation_batch_size=1024, verbose=verbose, callbacks=list(callbacks))
    metrics, y_pred = evaluate(model, params, dataset)
    duration = time.perf_counter() - started
    return Execution(seed, metrics, _history(history.history, params), y_pred, duration, model)


def evaluate(model: keras.Model, params: dict, dataset: Dataset) -> tuple[dict, np.ndarray]:
    """Return loss and accuracy on train, validation and test, and the test predictions."""
    loss = loss_function(params)
    metrics = {}
    for split, x, y in (("train", dataset.x_train, dataset.y_train), ("val", dataset.x_val, dataset.y_val),
                        ("test", dataset.x_test, dataset.y_test)):
        scores = model.predict(x, batch_size=1024, verbose=0)
        predicted = scores.argmax(axis=1)
        metrics[f"{split}_accuracy"] = float(np.mean(predicted == y))
        metrics[f"{split}_loss"] = float(loss(targets(y, params, dataset.num_classes), scores))
    return metrics, predicted


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
