"""The oracles: a grid search resumes without repeating or losing points, hands out points to idle workers,
and gives a lost worker's trial to the next that asks; state is written atomically."""

import json

import keras_tuner as kt
import pytest

from ann_keras.search import oracles


class CountingTuner(kt.Tuner):
    """Scores a grid point without training; optionally interrupted like Ctrl-C."""

    def __init__(self, *args, stop_after=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.runs, self.stop_after = [], stop_after

    def run_trial(self, trial, *args, **kwargs):
        values = dict(trial.hyperparameters.values)
        if self.stop_after is not None and len(self.runs) == self.stop_after:
            raise KeyboardInterrupt
        self.runs.append(values)
        return {"val_accuracy": values["a"] + values["b"] / 10}


def _grid_tuner(tmp_path, **kwargs):
    hp = kt.HyperParameters()
    hp.Choice("a", [1, 2, 3])
    hp.Choice("b", [1, 2])
    oracle = oracles.GridSearchOracle(objective=kt.Objective("val_accuracy", "max"), hyperparameters=hp)
    return CountingTuner(oracle, hypermodel=lambda hp: None, directory=str(tmp_path), project_name="p",
                         overwrite=False, **kwargs)


def test_interrupted_grid_search_resumes_without_repeating_or_losing_points(tmp_path):
    first = _grid_tuner(tmp_path, stop_after=3)
    with pytest.raises(KeyboardInterrupt):
        first.search(verbose=0)
    assert len(first.runs) == 3

    second = _grid_tuner(tmp_path)   # a new process: keras-tuner 1.4.8 raised KeyError here
    second.search(verbose=0)
    done = first.runs + second.runs
    assert len(done) == 6
    assert sorted((v["a"], v["b"]) for v in done) == [(a, b) for a in (1, 2, 3) for b in (1, 2)]
    trials = second.oracle.trials.values()
    assert sorted(t.status for t in trials) == ["COMPLETED"] * 6


def test_a_finished_search_resumed_runs_nothing_again(tmp_path):
    first = _grid_tuner(tmp_path)
    first.search(verbose=0)
    assert len(first.runs) == 6
    saved = json.loads((tmp_path / "p" / "oracle.json").read_text())
    assert saved["ongoing_trials"] == {}          # keras-tuner 1.4.8 left the last trial listed here
    second = _grid_tuner(tmp_path)
    second.search(verbose=0)
    assert second.runs == []


def test_state_saved_with_a_finished_trial_still_running_is_repaired(tmp_path):
    first = _grid_tuner(tmp_path)
    first.search(verbose=0)
    path = tmp_path / "p" / "oracle.json"
    saved = json.loads(path.read_text())
    saved["ongoing_trials"] = {"tuner0": saved["end_order"][-1]}    # as keras-tuner itself saves it
    path.write_text(json.dumps(saved))
    second = _grid_tuner(tmp_path)
    second.search(verbose=0)
    assert second.runs == []


def test_oracle_state_is_written_atomically(tmp_path):
    tuner = _grid_tuner(tmp_path)
    tuner.search(verbose=0)
    project = tmp_path / "p"
    json.loads((project / "oracle.json").read_text())
    assert not list(project.rglob("*.tmp"))


def _values(trial):
    return trial.hyperparameters.values["a"], trial.hyperparameters.values["b"]


def test_grid_points_go_to_every_idle_worker_at_once_and_each_runs_once(tmp_path):
    oracle = _grid_tuner(tmp_path).oracle          # the chief's oracle, asked by three workers
    running = {worker: oracle.create_trial(worker) for worker in ("w1", "w2", "w3")}
    # Keras Tuner alone answers IDLE to w3 until w1 or w2 ends; the grid is fixed, so it need not wait.
    assert [t.status for t in running.values()] == ["RUNNING"] * 3
    seen = [_values(t) for t in running.values()]
    while running:
        worker, trial = next(iter(running.items()))
        trial.status = "COMPLETED"
        oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5})
        oracle.end_trial(trial)
        del running[worker]
        following = oracle.create_trial(worker)
        if following.status == "RUNNING":
            running[worker] = following
            seen.append(_values(following))
    assert sorted(seen) == [(a, b) for a in (1, 2, 3) for b in (1, 2)]
    assert not oracle.search_ended()           # until every worker has been told to stop
    assert [oracle.create_trial(worker).status for worker in ("w1", "w2", "w3")] == ["STOPPED"] * 3
    assert oracle.search_ended()


def test_a_trial_of_a_lost_worker_goes_to_the_next_that_asks(tmp_path):
    oracle = _grid_tuner(tmp_path).oracle
    lost = oracle.create_trial("w1")
    assert oracle.requeue("w1") == lost.trial_id
    assert not oracle.search_ended()
    again = oracle.create_trial("w2")
    assert again.trial_id == lost.trial_id and again.status == "RUNNING"
    saved = json.loads((tmp_path / "p" / "oracle.json").read_text())
    assert saved["ongoing_trials"] == {"w2": lost.trial_id} and saved["retry_queue"] == []


def test_a_search_resumed_runs_a_trial_left_running_by_any_tuner_once(tmp_path):
    first = _grid_tuner(tmp_path, stop_after=2)
    with pytest.raises(KeyboardInterrupt):
        first.search(verbose=0)
    path = tmp_path / "p" / "oracle.json"
    saved = json.loads(path.read_text())
    saved["ongoing_trials"] = {"worker-9": saved["ongoing_trials"].pop("tuner0")}   # a worker that was killed
    path.write_text(json.dumps(saved))
    second = _grid_tuner(tmp_path)
    second.oracle.requeue()           # what tuning.search does on every start
    second.search(verbose=0)
    assert sorted((v["a"], v["b"]) for v in first.runs + second.runs) == [(a, b) for a in (1, 2, 3)
                                                                          for b in (1, 2)]
