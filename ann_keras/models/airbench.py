"""The fastest known CIFAR-10 network, airbench's, in Keras (cnn-fast, beyond the paper): its parameters and builder.

Keller Jordan's airbench94 ("94% on CIFAR-10 in 3.29 seconds on a single
GPU", 2024): a patch-whitening first layer (models/whitening.py), then three
groups of two 3x3 convolutions, the first of each pooled at once, every one
followed by batch normalisation with a fixed scale of 1 (only the offset is
learnt) and GELU; global max-pooling, a linear layer without bias and logits
scaled by 1/9. Each convolution starts as the identity on its first input
channels (Dirac initialisation), so the untrained network passes its input
through and the first steps are not spent undoing noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..specs.fields import Field
from .common import TRAINING_PARAMS

if TYPE_CHECKING:
    import keras

PARAMS = {
    **TRAINING_PARAMS,
    "widths": Field(list, "kernels of each group of two convolutions, e.g. [64, 256, 256]"),
    "whitening": Field(int, "patch size of the whitening first layer (0 = a plain 3x3 convolution instead)",
                       minimum=0, maximum=8, default=2),
    "activation": Field(str, "the nonlinearity after every batch normalisation", choices=("gelu", "relu"),
                        default="gelu"),
    "whitening_bias_epochs": Field(int, "train the whitening layer's bias for this many epochs, then freeze it "
                                        "(airbench: 3), so that the backward pass stops at the first convolution; "
                                        "0 = train it throughout", minimum=0, maximum=10_000, default=0),
    "fused_gelu": Field(bool, "compute GELU and its gradient in one compiled (XLA) kernel each (models/gelu.py) "
                              "instead of Keras's chain of element-wise operations: the same function, faster",
                        default=True),
    "bn_momentum": Field(float, "batch normalisation's moving-average momentum (Keras's convention: the "
                                "weight of the old average)", minimum=0, maximum=0.999, default=0.4),
    "bn_scale": Field(bool, "learn batch normalisation's scale (airbench fixes it at 1 and learns only the offset)",
                      default=False),
    "logit_scale": Field(float, "factor on the logits before the softmax", minimum=0, exclusive_minimum=True,
                         maximum=1000.0, default=1 / 9),
    "augment": Field(bool, "augment the training batches as the [augment] table says (in the input pipeline)"),
}

# The kind of examples this family reads (a key of data.KINDS): `--dataset` is checked against it.
INPUT = "images"


def build(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return airbench's network with `params["widths"]` kernels per group of convolutions."""
    import keras  # here, not above: PARAMS is read without TensorFlow (specs, --help, reports)
    from keras import layers

    from .gelu import FusedGELU
    from .normalization import FusedBatchNormalization
    from .whitening import PartialDirac, PatchWhitening

    activation = params["activation"]

    def nonlinearity(name):
        if activation == "gelu" and params["fused_gelu"]:
            return FusedGELU(name=name)
        return layers.Activation(activation, name=name)

    def conv(width, name):
        return layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=PartialDirac(),
                             name=name)

    def norm_act(x, name):
        # Scale fixed at 1 by default: with a ReLU-like nonlinearity after it, a learnt scale only re-learns what
        # the next convolution's weights can express, and fixing it made airbench's training faster.
        x = FusedBatchNormalization(momentum=params["bn_momentum"], scale=params["bn_scale"], epsilon=1e-5,
                                    name=f"{name}_bn")(x)
        return nonlinearity(f"{name}_{activation}")(x)

    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = inputs
    x = layers.Rescaling(1 / 255, name="to_unit_range")(x)
    if params["whitening"]:
        x = PatchWhitening(params["whitening"], name="whitening")(x)
    else:
        x = layers.Conv2D(24, 3, padding="same", name="stem")(x)
    x = nonlinearity(f"stem_{activation}")(x)
    for group, width in enumerate(params["widths"], start=1):
        x = conv(width, f"group{group}_conv1")(x)
        x = layers.MaxPooling2D(2, name=f"group{group}_pool")(x)
        x = norm_act(x, f"group{group}_1")
        x = conv(width, f"group{group}_conv2")(x)
        x = norm_act(x, f"group{group}_2")
    x = layers.GlobalMaxPooling2D(name="global_max")(x)
    # PyTorch's default initialisation, as airbench trains it: uniform in +-1/sqrt(fan_in).
    uniform = keras.initializers.VarianceScaling(1 / 3, mode="fan_in", distribution="uniform")
    logits = layers.Dense(num_classes, use_bias=False, kernel_initializer=uniform, name="logits")(x)
    logits = layers.Rescaling(params["logit_scale"], name="logit_scale")(logits)
    outputs = layers.Softmax(dtype="float32", name="output")(logits)
    return keras.Model(inputs, outputs, name="airbench")
