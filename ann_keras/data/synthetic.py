"""Tiny generated images for tests: ten classes, each a colour and a stripe direction, learnable in seconds."""

from __future__ import annotations

import numpy as np

from .source import Source
from .splits import Splits


def _read(seed: int, argument: str, options: dict) -> Splits:
    rng = np.random.default_rng(seed)
    size, channels = options["image_size"] or 32, options["channels"]
    palette = rng.integers(40, 216, size=(10, channels))

    rows, columns = np.indices((size, size))
    patterns = [(rows // 4) % 2, ((rows + columns) // 4) % 2]   # horizontal or diagonal stripes

    def draw(count):
        labels = np.arange(count) % 10
        rng.shuffle(labels)
        pictures = np.empty((count, size, size, channels), dtype=np.uint8)
        for i, label in enumerate(labels):
            stripes = patterns[label % 2][..., None] * 30
            pictures[i] = np.clip(palette[label] + stripes + rng.normal(0, 20, (size, size, channels)), 0, 255)
        return pictures, labels.astype(np.int64)

    x_train, y_train = draw(options["limit"] or 500)
    x_test, y_test = draw(options["test_limit"] or 100)
    names = tuple(f"class_{i}" for i in range(10))
    return Splits(x_train, y_train, x_test, y_test, names, f"synthetic images generated with seed {seed}")


SYNTHETIC_IMAGES = Source(
    "synthetic-images", "images", "tiny generated 32x32 images in 10 classes, for tests; no files",
    _read, options=("image_size", "channels", "limit", "test_limit"))
