"""Time-series classification data: aeon's shipped data sets, padding and per-channel scaling.

Sequences become float32 arrays (examples, time steps, channels). Shorter
sequences are padded at the end with MASK_VALUE, which the recurrent
builder's Masking layer skips, so padding never reaches the cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError, choices

# Far outside anything a standardised value reaches, so a real time step is never masked.
MASK_VALUE = -1000.0


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
    classes = sorted(set(loaded["train"][1]) | set(loaded["test"][1]), key=_natural)
    index = {label: i for i, label in enumerate(classes)}

    def convert(x, y):
        sequences = [np.asarray(example, dtype=np.float32).T for example in x]   # aeon: (channels, steps)
        return sequences, np.asarray([index[label] for label in y], dtype=np.int64)

    x_train, y_train = convert(*loaded["train"])
    x_test, y_test = convert(*loaded["test"])
    return x_train, y_train, x_test, y_test, tuple(str(c) for c in classes), \
        f"aeon.datasets.load_classification({name!r}) (the copy shipped inside the aeon package)"


def _natural(label):
    text = str(label)
    return (0, int(text), text) if text.lstrip("-").isdigit() else (1, 0, text)


def prepare(x_train: list, x_test: list) -> tuple[np.ndarray, np.ndarray]:
    """Return both splits standardised per channel (statistics of the training split) and padded.

    Padding goes at the end, to the longest sequence of either split, with MASK_VALUE.
    """
    steps = np.concatenate(x_train, axis=0)
    mean, std = steps.mean(axis=0), steps.std(axis=0)
    std[std == 0] = 1.0
    length = max(len(s) for s in list(x_train) + list(x_test))
    channels = steps.shape[1]

    def pad(sequences):
        out = np.full((len(sequences), length, channels), MASK_VALUE, dtype=np.float32)
        for i, sequence in enumerate(sequences):
            out[i, :len(sequence)] = (sequence - mean) / std
        return out

    return pad(x_train), pad(x_test)
