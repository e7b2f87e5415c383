"""A chief and its workers over loopback: real processes, bounded in time, always cleaned up."""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from ann_keras.search import distributed
from ann_keras.search.roles import WORKER_OF, DistributedError, Role

TIMEOUT_S = 150
# Four grid points of one or two seconds each: long enough to kill a worker in the middle of one.
GRID = ["--profile", "smoke", "--seed", "3", "--set", "search.iterations=[3000,4000]",
        "--set", "search.hidden_units=[256]"]
POINTS = [(0.1, 3000), (0.1, 4000), (0.2, 3000), (0.2, 4000)]


@pytest.fixture
def processes():
    """Start `ann-keras` commands in their own process groups; kill whatever is left at the end."""
    started = []

    def start(*args):
        process = subprocess.Popen([sys.executable, "-m", "ann_keras", *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def finish(process) -> str:
    output, _ = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, output
    return output


def wait_for_trial_of(worker_id: str, runs: Path) -> str:
    """Return the id of the trial the chief has handed `worker_id`, once it has one."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        for path in runs.glob("*/*/tuner/oracle.json"):
            ongoing = json.loads(path.read_text())["ongoing_trials"]   # written atomically: always whole
            if worker_id in ongoing:
                return ongoing[worker_id]
        time.sleep(0.05)
    raise AssertionError(f"{worker_id} got no trial within {TIMEOUT_S} s")


def pid_of(worker_id: str, runs: Path) -> int:
    """Return the process id of the worker `worker_id` working in `runs` (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except (OSError, ValueError):
            continue
        if "--worker-id" in argv and argv[argv.index("--worker-id") + 1] == worker_id and str(runs) in argv:
            return int(entry.name)
    raise AssertionError(f"no process for {worker_id}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stored(runs: Path) -> dict:
    (path,) = runs.glob("ann/*/results.json")
    return json.loads(path.read_text())


def points(result: dict) -> list:
    return sorted((t["hyperparameters"]["learning_rate"], t["hyperparameters"]["iterations"])
                  for t in result["trials"])


def assert_every_point_once_and_nothing_corrupt(runs: Path) -> dict:
    result = stored(runs)
    assert points(result) == POINTS
    assert all(t["status"] == "COMPLETED" and len(t["executions"]) == 1 for t in result["trials"])
    for path in runs.rglob("*.json"):
        json.loads(path.read_text())           # every file whole
    assert not list(runs.rglob("*.tmp"))
    return result


# ---------------------------------------------------------------- unit


def test_each_worker_gets_its_own_gpu_round_robin_and_no_inherited_role():
    pool = distributed.WorkerPool(["ann-keras"], 3, gpus=["2", "5"])
    base = {"KERASTUNER_TUNER_ID": "chief", "PATH": "/bin"}
    envs = [pool.environment(i, base) for i in range(3)]
    assert [env["CUDA_VISIBLE_DEVICES"] for env in envs] == ["2", "5", "2"]
    assert all(env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" for env in envs)   # two share GPU 2
    assert all("KERASTUNER_TUNER_ID" not in env and env[WORKER_OF] == str(os.getpid()) for env in envs)
    assert pool.ids == ["worker-1", "worker-2", "worker-3"]


def test_workers_without_gpus_share_the_cpu_threads():
    env = distributed.WorkerPool(["ann-keras"], 2).environment(0, {})
    cores = len(os.sched_getaffinity(0))
    assert env["TF_NUM_INTRAOP_THREADS"] == str(max(1, cores // 2)) and "CUDA_VISIBLE_DEVICES" not in env


def test_worker_output_is_prefixed_and_tensorflows_start_up_lines_dropped():
    echoed = []
    pool = distributed.WorkerPool(["ann-keras"], 1, on_event=echoed.append)
    stdout = io.StringIO("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
                         "I0000 00:00:1795775216.348244   16952 port.cc:153] oneDNN custom operations are on.\n"
                         "data: digits\n\ntrial 0001 done\n")
    pool._pump("worker-1", SimpleNamespace(stdout=stdout))
    assert [event.line() for event in echoed] == ["[worker-1] data: digits", "[worker-1] trial 0001 done"]
    assert pool.last_line("worker-1") == "trial 0001 done"


def test_a_chief_cannot_listen_on_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DistributedError, match=f"cannot listen on 127.0.0.1:{port}"):
            distributed.serve(object(), Role("chief", "127.0.0.1", port))


# ---------------------------------------------------------------- over loopback


@pytest.mark.slow
def test_two_workers_run_the_same_trials_as_one_process_and_merge_into_one_report(tmp_path, processes, smoke_run):
    runs = tmp_path / "runs"
    output = finish(processes("tune", "ann", "--profile", "smoke", "--seed", "3", "--workers", "2",
                              "--runs-dir", str(runs), "--reports-dir", str(tmp_path / "reports")))
    assert "chief: serving the search at 127.0.0.1:" in output
    assert "[worker-1] worker-1: asking the chief" in output and "[worker-2]" in output
    result = stored(runs)
    single, _ = smoke_run                     # the same experiment, profile and seed in one process
    by_id = {t["trial_id"]: t["hyperparameters"] for t in result["trials"]}
    assert by_id == {t["trial_id"]: t["hyperparameters"] for t in single.trials}
    assert result["best_trial_id"] and result["final"]["metrics"]["test_accuracy"] > 0
    assert set(result["environment"]["distribution"]["workers"]) <= {"worker-1", "worker-2"}
    assert output.count("on worker-") == len(by_id)        # one line per trial, from the chief
    assert (tmp_path / "reports" / "ann-smoke" / "index.html").exists()
    assert "worker" in (tmp_path / "reports" / "ann-smoke" / "trials.csv").read_text().splitlines()[0]


@pytest.mark.slow
def test_a_worker_killed_mid_trial_leaves_its_trial_to_the_other(tmp_path, processes):
    runs = tmp_path / "runs"
    chief = processes("tune", "ann", *GRID, "--workers", "2", "--runs-dir", str(runs), "--no-report")
    trial_id = wait_for_trial_of("worker-1", runs)
    time.sleep(0.3)                                         # into the trial's training
    os.kill(pid_of("worker-1", runs), signal.SIGKILL)
    output = finish(chief)
    assert f"chief: worker-1 stopped (killed by signal 9); its trial {trial_id} goes back to the queue" in output
    result = assert_every_point_once_and_nothing_corrupt(runs)
    rerun = next(t for t in result["trials"] if t["trial_id"] == trial_id)
    assert rerun["executions"][0]["worker"] == "worker-2"


@pytest.mark.slow
def test_chief_and_workers_started_apart_and_a_killed_worker_resumes_its_trial_when_restarted(
        tmp_path, processes):
    runs = tmp_path / "runs"
    port = free_port()
    chief = processes("tune", "ann", *GRID, "--runs-dir", str(runs), "--no-report",
                      "--role", "chief", "--listen", f"127.0.0.1:{port}")
    worker = ["tune", "ann", *GRID, "--runs-dir", str(runs), "--role", "worker", "--chief", f"127.0.0.1:{port}"]
    first = processes(*worker, "--worker-id", "a")
    processes(*worker, "--worker-id", "b")
    trial_id = wait_for_trial_of("a", runs)
    time.sleep(0.3)
    first.kill()
    first.wait()
    restarted = processes(*worker, "--worker-id", "a")      # the same id: Keras Tuner hands it the same trial
    output = finish(chief)
    finish(restarted)
    assert f"chief: serving the search at 127.0.0.1:{port}; start each worker" in output
    result = assert_every_point_once_and_nothing_corrupt(runs)
    assert next(t for t in result["trials"] if t["trial_id"] == trial_id)["executions"][0]["worker"] == "a"


@pytest.mark.slow
def test_a_worker_given_other_options_than_its_chief_stops_with_a_clear_message(tmp_path, processes):
    runs = tmp_path / "runs"
    port = free_port()
    processes("tune", "ann", "--profile", "smoke", "--seed", "3", "--runs-dir", str(runs),
              "--role", "chief", "--listen", f"127.0.0.1:{port}")
    worker = processes("tune", "ann", "--profile", "smoke", "--seed", "4", "--runs-dir", str(runs),
                       "--role", "worker", "--chief", f"127.0.0.1:{port}", "--worker-id", "w1")
    output, _ = worker.communicate(timeout=TIMEOUT_S)
    assert worker.returncode == 2, output
    assert "ann-keras: error: worker w1: the chief's run folder is not" in output
    assert "Traceback" not in output
