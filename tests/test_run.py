from pathlib import Path

from ann_keras import experiments
from ann_keras.search.run import Run, Stopwatch


def test_the_run_folder_names_what_decides_the_numbers():
    spec = experiments.load("ann", "smoke", ("tuner.executions=3",))
    run = Run(spec, "tune", 7, Path("runs"))
    assert run.folder.parent == Path("runs") / "ann"
    assert run.folder.name == f"smoke-grid-seed7-{spec.digest()}"
    assert Run(spec, "train", 7, Path("runs")).folder.name.startswith("smoke-train-seed7-")
    assert Run(spec, "tune", 7, Path("runs"), command="other", verbose=2).folder == run.folder


def test_every_configuration_uses_the_same_seeds():
    spec = experiments.load("ann", "smoke", ("tuner.executions=3",))
    assert Run(spec, "tune", 40, Path("runs")).seeds == [40, 41, 42]
    assert not Run(spec, "tune", 40).worker


def test_the_stopwatch_times_each_stage():
    watch = Stopwatch()
    with watch.stage("data"):
        pass
    assert set(watch.timings) == {"data_s"} and watch.timings["data_s"] >= 0 and watch.elapsed() >= 0
    assert watch.started.endswith("+00:00")


def test_data_read_from_files_is_named_by_its_content(tmp_path):
    here = experiments.load("cnn", "smoke", data_path=str(tmp_path / "a" / "copy.tar.gz"))
    moved = experiments.load("cnn", "smoke", data_path=str(tmp_path / "b" / "copy.tar.gz"))
    assert here.digest() != moved.digest()    # by location, as an earlier release named run folders
    assert Run(here, "tune", 1, tmp_path, data_fingerprint="f00d").folder == \
        Run(moved, "tune", 1, tmp_path, data_fingerprint="f00d").folder
    assert Run(here, "tune", 1, tmp_path, data_fingerprint="f00d").folder != \
        Run(here, "tune", 1, tmp_path, data_fingerprint="beef").folder


def test_a_run_folder_named_by_location_is_still_resumed(tmp_path):
    spec = experiments.load("cnn", "smoke", data_path=str(tmp_path / "copy.tar.gz"))
    legacy = Run(spec, "tune", 1, tmp_path).folder
    by_content = Run(spec, "tune", 1, tmp_path, data_fingerprint="f00d").folder
    assert legacy != by_content
    legacy.mkdir(parents=True)
    assert Run(spec, "tune", 1, tmp_path, data_fingerprint="f00d").folder == legacy
