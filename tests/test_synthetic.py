"""The generated images the smoke profiles train on."""

import numpy as np

from ann_keras import data


def test_synthetic_images_are_deterministic(seed):
    a = data.load("synthetic-images", seed=seed, limit=100, test_limit=20, image_size=16)
    b = data.load("synthetic-images", seed=seed, limit=100, test_limit=20, image_size=16)
    assert a.x_train.shape[1:] == (16, 16, 3) and np.array_equal(a.x_train, b.x_train)
    assert len(a.y_test) == 20
