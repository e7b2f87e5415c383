"""TensorFlow's start-up lines, kept off the console: in this process, and in the workers' output the chief relays.

Importing TensorFlow writes absl INFO records straight to file descriptor 2
from C++ ("oneDNN custom operations are on...", once per shared library that
logs it) after the line "WARNING: All log messages before absl::InitializeLog()
is called are written to STDERR". TF_CPP_MIN_LOG_LEVEL does not silence them:
absl prints them before TensorFlow's own logging reads it. Python's
sys.stderr cannot filter them either, so `filtered` swaps the descriptor
itself for a pipe while the import runs. No TensorFlow here.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

# A start-up line: an absl INFO record ("I0000 00:00:1733... port.cc:153] ...") or absl's notice before the first.
TENSORFLOW_STARTUP_NOISE = re.compile(r"I\d{4} |WARNING: All log messages before absl::InitializeLog")


def is_noise(line: str) -> bool:
    """Whether `line` is one of TensorFlow's start-up lines, which nobody needs to read."""
    return bool(TENSORFLOW_STARTUP_NOISE.match(line))


@contextlib.contextmanager
def filtered(fd: int = 2):
    """Within the block, drop TensorFlow's start-up lines written to descriptor `fd`; pass every other line on.

    Lines pass as they come (a thread reads the pipe), so a warning or a crash
    report written during the block is still seen, in order.
    """
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(fd)
    except OSError:   # nothing open there (a daemon): nothing to filter
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, fd)
    os.close(write_end)
    relay = threading.Thread(target=_relay, args=(read_end, saved), name="tensorflow-startup-filter", daemon=True)
    relay.start()
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stderr.flush()
        os.dup2(saved, fd)   # closes the pipe's last write end: the relay reads to its end and stops
        relay.join(timeout=5)
        if not relay.is_alive():   # else a child process started in the block still holds the pipe: let it write
            os.close(saved)


def _relay(read_end: int, out: int) -> None:
    pending = b""
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            _write(out, [line + b"\n" for line in lines])
    if pending:
        _write(out, [pending])


def _write(out: int, lines: list[bytes]) -> None:
    kept = b"".join(line for line in lines if not is_noise(line.decode("utf-8", "replace")))
    while kept:
        kept = kept[os.write(out, kept):]
