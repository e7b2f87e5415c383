"""The chief and its workers at run time, on Keras Tuner's chief/worker engine.

Keras Tuner already distributes a search: a chief serves the oracle over
gRPC and each worker asks it for the next trial (the variables
KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT tell a
process which it is; `roles` checks them). The oracle stays the only
scheduler. This module adds what a command line needs around that engine:

- the chief's serving loop: upstream's sleeps 20 s between checks once the
  search ends and never returns while a dead worker still holds a trial;
- a worker client that waits between polls while the oracle has nothing to
  hand out (upstream asks again at once, in a busy loop);
- `WorkerPool`, for `--workers N`: worker processes on this machine, their
  output prefixed by worker id, and the trial of a worker that died handed
  back to the oracle so that a surviving worker runs it again.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures

# gRPC's own log lines (a failed bind, fork notices) would follow our one-line messages;
# GRPC_VERBOSITY=ERROR brings them back for debugging.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc  # noqa: E402
from keras_tuner.src import protos  # noqa: E402
from keras_tuner.src.distribute import oracle_chief, oracle_client  # noqa: E402
from keras_tuner.src.engine import trial as trial_module  # noqa: E402

from . import events  # noqa: E402
from .machine import usable_cpus  # noqa: E402
from .quiet import is_noise  # noqa: E402
from .roles import VARIABLES, WORKER_OF, DistributedError, Role  # noqa: E402

IDLE_WAIT_S = 0.5      # a worker's pause before asking again when every remaining trial is running elsewhere
POLL_S = 0.2           # how often the chief checks whether the search has ended and its workers live
STOP_GRACE_S = 5.0     # how long a worker may take to exit after SIGTERM before it is killed


# ---------------------------------------------------------------- the worker's side


class PatientOracleClient(oracle_client.OracleClient):
    """Keras Tuner's worker-side oracle proxy, waiting a moment when the chief says "nothing yet".

    The chief answers IDLE while every remaining grid point is running on
    another worker; upstream's search loop would ask again at once.
    """

    def create_trial(self, tuner_id):
        trial = super().create_trial(tuner_id)
        if trial.status == trial_module.TrialStatus.IDLE:
            time.sleep(IDLE_WAIT_S)
        return trial


# ---------------------------------------------------------------- the chief's side


def serve(oracle, role: Role, *, on_event=events.ignore) -> None:
    """Serve `oracle` to workers at `role`'s address until the search has ended.

    The oracle must offer `requeue(tuner_id)` and `search_ended()` (see
    oracles.AtomicStateMixin). With `role.pool`, the workers are started here,
    watched, and stopped on the way out, whatever happens.
    """
    # Oracle methods take the oracle's own lock. No SO_REUSEPORT: a second chief on the same port must
    # fail here, not share the workers' requests with the first.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)])
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        port = server.add_insecure_port(role.address)
    except RuntimeError:
        port = 0
    if port == 0:
        raise DistributedError(f"cannot listen on {role.address}: the port is in use or the address is not this "
                               "machine's; choose another --listen")
    server.start()
    pool = role.pool
    try:
        if pool is not None:
            pool.start(port)
        on_event(events.ChiefReady(f"{role.host}:{port}", pool.ids if pool else None))
        while not (servicer.stop_triggered and oracle.search_ended()):
            if pool is not None:
                for worker_id, code in pool.reap():
                    trial_id = oracle.requeue(worker_id)
                    on_event(events.WorkerLost(worker_id, describe_exit(code), trial_id))
                if pool.all_exited():
                    if oracle.search_ended():
                        break
                    raise DistributedError(
                        f"every worker stopped before the search ended (last: {pool.last_exit()}); "
                        "run the same command again to resume (finished trials are kept)")
            time.sleep(POLL_S)
    finally:
        if pool is not None:
            pool.stop()
        server.stop(grace=1)


class WorkerPool:
    """`count` worker processes of this machine's chief, started with `command` + their role options.

    Each worker gets its share of the CPU threads and, where there are GPUs,
    one GPU of its own (CUDA_VISIBLE_DEVICES), round robin. Their output goes
    to `on_event`, one events.WorkerOutput per line.
    """

    def __init__(self, command: list[str], count: int, *, gpus: list[str] | None = None, on_event=events.ignore):
        self.command, self.on_event, self.gpus = list(command), on_event, list(gpus or [])
        self.ids = [f"worker-{i}" for i in range(1, count + 1)]
        self.processes: dict[str, subprocess.Popen] = {}
        self._last: dict[str, str] = {}
        self._reaped: dict[str, int] = {}
        self._threads: list[threading.Thread] = []

    def environment(self, index: int, base=os.environ) -> dict:
        """Return worker `index`'s environment: its GPU, its CPU threads, unbuffered output."""
        env = dict(base, PYTHONUNBUFFERED="1", **{WORKER_OF: str(os.getpid())})
        for name in VARIABLES:
            env.pop(name, None)   # each worker's role comes from its options
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = self.gpus[index % len(self.gpus)]
            if len(self.ids) > len(self.gpus):
                env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"   # workers share a GPU: none may take all its memory
        else:
            # N processes with all cores' threads each would fight over the cores.
            env.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, usable_cpus() // len(self.ids))))
            env.setdefault("TF_NUM_INTEROP_THREADS", "1")
        return env

    def start(self, port: int) -> None:
        for index, worker_id in enumerate(self.ids):
            process = subprocess.Popen(
                self.command + ["--role", "worker", "--chief", f"127.0.0.1:{port}", "--worker-id", worker_id],
                env=self.environment(index), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, errors="replace")
            self.processes[worker_id] = process
            thread = threading.Thread(target=self._pump, args=(worker_id, process), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, worker_id: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            line = line.rstrip()
            if line and not is_noise(line):   # TensorFlow's start-up lines, once per worker
                self._last[worker_id] = line
                self.on_event(events.WorkerOutput(worker_id, line))

    def reap(self) -> list[tuple[str, int]]:
        """Return (id, exit code) of each worker that stopped abnormally since the last call."""
        died = []
        for worker_id, process in self.processes.items():
            code = process.poll()
            if code is not None and worker_id not in self._reaped:
                self._reaped[worker_id] = code
                if code != 0:
                    died.append((worker_id, code))
        return died

    def all_exited(self) -> bool:
        return bool(self.processes) and all(p.poll() is not None for p in self.processes.values())

    def last_line(self, worker_id: str) -> str:
        return self._last.get(worker_id, "")

    def last_exit(self) -> str:
        failed = [(w, c) for w, c in self._reaped.items() if c != 0]
        if not failed:
            return "all exited normally"
        worker_id, code = failed[-1]
        return f"{worker_id} {describe_exit(code)}: {self.last_line(worker_id) or 'no output'}"

    def stop(self) -> None:
        """Stop every worker still running: SIGTERM, then SIGKILL after a grace period."""
        running = [p for p in self.processes.values() if p.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout=1)


def describe_exit(code: int) -> str:
    """Return a process's exit as people say it ('killed by signal 9', 'exit code 2')."""
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def follow_chief(environ=os.environ) -> None:
    """In a worker that a WorkerPool started: stop when the chief process stops, so none outlives it.

    Linux sends the signal when the parent dies (PR_SET_PDEATHSIG). Set here,
    in the worker, rather than between fork and exec: that is unsafe in a
    chief that already runs gRPC and TensorFlow threads.
    """
    chief = environ.get(WORKER_OF)
    if not chief or not sys.platform.startswith("linux"):
        return
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if str(os.getppid()) != chief:   # the chief was gone before the request was made
        os.kill(os.getpid(), signal.SIGTERM)
