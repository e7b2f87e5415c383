import json
import os
import subprocess
import sys

import pytest

from ann_keras.training import devices
from ann_keras.errors import AnnKerasError


def test_the_default_strategy_is_tensorflows_own_placement():
    assert devices.make_strategy("default") is None
    assert devices.describe(None) == {"strategy": "default", "replicas": 1}
    with pytest.raises(AnnKerasError, match="strategy 'horovod': choose one of default, mirrored"):
        devices.make_strategy("horovod")


def test_gpu_ids_follow_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 3")
    assert devices.gpu_ids() == ["2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert devices.gpu_ids() == []


@pytest.mark.parametrize("value", ["two", "0", "100"])
def test_a_bad_cpu_replica_count_is_a_clear_error(value):
    with pytest.raises(AnnKerasError, match=f"ANN_KERAS_CPU_REPLICAS='{value}': expected a whole number"):
        devices.configure({"ANN_KERAS_CPU_REPLICAS": value})


@pytest.mark.slow
@pytest.mark.tensorflow   # tf.distribute
def test_mirrored_strategy_trains_one_model_across_two_cpu_devices(tmp_path):
    # Logical devices must be made before TensorFlow starts, so in a process of its own.
    env = dict(os.environ, ANN_KERAS_CPU_REPLICAS="2")
    done = subprocess.run([sys.executable, "-m", "ann_keras", "train", "ann", "--profile", "smoke", "--no-report",
                           "--strategy", "mirrored", "--runs-dir", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = tmp_path.glob("ann/*/results.json")
    result = json.loads(path.read_text())
    distribution = result["environment"]["distribution"]
    assert distribution["strategy"] == "mirrored" and distribution["replicas"] == 2
    assert [device.rsplit("/", 1)[-1] for device in distribution["devices"]] == ["device:CPU:0", "device:CPU:1"]
    assert result["final"]["metrics"]["test_accuracy"] > 0.2     # it learnt (10 classes: chance is 0.1)
