"""The multilayer perceptron of the paper's section II (digits): its parameters and its builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..specs.fields import POSITIVE, Field
from .common import TRAINING_PARAMS

if TYPE_CHECKING:
    import keras

PARAMS = {
    **TRAINING_PARAMS,
    "hidden_units": Field(int, "nodes per hidden layer", minimum=1, maximum=4096),
    "hidden_layers": Field(int, "number of hidden layers", minimum=1, maximum=32),
    "activation": Field(str, "hidden-layer activation", choices=("sigmoid", "relu", "tanh")),
    "output_activation": Field(str, "output-layer activation", choices=("sigmoid", "softmax", "linear")),
    "input_scale": Field(float, "factor applied to the inputs inside the model", **POSITIVE, maximum=1e6),
}

# Any kind of example (a key of data.KINDS, or None): it is flattened first.
INPUT = None


def build(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return a multilayer perceptron: `hidden_layers` dense layers of `hidden_units`."""
    import keras  # here, not above: PARAMS is read without TensorFlow (specs, --help, reports)
    from keras import layers

    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    x = layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    # Scaling lives inside the model so a saved .keras file takes raw inputs.
    if params["input_scale"] != 1.0:
        x = layers.Rescaling(params["input_scale"], name="input_scale")(x)
    for index in range(params["hidden_layers"]):
        x = layers.Dense(params["hidden_units"], activation=params["activation"], name=f"hidden_{index + 1}")(x)
    outputs = layers.Dense(num_classes, activation=params["output_activation"], name="output")(x)
    return keras.Model(inputs, outputs, name="mlp")
