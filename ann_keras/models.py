"""Model builders: pure functions from shapes and hyperparameters to a Keras model.

Builders make the architecture only; the optimizer, loss and training loop
belong to `training`, so one builder serves the tuner and a plain run alike.
"""

from __future__ import annotations

import keras
from keras import layers


def build_mlp(input_shape, num_classes: int, params: dict) -> keras.Model:
    """Return a multilayer perceptron: `hidden_layers` dense layers of `hidden_units`."""
    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    # Scaling lives inside the model so a saved .keras file takes raw inputs.
    if params["input_scale"] != 1.0:
        x = layers.Rescaling(params["input_scale"], name="input_scale")(x)
    for index in range(params["hidden_layers"]):
        x = layers.Dense(params["hidden_units"], activation=params["activation"], name=f"hidden_{index + 1}")(x)
    outputs = layers.Dense(num_classes, activation=params["output_activation"], name="output")(x)
    return keras.Model(inputs, outputs, name="mlp")


BUILDERS = {"mlp": build_mlp}


def build(model: str, input_shape, num_classes: int, params: dict) -> keras.Model:
    """Return the model named `model` (a key of BUILDERS) built from `params`."""
    return BUILDERS[model](input_shape, num_classes, params)
