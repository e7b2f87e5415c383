"""Data augmentation as Keras preprocessing layers, switched and sized by the spec's [augment] table.

The layers sit inside the model, so they run only in training (Keras's
Random* layers pass inputs through unchanged at inference) and a saved
model carries them. They work on the 0..255 pixel scale, before rescaling.
"""

from __future__ import annotations

from ..specs.fields import Field

# The spec's [augment] table: what each key means; 0 or false switches a transformation off.
FIELDS = {
    "horizontal_flip": Field(bool, "mirror left-right with probability 1/2"),
    "vertical_flip": Field(bool, "mirror top-bottom with probability 1/2"),
    "rotation": Field(float, "rotate by up to this fraction of a full turn (0.05 = 18 degrees)", minimum=0,
                      maximum=0.5),
    "crop": Field(int, "pad by this many pixels, then crop a random window of the original size", minimum=0,
                  maximum=64),
    "crop_padding": Field(str, "what `crop` pads with", choices=("zeros", "reflect"), default="zeros"),
    "alternating_flip": Field(bool, "in the pipeline: mirror each image in every other epoch (a random half in the "
                                    "first) instead of at random", default=False),
    "in_pipeline": Field(bool, "augment uint8 batches in a parallel tf.data pipeline before the model, not inside "
                               "it (horizontal_flip and crop only)", default=False),
    "translation": Field(float, "shift by up to this fraction of the height and width", minimum=0, maximum=0.5),
    "zoom": Field(float, "zoom in or out by up to this fraction", minimum=0, maximum=0.9),
    "brightness": Field(float, "shift brightness by up to this fraction of the value range", minimum=0, maximum=1),
    "hue": Field(float, "shift hue by up to this fraction of the hue circle", minimum=0, maximum=1),
}


def build_augmentation(augment: dict, image_shape):
    """Return a Sequential of the Random* layers that `augment` switches on, or None if none is.

    None as well when the augmentation runs in the input pipeline (search/batches.py) instead.
    """
    if augment.get("in_pipeline"):
        return None
    import keras  # here, not above: FIELDS is read without TensorFlow
    from keras import layers

    height, width = image_shape[0], image_shape[1]
    steps = []
    flips = [name for name in ("horizontal", "vertical") if augment.get(f"{name}_flip")]
    if flips:
        steps.append(layers.RandomFlip("_and_".join(flips)))
    if augment.get("rotation"):
        steps.append(layers.RandomRotation(augment["rotation"], fill_mode="reflect"))
    if augment.get("crop"):
        # Padding by p pixels and cropping a random window of the original size is a random shift by
        # up to p pixels with zero fill; as a shift it is the identity at inference, as it must be.
        fill = "reflect" if augment.get("crop_padding") == "reflect" else "constant"
        steps.append(layers.RandomTranslation(augment["crop"] / height, augment["crop"] / width,
                                              fill_mode=fill, fill_value=0.0, interpolation="nearest"))
    if augment.get("translation"):
        steps.append(layers.RandomTranslation(augment["translation"], augment["translation"], fill_mode="reflect"))
    if augment.get("zoom"):
        steps.append(layers.RandomZoom(augment["zoom"], fill_mode="reflect"))
    if augment.get("brightness"):
        steps.append(layers.RandomBrightness(augment["brightness"], value_range=(0, 255)))
    if augment.get("hue") and image_shape[-1] == 3:
        steps.append(layers.RandomHue(augment["hue"], value_range=(0, 255)))
    return keras.Sequential(steps, name="augmentation") if steps else None


def samples(augment: dict, images, *, versions: int = 5, seed: int = 0):
    """Return `images` (uint8, N x H x W x C) with `versions` augmented copies each: N x (1 + versions) x H x W x C."""
    import keras
    import numpy as np

    layer = build_augmentation(augment, images.shape[1:])
    if layer is None:
        return None
    keras.utils.set_random_seed(seed)
    batch = np.asarray(images, dtype="float32")
    copies = [batch] + [keras.ops.convert_to_numpy(layer(batch, training=True)) for _ in range(versions)]
    return np.clip(np.stack(copies, axis=1), 0, 255).astype("uint8")
