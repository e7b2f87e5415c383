"""Recurrent classifiers of the paper's section V (SimpleRNN, LSTM, GRU): their parameters and builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..specs.fields import Field
from .common import TRAINING_PARAMS

if TYPE_CHECKING:
    import keras

# The front-end's filters where max_steps calls for one and front_end_filters names none.
LONG_SEQUENCE_FILTERS = 64

PARAMS = {
    **TRAINING_PARAMS,
    "cell": Field(str, "recurrent cell", choices=("simple", "lstm", "gru")),
    "units": Field(int, "units per recurrent layer (per direction)", minimum=1, maximum=4096),
    "recurrent_layers": Field(int, "stacked recurrent layers", minimum=1, maximum=16),
    "bidirectional": Field(bool, "read each sequence forwards and backwards"),
    "dropout": Field(float, "dropout on each cell's inputs", minimum=0, maximum=0.95, default=0.0),
    "recurrent_dropout": Field(float, "dropout on each cell's recurrent state", minimum=0, maximum=0.95,
                               default=0.0),
    "masking": Field(bool, "skip padded time steps (variable-length sequences)", default=True),
    "input_noise": Field(float, "standard deviation of Gaussian noise added to the (standardised) steps in training: "
                                "augmentation for small sets (0 = none)", minimum=0, maximum=10, default=0.0),
    "front_end_filters": Field(int, "filters of a 1-D convolution read before the recurrent layers, which "
                                    "learns local shapes (0 = none, except for sequences longer than max_steps: "
                                    f"{LONG_SEQUENCE_FILTERS} filters then)",
                               minimum=0, maximum=4096, default=0),
    "front_end_kernel": Field(int, "time steps each front-end filter spans", minimum=1, maximum=512, default=8),
    "conv_branch": Field(int, "filters of a fully convolutional branch read beside the recurrent layers "
                              "(LSTM-FCN: three convolutions of this many, twice as many and this many filters, "
                              "averaged over time and joined to the cells' output; 0 = none)",
                         minimum=0, maximum=4096, default=0),
    "max_steps": Field(int, "longest sequence the recurrent layers read: a longer input gets the convolutional "
                            "front-end, strided down to at most this many steps (0 = no limit)",
                       minimum=0, maximum=100_000, default=0),
}

# The kind of examples this family reads (a key of data.KINDS): `--dataset` is checked against it.
INPUT = "sequences"


def build(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return a recurrent classifier: `recurrent_layers` SimpleRNN, LSTM or GRU layers, then a softmax.

    Padded time steps (all channels equal to sequences.MASK_VALUE) are masked,
    so variable-length sequences are read only as far as they go. With
    `front_end_filters`, a strided convolution comes first (front_end.py);
    with `conv_branch`, a fully convolutional network reads the raw sequence
    beside the cells and the classifier sees both (conv_branch.py).
    """
    import keras  # here, not above: PARAMS is read without TensorFlow (specs, --help, reports)
    from keras import layers

    from ..data.sequences import MASK_VALUE

    cells = {"simple": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")
    branch = None
    if params["conv_branch"]:
        from .conv_branch import ConvBranch
        branch = ConvBranch(params["conv_branch"], MASK_VALUE, name="conv_branch")(inputs)
    filters = front_end_filters(input_shape[0], params)
    if filters:
        from .front_end import ConvFrontEnd
        x = ConvFrontEnd(filters, params["front_end_kernel"],
                         stride(input_shape[0], params["max_steps"]), MASK_VALUE, masking=params["masking"],
                         name="front_end")(inputs)
    elif params["masking"]:
        x = layers.Masking(mask_value=MASK_VALUE, name="padding")(inputs)
    else:
        x = inputs
    if params["input_noise"]:
        # After the mask is made, so padded steps stay recognisable; Keras passes the mask through the noise.
        x = layers.GaussianNoise(params["input_noise"], name="input_noise")(x)
    for index in range(params["recurrent_layers"]):
        last = index == params["recurrent_layers"] - 1
        cell = cells[params["cell"]](params["units"], return_sequences=not last, dropout=params["dropout"],
                                     recurrent_dropout=params["recurrent_dropout"],
                                     name=f"{params['cell']}_{index + 1}")
        x = layers.Bidirectional(cell, name=f"bidirectional_{index + 1}")(x) if params["bidirectional"] else cell(x)
    if branch is not None:
        x = layers.Concatenate(name="cells_and_branch")([x, branch])
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=f"rnn_{params['cell']}")


def front_end_filters(steps: int | None, params: dict) -> int:
    """Return the front-end's filters: front_end_filters, or LONG_SEQUENCE_FILTERS for inputs over max_steps (0: none).

    So one setting serves every data set: short sequences reach the cells
    step by step, long ones (hundreds of steps, where a recurrent cell's
    gradient fades) are shortened by a learnt, strided convolution first.
    """
    if params["front_end_filters"]:
        return params["front_end_filters"]
    too_long = params["max_steps"] and steps and steps > params["max_steps"]
    return LONG_SEQUENCE_FILTERS if too_long else 0


def stride(steps: int | None, max_steps: int) -> int:
    """Return the front-end's stride: the smallest that leaves at most `max_steps` of `steps` (1 without a limit)."""
    if not max_steps or not steps or steps <= max_steps:
        return 1
    return -(-steps // max_steps)
