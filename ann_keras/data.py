"""Data sets by name, split with a fixed seed into train, validation and test.

Every loader returns the same `Dataset`, so models and the tuner never care
where the numbers came from; `source` says it for the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from .errors import DataError, choices


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
            "class_names": list(self.class_names),
            "input_shape": list(self.input_shape),
            "sizes": {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)},
        }


def _digits(seed: int, *, test_size: float, limit: int):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # float32 from the start: Keras computes in float32, and the raw 0..16
    # pixel range is kept on purpose (see tuning/ann.toml, input_scale).
    x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
    x, y = _limit(x, y, limit, seed)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y)
    names = tuple(str(name) for name in bunch.target_names)
    source = "sklearn.datasets.load_digits (shipped with scikit-learn)"
    return x_train, y_train, x_test, y_test, names, source


LOADERS = {
    "digits": (_digits, "scikit-learn's 1,797 8x8 hand-written digits, 64 features in 0..16; no download"),
}


def available() -> dict[str, str]:
    """Return every data set name with a line on what it is and where it comes from."""
    return {name: text for name, (_, text) in LOADERS.items()}


def load(name: str, *, seed: int, test_size: float = 0.2, validation_size: float = 0.2,
         limit: int = 0) -> Dataset:
    """Load a data set by name and split it with `seed`.

    The validation split is carved from the training split, stratified, so
    the search never sees the test set; `limit` keeps a stratified subset of
    that many examples (for quick checks).
    """
    if name not in LOADERS:
        raise DataError(f"unknown data set {name!r}; valid choices: {choices(LOADERS)}")
    loader, _ = LOADERS[name]
    x_train, y_train, x_test, y_test, names, source = loader(seed, test_size=test_size, limit=limit)
    x_train, x_val, y_train, y_val = train_test_split(
        x_train, y_train, test_size=validation_size, random_state=seed, stratify=y_train)
    return Dataset(name, source, names, x_train, y_train, x_val, y_val, x_test, y_test)


def _limit(x, y, limit, seed):
    if not limit or limit >= len(y):
        return x, y
    keep, _ = train_test_split(np.arange(len(y)), train_size=limit, random_state=seed, stratify=y)
    keep.sort()
    return x[keep], y[keep]
