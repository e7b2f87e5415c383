"""The convolutional network of the paper's section IV (CIFAR-10): its parameters and its builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..specs.fields import Field
from .common import TRAINING_PARAMS

if TYPE_CHECKING:
    import keras

PARAMS = {
    **TRAINING_PARAMS,
    "filters": Field(list, "kernels per convolution pair, e.g. [48, 96]: two convolutions each"),
    "kernel_size": Field(int, "height and width of every kernel", minimum=1, maximum=32, default=3),
    "batch_norm": Field(bool, "batch normalisation after every convolution", default=True),
    "bn_momentum": Field(float, "batch normalisation's moving-average momentum", minimum=0, maximum=0.999,
                         default=0.99),
    "reduction": Field(str, "how each pair halves the image: the second convolution's stride, "
                            "max-pooling, or none", choices=("stride", "maxpool", "none")),
    "relu": Field(str, "where ReLU goes: after every convolution, or once per pair after its dropout (the "
                       "paper's words: \"following every two convolution layers and a dropout layer\")",
                  choices=("convolution", "pair"), default="convolution"),
    "dropout": Field(float, "dropout rate after each convolution pair (where pooling would be)", minimum=0,
                     maximum=0.95),
    "dense_dropout": Field(float, "dropout rate after each hidden fully-connected layer", minimum=0,
                           maximum=0.95, default=0.0),
    "dense_units": Field(int, "nodes per fully-connected layer", minimum=1, maximum=8192),
    "dense_layers": Field(int, "fully-connected layers before the softmax", minimum=0, maximum=16),
    "augment": Field(bool, "augment the training batches as the [augment] table says (in the input pipeline)"),
}

# The kind of examples this family reads (a key of data.KINDS): `--dataset` is checked against it.
INPUT = "images"


def build(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return the paper's convolutional network, generalised.

    Per entry of `filters`, a pair of convolutions (each followed by batch
    normalisation, and ReLU after each or once after the pair's dropout:
    `relu`), a spatial reduction and dropout; then
    `dense_layers` fully-connected ReLU layers (with `dense_dropout`), and a
    softmax layer: with one hidden layer, the paper's "two fully connected
    layers".
    The paper says dropout replaces pooling but its network must still
    shrink the 32x32 maps before the dense layers, so the default reading
    (`reduction = "stride"`) gives each pair's second convolution stride 2.
    """
    import keras  # here, not above: PARAMS is read without TensorFlow (specs, --help, reports)
    from keras import layers

    from .normalization import FusedBatchNormalization

    inputs = keras.Input(shape=tuple(input_shape), name="pixels")   # uint8 arrays are cast on the way in
    x = inputs
    x = layers.Rescaling(1 / 255, name="to_unit_range")(x)
    # "convolution": ReLU after each convolution. "pair": the paper's order, conv, conv, dropout, then one ReLU,
    # so a pair's two convolutions compose linearly (dropout and ReLU commute: dropout only scales by 0 or 2).
    relu_each = params.get("relu", "convolution") == "convolution"
    for pair, filters in enumerate(params["filters"], start=1):
        for conv in (1, 2):
            stride = 2 if conv == 2 and params["reduction"] == "stride" else 1
            # Batch normalisation makes the convolution's own bias redundant.
            x = layers.Conv2D(filters, params["kernel_size"], strides=stride, padding="same",
                              use_bias=not params["batch_norm"], name=f"conv{pair}_{conv}")(x)
            if params["batch_norm"]:
                x = FusedBatchNormalization(momentum=params["bn_momentum"], name=f"bn{pair}_{conv}")(x)
            if relu_each:
                x = layers.ReLU(name=f"relu{pair}_{conv}")(x)
        if params["reduction"] == "maxpool":
            x = layers.MaxPooling2D(2, name=f"pool{pair}")(x)
        x = layers.Dropout(params["dropout"], name=f"dropout{pair}")(x)
        if not relu_each:
            x = layers.ReLU(name=f"relu{pair}")(x)
    x = layers.Flatten()(x)
    for index in range(params["dense_layers"]):
        x = layers.Dense(params["dense_units"], activation="relu", name=f"dense_{index + 1}")(x)
        if params["dense_dropout"]:
            x = layers.Dropout(params["dense_dropout"], name=f"dense_dropout_{index + 1}")(x)
    # float32 whatever the precision: a bfloat16 softmax rounds probabilities to 3 digits.
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name="cnn")
