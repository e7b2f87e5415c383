"""Shared fixtures: a fixed seed, quiet TensorFlow, and one small real run reused by many tests."""

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

# TensorFlow where it is installed; else the first backend installed (ann_keras.backend), and the tests marked
# `tensorflow` are skipped.
TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if TENSORFLOW:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


def pytest_collection_modifyitems(config, items):
    if TENSORFLOW:
        return
    skip = pytest.mark.skip(reason="needs TensorFlow, which is not installed here")
    for item in items:
        if "tensorflow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def seed():
    return 7


@pytest.fixture
def fixture_results():
    """A results.json saved from a real smoke run (see tests/fixtures/README.md)."""
    return FIXTURES / "ann-smoke-results.json"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder that still finds the project's tuning/ specs."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def spec_file(tmp_path):
    """Write a spec derived from tuning/ann.toml with `replace` pairs applied; return its path."""
    def write(*replacements, name="custom.toml"):
        text = (ROOT / "tuning" / "ann.toml").read_text()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One real `tune ann --profile smoke` run, shared by tests that only read it."""
    from ann_keras.search import runner
    from ann_keras.search.run import Run
    from ann_keras import experiments
    root = tmp_path_factory.mktemp("runs")
    spec = experiments.load("ann", "smoke")
    result, run_dir = runner.tune(Run(spec, "tune", 3, root, command="pytest smoke run"))
    yield result, run_dir
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """Run folders of `ann-keras train` on the smoke profiles: images (cnn), sequences (lstm), digits (ann).

    Trained through commands.train, as the command line does, so each has its model card.
    """
    from ann_keras import commands
    root = tmp_path_factory.mktemp("trained")
    runs = {}
    for kind, experiment in (("images", "cnn"), ("sequences", "lstm"), ("vectors", "ann")):
        outcome = commands.train(experiment, commands.Choices(profile="smoke", seed=7, runs_dir=root, report=False,
                                                              progress="none", argv=("train", experiment)))
        runs[kind] = outcome.run_dir
    yield runs
    shutil.rmtree(root, ignore_errors=True)


# Small data sets for the training tests (test_fitting, test_optimizers, test_callbacks, test_evaluation).

@pytest.fixture(scope="module")
def small():
    """The ANN smoke spec and 400 digits."""
    from ann_keras import data, experiments
    return experiments.load("ann", "smoke"), data.load("digits", seed=1, limit=400)


@pytest.fixture(scope="module")
def images_case():
    """The CNN smoke spec and 300 synthetic 16x16 images (60 to test)."""
    from ann_keras import data, experiments
    return experiments.load("cnn", "smoke"), data.load("synthetic-images", seed=0, limit=300, test_limit=60,
                                                       image_size=16)
