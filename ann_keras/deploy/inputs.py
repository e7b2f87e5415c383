"""A user's own inputs made ready for a trained model, exactly as training prepared its examples.

- Images (PNG, JPEG, anything Pillow reads; any size or mode): decoded,
  converted to the model's channels and resized to its input size with the
  same code that read the training images (data.images.decode); uint8, as
  the model scales inside itself.
- Sequences: aeon `.ts` files (labelled or not; every case is one input), or
  CSV files with one sequence per row; a row holds the steps one after the
  other, each step's channels together (a 1-channel model: the values
  themselves). Standardised with the training split's per-channel mean and
  std and padded as training's (data.sequences.standardise).
- Digits (the MLP's 64 features): a text or CSV file of 64 values from 0 to
  16, in 8 rows of 8 or one row of 64.

An input that cannot be read is skipped with one line naming it and why;
`read` returns what could be read and those lines. Nothing is read past a
size limit, so a hostile file cannot exhaust memory.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import images, sequences

MAX_FILE_BYTES = 64 << 20     # any one input file; a photo or a .ts file of thousands of cases fits
MAX_INPUTS = 100_000          # sequences read from all files together
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")


@dataclass(frozen=True)
class Inputs:
    """Examples ready for the model, the name of each (a file, or file#case), and the lines of what was skipped."""

    x: np.ndarray
    names: list[str]
    skipped: list[str]


class Unreadable(ValueError):
    """One input cannot be used; its message says why (the caller prefixes the file)."""


def read(paths: list[Path], kind: str, input_shape: tuple, scaling: dict | None) -> Inputs:
    """Read every path as `kind` ("images", "sequences" or "vectors") for a model of `input_shape`."""
    examples, names, skipped = [], [], []
    for path in paths:
        try:
            found = _READERS[kind](Path(path), input_shape, scaling)
        except Unreadable as error:
            skipped.append(f"{_shown(path)}: {error}")
            continue
        for suffix, example in found:
            if len(examples) >= MAX_INPUTS:
                skipped.append(f"{_shown(path)}{suffix}: more than {MAX_INPUTS:,} inputs in one call; the rest "
                               "were not read")
                break
            examples.append(example)
            names.append(f"{path}{suffix}")
    if not examples:
        return Inputs(np.zeros((0, *input_shape), np.float32), [], skipped)
    return Inputs(np.stack(examples), names, skipped)


def _shown(path) -> str:
    """A file name as a one-line message may show it: control characters (a newline in a name) escaped."""
    text = str(path)
    return text if text.isprintable() else ascii(text)[1:-1]


def _bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise Unreadable("not a file")
        if size > MAX_FILE_BYTES:
            raise Unreadable(f"{size / 2**20:.0f} MiB, more than the {MAX_FILE_BYTES >> 20} MiB read per input")
        with path.open("rb") as stream:
            return stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror or type(error).__name__})") from None


def _image(path: Path, input_shape: tuple, scaling) -> list:
    height, width, channels = input_shape
    if height != width:
        raise Unreadable(f"the model reads {height}x{width} images; only square inputs are prepared")
    try:
        return [("", images.decode(_bytes(path), height, channels))]
    except ValueError as error:
        raise Unreadable(str(error)) from None


def _sequences(path: Path, input_shape: tuple, scaling: dict | None) -> list:
    if scaling is None:
        raise Unreadable("the model's run folder (results.json) is needed to standardise sequences as in "
                         "training; give the run folder, not the model file alone")
    steps, channels = input_shape
    if path.suffix.lower() == ".ts":
        cases = _ts_cases(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        cases = _csv_cases(path, channels)
    else:
        raise Unreadable("not a sequence file; valid: .ts (aeon's format) or .csv (one sequence per row)")
    for number, case in enumerate(cases, start=1):
        if case.shape[1] != channels:
            raise Unreadable(f"case {number} has {case.shape[1]} channel(s); the model reads {channels}")
        if not len(case) or len(case) > steps:
            raise Unreadable(f"case {number} has {len(case)} time steps; the model reads 1 to {steps}")
        if not np.isfinite(case).all():
            raise Unreadable(f"case {number} has missing or infinite values")
    suffixes = [f"#{number}" if len(cases) > 1 else "" for number in range(1, len(cases) + 1)]
    return list(zip(suffixes, sequences.standardise(cases, scaling)))


def _ts_cases(path: Path) -> list[np.ndarray]:
    from aeon.datasets import load_from_ts_file
    _bytes(path)   # the size limit, before aeon reads it
    try:
        x, _ = load_from_ts_file(str(path))
    except Exception as error:   # aeon raises several types for a malformed file
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise Unreadable(f"not a readable .ts file ({reason})") from None
    return [np.asarray(case, dtype=np.float32).T for case in x]   # aeon: (channels, steps)


def _csv_cases(path: Path, channels: int) -> list[np.ndarray]:
    try:
        text = _bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text; valid: a CSV file of numbers, one sequence per row") from None
    cases = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        values = [cell.strip() for cell in row if cell.strip()]
        if not values:
            continue
        try:
            numbers = np.asarray([float(v) for v in values], dtype=np.float32)
        except ValueError:
            raise Unreadable(f"row {number} holds a value that is not a number; valid: numbers only, one "
                             "sequence per row") from None
        if len(numbers) % channels:
            raise Unreadable(f"row {number} has {len(numbers)} values, not a multiple of the model's {channels} "
                             "channels (each step's channels side by side)")
        cases.append(numbers.reshape(-1, channels))
    if not cases:
        raise Unreadable("holds no sequence")
    return cases


def _digits(path: Path, input_shape: tuple, scaling) -> list:
    (features,) = input_shape
    try:
        text = _bytes(path).decode("utf-8")
        values = np.asarray([float(v) for v in text.replace(",", " ").split()], dtype=np.float32)
    except (UnicodeDecodeError, ValueError):
        raise Unreadable(f"not {features} numbers as text; valid: 8 rows of 8 values from 0 to 16, or one row of "
                         "64") from None
    if values.size != features:
        raise Unreadable(f"holds {values.size} values; the model reads {features} (8 rows of 8)")
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 16:
        raise Unreadable("values outside 0..16, the range of scikit-learn's digits the model learnt")
    return [("", values)]


_READERS = {"images": _image, "sequences": _sequences, "vectors": _digits}
