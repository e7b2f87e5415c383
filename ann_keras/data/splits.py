"""What every data loader returns before the validation split is carved: train and test, and their provenance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Splits:
    """A data set's own train and test splits, with class names and where they were read from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    skipped: list[str] = field(default_factory=list)   # "path: reason", one per file left out
    scaling: dict | None = None   # sequences: per-channel mean and std, padded steps (sequences.prepare)
