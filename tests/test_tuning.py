import keras_tuner as kt
import pytest

from ann_keras import data, experiments
from ann_keras.search import tuning
from ann_keras.search.run import Run
from ann_keras.training import fitting


@pytest.fixture(scope="module")
def spec():
    return experiments.load("ann", "smoke")


def test_hypermodel_with_empty_hyperparameters_uses_the_first_value_of_each_axis(spec):
    dataset = data.load("digits", seed=0, limit=200)
    hypermodel = tuning.SpecHyperModel(spec, dataset)
    hp = kt.HyperParameters()
    model = hypermodel.build(hp)
    assert hp.values == {"learning_rate": 0.1, "iterations": 100, "hidden_units": 32}
    assert model.output_shape == (None, 10)


def test_list_values_round_trip_through_keras_tuner():
    assert tuning.decode(tuning.encode([48, 96])) == [48, 96]
    assert tuning.encode(0.1) == 0.1 and tuning.decode("sgd") == "sgd"
    assert tuning.decode(tuning.encode(True)) is True and tuning.decode(tuning.encode(False)) is False


def test_search_records_every_execution(tmp_path):
    spec = experiments.load("ann", "smoke", ("tuner.executions=2", "search.iterations=[100]",
                                             "search.learning_rate=[0.5]"))
    dataset = data.load("digits", seed=0, limit=200)
    events = []
    trials = tuning.search(Run(spec, "tune", 11, tmp_path, on_event=events.append), dataset)
    assert len(trials) == 1
    executions = trials[0]["executions"]
    assert [e["seed"] for e in executions] == [11, 12]
    assert {"val_accuracy", "test_accuracy", "duration_s"} <= set(executions[0])
    ended = [e for e in events if type(e).__name__ == "TrialEnded"]
    assert len(ended) == 1 and ended[0].number == 1 and ended[0].total == 1
    # Each seed says when it starts, with the trial's settings, before its epochs end.
    started = [e for e in events if type(e).__name__ == "TrainingStarted"]
    assert [e.stage for e in started] == [f"trial_{trials[0]['trial_id']}/seed{seed}" for seed in (11, 12)]
    assert started[0].settings == {"learning_rate": 0.5, "iterations": 100, "hidden_units": 32}
    assert "learning_rate=0.5" in started[0].line()
    assert any(type(e).__name__ == "EpochEnded" for e in events)
    assert trials[0]["hyperparameters"] == {"learning_rate": 0.5, "iterations": 100, "hidden_units": 32}


def test_a_trial_cut_short_keeps_its_finished_seeds(tmp_path, monkeypatch):
    spec = experiments.load("ann", "smoke", ("tuner.executions=3", "search.iterations=[100]",
                                             "search.learning_rate=[0.5]"))
    dataset = data.load("digits", seed=0, limit=200)
    real_fit, seeds = fitting.fit, []

    def fit(*args, **kwargs):
        if len(seeds) == 2 and not monkeypatch.resumed:
            raise KeyboardInterrupt              # killed during the third seed
        seeds.append(kwargs["seed"])
        return real_fit(*args, **kwargs)

    monkeypatch.resumed = False
    monkeypatch.setattr(fitting, "fit", fit)
    with pytest.raises(KeyboardInterrupt):
        tuning.search(Run(spec, "tune", 11, tmp_path), dataset)
    monkeypatch.resumed = True
    trials = tuning.search(Run(spec, "tune", 11, tmp_path), dataset)
    assert seeds == [11, 12, 13]
    assert [e["seed"] for e in trials[0]["executions"]] == [11, 12, 13]
