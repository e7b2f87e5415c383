"""Training batches augmented in a parallel tf.data pipeline, before the model (the TensorFlow backend's path).

The model holds no augmentation layers: flips and crops are index
arithmetic on uint8 batches (a gather, a select), and rotation, zoom,
translation, brightness and hue are one vectorised float32 transform per
batch (models/augment.py), prepared by tf.data while the previous step
trains: what airbench's data loader does on a GPU. Two things only a
pipeline can do:

- alternating flips: each image is mirrored in every other epoch (a random
  half of the images in the first), so every two epochs see both versions
  of every image, where independent coin flips repeat one version for a
  quarter of the images (Jordan, "94% on CIFAR-10 in 3.29 seconds", 2024);
- crops with mirrored padding, different per image, without a float copy.

Everything random is a function of (seed, position in the stream), so one
seed gives the same batches on every run. A saved model still takes raw
uint8 images: nothing here is needed at inference.
"""

from __future__ import annotations

import tensorflow as tf

from ..models import augment as augmentation


def whole(x, y) -> tf.data.Dataset:
    """Full-batch training: the same tensors every step, no copies, no shuffling needed."""
    return tf.data.Dataset.from_tensors((x, y)).repeat()


def augmented_batches(x, y, batch_size: int, seed: int, augment: dict) -> tf.data.Dataset:
    """Return an endless stream of (images, targets) batches, reshuffled and re-augmented every epoch."""
    count = len(y)
    examples = tf.data.Dataset.from_tensor_slices((x, y, tf.range(count, dtype=tf.int64)))
    stream = examples.shuffle(count, seed=seed, reshuffle_each_iteration=True).repeat().enumerate()
    # Batches run across epoch ends: each image knows its own epoch from its position in the stream.
    batches = stream.batch(batch_size, drop_remainder=True)

    def transform(position, example):
        images, targets, index = example
        return augment_batch(images, index, position // count, position[0], seed, augment), targets

    return batches.map(transform, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def augment_batch(images, index, epoch, position, seed: int, augment: dict):
    """Flip and crop a uint8 batch as `augment` says; `index`/`epoch` per image, `position` for the random draws."""
    draws = tf.stack([tf.constant(seed, tf.int64), tf.cast(position, tf.int64)])
    images = flip_and_crop(images, index, epoch, draws, seed, augment)
    if augmentation.needs_float(augment, images.shape[-1]):
        uniform = tf.random.stateless_uniform([tf.shape(images)[0], augmentation.DRAWS], draws + [0, 3])
        images = augmentation.transform(tf.cast(images, tf.float32), uniform, augment)
    return images


def flip_and_crop(images, index, epoch, draws, seed: int, augment: dict):
    """The uint8 stage: pad-and-crop, then a mirror left-right (alternating or at random) and top-bottom."""
    if augment.get("vertical_flip"):
        upside_down = tf.random.stateless_uniform(tf.shape(index), draws + [0, 2]) < 0.5
        images = tf.where(upside_down[:, None, None, None], tf.reverse(images, axis=[1]), images)
    if augment.get("crop"):
        images = random_crop(images, augment["crop"], draws, augment.get("crop_padding") == "reflect")
    if augment.get("alternating_flip"):
        flip = tf.math.floormod(_bit(index, seed) + epoch, 2) == 1
    elif augment.get("horizontal_flip"):
        flip = tf.random.stateless_uniform(tf.shape(index), draws + [0, 1]) < 0.5
    else:
        return images
    return tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)


def random_crop(images, pad: int, draws, reflect: bool):
    """Pad a batch by `pad` pixels (mirrored or zeros) and cut each image's window at its own random offset."""
    mode = "REFLECT" if reflect else "CONSTANT"
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode=mode)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    offsets = tf.random.stateless_uniform([tf.shape(images)[0], 2], draws, minval=0, maxval=2 * pad + 1,
                                          dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(height)[None, :]
    columns = offsets[:, 1:] + tf.range(width)[None, :]
    cropped = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(cropped, columns, axis=2, batch_dims=1)


def _bit(index, seed: int):
    """A fixed pseudo-random 0 or 1 per image index (which half is mirrored in the first epoch)."""
    mixed = (index * 2654435761 + seed * 40503 + 12345) % 2147483647
    return tf.math.floordiv(mixed, 65536) % 2
