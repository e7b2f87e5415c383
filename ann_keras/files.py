"""Files written whole or not at all: a temporary name in the same folder, then a rename.

A kill at any moment leaves either the old file or the new one, never half of
one; run folders, caches, reports and Keras Tuner's state all go through here.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .errors import ResultsError

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, as UTF-8."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_UMASK)   # mkstemp makes 0600; reports are meant to be shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    """Write `data` as indented JSON, atomically."""
    write_text(path, json.dumps(data, indent=1, allow_nan=True) + "\n")


def read_json(path: Path):
    """Return the JSON in `path`, or raise ResultsError naming the file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path}: unreadable JSON ({error})") from None
    except RecursionError:
        raise ResultsError(f"{path}: unreadable JSON (values nested too deeply)") from None
