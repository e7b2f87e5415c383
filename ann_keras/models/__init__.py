"""Model builders: pure functions from shapes and hyperparameters to a Keras model.

Builders make the architecture only; the optimizer, loss and training loop
belong to `training`, so one builder serves the tuner and a plain run alike.
"""

from __future__ import annotations

import contextlib

import keras
from keras import layers

from .augment import build_augmentation
from ..errors import DataError
from .normalization import FusedBatchNormalization
from ..data.sequences import MASK_VALUE


def build_mlp(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return a multilayer perceptron: `hidden_layers` dense layers of `hidden_units`."""
    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    x = layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    # Scaling lives inside the model so a saved .keras file takes raw inputs.
    if params["input_scale"] != 1.0:
        x = layers.Rescaling(params["input_scale"], name="input_scale")(x)
    for index in range(params["hidden_layers"]):
        x = layers.Dense(params["hidden_units"], activation=params["activation"], name=f"hidden_{index + 1}")(x)
    outputs = layers.Dense(num_classes, activation=params["output_activation"], name="output")(x)
    return keras.Model(inputs, outputs, name="mlp")


def build_cnn(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return the paper's convolutional network, generalised.

    Per entry of `filters`, a pair of convolutions (each followed by batch
    normalisation and ReLU), a spatial reduction and dropout; then
    `dense_layers` fully-connected ReLU layers (with `dense_dropout`), and a
    softmax layer: with one hidden layer, the paper's "two fully connected
    layers".
    The paper says dropout replaces pooling but its network must still
    shrink the 32x32 maps before the dense layers, so the default reading
    (`reduction = "stride"`) gives each pair's second convolution stride 2.
    """
    check_input("cnn", input_shape)
    inputs = keras.Input(shape=tuple(input_shape), name="pixels")   # uint8 arrays are cast on the way in
    x = inputs
    augmentation = build_augmentation(augment or {}, input_shape) if params["augment"] else None
    if augmentation is not None:
        x = augmentation(x)
    x = layers.Rescaling(1 / 255, name="to_unit_range")(x)
    for pair, filters in enumerate(params["filters"], start=1):
        for conv in (1, 2):
            stride = 2 if conv == 2 and params["reduction"] == "stride" else 1
            # Batch normalisation makes the convolution's own bias redundant.
            x = layers.Conv2D(filters, params["kernel_size"], strides=stride, padding="same",
                              use_bias=not params["batch_norm"], name=f"conv{pair}_{conv}")(x)
            if params["batch_norm"]:
                x = FusedBatchNormalization(momentum=params["bn_momentum"], name=f"bn{pair}_{conv}")(x)
            x = layers.ReLU()(x)
        if params["reduction"] == "maxpool":
            x = layers.MaxPooling2D(2, name=f"pool{pair}")(x)
        x = layers.Dropout(params["dropout"], name=f"dropout{pair}")(x)
    x = layers.Flatten()(x)
    for index in range(params["dense_layers"]):
        x = layers.Dense(params["dense_units"], activation="relu", name=f"dense_{index + 1}")(x)
        if params["dense_dropout"]:
            x = layers.Dropout(params["dense_dropout"], name=f"dense_dropout_{index + 1}")(x)
    # float32 whatever the precision: a bfloat16 softmax rounds probabilities to 3 digits.
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name="cnn")


def build_resnet(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return a narrow ResNet in the style of David Page's fast CIFAR-10 network (ResNet-9).

    A stem convolution of `widths[0]` kernels at full resolution (pooled at
    once with `stem_pool`); then per further width a convolution, 2x2
    max-pooling (early pooling keeps the expensive layers small), batch
    normalisation and ReLU, plus a residual block of two convolutions for
    the stages in `residual_stages` (1-based); global max-pooling and a
    softmax.
    """
    check_input("resnet", input_shape)
    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = inputs
    augmentation = build_augmentation(augment or {}, input_shape) if params["augment"] else None
    if augmentation is not None:
        x = augmentation(x)
    x = layers.Rescaling(1 / 255, name="to_unit_range")(x)

    def batch_norm(name):
        # Keras's default momentum (0.99) suits long runs; a few hundred steps need PyTorch's 0.9.
        return FusedBatchNormalization(momentum=params["bn_momentum"], name=name)

    def conv_bn(x, width, name):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
        return layers.ReLU(name=f"{name}_relu")(batch_norm(f"{name}_bn")(x))

    x = conv_bn(x, params["widths"][0], "stem")
    if params["stem_pool"]:
        x = layers.MaxPooling2D(2, name="stem_pool")(x)   # every later layer works on a quarter of the pixels
    for stage, width in enumerate(params["widths"][1:], start=1):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"stage{stage}_conv")(x)
        x = layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
        x = layers.ReLU(name=f"stage{stage}_relu")(batch_norm(f"stage{stage}_bn")(x))
        if stage in params["residual_stages"]:
            shortcut = x
            x = conv_bn(conv_bn(x, width, f"stage{stage}_res1"), width, f"stage{stage}_res2")
            x = layers.Add(name=f"stage{stage}_add")([shortcut, x])
    x = layers.GlobalMaxPooling2D(name="global_max")(x)
    if params["dropout"]:
        x = layers.Dropout(params["dropout"])(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    # Max-pooled ReLU features are large; scaled-down logits keep the first steps from blowing up.
    logits = layers.Rescaling(params["logit_scale"], name="logit_scale")(logits)
    outputs = layers.Softmax(dtype="float32", name="output")(logits)
    return keras.Model(inputs, outputs, name="resnet")


def build_rnn(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return a recurrent classifier: `recurrent_layers` SimpleRNN, LSTM or GRU layers, then a softmax.

    Padded time steps (all channels equal to sequences.MASK_VALUE) are masked,
    so variable-length sequences are read only as far as they go.
    """
    check_input("rnn", input_shape)
    cells = {"simple": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")
    x = layers.Masking(mask_value=MASK_VALUE, name="padding")(inputs) if params["masking"] else inputs
    for index in range(params["recurrent_layers"]):
        last = index == params["recurrent_layers"] - 1
        cell = cells[params["cell"]](params["units"], return_sequences=not last, dropout=params["dropout"],
                                     recurrent_dropout=params["recurrent_dropout"],
                                     name=f"{params['cell']}_{index + 1}")
        x = layers.Bidirectional(cell, name=f"bidirectional_{index + 1}")(x) if params["bidirectional"] else cell(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=f"rnn_{params['cell']}")


BUILDERS = {"mlp": build_mlp, "cnn": build_cnn, "resnet": build_resnet, "rnn": build_rnn}

# The example shapes each model accepts: rank of one example, and what that means.
INPUT_RANKS = {
    "cnn": (3, "images (height, width, channels)", "an image data set such as cifar10 or images:PATH"),
    "resnet": (3, "images (height, width, channels)", "an image data set such as cifar10 or images:PATH"),
    "rnn": (2, "sequences (time steps, channels)", "a sequence data set such as digits-seq or aeon:NAME"),
}


def check_input(model: str, input_shape) -> None:
    """Raise DataError when examples of `input_shape` cannot feed `model`, saying which data would."""
    if model in INPUT_RANKS:
        rank, meaning, valid = INPUT_RANKS[model]
        if len(input_shape) != rank:
            raise DataError(f"the {model} model needs {meaning}, got examples of shape {tuple(input_shape)}; "
                            f"valid choices: {valid}")


def build(model: str, input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return the model named `model` (a key of BUILDERS) built from `params`, in `params["precision"]`."""
    with precision(params["precision"]):
        return BUILDERS[model](input_shape, num_classes, params, augment)


@contextlib.contextmanager
def precision(policy: str):
    """Build layers under Keras dtype `policy` (each layer keeps its own, so a saved model does too)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
