import numpy as np

from ann_keras.models import augment

EVERYTHING = {"horizontal_flip": True, "vertical_flip": True, "rotation": 0.05, "crop": 4, "translation": 0.1,
              "zoom": 0.1, "brightness": 0.2, "hue": 0.05}


def test_each_switched_on_transformation_is_one_layer():
    layer = augment.build_augmentation(EVERYTHING, (32, 32, 3))
    names = [type(step).__name__ for step in layer.layers]
    assert names == ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomTranslation", "RandomZoom",
                     "RandomBrightness", "RandomHue"]
    assert layer.layers[0].mode == "horizontal_and_vertical"


def test_nothing_switched_on_means_no_layer():
    assert augment.build_augmentation({"rotation": 0.0, "horizontal_flip": False}, (32, 32, 3)) is None


def test_hue_is_left_out_for_grayscale():
    layer = augment.build_augmentation({"hue": 0.1, "horizontal_flip": True}, (16, 16, 1))
    assert [type(step).__name__ for step in layer.layers] == ["RandomFlip"]


def test_augmentation_changes_images_in_training_only():
    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("float32")
    layer = augment.build_augmentation(EVERYTHING, (32, 32, 3))
    assert np.allclose(np.asarray(layer(images, training=False)), images)
    assert not np.allclose(np.asarray(layer(images, training=True)), images)


def test_samples_keep_the_original_first_and_stay_uint8():
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    grid = augment.samples({"horizontal_flip": True, "crop": 2}, images, versions=4, seed=1)
    assert grid.shape == (3, 5, 16, 16, 3) and grid.dtype == np.uint8
    assert np.array_equal(grid[:, 0], images)
    assert augment.samples({}, images) is None
