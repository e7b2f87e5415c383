import pytest

from ann_keras.search import runner
from ann_keras.training import fitting
from ann_keras.search.run import Run
from ann_keras import experiments, specs


def test_tune_writes_results_model_and_reuses_grid_points_for_paper_settings(smoke_run):
    result, run_dir = smoke_run
    assert (run_dir / "results.json").exists() and (run_dir / "final" / "model.keras").exists()
    assert run_dir.name.startswith("smoke-grid-seed3-")
    assert len(result.trials) == 4
    assert result.best_trial_id == max(result.trials, key=lambda t: t["score"])["trial_id"]
    assert len(result.final["y_pred"]) == len(result.final["y_true"]) == result.dataset["sizes"]["test"]
    assert result.final["params"]["learning_rate"] == \
        next(t for t in result.trials if t["trial_id"] == result.best_trial_id)["hyperparameters"]["learning_rate"]
    # The smoke profile trains no extra paper settings; grid points that match are reused.
    by_name = {run["name"]: run for run in result.paper_runs}
    assert by_name["learning rate 0.2"]["source"].startswith("trial ")
    assert by_name["learning rate 0.05"]["source"] == "not measured in this profile"
    assert set(result.timings) == {"data_s", "search_s", "paper_runs_s", "final_s"}


def test_final_model_reloads_and_predicts_what_was_recorded(smoke_run):
    import keras
    result, run_dir = smoke_run
    model = keras.models.load_model(run_dir / "final" / "model.keras")
    dataset = runner.load_dataset(experiments.load("ann", "smoke"), result.seed)
    assert model.predict(dataset.x_test, verbose=0).argmax(1).tolist() == result.final["y_pred"]


def test_paper_settings_off_the_grid_are_trained_and_cached(tmp_path, monkeypatch):
    spec = experiments.load("ann", "smoke", ("tuner.paper_runs=true", "search.learning_rate=[0.1]",
                                             "search.iterations=[100]"))
    # Keep the extra settings tiny: the paper's 5000 iterations are not the point here.
    spec = specs.Spec(**{**spec.__dict__, "paper": {**spec.paper, "runs": [
        {"name": "lower", "params": {"learning_rate": 0.05}, "expect": "below"},
        {"name": "same as grid", "params": {}}]}})
    calls = []
    real = fitting.train
    monkeypatch.setattr(fitting, "train", lambda *a, **k: calls.append(k["seed"]) or real(*a, **k))
    dataset = runner.load_dataset(spec, 0)
    trials = [{"trial_id": "t", "status": "COMPLETED", "budget": None, "hyperparameters": {},
               "executions": [{"seed": 0, "test_accuracy": 0.9}]}]
    measured = runner.measure_paper_runs(Run(spec, "tune", 0, tmp_path), dataset, trials)
    assert measured[0]["source"] == "trained beside the search" and len(measured[0]["executions"]) == 1
    assert measured[1]["source"] == "trial t"
    assert calls == [0]
    runner.measure_paper_runs(Run(spec, "tune", 0, tmp_path), dataset, trials)
    assert calls == [0]          # cached in the run folder
    # A cross-validated trial that was not refit has no test numbers: the paper's setting is trained instead.
    untested = [dict(trials[0], executions=[{"seed": 0, "val_accuracy": 0.9}])]
    measured = runner.measure_paper_runs(Run(spec, "tune", 0, tmp_path), dataset, untested)
    assert measured[1]["source"] == "trained beside the search" and calls == [0, 0]


def test_train_runs_one_configuration_per_seed(tmp_path):
    spec = experiments.load("ann", "smoke", ("tuner.executions=2",))
    result, run_dir = runner.train(Run(spec, "train", 5, tmp_path, command="test"))
    assert result.kind == "train" and len(result.trials) == 1
    assert [e["seed"] for e in result.trials[0]["executions"]] == [5, 6]
    assert result.final["metrics"]["test_accuracy"] == result.trials[0]["executions"][0]["test_accuracy"]
    assert run_dir.name.startswith("smoke-train-seed5-")


def test_best_trial_ignores_failed_trials():
    trials = [{"trial_id": "a", "status": "FAILED", "score": None, "executions": []},
              {"trial_id": "b", "status": "COMPLETED", "score": 0.5, "executions": [{}]},
              {"trial_id": "c", "status": "COMPLETED", "score": 0.7, "executions": [{}]}]
    assert runner.best_trial(trials)["trial_id"] == "c"
    assert runner.best_trial(trials[:1]) is None


@pytest.mark.parametrize("kind", ["tune", "train"])
def test_run_folder_depends_on_profile_seed_and_spec(tmp_path, kind):
    spec = experiments.load("ann", "smoke")
    a = Run(spec, kind, 1, tmp_path).folder
    assert a == Run(spec, kind, 1, tmp_path).folder
    assert a != Run(spec, kind, 2, tmp_path).folder
    assert a != Run(experiments.load("ann", "smoke", ("learning_rate=0.3",)), kind, 1, tmp_path).folder


def unloadable_tree(root):
    """An image tree whose only images cannot be decoded: loading it stops with DataError."""
    for split in ("train", "test"):
        (root / split / "cat").mkdir(parents=True)
        (root / split / "cat" / "x.png").write_bytes(b"not an image")
    return root


@pytest.mark.parametrize("entry", [runner.train, runner.tune])
def test_data_that_cannot_be_loaded_leaves_no_run_folder(tmp_path, monkeypatch, entry):
    from ann_keras.errors import DataError
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    spec = experiments.load("cnn", "smoke", dataset=f"images:{unloadable_tree(tmp_path / 'tree')}")
    run = Run(spec, "train" if entry is runner.train else "tune", 1, tmp_path / "runs")
    with pytest.raises(DataError, match="no readable images in train/cat/"):
        entry(run)
    assert not run.folder.exists()


def test_overwrite_keeps_the_old_run_when_the_new_data_cannot_be_loaded(tmp_path, monkeypatch):
    from ann_keras.errors import DataError
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    spec = experiments.load("cnn", "smoke", dataset=f"images:{unloadable_tree(tmp_path / 'tree')}")
    run = Run(spec, "train", 1, tmp_path / "runs", overwrite=True)
    (run.folder / "final").mkdir(parents=True)
    (run.folder / "final" / "final.json").write_text("{}")
    with pytest.raises(DataError):
        runner.train(run)
    assert (run.folder / "final" / "final.json").read_text() == "{}"


def test_a_link_planted_in_a_run_folder_stops_the_run_before_anything_is_written_through_it(tmp_path):
    from ann_keras.errors import PathError
    spec = experiments.load("ann", "smoke")
    run = Run(spec, "tune", 3, tmp_path / "runs")
    run.folder.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run.folder / "tensorboard").symlink_to(elsewhere)
    with pytest.raises(PathError, match=r"tensorboard: a symbolic link inside the run folder"):
        runner.tune(run)
    assert list(elsewhere.iterdir()) == []
