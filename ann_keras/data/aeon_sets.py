"""aeon's shipped classification data sets (UCR/UEA archive copies inside the aeon wheel), by name: aeon:NAME."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import sequences
from ..errors import DataError, choices
from .source import Source
from .splits import Splits


def _aeon_data_dir() -> Path:
    try:
        import aeon
    except ImportError:
        raise DataError("the aeon package is not installed; `pip install aeon` to use aeon:NAME data sets") from None
    return Path(aeon.__file__).parent / "datasets" / "data"


def shipped_classification() -> list[str]:
    """Return the names of the classification data sets that ship inside the aeon wheel."""
    names = []
    for folder in sorted(p for p in _aeon_data_dir().iterdir() if p.is_dir()):
        train, test = folder / f"{folder.name}_TRAIN.ts", folder / f"{folder.name}_TEST.ts"
        if train.exists() and test.exists() and _has_class_labels(train):
            names.append(folder.name)
    return names


def _has_class_labels(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            line = line.strip().lower()
            if line.startswith("@classlabel"):
                return line.split()[1:2] == ["true"]
            if line.startswith("@data"):
                return False
    return False


def load_aeon(name: str):
    """Return (train sequences, train labels, test sequences, test labels, class names, source) for `name`.

    Sequences are lists of (time steps, channels) arrays, of any lengths.
    """
    shipped = shipped_classification()
    if name not in shipped:
        raise DataError(f"unknown aeon data set {name!r}; valid choices (shipped with aeon): {choices(shipped)}")
    from aeon.datasets import load_classification
    # A shipped name is read from inside the package: no download happens.
    loaded = {split: load_classification(name, split=split) for split in ("train", "test")}
    classes = sorted(set(loaded["train"][1]) | set(loaded["test"][1]), key=sequences.natural_order)
    index = {label: i for i, label in enumerate(classes)}

    def convert(x, y):
        sequences = [np.asarray(example, dtype=np.float32).T for example in x]   # aeon: (channels, steps)
        return sequences, np.asarray([index[label] for label in y], dtype=np.int64)

    x_train, y_train = convert(*loaded["train"])
    x_test, y_test = convert(*loaded["test"])
    return x_train, y_train, x_test, y_test, tuple(str(c) for c in classes), \
        f"aeon.datasets.load_classification({name!r}) (the copy shipped inside the aeon package)"


def _read(seed: int, name: str, options: dict) -> Splits:
    x_train, y_train, x_test, y_test, names, source = load_aeon(name)
    x_train, x_test, scaling = sequences.prepare(x_train, x_test, options["sequence_scaling"])
    return Splits(x_train, y_train, x_test, y_test, names,
                  f"{source}, its own train/test split; {sequences.describe(scaling)}, padded at the end to "
                  f"{x_train.shape[1]} steps", scaling=scaling)


# No fingerprint: the files ship inside the aeon package, whose version results.json records.
AEON = Source(
    "aeon:NAME", "sequences",
    "a classification data set shipped inside the aeon package, with its own train/test split, e.g. "
    "aeon:JapaneseVowels, aeon:BasicMotions (listed below)",
    _read, options=("sequence_scaling",), example="aeon:BasicMotions")
