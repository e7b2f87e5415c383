"""scikit-learn's hand-written digits: 64 features for the paper's ANN, or 8 rows of 8 pixels as a sequence."""

from __future__ import annotations

import numpy as np

from . import sequences
from .source import Source
from .splits import Splits


def _read(seed: int, argument: str, options: dict) -> Splits:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    # float32 from the start: Keras computes in float32, and the raw 0..16
    # pixel range is kept on purpose (see tuning/ann.toml, input_scale).
    x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=options["test_size"], random_state=seed, stratify=y)
    names = tuple(str(name) for name in bunch.target_names)
    source = "sklearn.datasets.load_digits (shipped with scikit-learn)"
    return Splits(x_train, y_train, x_test, y_test, names, source)


def _read_sequences(seed: int, argument: str, options: dict) -> Splits:
    """The same split, each digit read row by row: 8 time steps of 8 features."""
    digits = _read(seed, argument, options)
    x_train, x_test, scaling = sequences.prepare(list(digits.x_train.reshape(-1, 8, 8)),
                                                 list(digits.x_test.reshape(-1, 8, 8)), options["sequence_scaling"])
    return Splits(x_train, digits.y_train, x_test, digits.y_test, digits.class_names,
                  f"sklearn.datasets.load_digits read as 8 time steps of 8 pixels; {sequences.describe(scaling)}",
                  scaling=scaling)


DIGITS = Source(
    "digits", "vectors", "scikit-learn's 1,797 8x8 hand-written digits, 64 features in 0..16; no download",
    _read, options=("test_size",))
DIGITS_SEQ = Source(
    "digits-seq", "sequences", "scikit-learn's digits as sequences: 8 time steps of 8 features; no download",
    _read_sequences, options=("test_size", "sequence_scaling"))
