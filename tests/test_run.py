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
