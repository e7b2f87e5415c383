"""Data sets by name, split with a fixed seed into train, validation and test.

Every loader returns the same `Dataset`, so models and the tuner never care
where the numbers came from; `source` says it for the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from . import images, sequences
from .splits import Splits
from ..errors import DataError, choices

# Read by the CLI: where `make reproduce` and users without --data point at a local CIFAR-10 copy.
CIFAR10_ENV = "ANN_KERAS_CIFAR10"


@dataclass(frozen=True)
class Dataset:
    """Arrays for one experiment; labels are integer class indices."""

    name: str
    source: str
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    skipped: tuple[str, ...] = ()     # unreadable files left out, "path: reason"
    fingerprint: str | None = None    # a hash of the files read (None: no files of its own)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def describe(self) -> dict:
        """Return what a report says about the data: name, source, shapes, sizes."""
        return {
            "name": self.name,
            "source": self.source,
            "fingerprint": self.fingerprint,
            "class_names": list(self.class_names),
            "input_shape": list(self.input_shape),
            "sizes": {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)},
            "skipped": {"count": len(self.skipped), "first": list(self.skipped[:5])},
        }


def _digits(seed: int, *, test_size: float, **_):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # float32 from the start: Keras computes in float32, and the raw 0..16
    # pixel range is kept on purpose (see tuning/ann.toml, input_scale).
    x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y)
    names = tuple(str(name) for name in bunch.target_names)
    source = "sklearn.datasets.load_digits (shipped with scikit-learn)"
    return Splits(x_train, y_train, x_test, y_test, names, source)


def _digits_seq(seed: int, *, test_size: float, **_):
    """scikit-learn's digits read row by row: 8 time steps of 8 features."""
    digits = _digits(seed, test_size=test_size)
    x_train, x_test = sequences.prepare(list(digits.x_train.reshape(-1, 8, 8)), list(digits.x_test.reshape(-1, 8, 8)))
    return Splits(x_train, digits.y_train, x_test, digits.y_test, digits.class_names,
                  "sklearn.datasets.load_digits read as 8 time steps of 8 pixels, standardised per column")


def _aeon(seed: int, *, path: str, **_):
    x_train, y_train, x_test, y_test, names, source = sequences.load_aeon(path)
    x_train, x_test = sequences.prepare(x_train, x_test)
    return Splits(x_train, y_train, x_test, y_test, names,
                  f"{source}, its own train/test split; standardised per channel on the training split, "
                  f"padded at the end to {x_train.shape[1]} steps")


def _cifar10(seed: int, *, path: str, image_size: int, **_):
    if path:
        return images.load(path, image_size=image_size, channels=3)
    import keras
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as error:   # no network, a proxy, a damaged download: all end here
        raise DataError(f"cannot download CIFAR-10 with Keras ({type(error).__name__}: {error}); give a local "
                        f"copy with --data PATH or {CIFAR10_ENV}=PATH") from None
    return Splits(x_train, y_train.ravel().astype(np.int64), x_test, y_test.ravel().astype(np.int64),
                  images.CIFAR10_CLASSES, "keras.datasets.cifar10 (the official cifar-10-python.tar.gz, "
                  "downloaded and cached by Keras)")


def _image_folders(seed: int, *, path: str, image_size: int, channels: int, **_):
    return images.load(path, image_size=image_size, channels=channels)


def _synthetic_images(seed: int, *, image_size: int, channels: int, limit: int, test_limit: int, **_):
    """Ten classes of noisy images, each class a colour and a stripe direction: learnable in seconds."""
    rng = np.random.default_rng(seed)
    size = image_size or 32
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

    x_train, y_train = draw(limit or 500)
    x_test, y_test = draw(test_limit or 100)
    names = tuple(f"class_{i}" for i in range(10))
    return Splits(x_train, y_train, x_test, y_test, names, f"synthetic images generated with seed {seed}")


LOADERS = {
    "digits": (_digits, "scikit-learn's 1,797 8x8 hand-written digits, 64 features in 0..16; no download"),
    "cifar10": (_cifar10, "CIFAR-10, 60,000 32x32 colour images in 10 classes: from --data PATH "
                          f"(cifar-10-python.tar.gz, its folder, or an image tree or tarball), ${CIFAR10_ENV}, "
                          "or Keras's download"),
    "images:PATH": (_image_folders, "your own pictures: PATH/train/<class>/*, PATH/test/<class>/* "
                                    "(or a .tar/.tar.gz of that), any class names, resized to [data] image_size"),
    "synthetic-images": (_synthetic_images, "tiny generated 32x32 images in 10 classes, for tests; no files"),
    "digits-seq": (_digits_seq, "scikit-learn's digits as sequences: 8 time steps of 8 features; no download"),
    "aeon:NAME": (_aeon, "a classification data set shipped inside the aeon package, with its own train/test "
                         "split, e.g. aeon:JapaneseVowels, aeon:BasicMotions (see `ann-keras datasets`)"),
}


def path_fallbacks(environ=os.environ) -> dict[str, str]:
    """Return, per data set name, the path the environment gives it where [data] path and --data are silent."""
    return {"cifar10": environ[CIFAR10_ENV]} if environ.get(CIFAR10_ENV) else {}


def reads_path(name: str) -> bool:
    """Return whether data set `name` reads its files from [data] path (what --data sets)."""
    key, _, argument = name.partition(":")
    return key in ("cifar10", "images", "aeon") and not argument


def available() -> dict[str, str]:
    """Return every data set name with a line on what it is and where it comes from."""
    return {name: text for name, (_, text) in LOADERS.items()}


def load(name: str, *, seed: int, test_size: float = 0.2, validation_size: float = 0.2, limit: int = 0,
         test_limit: int = 0, path: str = "", image_size: int = 32, channels: int = 3) -> Dataset:
    """Load a data set by name and split it with `seed`.

    Data sets with their own test split keep it; others are split by
    `test_size`. The validation split is carved from the training split,
    stratified, so the search never sees the test set. `limit` and
    `test_limit` keep stratified subsets of the training and test splits
    (for quick runs).
    """
    key, _, argument = name.partition(":")
    loader_name = {"images": "images:PATH", "aeon": "aeon:NAME"}.get(key, key) if argument else key
    if loader_name not in LOADERS:
        raise DataError(f"unknown data set {name!r}; valid choices: {choices(LOADERS)}")
    loader, _ = LOADERS[loader_name]
    splits = loader(seed, test_size=test_size, path=argument or path, image_size=image_size, channels=channels,
                    limit=limit, test_limit=test_limit)
    _check_classes(splits, name)
    try:
        x_train, y_train = subset(splits.x_train, splits.y_train, limit, seed)
        x_test, y_test = subset(splits.x_test, splits.y_test, test_limit, seed)
        x_train, x_val, y_train, y_val = train_test_split(
            x_train, y_train, test_size=validation_size, random_state=seed, stratify=y_train)
    except ValueError as error:   # scikit-learn: too few examples for a stratified split of this size
        raise DataError(f"data set {name!r}: cannot split {len(splits.y_train)} training examples in "
                        f"{len(splits.class_names)} classes with [data] limit={limit}, test_limit={test_limit}, "
                        f"validation_size={validation_size} ({error})") from None
    return Dataset(name, splits.source, tuple(splits.class_names), x_train, y_train, x_val, y_val, x_test, y_test,
                   tuple(splits.skipped))


def _check_classes(splits: Splits, name: str) -> None:
    """Refuse data a classifier cannot be trained and validated on, naming the data set and the class."""
    where = f"data set {name!r} ({splits.source})"
    if len(splits.class_names) < 2:
        raise DataError(f"{where}: {len(splits.class_names)} class ({', '.join(splits.class_names)}); "
                        "classification needs at least 2")
    if len(splits.y_train) != len(splits.x_train) or len(splits.y_test) != len(splits.x_test):
        raise DataError(f"{where}: {len(splits.y_train)} training labels for {len(splits.x_train)} examples, "
                        f"{len(splits.y_test)} test labels for {len(splits.x_test)}; they must agree")
    for labels in (splits.y_train, splits.y_test):
        if labels.size and (labels.min() < 0 or labels.max() >= len(splits.class_names)):
            raise DataError(f"{where}: label {labels.max()} is outside 0..{len(splits.class_names) - 1}")
    # The validation split is stratified: each class needs one example on each side of it.
    counts = np.bincount(splits.y_train, minlength=len(splits.class_names))
    for index in np.flatnonzero(counts < 2):
        raise DataError(f"{where}: class {splits.class_names[index]!r} has {counts[index]} training "
                        "example(s); each class needs at least 2 (one for training, one for validation)")


def subset(x, y, limit: int, seed: int):
    """Return a stratified subset of `limit` examples (all of them when limit is 0)."""
    if not limit or limit >= len(y):
        return x, y
    keep, _ = train_test_split(np.arange(len(y)), train_size=limit, random_state=seed, stratify=y)
    keep.sort()
    return x[keep], y[keep]
