"""Your own sequences: a TRAIN and a TEST file in aeon's `.ts` format, read with aeon's own reader: ts:PATH.

PATH is the TRAIN file (`NAME_TRAIN.ts`, its TEST file beside it), or a
folder holding one `*_TRAIN.ts` and one `*_TEST.ts`, the layout of the
UCR/UEA archives. Univariate or multivariate, equal or unequal lengths,
string class labels (aeon lower-cases them as it reads). Every way a file
can be unusable (not `.ts`, no class labels, missing values, channels that
differ between the files, a class seen only in TEST) is one DataError
naming the file and what was expected.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from . import images, sequences
from ..errors import DataError, choices, shorten
from .source import Source
from .splits import Splits


def pair(path: str | Path) -> tuple[Path, Path]:
    """Return the TRAIN and TEST files that `path` (a TRAIN file or a folder) names; DataError if it names none."""
    path = Path(path).expanduser()
    if path.is_dir():
        trains = sorted(path.glob("*_TRAIN.ts"))
        if len(trains) != 1:
            found = choices(p.name for p in trains) if trains else "none"
            raise DataError(f"ts:{path}: a folder must hold exactly one *_TRAIN.ts file (and its *_TEST.ts); "
                            f"found {found}; name the TRAIN file instead: ts:{path}/NAME_TRAIN.ts")
        path = trains[0]
    if not path.is_file():
        raise DataError(f"ts:{path}: no such file or folder; valid choices: a NAME_TRAIN.ts file with its "
                        "NAME_TEST.ts beside it, or a folder holding both")
    if not path.name.endswith("_TRAIN.ts"):
        raise DataError(f"ts:{path}: the name must end in _TRAIN.ts (its test split beside it ending in _TEST.ts), "
                        "as in the UCR/UEA archives")
    test = path.with_name(path.name[:-len("_TRAIN.ts")] + "_TEST.ts")
    if not test.is_file():
        raise DataError(f"ts:{path}: its test split {test.name} is not beside it; valid choices: "
                        f"{path.name} with {test.name} in {path.parent}")
    return path, test


# aeon's reader holds a case as Python strings and floats while it parses it (about 60 bytes a value) and the
# whole file as float64 arrays: these bound what one file may hold before it is handed over. EigenWorms, the
# longest UEA set, holds 108,000 values a case and 14 million a file.
CASE_VALUES = 1_000_000
FILE_VALUES = 20_000_000


def count_values(path: Path) -> None:
    """Raise DataError if a case (a line) or the whole file holds more values than aeon's reader can bound.

    Counts separators (commas, and colons between channels) in 1 MiB blocks,
    so the count needs no more memory than a block, however long a line is.
    """
    total = line = lines = 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            pieces = block.split(b"\n")
            for number, piece in enumerate(pieces):
                line += piece.count(b",") + piece.count(b":")
                if line > CASE_VALUES:
                    raise DataError(f"ts:{path}: line {lines + 1} holds more than {CASE_VALUES:,} values (time steps "
                                    f"x channels); valid: at most {CASE_VALUES:,} per case")
                if number < len(pieces) - 1:   # a line ends here; the block's last piece goes on into the next
                    lines, total, line = lines + 1, total + line, 0
            if total + line > FILE_VALUES:
                raise DataError(f"ts:{path}: holds more than {FILE_VALUES:,} values; valid: at most "
                                f"{FILE_VALUES:,} per file and {CASE_VALUES:,} per case")


def read_file(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Return one `.ts` file's sequences, each (time steps, channels) float32, and their string labels."""
    count_values(path)   # before aeon is even imported: a refusal costs nothing
    from aeon.datasets import load_from_ts_file

    try:
        x, y, meta = load_from_ts_file(str(path), return_meta_data=True)
    except (OSError, ValueError, IndexError, UnicodeDecodeError) as error:
        # aeon's messages may name its file object ("Error loading <_io.TextIOWrapper ...>."): the path says it.
        reason = re.sub(r"Error loading <[^>]*>\.?\s*", "", " ".join(str(error).split())) or type(error).__name__
        raise DataError(f"ts:{path}: not a readable .ts file ({shorten(reason, 240)}); valid: aeon's .ts format, "
                        "a header of @tags, then @data and one case per line") from None
    if not meta["classlabel"]:
        raise DataError(f"ts:{path}: has no class labels (@classLabel false or @targetLabel); valid: a "
                        "classification file, @classLabel true followed by its class names")
    if len(x) == 0:
        raise DataError(f"ts:{path}: holds no cases after @data")
    # aeon takes any label a case ends with; one the header does not declare is a typo or a shifted column.
    declared = {str(value).lower() for value in meta["class_values"]}
    stray = next((i for i, label in enumerate(np.asarray(y).astype(str)) if label.lower() not in declared), None)
    if declared and stray is not None:
        raise DataError(f"ts:{path}: case {stray + 1} has the label {shorten(repr(str(y[stray])), 60)}, which "
                        f"@classLabel does not declare; valid: {choices(sorted(declared))}")
    sequences_ = [np.asarray(case, dtype=np.float32).T for case in x]   # aeon: (channels, steps)
    for number, sequence in enumerate(sequences_, start=1):
        if sequence.shape[0] == 0:
            raise DataError(f"ts:{path}: case {number} has no time steps")
        if not np.isfinite(sequence).all():
            raise DataError(f"ts:{path}: case {number} has missing or infinite values ('?', NaN); valid: "
                            "complete series (fill or drop the gaps first)")
    return sequences_, np.asarray(y).astype(str)


def read(train: Path, test: Path):
    """Return (train sequences, train labels, test sequences, test labels, class names) of a TRAIN/TEST pair."""
    x_train, labels_train = read_file(train)
    x_test, labels_test = read_file(test)
    channels = {x.shape[1] for x in x_train}, {x.shape[1] for x in x_test}
    if channels[0] != channels[1]:
        raise DataError(f"ts:{train}: {choices(channels[0])} channel(s) in {train.name} but {choices(channels[1])} "
                        f"in {test.name}; both files must have the same channels")
    unseen = sorted(set(labels_test) - set(labels_train))
    if unseen:
        raise DataError(f"ts:{train}: class(es) {choices(unseen)} appear in {test.name} but never in "
                        f"{train.name}; valid: the training classes, {choices(set(labels_train))}")
    classes = sorted(set(labels_train), key=sequences.natural_order)
    index = {label: i for i, label in enumerate(classes)}
    return (x_train, np.array([index[c] for c in labels_train], dtype=np.int64),
            x_test, np.array([index[c] for c in labels_test], dtype=np.int64), tuple(classes))


def _read(seed: int, path: str, options: dict) -> Splits:
    train, test = pair(path)
    x_train, y_train, x_test, y_test, classes = read(train, test)
    x_train, x_test, scaling = sequences.prepare(x_train, x_test, options["sequence_scaling"])
    return Splits(x_train, y_train, x_test, y_test, classes,
                  f"your .ts files {train} and {test.name} (read with aeon.datasets.load_from_ts_file), their own "
                  f"train/test split; {sequences.describe(scaling)}, padded at the end to {x_train.shape[1]} steps",
                  scaling=scaling)


def content_digest(path: str) -> str:
    """Return a digest of the bytes of the TRAIN and TEST files: the run folder is named by what they hold."""
    # Each file's digest is images.content_digest's (cached per process for unchanged files).
    both = "|".join(images.content_digest(file) for file in pair(path))
    return hashlib.sha256(both.encode()).hexdigest()[:24]


TS_FILES = Source(
    "ts:PATH", "sequences",
    "your own sequences in aeon's .ts format: PATH is NAME_TRAIN.ts (NAME_TEST.ts beside it) or a folder holding "
    "both; univariate or multivariate, any lengths, string class labels; `ts` alone reads --data PATH",
    _read, options=("sequence_scaling",), reads_path=True, fingerprint=content_digest,
    example="ts:~/series/Walks_TRAIN.ts")
