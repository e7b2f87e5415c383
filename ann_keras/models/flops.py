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
    total = 0
    for layer in _layers(model):
        if isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D, PatchWhitening)):
            kernel = layer.kernel.shape                      # (*window, channels in, channels out)
            outputs = math.prod(layer.output.shape[1:])      # every output value is one window's dot product
            total += 2 * outputs * math.prod(kernel[:-1]) // (getattr(layer, "groups", 1) or 1)
        elif isinstance(layer, keras.layers.Dense):
            inputs, units = layer.kernel.shape
            total += 2 * inputs * units * math.prod(layer.output.shape[1:-1])
    return total


def training_flops(model: keras.Model) -> int:
    """Return the floating-point operations of one training example (forward and backward)."""
    return TRAINING_PASSES * forward_flops(model)


def _layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer
