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
    from ann_keras.search import tensorboard_logs
    assert dashboard.LOG_DIR == tensorboard_logs.LOG_DIR
