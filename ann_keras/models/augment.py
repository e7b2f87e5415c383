"""Data augmentation as vectorised per-batch operations, switched and sized by the spec's [augment] table.

Augmentation belongs to training's input, not to the model: a saved model
holds no training-only layers, and every backend runs the same arithmetic.
The input pipeline (training/batches.py on TensorFlow, training/feeding.py on
the others) does the cheap part as index arithmetic on uint8 batches
(flips, pad-and-crop) and hands the rest to `transform`, written with
`keras.ops` so it runs on TensorFlow, JAX and PyTorch alike:

- rotation, zoom and translation are composed into one affine map per image
  and resampled once (Keras's Random* layers resample once per layer);
- brightness is one offset per image;
- hue is a rotation about the grey axis in YIQ colour space, a 3x3 matrix
  per image (Keras's RandomHue converts every pixel to HSV and back).

Every random number comes from `draws`, a batch x DRAWS array of uniform
[0, 1) values the pipeline makes from (seed, position in the stream), so
one seed gives the same augmented batches on every run and backend.
All of it works on the 0..255 pixel scale, before the model rescales.
"""

from __future__ import annotations

import math

import numpy as np

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
    "alternating_flip": Field(bool, "mirror each image in every other epoch (a random half in the first) instead "
                                    "of at random", default=False),
    "in_pipeline": Field(bool, "no longer read: augmentation always runs in the input pipeline (kept so that "
                               "older specs load)", default=True),
    "translation": Field(float, "shift by up to this fraction of the height and width", minimum=0, maximum=0.5),
    "zoom": Field(float, "zoom in or out by up to this fraction", minimum=0, maximum=0.9),
    "brightness": Field(float, "shift brightness by up to this fraction of the value range", minimum=0, maximum=1),
    "hue": Field(float, "shift hue by up to this fraction of the hue circle", minimum=0, maximum=1),
}

# The keys `transform` does in float32; the others are uint8 index arithmetic in the pipeline.
GEOMETRY = ("rotation", "zoom", "translation")
COLOUR = ("brightness", "hue")
# Uniform draws per image `transform` reads: angle, zoom, shift across, shift down, brightness, hue.
DRAWS = 6

# RGB to YIQ and back: a hue shift is a rotation of the (I, Q) plane, which keeps luma (Y).
_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_RGB = np.linalg.inv(_YIQ)
# The hue matrix for angle a is KEEP + cos(a) COS + sin(a) SIN (each RGB -> RGB).
_KEEP = (_RGB @ np.diag([1.0, 0.0, 0.0]) @ _YIQ).astype("float32")
_COS = (_RGB @ np.diag([0.0, 1.0, 1.0]) @ _YIQ).astype("float32")
_SIN = (_RGB @ np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]) @ _YIQ).astype("float32")


def is_on(augment: dict) -> bool:
    """Whether `augment` switches any transformation on."""
    return any(augment.get(key) for key in ("horizontal_flip", "vertical_flip", "alternating_flip", "crop",
                                            *GEOMETRY, *COLOUR))


def needs_float(augment: dict, channels: int) -> bool:
    """Whether `transform` has work to do: a geometric or colour change beyond flips and crops."""
    return any(augment.get(key) for key in GEOMETRY) or bool(augment.get("brightness")) \
        or bool(augment.get("hue") and channels == 3)


def transform(images, draws, augment: dict):
    """Rotate, zoom, shift, brighten and hue-shift a float32 batch (N x H x W x C, 0..255) as `augment` says.

    `draws` is N x DRAWS uniform [0, 1) values. Any backend's tensors or
    NumPy arrays; returns the backend's tensor, clipped to 0..255.
    """
    from keras import ops

    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    signed = 2.0 * ops.cast(draws, "float32") - 1.0     # uniform in [-1, 1)
    zeros = ops.zeros_like(signed[:, 0])
    x = images
    if any(augment.get(key) for key in GEOMETRY):
        angle = signed[:, 0] * (augment.get("rotation", 0.0) * 2 * math.pi)
        scale = 1.0 + signed[:, 1] * augment.get("zoom", 0.0)      # > 1 zooms out (samples a wider window)
        shift_x = signed[:, 2] * (augment.get("translation", 0.0) * width)
        shift_y = signed[:, 3] * (augment.get("translation", 0.0) * height)
        # The map from an output pixel p to where it samples the input: centre + scale R(angle) (p - centre - shift).
        cos, sin = ops.cos(angle) * scale, ops.sin(angle) * scale
        centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
        from_x, from_y = centre_x + shift_x, centre_y + shift_y
        matrix = ops.stack([cos, -sin, centre_x - cos * from_x + sin * from_y,
                            sin, cos, centre_y - sin * from_x - cos * from_y, zeros, zeros], axis=1)
        x = ops.image.affine_transform(x, matrix, interpolation="bilinear", fill_mode="reflect",
                                       data_format="channels_last")
    if augment.get("brightness"):
        x = x + ops.reshape(signed[:, 4] * (augment["brightness"] * 255.0), (-1, 1, 1, 1))
    if augment.get("hue") and channels == 3:
        angle = signed[:, 5] * (augment["hue"] * 2 * math.pi)
        matrices = (ops.convert_to_tensor(_KEEP)[None] + ops.cos(angle)[:, None, None] * _COS[None]
                    + ops.sin(angle)[:, None, None] * _SIN[None])
        x = ops.einsum("nhwc,ndc->nhwd", x, matrices)
    return ops.clip(x, 0.0, 255.0)


def flip_and_crop(images: np.ndarray, rng: np.random.Generator, augment: dict,
                  mirrored: np.ndarray | None = None) -> np.ndarray:
    """Flip and pad-and-crop a uint8 batch with NumPy (the portable pipeline's and the samples' uint8 stage).

    `mirrored` (one bool per image) replaces the coin flips: alternating flips.
    """
    images = np.asarray(images)
    count = len(images)
    if augment.get("crop"):
        pad = augment["crop"]
        mode = "reflect" if augment.get("crop_padding") == "reflect" else "constant"
        padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode=mode)
        offsets = rng.integers(0, 2 * pad + 1, size=(count, 2))
        height, width = images.shape[1], images.shape[2]
        cropped = np.empty_like(images)
        # One slice per offset, (2 pad + 1)^2 of them: each image is copied once, with no per-pixel index arrays.
        for top in range(2 * pad + 1):
            for left in range(2 * pad + 1):
                chosen = np.flatnonzero((offsets[:, 0] == top) & (offsets[:, 1] == left))
                if len(chosen):
                    cropped[chosen] = padded[chosen, top:top + height, left:left + width]
        images = cropped
    if mirrored is None and augment.get("horizontal_flip"):
        mirrored = rng.random(count) < 0.5
    if mirrored is not None:
        images = np.where(mirrored[:, None, None, None], images[:, :, ::-1], images)
    if augment.get("vertical_flip"):
        images = np.where((rng.random(count) < 0.5)[:, None, None, None], images[:, ::-1], images)
    return images


def augment_numpy(images: np.ndarray, rng: np.random.Generator, augment: dict,
                  mirrored: np.ndarray | None = None) -> np.ndarray:
    """Return a batch augmented as `augment` says: uint8 after flips and crops alone, else float32 0..255."""
    images = flip_and_crop(images, rng, augment, mirrored)
    if not needs_float(augment, images.shape[-1]):
        return images
    import keras

    draws = rng.random((len(images), DRAWS), dtype=np.float32)
    return keras.ops.convert_to_numpy(transform(images.astype("float32"), draws, augment))


def samples(augment: dict, images, *, versions: int = 5, seed: int = 0):
    """Return `images` (uint8, N x H x W x C) with `versions` augmented copies each: N x (1 + versions) x H x W x C."""
    if not is_on(augment):
        return None
    rng = np.random.default_rng(seed)
    images = np.asarray(images, dtype=np.uint8)
    copies = [images] + [augment_numpy(images, rng, augment) for _ in range(versions)]
    return np.stack([np.rint(np.clip(copy, 0, 255)).astype("uint8") for copy in copies], axis=1)
