"""Who is who in a distributed search: the chief, a worker, or neither; checked before anything runs.

Keras Tuner reads a process's part from three variables, KERASTUNER_TUNER_ID,
KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT; upstream raises an opaque
RuntimeError when only some are set, and takes any id containing "chief" for
the chief. Here the command-line options (or those variables) become a
`Role`, and every mistake is one line that says what to set. No TensorFlow
and no gRPC are imported, so the errors come at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ..errors import AnnKerasError

TUNER_ID, ORACLE_IP, ORACLE_PORT = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"
VARIABLES = (TUNER_ID, ORACLE_IP, ORACLE_PORT)
ROLES = ("chief", "worker")
# Set (to the chief's process id) in each worker that a chief started itself (`--workers N`).
WORKER_OF = "ANN_KERAS_WORKER_OF"
# Letters, digits, '.', '_' and '-': the id names a file in the run folder (<id>.json).
WORKER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class DistributedError(AnnKerasError):
    """A role, address or worker id is wrong, or the workers could not finish the search."""


@dataclass(frozen=True)
class Role:
    """This process's part in a distributed search: the chief that serves the oracle, or a worker."""

    name: str                  # "chief" or "worker"
    host: str                  # the chief's address: where it listens, or where workers find it
    port: int
    worker_id: str | None = None
    pool: object = field(default=None, compare=False)   # --workers N: a distributed.WorkerPool to start

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def enter(self) -> None:
        """Set Keras Tuner's variables for this process (before its tuner is built)."""
        if self.name == "worker":
            os.environ.update({TUNER_ID: self.worker_id, ORACLE_IP: self.host, ORACLE_PORT: str(self.port)})
        else:
            # The chief serves the oracle itself (`serve`); Keras Tuner's own chief path must not run.
            for name in VARIABLES:
                os.environ.pop(name, None)


def parse_address(text: str, option: str, *, any_port: bool = False) -> tuple[str, int]:
    """Return (host, port) from HOST:PORT, or raise a DistributedError naming `option`."""
    host, colon, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")   # [::1]:8000
    lowest = 0 if any_port else 1
    if not colon or not host or not port.isdigit() or not lowest <= int(port) <= 65535:
        raise DistributedError(f"{option} {text!r}: expected HOST:PORT with a port from {lowest} to 65535, "
                               "e.g. 10.0.0.5:8470")
    return host, int(port)


def check_worker_id(worker_id: str, source: str = "--worker-id") -> str:
    if not WORKER_ID.fullmatch(worker_id):
        raise DistributedError(f"{source} {worker_id!r}: use 1 to 64 letters, digits, '.', '_' or '-', "
                               "starting with a letter or digit, e.g. worker-1")
    if "chief" in worker_id:
        raise DistributedError(f"{source} {worker_id!r}: a worker id must not contain 'chief' "
                               "(Keras Tuner takes any such process for the chief)")
    return worker_id


def role_from(role: str | None, listen: str | None, chief: str | None, worker_id: str | None,
              workers: int | None, environ=os.environ) -> Role | None:
    """Return this process's Role from the command-line options, else from Keras Tuner's variables.

    None means a plain single-process search. Options and variables that
    contradict each other, or are half set, are errors that say what to set.
    """
    if workers is not None:
        if role or listen or chief or worker_id:
            raise DistributedError("--workers N starts a chief and N workers on this machine; it cannot be combined "
                                   "with --role, --listen, --chief or --worker-id (those are for several machines)")
        return None   # the CLI builds the chief and its pool
    if role is None:
        stray = [name for name, value in (("--listen", listen), ("--chief", chief), ("--worker-id", worker_id))
                 if value]
        if stray:
            raise DistributedError(f"{', '.join(stray)} needs --role: use --role chief --listen HOST:PORT on the "
                                   "chief, --role worker --chief HOST:PORT --worker-id ID on each worker")
        return _role_from_environment(environ)
    if role == "chief":
        if chief or worker_id:
            raise DistributedError("--chief and --worker-id are for --role worker; the chief takes --listen HOST:PORT")
        if not listen:
            raise DistributedError("--role chief needs --listen HOST:PORT, the address workers connect to "
                                   "(e.g. --listen 0.0.0.0:8470)")
        return Role("chief", *parse_address(listen, "--listen"))
    if listen:
        raise DistributedError("--listen is for --role chief; a worker takes --chief HOST:PORT")
    missing = [name for name, value in (("--chief HOST:PORT", chief), ("--worker-id ID", worker_id)) if not value]
    if missing:
        raise DistributedError(f"--role worker needs {' and '.join(missing)} "
                               "(e.g. --chief 10.0.0.5:8470 --worker-id worker-1)")
    return Role("worker", *parse_address(chief, "--chief"), worker_id=check_worker_id(worker_id))


def _role_from_environment(environ) -> Role | None:
    present = [name for name in VARIABLES if environ.get(name)]
    if not present:
        return None
    missing = [name for name in VARIABLES if name not in present]
    if missing:
        raise DistributedError(f"{', '.join(present)} set but {', '.join(missing)} not: Keras Tuner's distributed "
                               f"tuning needs all of {', '.join(VARIABLES)}; set the rest, unset these, or use "
                               "--role chief/worker")
    port = environ[ORACLE_PORT]
    host, port = parse_address(f"{environ[ORACLE_IP]}:{port}", f"{ORACLE_IP}:{ORACLE_PORT}")
    tuner_id = environ[TUNER_ID]
    if "chief" in tuner_id:
        return Role("chief", host, port)
    return Role("worker", host, port, worker_id=check_worker_id(tuner_id, TUNER_ID))
