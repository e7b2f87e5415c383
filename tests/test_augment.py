import keras
import numpy as np
import pytest

from ann_keras import experiments, models
from ann_keras.models import augment

EVERYTHING = {"horizontal_flip": True, "vertical_flip": True, "rotation": 0.05, "crop": 4, "translation": 0.1,
              "zoom": 0.1, "brightness": 0.2, "hue": 0.05}
CENTRE = np.full((1, augment.DRAWS), 0.5, np.float32)     # every draw at the middle of its range: no change


def _images(n=4, size=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3)).astype("float32")


def _transform(images, draws, table):
    return keras.ops.convert_to_numpy(augment.transform(images, draws, table))


def test_draws_at_the_middle_of_their_range_leave_images_unchanged():
    images = _images()
    assert np.allclose(_transform(images, np.repeat(CENTRE, 4, axis=0), EVERYTHING), images, atol=1e-3)


def test_the_largest_rotation_turns_the_image_by_that_fraction_of_a_turn():
    image = _images(1)
    draws = CENTRE.copy()
    draws[0, 0] = 1.0                                     # the top of the range: +rotation
    turned = _transform(image, draws, {"rotation": 0.25})
    assert np.allclose(turned[0], np.rot90(image[0], 1), atol=1e-2)


def test_hue_shifts_keep_greys_grey_and_brightness_stays_in_range():
    grey = np.repeat(_images(8)[..., :1], 3, axis=-1)
    draws = np.random.default_rng(1).random((8, augment.DRAWS), dtype=np.float32)
    draws[:, 4] = 0.5                                      # no brightness shift
    assert np.allclose(_transform(grey, draws, {"hue": 0.5}), grey, atol=1e-2)
    bright = _transform(_images(8), np.ones((8, augment.DRAWS), np.float32), {"brightness": 0.5})
    assert bright.min() >= 0 and bright.max() <= 255 and bright.mean() > _images(8).mean()


def test_hue_is_left_out_for_grayscale_and_flips_alone_stay_uint8():
    assert not augment.needs_float({"hue": 0.1, "horizontal_flip": True, "crop": 2}, channels=1)
    assert augment.needs_float({"hue": 0.1}, channels=3)
    rng = np.random.default_rng(0)
    images = _images(4).astype("uint8")
    assert augment.augment_numpy(images, rng, {"horizontal_flip": True, "crop": 2}).dtype == np.uint8
    assert augment.augment_numpy(images, rng, {"zoom": 0.1}).dtype == np.float32


@pytest.mark.parametrize("family,profile", [("cnn", "smoke"), ("cnn-fast", "smoke")])
def test_the_model_holds_no_augmentation_layer(family, profile):
    spec = experiments.load(family, profile)
    model = models.build(spec.model, (16, 16, 3), 10, dict(spec.params, precision="float32"), spec.augment)
    names = [type(layer).__name__ for layer in model.layers]
    assert not any(name.startswith("Random") or name == "Sequential" for name in names)


def test_samples_keep_the_original_first_and_stay_uint8():
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    grid = augment.samples({"horizontal_flip": True, "crop": 2, "rotation": 0.05}, images, versions=4, seed=1)
    assert grid.shape == (3, 5, 16, 16, 3) and grid.dtype == np.uint8
    assert np.array_equal(grid[:, 0], images)
    assert not np.array_equal(grid[:, 1], images)
    assert np.array_equal(grid, augment.samples({"horizontal_flip": True, "crop": 2, "rotation": 0.05}, images,
                                                versions=4, seed=1))
    assert augment.samples({}, images) is None
