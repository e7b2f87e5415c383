"""[tuner] folds: a cross-validated objective for any search, which never sees the test split."""

import numpy as np
import pytest

from ann_keras import data, experiments
from ann_keras.errors import DataError, SpecError
from ann_keras.search import cross_validation, runner, tuning
from ann_keras.training import fitting
from ann_keras.search.run import Run


@pytest.fixture(scope="module")
def digits():
    return data.load("digits", seed=0, limit=200)


def test_folds_validate_on_every_training_example_once_and_hold_no_test(digits):
    folds = list(data.folds(digits, 4, seed=3))
    assert len(folds) == 4
    every = np.concatenate([digits.y_train, digits.y_val])
    validated = np.concatenate([fold.y_val for fold in folds])
    assert len(validated) == len(every) and sorted(validated) == sorted(every)
    for fold in folds:
        assert len(fold.y_test) == 0 and fold.x_test.shape[1:] == digits.x_test.shape[1:]
        assert len(fold.y_train) + len(fold.y_val) == len(every)
        # stratified: each class's share of the validation part is its share overall, within one example
        share = np.bincount(fold.y_val, minlength=10) / len(fold.y_val)
        assert np.abs(share - np.bincount(every, minlength=10) / len(every)).max() < 1.5 / len(fold.y_val) + 0.02
    again = list(data.folds(digits, 4, seed=3))
    assert all(np.array_equal(a.y_val, b.y_val) for a, b in zip(folds, again))      # the seed fixes them


def test_more_folds_than_a_class_has_examples_is_one_line(digits):
    with pytest.raises(DataError, match=r"\[tuner\] folds = 50: class '\d' has \d+ training examples, fewer than"):
        list(data.folds(digits, 50, seed=0))


def test_one_fold_is_refused_and_the_default_keeps_old_run_folders():
    with pytest.raises(SpecError, match="folds: 1 is not a cross-validation; valid: 0"):
        experiments.load("ann", "smoke", ("tuner.folds=1",))
    with pytest.raises(SpecError, match="refit: 'some' is not one of: all, best"):
        experiments.load("ann", "smoke", ("tuner.refit=some",))
    plain = experiments.load("ann", "smoke")
    assert plain.tuner["folds"] == 0 and plain.tuner["refit"] == "best"
    # Defaults are left out of the run folder's name: runs made before the option existed still resume.
    assert plain.digest() == experiments.load("ann", "smoke", ("tuner.folds=0", "tuner.refit=best")).digest()
    assert plain.digest() != experiments.load("ann", "smoke", ("tuner.folds=3",)).digest()


def test_a_cross_validated_search_never_sees_the_test_split_and_refits_the_best(tmp_path, monkeypatch):
    spec = experiments.load("ann", "smoke", ("tuner.folds=3", "tuner.executions=2"))
    seen, trained_on = [], []
    real = fitting.fit
    monkeypatch.setattr(fitting, "fit", lambda model, params, dataset, **k: (
        seen.append(len(dataset.y_test)) or trained_on.append((len(dataset.y_train), len(dataset.y_val)))
        or real(model, params, dataset, **k)))
    events = []
    result, folder = runner.tune(Run(spec, "tune", 5, tmp_path, command="test", on_event=events.append))
    search_trainings = 4 * 2 * 3                      # 4 grid points x 2 seeds x 3 folds
    assert seen[:search_trainings] == [0] * search_trainings
    assert all(n > 0 for n in seen[search_trainings:])   # final model and refits: tested
    assert len(seen) == search_trainings + 1 + 1      # the final model (seed 5) is the best's first refit
    # The folds trained on two thirds of the training data; the final model and the refit train on all of it,
    # the validation split included (the folds did its work), and validate on nothing.
    whole = sum(trained_on[0])
    assert trained_on[search_trainings:] == [(whole, 0), (whole, 0)]
    assert not any(key.startswith("val_") for key in result.final["history"])
    best = next(t for t in result.trials if t["trial_id"] == result.best_trial_id)
    for trial in result.trials:
        for execution in trial["executions"]:
            assert [f["fold"] for f in execution["folds"]] == [0, 1, 2]
            assert execution["val_accuracy"] == pytest.approx(np.mean([f["val_accuracy"]
                                                                       for f in execution["folds"]]))
            assert ("test_accuracy" in execution) == (trial is best)
    assert best["score"] == pytest.approx(np.mean([e["val_accuracy"] for e in best["executions"]]))
    assert best["executions"][0]["test_accuracy"] == result.final["metrics"]["test_accuracy"]
    assert "refit_s" in result.timings
    assert any("mean of 3 folds" in event.line() for event in events)
    assert any(event.line().startswith("refit: training 1 trial(s) x 2 seed(s)") for event in events)
    # Run again: every fold, refit and the final model are read back, nothing trains.
    seen.clear()
    again, _ = runner.tune(Run(spec, "tune", 5, tmp_path, command="test"))
    assert seen == [] and again.trials == result.trials


def test_refit_all_tests_every_trial(tmp_path):
    spec = experiments.load("ann", "smoke", ("tuner.folds=2", "tuner.refit=all",
                                             "search.iterations=[100]"))
    result, _ = runner.tune(Run(spec, "tune", 1, tmp_path, command="test"))
    assert len(result.trials) == 2
    for trial in result.trials:
        assert "test_accuracy" in trial["executions"][0] and "refit" in trial["executions"][0]


def test_a_trial_cut_short_keeps_its_finished_folds(tmp_path, monkeypatch, digits):
    spec = experiments.load("ann", "smoke", ("tuner.folds=3", "search.iterations=[100]",
                                             "search.learning_rate=[0.5]"))
    real_fit, trained = fitting.fit, []

    def fit(*args, **kwargs):
        if len(trained) == 2 and not monkeypatch.resumed:
            raise KeyboardInterrupt              # killed during the third fold
        trained.append(kwargs["seed"])
        return real_fit(*args, **kwargs)

    monkeypatch.resumed = False
    monkeypatch.setattr(fitting, "fit", fit)
    with pytest.raises(KeyboardInterrupt):
        tuning.search(Run(spec, "tune", 11, tmp_path), digits)
    monkeypatch.resumed = True
    trials = tuning.search(Run(spec, "tune", 11, tmp_path), digits)
    assert len(trained) == 3                     # folds 0 and 1 were kept; only fold 2 trained again
    assert len(trials[0]["executions"][0]["folds"]) == 3


def test_whole_training_returns_the_validation_split_to_training(digits):
    whole = data.whole_training(digits)
    assert len(whole.y_val) == 0 and whole.x_val.shape[1:] == digits.x_val.shape[1:]
    assert sorted(whole.y_train) == sorted(np.concatenate([digits.y_train, digits.y_val]))
    assert len(whole.x_train) == len(whole.y_train)
    assert whole.x_test is digits.x_test and whole.class_names == digits.class_names


def test_summarise_averages_the_folds_and_keeps_one_fold_curves():
    folds = [{"fold": i, "train_accuracy": 1.0, "train_loss": 0.1, "val_accuracy": a, "val_loss": 0.5,
              "duration_s": 2.0, **({"history": {"unit": "epoch", "step": [1]}} if i == 0 else {})}
             for i, a in enumerate((0.8, 0.9, 1.0))]
    summary = cross_validation.summarise(7, folds)
    assert summary["seed"] == 7 and summary["val_accuracy"] == pytest.approx(0.9)
    assert summary["duration_s"] == 6.0 and summary["history"] == {"unit": "epoch", "step": [1]}
    assert all("history" not in fold for fold in summary["folds"])
