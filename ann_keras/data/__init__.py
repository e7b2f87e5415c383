"""Data sets by name, split with a fixed seed into train, validation and test.

Each source (digits, cifar10, images:PATH, aeon:NAME, ts:PATH...) lives in a module
of its own and declares itself as a `source.Source`: its name pattern, the
kind of examples it gives, its [data] options, whether --data or an
environment variable says where its files are, and how to fingerprint them.
SOURCES below is the registry; a new source is a module and a line there.
Every source returns the same `Dataset`, so models and the tuner never care
where the numbers came from; `source` says it for the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np

from ..errors import DataError, choices
from ..specs.fields import DATA_DEFAULTS
from .aeon_sets import AEON
from .cifar10 import CIFAR10
from .digits import DIGITS, DIGITS_SEQ
from .image_folders import IMAGES
from .source import KINDS, Source
from .splits import Splits
from .synthetic import SYNTHETIC_IMAGES
from .ts_files import TS_FILES

__all__ = ["Dataset", "KINDS", "SOURCES", "Source", "find", "fingerprint", "folds", "load", "path_fallbacks",
           "reads_path", "subset", "whole_training"]


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
    scaling: dict | None = None       # how raw sequences were standardised and padded (sequences.prepare)

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
            # `ann-keras predict` prepares a user's sequences with it, as training's were.
            **({"scaling": self.scaling} if self.scaling is not None else {}),
        }


# The registry: one record per source, each declared in its own module.
SOURCES = (DIGITS, DIGITS_SEQ, CIFAR10, IMAGES, SYNTHETIC_IMAGES, AEON, TS_FILES)


def find(name: str) -> tuple[Source, str]:
    """Return the source a data set name means and what follows its colon ("" where nothing does).

    Raise DataError, naming the valid choices, for an unknown name or a name
    with an argument its source does not take.
    """
    key, colon, argument = name.partition(":")
    source = next((s for s in SOURCES if s.key == key), None)
    if source is None:
        raise DataError(f"unknown data set {name!r}; valid choices: {choices(s.pattern for s in SOURCES)}")
    if colon and not source.argument:
        raise DataError(f"data set {name!r}: {key} takes nothing after a colon; valid choices: {key}")
    if source.argument and not argument and not source.reads_path:
        raise DataError(f"data set {name!r} needs a {source.argument.lower()}: {source.pattern}, e.g. "
                        f"{source.example}")
    return source, argument


def reads_path(name: str) -> bool:
    """Return whether data set `name` reads its files from [data] path (what --data sets)."""
    source, argument = find(name)
    return source.reads_path and not argument


def path_fallbacks(environ=os.environ) -> dict[str, str]:
    """Return, per data set name, the path its environment variable gives where [data] path and --data are silent."""
    return {s.key: environ[s.env] for s in SOURCES if s.env and environ.get(s.env)}


def _location(name: str, options: dict) -> tuple[Source, str]:
    """Return the source and where its files are: the name's argument, else [data] path for a source that reads it."""
    source, argument = find(name)
    location = argument or (options["path"] if source.reads_path else "")
    if source.argument and not location:
        raise DataError(f"data set {name!r} needs a {source.argument.lower()}: {source.pattern}, or "
                        f"{source.key} with --data {source.argument}")
    return source, location


def fingerprint(name: str, options: dict | None = None) -> str | None:
    """Return a digest of the content of the files data set `name` reads (None: it reads no files of its own).

    Cheap to ask twice: the digest of unchanged files is computed once per process.
    """
    return _digest(*_location(name, {**DATA_DEFAULTS, **(options or {})}))


def _digest(source: Source, location: str) -> str | None:
    return source.fingerprint(location) if source.fingerprint and location else None


def load(name: str, *, seed: int, **options) -> Dataset:
    """Load a data set by name and split it with `seed`; `options` are [data] keys (specs.fields.DATA_FIELDS).

    Data sets with their own test split keep it; others are split by
    `test_size`. The validation split is carved from the training split,
    stratified, so the search never sees the test set. `limit` and
    `test_limit` keep stratified subsets of the training and test splits
    (for quick runs). Keys left out take the defaults a spec gets.
    """
    unknown = set(options) - set(DATA_DEFAULTS)
    if unknown:
        raise TypeError(f"data.load: unknown options {sorted(unknown)}; valid: {sorted(DATA_DEFAULTS)}")
    options = {**DATA_DEFAULTS, **options}
    source, location = _location(name, options)
    splits = source.read(seed, location, options)
    _check_classes(splits, name)
    limit, test_limit, validation_size = options["limit"], options["test_limit"], options["validation_size"]
    from sklearn.model_selection import train_test_split   # here, not at the top: the CLI's --help lists SOURCES
    try:
        x_train, y_train = subset(splits.x_train, splits.y_train, limit, seed)
        x_test, y_test = subset(splits.x_test, splits.y_test, test_limit, seed)
        x_train, x_val, y_train, y_val = train_test_split(
            x_train, y_train, test_size=_validation_count(len(y_train), len(splits.class_names), validation_size),
            random_state=seed, stratify=y_train)
    except ValueError as error:   # scikit-learn: too few examples for a stratified split of this size
        raise DataError(f"data set {name!r}: cannot split {len(splits.y_train)} training examples in "
                        f"{len(splits.class_names)} classes with [data] limit={limit}, test_limit={test_limit}, "
                        f"validation_size={validation_size} ({error})") from None
    return Dataset(name, splits.source, tuple(splits.class_names), x_train, y_train, x_val, y_val, x_test, y_test,
                   tuple(splits.skipped), _digest(source, location), splits.scaling)


def _validation_count(examples: int, classes: int, fraction: float) -> int:
    """Return how many examples the validation split takes: `fraction` of them, but at least one per class.

    A stratified split needs every class in it; a small set with many
    classes (aeon's PickupGestureWiimoteZ: 50 sequences, 10 classes) would
    otherwise be refused at the default fraction.
    """
    import math
    wanted = math.ceil(fraction * examples)
    return max(wanted, classes) if examples - classes >= classes else wanted


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


def folds(dataset: Dataset, k: int, seed: int):
    """Yield `k` stratified folds of the training data (train and validation splits together) as Datasets.

    Fold i validates on the i-th part and trains on the others. The test
    split is left out (empty), so a cross-validated search cannot touch it.
    The parts depend on `seed` alone: every configuration is compared on
    the same folds.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.concatenate([dataset.y_train, dataset.y_val])
    counts = np.bincount(y, minlength=dataset.num_classes)
    if counts.min() < k:
        rare = dataset.class_names[int(counts.argmin())]
        raise DataError(f"[tuner] folds = {k}: class {rare!r} has {counts.min()} training examples, fewer than "
                        f"the folds; valid: folds from 2 to {max(counts.min(), 2)} for data set {dataset.name!r}")
    x = np.concatenate([dataset.x_train, dataset.x_val])
    empty_x, empty_y = dataset.x_test[:0], dataset.y_test[:0]
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, validation in splitter.split(np.zeros(len(y)), y):
        yield Dataset(dataset.name, dataset.source, dataset.class_names, x[train], y[train], x[validation],
                      y[validation], empty_x, empty_y, dataset.skipped, dataset.fingerprint, dataset.scaling)


def whole_training(dataset: Dataset) -> Dataset:
    """Return `dataset` with its validation split returned to the training split (the validation split empty).

    What a cross-validated search refits on: the folds have already done
    what the validation split is for, so holding it out again would only
    train the refit on less data (JapaneseVowels: 243 sequences instead of
    270), as scikit-learn's GridSearchCV refits on all of it. The test
    split is unchanged.
    """
    return replace(dataset, x_train=np.concatenate([dataset.x_train, dataset.x_val]),
                   y_train=np.concatenate([dataset.y_train, dataset.y_val]),
                   x_val=dataset.x_val[:0], y_val=dataset.y_val[:0])


def subset(x, y, limit: int, seed: int):
    """Return a stratified subset of `limit` examples (all of them when limit is 0)."""
    if not limit or limit >= len(y):
        return x, y
    from sklearn.model_selection import train_test_split
    keep, _ = train_test_split(np.arange(len(y)), train_size=limit, random_state=seed, stratify=y)
    keep.sort()
    return x[keep], y[keep]
