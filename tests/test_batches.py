import numpy as np
import pytest

pytestmark = pytest.mark.tensorflow   # the tf.data pipeline
pytest.importorskip("tensorflow")
from ann_keras.training import batches  # noqa: E402

AUGMENT = {"horizontal_flip": True, "alternating_flip": True, "in_pipeline": True}


def _stream(x, y, augment, batch_size=4, seed=0, count=6):
    stream = batches.augmented_batches(x, y, batch_size, seed, augment)
    return [(images.numpy(), labels.numpy()) for images, labels in stream.take(count)]


def _distinct_images(n=8):
    # Each image's columns are distinct, so a mirror image is recognisable; row 0 names the image.
    x = np.zeros((n, 4, 4, 1), "uint8")
    x[:, :, :, 0] = np.arange(4)[None, None, :] * 10 + 1
    x[:, 0, 0, 0] = 100 + np.arange(n)
    x[:, 0, 3, 0] = 100 + np.arange(n)
    return x


def test_alternating_flips_mirror_each_image_in_every_other_epoch():
    x = _distinct_images()
    y = np.arange(8)
    stream = _stream(x, y, AUGMENT, count=8)          # 4 epochs of 2 batches
    flipped = {}
    for epoch in range(4):
        images = np.concatenate([stream[2 * epoch][0], stream[2 * epoch + 1][0]])
        labels = np.concatenate([stream[2 * epoch][1], stream[2 * epoch + 1][1]])
        assert sorted(labels) == list(range(8))       # every image once per epoch, reshuffled
        for image, label in zip(images, labels):
            assert image[0, 0, 0] == 100 + label and image[0, 3, 0] == 100 + label   # labels travel with images
            flipped.setdefault(int(label), []).append(bool(image[1, 0, 0] == 31))
    for label, history in flipped.items():
        assert history[1] != history[0] and history[2] == history[0] and history[3] == history[1]
    assert 0 < sum(history[0] for history in flipped.values()) < 8     # a mix in the first epoch


def test_random_flips_and_crops_are_fixed_by_the_seed_and_keep_uint8():
    x = np.random.default_rng(0).integers(0, 256, size=(16, 8, 8, 3)).astype("uint8")
    y = np.arange(16)
    augment = {"horizontal_flip": True, "crop": 2, "crop_padding": "reflect", "in_pipeline": True}
    a, b, c = (_stream(x, y, augment, seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))
    assert not all(np.array_equal(p[0], q[0]) for p, q in zip(a, c))
    assert a[0][0].dtype == np.uint8 and a[0][0].shape == (4, 8, 8, 3)


def test_crop_is_a_shift_of_the_mirror_padded_image():
    x = np.random.default_rng(0).integers(0, 256, size=(32, 6, 6, 1)).astype("uint8")
    y = np.arange(32)
    images, labels = _stream(x, y, {"crop": 1, "crop_padding": "reflect", "in_pipeline": True}, batch_size=32,
                             count=1)[0]
    shifts = set()
    for image, label in zip(images, labels):
        padded = np.pad(x[label], ((1, 1), (1, 1), (0, 0)), mode="reflect")
        found = [(dy, dx) for dy in range(3) for dx in range(3) if np.array_equal(padded[dy:dy + 6, dx:dx + 6], image)]
        assert found
        shifts.update(found)
    assert len(shifts) > 3


def test_geometric_and_colour_changes_run_in_the_pipeline_as_float32_fixed_by_the_seed():
    x = np.random.default_rng(0).integers(0, 256, size=(16, 8, 8, 3)).astype("uint8")
    y = np.arange(16)
    augment = {"horizontal_flip": True, "rotation": 0.05, "zoom": 0.1, "brightness": 0.1, "hue": 0.05}
    a, b = (_stream(x, y, augment, seed=3) for _ in range(2))
    assert a[0][0].dtype == np.float32 and 0 <= a[0][0].min() and a[0][0].max() <= 255
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))
    originals = x[a[0][1]].astype("float32")
    assert not np.allclose(a[0][0], originals)


def test_without_augmentation_the_stream_is_every_image_once_per_epoch_unchanged():
    x = _distinct_images()
    stream = _stream(x, np.arange(8), {}, count=4)
    for epoch in range(2):
        labels = np.concatenate([stream[2 * epoch][1], stream[2 * epoch + 1][1]])
        images = np.concatenate([stream[2 * epoch][0], stream[2 * epoch + 1][0]])
        assert sorted(labels) == list(range(8))
        assert np.array_equal(images, x[labels])
