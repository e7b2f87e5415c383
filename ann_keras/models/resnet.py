"""A narrow ResNet for fast CIFAR-10 training (cnn-fast, beyond the paper): its parameters and its builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..specs.fields import Field
from .common import TRAINING_PARAMS

if TYPE_CHECKING:
    import keras

PARAMS = {
    **TRAINING_PARAMS,
    "widths": Field(list, "kernels of the stem and of each pooling stage, e.g. [32, 64, 128, 256]"),
    "residual_stages": Field(list, "stages (1-based) followed by a residual block of two convolutions"),
    "stem_pool": Field(bool, "max-pool right after the stem convolution", default=False),
    "logit_scale": Field(float, "factor on the logits before the softmax", minimum=0, exclusive_minimum=True,
                         maximum=1000.0, default=1.0),
    "bn_momentum": Field(float, "batch normalisation's moving-average momentum", minimum=0, maximum=0.999,
                         default=0.99),
    "dropout": Field(float, "dropout before the softmax", minimum=0, maximum=0.95, default=0.0),
    "augment": Field(bool, "apply the [augment] layers in training"),
}

# The kind of examples this family reads (a key of data.KINDS): `--dataset` is checked against it.
INPUT = "images"


def build(input_shape, num_classes: int, params: dict, augment: dict | None = None) -> keras.Model:
    """Return a narrow ResNet in the style of David Page's fast CIFAR-10 network (ResNet-9).

    A stem convolution of `widths[0]` kernels at full resolution (pooled at
    once with `stem_pool`); then per further width a convolution, 2x2
    max-pooling (early pooling keeps the expensive layers small), batch
    normalisation and ReLU, plus a residual block of two convolutions for
    the stages in `residual_stages` (1-based); global max-pooling and a
    softmax.
    """
    import keras  # here, not above: PARAMS is read without TensorFlow (specs, --help, reports)
    from keras import layers

    from .augment import build_augmentation
    from .normalization import FusedBatchNormalization

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
