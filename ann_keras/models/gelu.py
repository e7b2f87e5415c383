"""GELU in one compiled kernel each way: the same function as Keras's exact GELU, several times faster on a CPU.

Keras's gelu is a chain of element-wise operations (scale, erf, add,
multiply), each a separate pass over the activations, and its gradient is
autodiff through all of them; in bfloat16, TensorFlow's element-wise kernels
also convert every value on the way. In the cnn-fast network this made GELU
about half of a training step on a 2-core Intel Xeon with AMX, whose
convolutions are fast (`make bench`, section cnn_kernels). Here the forward
pass and the gradient are each one XLA-compiled function (XLA fuses the chain
into a single loop over the values), computed in float32 and returned in the
layer's dtype. The gradient is written out, Phi(x) + x phi(x), so that the
backward pass needs only the layer's input.
"""

from __future__ import annotations

import functools

import keras

from .. import backend

SQRT_HALF = 0.7071067811865476             # 1 / sqrt(2)
INVERSE_SQRT_TWO_PI = 0.3989422804014327   # the standard normal density at 0


@functools.cache
def compiled_gelu():
    """Return TensorFlow's exact GELU with both directions XLA-compiled (made once, when first needed)."""
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def forward(x):
        wide = tf.cast(x, tf.float32)
        return tf.cast(wide * (0.5 + 0.5 * tf.math.erf(wide * SQRT_HALF)), x.dtype)

    @tf.function(jit_compile=True)
    def backward(x, upstream):
        wide = tf.cast(x, tf.float32)
        cumulative = 0.5 + 0.5 * tf.math.erf(wide * SQRT_HALF)
        density = tf.exp(-0.5 * wide * wide) * INVERSE_SQRT_TWO_PI
        return tf.cast(tf.cast(upstream, tf.float32) * (cumulative + wide * density), x.dtype)

    @tf.custom_gradient
    def gelu(x):
        """x Phi(x), Phi the standard normal distribution function: exact GELU, with its gradient compiled too."""
        return forward(x), lambda upstream: backward(x, upstream)

    return gelu


@keras.saving.register_keras_serializable(package="ann_keras")
class FusedGELU(keras.layers.Layer):
    """keras.layers.Activation("gelu") on one compiled kernel per direction (TensorFlow); Keras's gelu elsewhere."""

    def call(self, inputs):
        if not backend.fast_paths():
            return keras.activations.gelu(inputs, approximate=False)
        return compiled_gelu()(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape
