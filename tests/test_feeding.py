"""training/feeding.py: the portable stream visits every image once per pass, fixed by the seed, augmented as asked."""

import numpy as np

from ann_keras import backend
from ann_keras.training import feeding


def _images(n=10, size=8):
    # Row 0 of each image names it, so an image can be followed through a batch.
    x = np.random.default_rng(0).integers(0, 200, (n, size, size, 3)).astype("uint8")
    x[:, 0, 0, 0] = np.arange(n)
    return x, np.arange(n)


def _take(stream, count):
    batches = [stream[i % len(stream)] for i in range(count)]
    stream.close()
    return batches


def test_each_pass_is_a_fresh_permutation_and_batches_run_across_passes():
    x, y = _images(10)
    stream = feeding.Stream(x, y, 4, seed=1, augment={}, steps_per_epoch=2)
    labels = np.concatenate([b[1] for b in _take(stream, 5)])        # 20 labels: two passes exactly
    assert sorted(labels[:10]) == list(range(10)) and sorted(labels[10:]) == list(range(10))
    assert not np.array_equal(labels[:10], labels[10:])
    again = np.concatenate([b[1] for b in _take(feeding.Stream(x, y, 4, 1, {}, 2), 5)])
    other = np.concatenate([b[1] for b in _take(feeding.Stream(x, y, 4, 2, {}, 2), 5)])
    assert np.array_equal(labels, again) and not np.array_equal(labels, other)


def test_images_travel_with_their_labels_unchanged_without_augmentation():
    x, y = _images(10)
    for images, labels in _take(feeding.Stream(x, y, 3, 0, {}, 3), 7):
        assert np.array_equal(images, x[labels])


def test_augmented_batches_stay_uint8_and_alternating_flips_mirror_every_other_pass():
    x, y = _images(6, size=6)
    x[:, 1:] = np.arange(6, dtype="uint8")[None, None, :, None] * 30 + 1   # columns tell a mirror image
    augment = {"horizontal_flip": True, "alternating_flip": True, "rotation": 0.02, "brightness": 0.05}
    batches = _take(feeding.Stream(x, y, 6, 3, augment, 1), 2)
    assert all(images.dtype == np.uint8 for images, _ in batches)
    plain = {"horizontal_flip": True, "alternating_flip": True}
    first, second = _take(feeding.Stream(x, y, 6, 3, plain, 1), 2)
    mirrored = [{int(l): bool(img[3, 0, 0] > img[3, 5, 0]) for img, l in zip(*batch)} for batch in (first, second)]
    assert all(mirrored[0][label] != mirrored[1][label] for label in range(6))
    assert 0 < sum(mirrored[0].values()) < 6


def test_the_stream_is_tf_data_on_tensorflow_and_portable_with_the_fast_paths_off(monkeypatch):
    x, y = _images(8)
    fast = feeding.stream(x, y, 4, 0, {}, 2)
    assert isinstance(fast, feeding.Stream) != backend.fast_paths()
    monkeypatch.setenv(backend.FAST_PATHS_ENV, "0")
    assert isinstance(feeding.stream(x, y, 4, 0, {}, 2), feeding.Stream)
