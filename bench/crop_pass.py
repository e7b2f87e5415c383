"""Pad-and-crop of one CIFAR-10-sized pass (45,000 uint8 images, 4 pixels), two ways, in one process, same draws.

    .venv/bin/python bench/crop_pass.py

The way before: per-pixel index arrays into the padded batch. Now (models/augment.flip_and_crop): one slice per
crop offset. Each is timed twice, interleaved; the outputs must be identical.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ann_keras.models import augment  # noqa: E402

PAD = 4


def by_index_arrays(images, rng):
    count = len(images)
    padded = np.pad(images, ((0, 0), (PAD, PAD), (PAD, PAD), (0, 0)))
    offsets = rng.integers(0, 2 * PAD + 1, size=(count, 2))
    rows = offsets[:, :1] + np.arange(images.shape[1])[None, :]
    columns = offsets[:, 1:] + np.arange(images.shape[2])[None, :]
    return padded[np.arange(count)[:, None, None], rows[:, :, None], columns[:, None, :]]


def by_slices(images, rng):
    return augment.flip_and_crop(images, rng, {"crop": PAD})


def main():
    images = np.random.default_rng(0).integers(0, 256, (45000, 32, 32, 3), dtype=np.uint8)
    for name, crop in (("index arrays", by_index_arrays), ("slices", by_slices)) * 2:
        start = time.perf_counter()
        crop(images, np.random.default_rng(1))
        print(f"{name}: {time.perf_counter() - start:.3f} s")
    before, after = (crop(images, np.random.default_rng(1)) for crop in (by_index_arrays, by_slices))
    print("identical output" if np.array_equal(before, after) else "OUTPUTS DIFFER")


if __name__ == "__main__":
    main()
