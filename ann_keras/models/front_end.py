"""A convolutional front-end for the recurrent classifiers: local shapes first, and long sequences made short.

A recurrent cell reads one step at a time and must carry what it learnt
across every step to the end: over hundreds of steps (aeon's OSULeaf has
427, ACSF1 1,460) its gradient fades and each epoch costs as many sequential
steps. A 1-D convolution in front of it learns local shapes (a rise, a peak)
that the cell no longer has to assemble step by step, and with a stride it
hands the cell a sequence `stride` times shorter. This is the recipe of
LSTM-FCN and of convolutional-recurrent networks for long time series.

The layer keeps sequences variable-length: padded steps (all channels equal
to sequences.MASK_VALUE) are zeroed before the convolution and its output
carries a mask for the recurrent layers, thinned by the same stride, so a
cell still stops where each sequence ends.
"""

from __future__ import annotations

import keras
from keras import layers, ops


def real_steps(inputs, mask_value: float):
    """True for each step that is not padding (not every channel equal to `mask_value`): (examples, steps)."""
    return ops.any(ops.not_equal(inputs, ops.cast(mask_value, inputs.dtype)), axis=-1)


@keras.saving.register_keras_serializable(package="ann_keras")
class ConvFrontEnd(layers.Layer):
    """Conv1D ('same' padding, `stride`) and ReLU over padded sequences; the output's mask marks real steps."""

    def __init__(self, filters: int, kernel_size: int, stride: int, mask_value: float, masking: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.stride, self.mask_value = filters, kernel_size, stride, mask_value
        self.masking = masking   # False: the recurrent layers read the padding's (zeroed) steps too
        self.supports_masking = True   # Keras asks compute_mask for the output's mask only when this is set
        self.conv = layers.Conv1D(filters, kernel_size, strides=stride, padding="same", activation="relu",
                                  dtype=self.dtype_policy, name="conv")

    def build(self, input_shape):
        self.conv.build(input_shape)

    def call(self, inputs):
        # Padding would enter the convolution as -1000: it enters as zeros, the standardised mean, instead.
        x = ops.where(ops.expand_dims(real_steps(inputs, self.mask_value), -1), inputs, ops.zeros_like(inputs))
        return self.conv(x)

    def compute_mask(self, inputs, mask=None):
        if not self.masking:
            return None
        # Output step i reads the window around input step i * stride: it is real when that step is.
        return real_steps(inputs, self.mask_value)[:, ::self.stride]

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "stride": self.stride, "mask_value": self.mask_value, "masking": self.masking}
