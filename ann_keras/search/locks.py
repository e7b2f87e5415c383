"""One process at a time in a run folder: an operating-system lock held while the run writes there.

Two identical commands started together would otherwise both run every
trial and both append to the final model's history. The lock is fcntl's
`flock` on a small file beside the run folder (not inside it, so
`--overwrite` can delete the folder while holding it): the operating
system releases it when its holder exits or is killed, so a crashed run
never blocks the next one. The file says which process holds the lock, for
the message the second process prints. Distributed workers of a search
work in their chief's folder and take no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import sys
from pathlib import Path

from ..errors import AnnKerasError, PathError


class RunFolderBusy(AnnKerasError):
    """Another live process is writing the run folder."""


def lock_path(run_dir: Path) -> Path:
    """Return the lock file of a run folder: `.<folder>.lock` beside it."""
    run_dir = Path(os.path.abspath(run_dir))   # `.` or `run/..` name the folder too (links are not followed)
    return run_dir.with_name(f".{run_dir.name}.lock")


@contextlib.contextmanager
def hold(run_dir: Path):
    """Hold the run folder's lock for the `with` block, or raise RunFolderBusy naming the holder."""
    path = lock_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_NOFOLLOW: a link planted at the lock's name must not have its target truncated and rewritten.
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        if not path.is_symlink():
            raise
        raise PathError(f"{path}: the run folder's lock is a link ({error.strerror}); remove it and run again") \
            from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").strip() or "another process"
            raise RunFolderBusy(f"{run_dir} is in use by {holder}; wait for it to finish or stop it, then run "
                                "again (it resumes)") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"process {os.getpid()} ({shlex.join(sys.argv)[:200]})".encode(), 0)
        yield
    finally:
        os.close(descriptor)   # closing releases the lock
