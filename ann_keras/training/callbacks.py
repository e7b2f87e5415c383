"""The callbacks a training adds to Keras's fit: lookahead, timing, progress, and the paper's extra measurements.

RecomputeStatistics and TestMetrics measure what the paper compares:
batch-norm statistics recomputed on clean images beside the moving
averages training left, and test accuracy after every epoch.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from .. import backend, data
from ..data import Dataset
from ..models import normalization
from .evaluation import predict
from .optimizers import emits_logits, loss_function, targets


class Lookahead(keras.callbacks.Callback):
    """airbench's lookahead: every `every` steps, average the weights into a slow copy and restart from it.

    The slow copy moves towards the weights by (1 - decay), with decay =
    `final` x (progress)^3: early on the weights run free; towards the end
    each restart pulls them most of the way back to the average, which
    smooths the last noisy steps as an exponential moving average would. At
    the end the weights are the slow copy. Batch normalisation's moving
    statistics are averaged with them, so they match the averaged weights.
    """

    def __init__(self, final: float, total_steps: int, every: int = 5):
        super().__init__()
        self.final, self.total_steps, self.every = final, max(total_steps, 1), every
        self.step = 0

    def on_train_begin(self, logs=None):
        self.fast = [v for v in self.model.weights if "float" in str(v.dtype)]
        # Copies, not views: JAX's trainer hands the model's buffers to each step and frees them afterwards.
        self.slow = [keras.Variable(keras.ops.convert_to_numpy(v.value), dtype=v.dtype, trainable=False)
                     for v in self.fast]
        self.update = self._update
        if backend.is_tensorflow():   # one graph for all the assignments instead of one eager call each
            import tensorflow as tf
            self.update = tf.function(self._update)

    def _update(self, decay):
        for slow, fast in zip(self.slow, self.fast):
            slow.assign(slow.value + (1.0 - decay) * (fast.value - slow.value))
            fast.assign(keras.ops.copy(slow.value))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            _ = self.model   # on JAX, reading the model puts the trainer's current weights back into the variables
            self.update(keras.ops.convert_to_tensor(self.final * min(self.step / self.total_steps, 1.0) ** 3,
                                                    "float32"))

    def on_train_end(self, logs=None):
        _ = self.model
        self.update(keras.ops.convert_to_tensor(1.0, "float32"))


class Clock(keras.callbacks.Callback):
    """Adds `time_s`, seconds since training started, to each epoch's logs: accuracy against time."""

    def __init__(self, started: float):
        super().__init__()
        self.started = started

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["time_s"] = time.perf_counter() - self.started


class Progress(keras.callbacks.Callback):
    """Tells `report(epoch, epochs, examples, seconds)` when training starts (epoch 0) and as each epoch ends."""

    def __init__(self, report, epochs: int, examples: int):
        super().__init__()
        self.report, self.epochs, self.examples = report, epochs, examples
        self.begun = 0.0

    def on_train_begin(self, logs=None):
        self.report(0, self.epochs, self.examples, 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self.begun = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.report(epoch + 1, self.epochs, self.examples, time.perf_counter() - self.begun)


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

    def finish(self, model: keras.Model) -> None:
        """Recompute for the weights training ended with.

        The moving averages kept aside are those the last validation found
        (what training left); without any validation, those in place now.
        """
        self.set_model(model)
        if self.running is None:
            self.running = normalization.moving_statistics(model)
        normalization.recompute_statistics(model, self.images)

    def compare_running(self, model: keras.Model, params: dict) -> tuple[dict, np.ndarray]:
        """Return test accuracy and loss with the moving averages training left, and the test predictions.

        The moving averages are what the paper's PyTorch network and Keras
        evaluate with by default: the paper's evaluation.
        """
        if self.running is None:   # a resumed, finished run: recompute now
            self.finish(model)
        scores = self.running_scores(model, params)
        y = self.dataset.y_test
        return ({"test_accuracy_running_bn": float(np.mean(scores.argmax(axis=1) == y)),
                 "test_loss_running_bn": float(loss_function(params, emits_logits(model))(
                     targets(y, params, self.dataset.num_classes), scores))},
                scores.argmax(axis=1))

    def running_scores(self, model: keras.Model, params: dict) -> np.ndarray:
        """Return test scores with the moving averages put back for the call, the recomputed ones kept after."""
        recomputed = normalization.moving_statistics(model)
        normalization.set_moving_statistics(model, self.running)
        try:
            return predict(model, self.dataset.x_test, params)
        finally:
            normalization.set_moving_statistics(model, recomputed)


class TestMetrics(keras.callbacks.Callback):
    """Adds test accuracy and loss to each epoch's logs (the paper reports test accuracy per epoch).

    With recomputed batch-norm statistics (`statistics`), the same are also
    measured with the moving averages this epoch's training left, as
    `test_accuracy_running_bn`: the paper's evaluation, beside ours.
    """

    def __init__(self, dataset: Dataset, params: dict, statistics: RecomputeStatistics | None = None):
        super().__init__()
        # Not `self.params`: Keras sets that attribute on every callback.
        self.dataset, self.spec_params, self.statistics = dataset, params, statistics

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs.update(self._scores(predict(self.model, self.dataset.x_test, self.spec_params), ""))
        if self.statistics is not None and self.statistics.running is not None:
            logs.update(self._scores(self.statistics.running_scores(self.model, self.spec_params), "_running_bn"))

    def _scores(self, scores: np.ndarray, suffix: str) -> dict:
        y = self.dataset.y_test
        loss = loss_function(self.spec_params, emits_logits(self.model))
        return {f"test_accuracy{suffix}": float(np.mean(scores.argmax(axis=1) == y)),
                f"test_loss{suffix}": float(loss(targets(y, self.spec_params, self.dataset.num_classes), scores))}
