"""Files written whole or not at all, and never through a link: the one way ann-keras writes a file.

A kill at any moment leaves either the old file or the new one, never half of
one: a temporary name in the same folder, then a rename. Run folders, caches,
reports, exports and Keras Tuner's state all go through here.

Every write names the folder it belongs to (`within`: a run folder, the
reports folder, the cache): below it, no part of the path may be a symbolic
link, which would otherwise make the write, its rename or a later removal
land wherever the link points (checked by `inside`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .errors import PathError, ResultsError

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_text(path: Path, text: str, *, within: Path) -> None:
    """Write `text` to `path` atomically, as UTF-8 (see `write_bytes`)."""
    write_bytes(path, text.encode("utf-8"), within=within)


def write_bytes(path: Path, data: bytes, *, within: Path) -> None:
    """Write `data` to `path` atomically: a temporary file in the same folder, then a rename.

    `path` lies in `within`, the folder the write belongs to; a link below
    `within` on the way to it raises PathError and nothing is written.
    """
    path, within = Path(path), Path(within)
    if not path.is_relative_to(within):
        raise PathError(f"{path}: not inside {within}, where this write belongs")
    path = inside(within, path.relative_to(within))
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


def inside(owned: Path, relative: str | os.PathLike) -> Path:
    """Return owned/relative, a path to write, once no part of it below `owned` is a link or leads out of `owned`.

    `owned` is a folder the program made and writes (a run folder); it may
    itself be reached through a link (runs/ on another disk), but below it
    every part that exists must be a real folder or file: `exports` linked
    to another folder would have an export delete and write that folder's
    files. Parts that do not exist yet are fine; they are made as real ones.
    Raises PathError naming the path.
    """
    owned, relative = Path(owned), Path(relative)
    if not relative.parts or relative.is_absolute() or ".." in relative.parts:
        raise PathError(f"{owned / relative}: not a path inside {owned}; valid: a relative path without '..'")
    path = owned
    for part in relative.parts:
        path = path / part
        if path.is_symlink():
            raise PathError(f"{path}: a symbolic link; ann-keras writes in {owned} only through real folders and "
                            "files, never through a link; valid: remove the link, then run again")
    if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(owned)):
        raise PathError(f"{path}: leads out of {owned}; valid: a path inside it")
    return path


def refuse_links(folder: Path) -> None:
    """Raise PathError if anything below the run folder is a symbolic link, before any stage writes there.

    Every stage writes below the run folder (the tuner's state, TensorBoard's
    event files, the final model, exports): a link planted in a run folder
    someone hands over would send those writes, renames and removals wherever
    it points. The folder itself may be reached through a link (runs/ on
    another disk).
    """
    for parent, folders, names in os.walk(folder):
        for name in folders + names:
            path = Path(parent) / name
            if path.is_symlink():
                raise PathError(f"{path}: a symbolic link inside the run folder; ann-keras writes there only through "
                                "real folders and files; valid: remove the link (or --overwrite), then run again")


def temporary_folder(path: Path) -> Path:
    """Make and return a new, empty folder beside `path` (a hidden name ending .tmp), to fill and rename to `path`.

    Made afresh, so never an existing folder or a link planted under its name,
    with the permissions of a folder made the usual way (mkdtemp's are 0700).
    """
    path = Path(path)
    made = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    os.chmod(made, 0o777 & ~_UMASK)
    return made


def write_json(path: Path, data, *, within: Path) -> None:
    """Write `data` as indented JSON, atomically (see `write_bytes`)."""
    write_text(path, json.dumps(data, indent=1, allow_nan=True) + "\n", within=within)


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
