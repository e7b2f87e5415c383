"""Every model family and the search end to end on each installed Keras backend, in a process of its own.

Keras picks its backend once per process, so each run is `python -m ann_keras ... --backend NAME`. TensorFlow's
runs keep their run-folder names; another backend's runs never share a folder with them.
"""

import json
import os
import subprocess
import sys

import pytest

from ann_keras import backend

# PyTorch where it is installed (CI installs TensorFlow and JAX: the CPU build of torch is not on its index).
BACKENDS = [name for name in ("tensorflow", "jax", "torch") if backend.installed(name)]
EXPERIMENTS = ["ann", "cnn", "cnn-fast", "rnn"]


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_smoke_run_on_each_backend(experiment, name, tmp_path):
    command = [sys.executable, "-m", "ann_keras", "tune", experiment, "--profile", "smoke", "--backend", name,
               "--runs-dir", str(tmp_path / "runs"), "--reports-dir", str(tmp_path / "reports"), "--progress", "none"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KERAS_BACKEND": "jax" if name != "jax" else "torch"})   # the flag wins
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    (found,) = (tmp_path / "runs").glob("*/*/results.json")
    result = json.loads(found.read_text())
    assert result["environment"]["backend"] == name
    assert (f"-{name}-" in found.parent.name) == (name != "tensorflow")
    assert 0 <= result["final"]["metrics"]["test_accuracy"] <= 1
    assert list((tmp_path / "reports").glob("*/index.html"))
    summary = next((tmp_path / "reports").glob("*/README.md")).read_text()
    assert f"| Keras backend | {name} |" in summary
    # The saved model loads back on the same backend, its weights first counted from its config without values.
    check = ("import sys, numpy as np; from pathlib import Path; from ann_keras.deploy import trained; "
             "run = Path(sys.argv[1]); declared, stored = trained.config_weights(run / 'final' / 'model.keras'); "
             "model = trained.locate(run).load_model(); "
             "held = sum(int(np.prod(v.shape)) * trained._itemsize(v.dtype) for v in model.variables); "
             "assert 0 < declared == held <= stored, (declared, held, stored)")
    loaded = subprocess.run([sys.executable, "-c", check, str(found.parent)], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "KERAS_BACKEND": name})
    assert loaded.returncode == 0, loaded.stderr[-3000:]
