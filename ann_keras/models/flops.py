"""The arithmetic a model costs: floating-point operations per example, counted from its layers.

Only convolutions and fully-connected layers are counted (two operations
per multiply-add); batch normalisation, activations and pooling are a few
operations per value and under 1% of a CNN's total. A training step is
counted as three forward passes (the forward pass, then the gradients with
respect to the inputs and to the weights, each as costly as the forward
pass): the usual convention, and the one airbench's PFLOP figures use.
"""

from __future__ import annotations

import math

import keras

from .whitening import PatchWhitening

TRAINING_PASSES = 3


def forward_flops(model: keras.Model) -> int:
    """Return the floating-point operations of one example's forward pass through `model`'s weighted layers."""
    return sum(_layer_flops(layer) for layer in _layers(model))


def frozen_front_saving(model: keras.Model) -> int:
    """Return the FLOPs per example a training step skips once nothing before the first convolution is trained.

    With the whitening layer's bias frozen (airbench's whitening_bias_epochs),
    the first convolution after it needs no gradient with respect to its
    input: one of the three passes TRAINING_PASSES counts for it. 0 for a
    model without a whitening layer.
    """
    layers = list(_layers(model))
    whitening = next((i for i, layer in enumerate(layers) if isinstance(layer, PatchWhitening)), None)
    if whitening is None:
        return 0
    following = (layer for layer in layers[whitening + 1:] if isinstance(layer, keras.layers.Conv2D))
    return _layer_flops(next(following, None))


def _layer_flops(layer) -> int:
    if isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D, PatchWhitening)):
        kernel = layer.kernel.shape                      # (*window, channels in, channels out)
        outputs = math.prod(layer.output.shape[1:])      # every output value is one window's dot product
        return 2 * outputs * math.prod(kernel[:-1]) // (getattr(layer, "groups", 1) or 1)
    if isinstance(layer, keras.layers.Dense):
        inputs, units = layer.kernel.shape
        return 2 * inputs * units * math.prod(layer.output.shape[1:-1])
    return 0


def training_flops(model: keras.Model) -> int:
    """Return the floating-point operations of one training example (forward and backward)."""
    return TRAINING_PASSES * forward_flops(model)


def _layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer
