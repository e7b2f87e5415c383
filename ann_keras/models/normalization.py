"""Batch normalisation on TensorFlow's fused kernel: the same layer, weights and saved form, and faster.

Keras 3's BatchNormalization computes the batch moments and the normalisation
as separate element-wise operations in float32, with casts around them under
a bfloat16 policy; its gradient is autodiff through all of them. TensorFlow's
FusedBatchNormV3 does the forward and backward passes in one kernel each
(oneDNN's on a CPU), reads bfloat16 directly and keeps its statistics in
float32. On the paper's CNN it made a training step 1.19x faster in float32
on a 2-core CPU, and with bfloat16 1.61x (`make bench`, section cnn_speed).

The moving averages are updated as Keras updates them (`momentum`), except
that the batch variance fed to them carries Bessel's correction n / (n - 1),
as PyTorch's running variance does; with n = batch x height x width in the
thousands, the two differ by under 0.1%.
"""

from __future__ import annotations

import keras
import numpy as np

from .. import backend


@keras.saving.register_keras_serializable(package="ann_keras")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """keras.layers.BatchNormalization over the channels of NHWC images, on TensorFlow's fused kernel.

    Anything else (other axes or ranks, masks, renormalisation, another
    backend) falls back to the Keras layer it extends.
    """

    def _fused(self, inputs, mask) -> bool:
        return (backend.fast_paths() and mask is None and not self.renorm
                and len(inputs.shape) == 4 and self.axis in (-1, 3) and not self.synchronized)

    def call(self, inputs, training=None, mask=None):
        if not self._fused(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf
        ones = tf.ones_like(self.moving_mean)
        gamma = self.gamma if self.scale else ones
        beta = self.beta if self.center else tf.zeros_like(self.moving_mean)
        x = tf.cast(inputs, self.compute_dtype)   # bfloat16 stays bfloat16; statistics are float32 inside
        if training and self.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(x, gamma, beta, epsilon=self.epsilon,
                                                                 is_training=True)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, gamma, beta, mean=self.moving_mean,
                                                       variance=self.moving_variance, epsilon=self.epsilon,
                                                       is_training=False)
        return y


def batch_norms(model: keras.Model) -> list:
    """Return the model's batch-normalisation layers (Keras's and ours), in order, with those inside a layer's `norms`.

    A layer that holds its own (the recurrent models' ConvBranch) lists them in `norms`.
    """
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        found += [norm for norm in getattr(layer, "norms", ()) if isinstance(norm, keras.layers.BatchNormalization)]
    return found


def moving_statistics(model: keras.Model) -> list:
    """Return each batch-normalisation layer's moving mean and variance, as arrays."""
    return [(keras.ops.convert_to_numpy(layer.moving_mean), keras.ops.convert_to_numpy(layer.moving_variance))
            for layer in batch_norms(model)]


def set_moving_statistics(model: keras.Model, statistics: list) -> None:
    """Undo to what `moving_statistics` returned."""
    for layer, (mean, variance) in zip(batch_norms(model), statistics):
        layer.moving_mean.assign(mean)
        layer.moving_variance.assign(variance)


def recompute_statistics(model: keras.Model, images, batch_size: int = 500) -> int:
    """Set every batch-normalisation layer's moving mean and variance to their values on `images`, in order.

    `images` are any inputs of the model (sequences too); a layer with a
    `recompute_statistics` method of its own (ConvBranch) is handed its
    inputs and sets the statistics inside it.

    The moving averages that training leaves behind were collected on
    augmented, dropped-out activations, over the last few dozen batches
    while the weights moved; at inference the network sees clean images
    with dropout off. Here each layer's statistics are measured on exactly
    what it sees at inference (earlier layers already recomputed), as
    "precise BN" does (Wu and Johnson, "Rethinking 'Batch' in BatchNorm",
    2021). Training is unchanged: the next training step's updates start
    from these values and replace them within an epoch. Returns the number
    of layers recomputed.
    """
    recomputed = 0
    for layer in model.layers:
        if hasattr(layer, "recompute_statistics"):   # a layer with its own inside (ConvBranch) sets them itself
            probe = keras.Model(model.input, layer.input)
            starts = range(0, len(images), batch_size)
            recomputed += layer.recompute_statistics([probe(images[s:s + batch_size], training=False) for s in starts])
            continue
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        # model.input, not model.inputs: a single-input model is then called with a bare array, as Keras expects.
        probe = keras.Model(model.input, layer.input)
        total, total_squares, count = 0.0, 0.0, 0
        for start in range(0, len(images), batch_size):
            values = keras.ops.cast(probe(images[start:start + batch_size], training=False), "float32")
            axes = tuple(range(len(values.shape) - 1))
            total += keras.ops.convert_to_numpy(keras.ops.sum(values, axis=axes)).astype("float64")
            total_squares += keras.ops.convert_to_numpy(keras.ops.sum(values * values, axis=axes)).astype("float64")
            count += int(np.prod(values.shape[:-1]))
        mean = total / count
        layer.moving_mean.assign(mean.astype("float32"))
        layer.moving_variance.assign(np.maximum(total_squares / count - mean * mean, 0.0).astype("float32"))
        recomputed += 1
    return recomputed
