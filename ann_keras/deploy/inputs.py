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
`read` returns what could be read and those lines.

Memory is bounded by the model's input, not by what a file declares or how
many rows it has. A file over MAX_FILE_BYTES is not read. The examples of
one call are at most MAX_INPUTS, and at most MAX_ARRAY_BYTES as the arrays
the model reads (steps x channels float32 for a sequence, say): the number
that fits is worked out from the model's input shape before anything is
read, and files are parsed row by row, stopping there, so the rows past it
are never parsed. A row or case with more values than the model's steps x
channels is refused once counted, before its values are parsed. `.ts` files
are parsed here, one case at a time, rather than by aeon's reader, which
builds every value of the file as a Python object (about 35 times the file).
"""

from __future__ import annotations

import codecs
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import images, sequences
from ..errors import DataError

MAX_FILE_BYTES = 64 << 20     # any one input file; a photo or a .ts file of thousands of cases fits
MAX_INPUTS = 100_000          # inputs read from all files together
MAX_ARRAY_BYTES = 128 << 20   # the arrays of all inputs of one call, as the model reads them: 43,690 32x32 RGB images
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
    dtype = np.uint8 if kind == "images" else np.float32
    each = math.prod(input_shape) * np.dtype(dtype).itemsize
    if each > MAX_ARRAY_BYTES:
        raise DataError(f"the model reads inputs of shape {tuple(input_shape)}, {_size(each)} each as "
                        f"{np.dtype(dtype).name}, more than the {_size(MAX_ARRAY_BYTES)} prepared in one call; "
                        "valid: a model whose one input fits")
    limit = min(MAX_INPUTS, MAX_ARRAY_BYTES // each)
    why = f" ({_size(each)} each, {_size(MAX_ARRAY_BYTES)} in all)" if limit < MAX_INPUTS else ""
    pieces, names, skipped = [], [], []
    for path in paths:
        room = limit - len(names)
        if room == 0:
            skipped.append(f"{_shown(path)}: more than {limit:,} inputs in one call{why}; the rest were not read")
            continue
        try:
            suffixes, x, more = _READERS[kind](Path(path), input_shape, scaling, room)
        except Unreadable as error:
            skipped.append(f"{_shown(path)}: {error}")
            continue
        pieces.append(x)
        names += [f"{path}{suffix}" for suffix in suffixes]
        if more:
            skipped.append(f"{_shown(path)}#{len(x) + 1}: more than {limit:,} inputs in one call{why}; the rest "
                           "were not read")
    if not pieces:
        return Inputs(np.zeros((0, *input_shape), dtype), [], skipped)
    return Inputs(pieces[0] if len(pieces) == 1 else np.concatenate(pieces), names, skipped)


def _size(count: int) -> str:
    """A number of bytes for a message: 3.9 KiB, 128 MiB, 29.1 TiB."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):.3g} {unit}"
    return f"{count} bytes"


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
        with path.open("rb") as stream:   # read(n) reserves n bytes first: the file's size, not the limit
            data = stream.read(min(size, MAX_FILE_BYTES) + 1)
        if len(data) > MAX_FILE_BYTES:   # it grew since
            raise Unreadable(f"more than the {MAX_FILE_BYTES >> 20} MiB read per input")
        return data
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror or type(error).__name__})") from None


def _image(path: Path, input_shape: tuple, scaling, room: int) -> tuple[list[str], np.ndarray, bool]:
    height, width, channels = input_shape
    if height != width:
        raise Unreadable(f"the model reads {height}x{width} images; only square inputs are prepared")
    try:
        return [""], images.decode(_bytes(path), height, channels)[None], False
    except ValueError as error:
        raise Unreadable(str(error)) from None


def _sequences(path: Path, input_shape: tuple, scaling: dict | None,
               room: int) -> tuple[list[str], np.ndarray, bool]:
    if scaling is None:
        raise Unreadable("the model's run folder (results.json) is needed to standardise sequences as in "
                         "training; give the run folder, not the model file alone")
    steps, channels = input_shape
    problem = sequences.check_scaling(scaling, steps, channels)   # trained.Trained.reads checked it; it sizes arrays
    if problem:
        raise DataError(f"the run's dataset.scaling {problem}")
    if path.suffix.lower() == ".ts":
        cases, more = _ts_cases(path, steps, channels, room)
    elif path.suffix.lower() in (".csv", ".txt"):
        cases, more = _csv_cases(path, steps, channels, room)
    else:
        raise Unreadable("not a sequence file; valid: .ts (aeon's format) or .csv (one sequence per row)")
    for number, case in enumerate(cases, start=1):
        if not len(case):
            raise Unreadable(f"case {number} has no time steps; the model reads 1 to {steps}")
        if not np.isfinite(case).all():
            raise Unreadable(f"case {number} has missing or infinite values")
    suffixes = [f"#{number}" if len(cases) > 1 or more else "" for number in range(1, len(cases) + 1)]
    with np.errstate(over="ignore"):   # a value far outside training's, over a tiny std, overflows float32
        x = sequences.standardise(cases, scaling)
    overflowed = np.flatnonzero(~np.isfinite(x).all(axis=(1, 2)))
    if overflowed.size:
        raise Unreadable(f"case {overflowed[0] + 1} holds values so far from training's that, standardised, they "
                         "overflow float32")
    return suffixes, x, more


# What may surround a number in a cell: spaces, line ends, the quotes of a CSV writer that quotes everything.
_BLANK = b' \t\r\n"'
_CELL = re.compile(rb"[^,]+")


def _cells(text: bytes, limit: int) -> list[bytes] | None:
    """Return the non-blank comma-separated cells of `text`, or None when it holds more than `limit`.

    Counted before a list of every cell is made: a 64 MB row of one-digit
    cells would otherwise become 32 million Python objects (gigabytes).
    """
    if text.count(b",") < limit:
        cells = [cell.strip(_BLANK) for cell in text.split(b",")]
        return [cell for cell in cells if cell]
    cells = []
    for match in _CELL.finditer(text):
        cell = match.group().strip(_BLANK)
        if cell:
            if len(cells) == limit:
                return None
            cells.append(cell)
    return cells


def _numbers(cells: list[bytes], where: str) -> np.ndarray:
    """Return `cells` as float32 ('?', aeon's missing value, as NaN), or Unreadable naming `where`."""
    try:
        with np.errstate(over="ignore"):   # 1e300 becomes inf, refused as such, not a RuntimeWarning on stderr
            return np.array([math.nan if cell == b"?" else float(cell) for cell in cells], dtype=np.float32)
    except ValueError:
        raise Unreadable(f"{where} holds a value that is not a number; valid: numbers only, one sequence per "
                         "row") from None


def _lines(path: Path):
    """Yield (line number, line) of a text file read within the size limit, one at a time, a UTF-8 BOM dropped."""
    data = _bytes(path)
    stream = io.BytesIO(data)
    if data.startswith(codecs.BOM_UTF8):
        stream.seek(len(codecs.BOM_UTF8))
    yield from enumerate(stream, start=1)


def _csv_cases(path: Path, steps: int, channels: int, room: int) -> tuple[list[np.ndarray], bool]:
    """Return up to `room` rows as (steps, channels) arrays, and whether more rows follow."""
    cases = []
    for number, line in _lines(path):
        if not line.strip(_BLANK + b","):
            continue
        if len(cases) == room:
            return cases, True
        cells = _cells(line, steps * channels)
        if cells is None:
            raise Unreadable(f"row {number} has more than {steps:,} time steps ({steps * channels:,} values of "
                             f"{channels} channel(s)); the model reads 1 to {steps}")
        numbers = _numbers(cells, f"row {number}")
        if len(numbers) % channels:
            raise Unreadable(f"row {number} has {len(numbers)} values, not a multiple of the model's {channels} "
                             "channels (each step's channels side by side)")
        cases.append(numbers.reshape(-1, channels))
    if not cases:
        raise Unreadable("holds no sequence")
    return cases, False


def _ts_cases(path: Path, steps: int, channels: int, room: int) -> tuple[list[np.ndarray], bool]:
    """Return up to `room` cases of an aeon `.ts` file as (steps, channels) arrays, and whether more follow.

    The format: `@tag value` lines, then `@data`, then one case per line,
    its channels separated by ':' and each channel's values by ','; with
    `@classLabel true` (or `@targetLabel true`) a last ':' field holds the
    label, not read here; '?' is a missing value. Timestamped data is not read.
    """
    cases, labelled, data = [], False, False
    for number, raw in _lines(path):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        if not data:
            tag, _, value = line.partition(b" ")
            tag, value = tag.lower(), value.strip().lower()
            if not tag.startswith(b"@"):
                raise Unreadable(f"not a readable .ts file (line {number} comes before @data and is not an @tag); "
                                 "valid: aeon's .ts format, a header of @tags, then @data and one case per line")
            if tag == b"@data":
                data = True
            elif tag in (b"@classlabel", b"@targetlabel"):
                labelled = value.startswith(b"true")
            elif tag == b"@timestamps" and value == b"true":
                raise Unreadable("holds timestamped data (@timeStamps true), which is not read; valid: "
                                 "@timeStamps false, the values of each step in order")
            continue
        if len(cases) == room:
            return cases, True
        found = line.count(b":") + 1 - labelled
        if found != channels:
            raise Unreadable(f"case {len(cases) + 1} (line {number}) has {found} channel(s); the model reads "
                             f"{channels}")
        columns = []
        for field in line.split(b":", channels)[:channels]:
            cells = _cells(field, steps)
            if cells is None:
                raise Unreadable(f"case {len(cases) + 1} (line {number}) has more than {steps:,} time steps; the "
                                 f"model reads 1 to {steps}")
            columns.append(_numbers(cells, f"case {len(cases) + 1} (line {number})"))
        if len({len(column) for column in columns}) > 1:
            raise Unreadable(f"case {len(cases) + 1} (line {number}) has channels of different lengths "
                             f"({', '.join(str(len(c)) for c in columns)}); valid: one value per channel per step")
        cases.append(np.stack(columns, axis=1))
    if not data:
        raise Unreadable("not a readable .ts file (no @data line); valid: aeon's .ts format, a header of @tags, then "
                         "@data and one case per line")
    if not cases:
        raise Unreadable("holds no cases after @data")
    return cases, False


# Separators of a digits file: spaces, line ends, commas.
_TOKEN = re.compile(rb"[^\s,]+")


def _digits(path: Path, input_shape: tuple, scaling, room: int) -> tuple[list[str], np.ndarray, bool]:
    (features,) = input_shape
    tokens = []
    for match in _TOKEN.finditer(_bytes(path)):   # one at a time: a 64 MB file is not split into a list first
        if len(tokens) == features:
            raise Unreadable(f"holds more than {features} values; the model reads {features} (8 rows of 8)")
        tokens.append(match.group())
    try:
        with np.errstate(over="ignore"):
            values = np.array([float(token) for token in tokens], dtype=np.float32)
    except ValueError:
        raise Unreadable(f"not {features} numbers as text; valid: 8 rows of 8 values from 0 to 16, or one row of "
                         "64") from None
    if values.size != features:
        raise Unreadable(f"holds {values.size} values; the model reads {features} (8 rows of 8)")
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 16:
        raise Unreadable("values outside 0..16, the range of scikit-learn's digits the model learnt")
    return [""], values[None], False


_READERS = {"images": _image, "sequences": _sequences, "vectors": _digits}
