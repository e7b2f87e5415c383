"""`ann-keras tensorboard RUN_DIR`: TensorBoard on 127.0.0.1 over a run's event files, stopped by Ctrl-C."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from ann_keras.deploy import dashboard
from ann_keras.errors import AnnKerasError


def post(address: str, route: str, body: dict):
    request = urllib.request.Request(address + route, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def get(address: str, route: str):
    with urllib.request.urlopen(address + route, timeout=30) as response:
        return json.loads(response.read())


def test_tensorboard_serves_the_runs_and_the_hparams_experiment_then_stops_on_ctrl_c(smoke_run):
    result, run_dir = smoke_run
    process = subprocess.Popen([sys.executable, "-m", "ann_keras", "tensorboard", str(run_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        address = None
        deadline = time.monotonic() + 120
        while address is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line or process.poll() is None, process.stderr.read()
            found = re.search(r"TensorBoard at (http://127\.0\.0\.1:\d+/)", line)
            address = found.group(1) if found else None
        assert address, "no address printed"
        runs = []
        while time.monotonic() < deadline and not any(r.endswith("/final/train") for r in runs):
            runs = get(address, "data/runs")   # TensorBoard loads the event files in the background
            time.sleep(0.5)
        name = f"{run_dir.parent.name}/{run_dir.name}"
        assert f"{name}/trial_{result.trials[0]['trial_id']}/seed{result.seed}/train" in runs
        experiment = post(address, "data/plugin/hparams/experiment", {"experimentName": ""})
        assert {h["name"] for h in experiment["hparamInfos"]} == set(result.spec["search"])
        groups = post(address, "data/plugin/hparams/session_groups", {
            "experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS"], "colParams": [],
            "startIndex": 0, "sliceSize": 100})
        assert len(groups["sessionGroups"]) == len(result.trials)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("ann-keras tensorboard did not stop on Ctrl-C")
    assert process.returncode == 0 and "TensorBoard stopped" in out


def test_a_folder_without_runs_is_one_clear_error(tmp_path):
    with pytest.raises(AnnKerasError, match="no 'tensorboard' folder inside; valid: a run folder"):
        dashboard.log_folders([tmp_path])


def test_a_folder_of_runs_shows_each_run_by_experiment_and_name(tmp_path):
    for name in ("ann/smoke-a", "cnn/smoke-b"):
        (tmp_path / name / "tensorboard").mkdir(parents=True)
    assert sorted(dashboard.log_folders([tmp_path])) == ["ann/smoke-a", "cnn/smoke-b"]


def test_the_dashboard_looks_where_the_search_writes():
    from ann_keras.training import tensorboard_logs
    assert dashboard.LOG_DIR == tensorboard_logs.LOG_DIR


def test_a_link_loop_or_a_link_out_is_not_followed_when_looking_for_runs(tmp_path):
    (tmp_path / "runs" / "ann" / "smoke-a" / "tensorboard").mkdir(parents=True)
    (tmp_path / "runs" / "ann" / "loop").symlink_to(tmp_path / "runs", target_is_directory=True)
    (tmp_path / "elsewhere" / "x" / "tensorboard").mkdir(parents=True)
    (tmp_path / "runs" / "out").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert sorted(dashboard.log_folders([tmp_path / "runs"])) == ["ann/smoke-a"]


@pytest.mark.slow
def test_broken_and_hostile_event_files_are_served_around_not_crashed_on(tmp_path):
    """Garbage, a record declaring 2**60 bytes, a truncated copy of a real file: TensorBoard skips what it
    cannot read and serves the rest."""
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.compat.proto import event_pb2, summary_pb2
    board = tmp_path / "ann" / "smoke-a" / "tensorboard" / "final" / "train"
    writer = EventFileWriter(str(board))
    for step in range(3):
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="epoch_loss", simple_value=1.0 / (step + 1))])))
    writer.close()
    real = next(board.glob("events.out.tfevents.*"))
    (board / "events.out.tfevents.1.garbage").write_bytes(os.urandom(4096))
    (board / "events.out.tfevents.2.huge").write_bytes((2 ** 60).to_bytes(8, "little") + bytes(8))
    (board / "events.out.tfevents.3.cut").write_bytes(real.read_bytes()[:-7])
    _, address = dashboard.start(dashboard.log_folders([tmp_path]))
    for _ in range(60):
        tags = get(address, "/data/plugin/scalars/tags")
        if tags.get("ann/smoke-a/final/train"):
            break
        time.sleep(0.5)
    assert "epoch_loss" in tags["ann/smoke-a/final/train"]
