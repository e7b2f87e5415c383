"""`ann-keras tensorboard RUN_DIR...`: TensorBoard on 127.0.0.1 over the event files of run folders.

Each run folder's `tensorboard/` (training.tensorboard_logs writes it) becomes
one named run in TensorBoard, so several searches sit side by side in its
scalars and HParams views. TensorBoard's own program serves them; nothing
here reads an event file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import AnnKerasError


LOG_DIR = "tensorboard"   # training.tensorboard_logs.LOG_DIR, without importing TensorFlow to read it


class NoEventFiles(AnnKerasError):
    """A folder given to `ann-keras tensorboard` holds no run folder with event files."""


def log_folders(run_dirs: Iterable[Path]) -> dict[str, Path]:
    """Return {name: tensorboard folder} for each run folder given (or each run folder inside one given).

    A run folder's name is its experiment and folder name ("lstm/vowels-grid-seed42-..."),
    unique even when several searches of one experiment are shown together.
    """
    found: dict[str, Path] = {}
    for given in run_dirs:
        given = Path(given)
        if not given.is_dir():
            raise NoEventFiles(f"{given}: not a folder; valid: run folders (runs/EXPERIMENT/RUN) or a folder of them")
        candidates = [given] if (given / LOG_DIR).is_dir() else _run_folders(given)
        if not candidates:
            raise NoEventFiles(f"{given}: no '{LOG_DIR}' folder inside; valid: a run folder written by "
                               "`ann-keras tune` or `train` (runs/EXPERIMENT/RUN), or a folder holding such")
        for folder in candidates:
            name = f"{folder.resolve().parent.name}/{folder.resolve().name}"
            found[name] = (folder / LOG_DIR).resolve()
    return found


def _run_folders(given: Path) -> list[Path]:
    """Return the folders below `given` that hold a `tensorboard/` folder, never following a link.

    A link below the folder given (a loop back to it, or to / ) would have a
    search that follows links walk forever or through the whole disk.
    """
    found = []
    for parent, folders, _ in os.walk(given):   # os.walk does not follow links to folders
        if LOG_DIR in folders and not (Path(parent) / LOG_DIR).is_symlink():
            found.append(Path(parent))
            folders.remove(LOG_DIR)   # event files live below; no run folder does
    return sorted(found)


def logdir_spec(folders: dict[str, Path]) -> str:
    """Return TensorBoard's --logdir_spec for named folders ("name:path,name:path")."""
    for name, path in folders.items():
        if "," in f"{name}{path}":
            raise NoEventFiles(f"{path}: TensorBoard cannot name a folder with a comma in its path; valid: "
                               "a path without commas (move or link the run folder)")
    return ",".join(f"{name}:{path}" for name, path in folders.items())


def start(folders: dict[str, Path], port: int = 0):
    """Start TensorBoard on 127.0.0.1 in this process (0: a free port); return (the program, its address).

    It serves from a background thread until the process ends.
    """
    from tensorboard import program

    board = program.TensorBoard()
    board.configure(argv=[None, "--logdir_spec", logdir_spec(folders), "--host", "127.0.0.1",
                          "--port", str(port), "--reload_interval", "5"])
    try:
        address = board.launch()
    except program.TensorBoardServerException as error:   # e.g. the port is taken
        raise AnnKerasError(f"tensorboard: {error.msg}; valid: --port with a free port, or none for any free one")
    return board, address
