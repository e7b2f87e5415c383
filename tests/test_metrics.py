import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import classification_report

from ann_keras.reports import formatting, metrics
from ann_keras import results


def test_per_class_table_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, 200))
    table = metrics.per_class_table(y_true, y_pred, class_names=["a", "b", "c", "d"])
    expected = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    for index, name in enumerate("abcd"):
        row = table[table["class"] == name].iloc[0]
        assert row["precision"] == pytest.approx(expected[str(index)]["precision"])
        assert row["recall"] == pytest.approx(expected[str(index)]["recall"])
        assert row["f1"] == pytest.approx(expected[str(index)]["f1-score"])
        assert row["accuracy"] == row["recall"]
    for name in ("macro avg", "weighted avg"):
        row = table[table["class"] == name].iloc[0]
        assert row["f1"] == pytest.approx(expected[name]["f1-score"])
        assert row["precision"] == pytest.approx(expected[name]["precision"])


def test_a_class_never_predicted_is_noted_not_an_error():
    table = metrics.per_class_table([0, 1, 2, 2], [0, 1, 1, 1], class_names=["x", "y", "z"])
    z = table[table["class"] == "z"].iloc[0]
    assert z["precision"] == 0 and z["recall"] == 0 and z["note"] == "never predicted"


def test_paper_per_class_numbers_sit_beside_ours():
    table = metrics.per_class_table([0, 1], [0, 1], class_names=["cat", "dog"], paper_accuracy={"cat": 0.458})
    assert table["paper_accuracy"].iloc[0] == 0.458
    assert table["paper_accuracy"].iloc[1:].isna().all()


def test_confusion_counts_and_row_normalised():
    counts = metrics.confusion([0, 0, 1, 1], [0, 1, 1, 1], num_classes=3)
    assert counts.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    rows = metrics.confusion([0, 0, 1, 1], [0, 1, 1, 1], num_classes=3, normalize="true")
    assert rows.tolist() == [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 0]]   # an empty row stays zero


def test_most_confused_pairs_are_sorted_by_count():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [1, 1, 0, 0, 1, 0]
    table = metrics.most_confused(y_true, y_pred, class_names=["cat", "dog", "frog"])
    assert table.iloc[0][["true", "predicted", "count"]].tolist() == ["cat", "dog", 2]
    assert len(table) == 3 and (table["true"] != table["predicted"]).all()


def test_most_confused_orders_equal_counts_by_class_and_gives_the_share_of_the_true_class():
    table = metrics.most_confused([2, 2, 1, 0], [0, 1, 2, 1], class_names=["cat", "dog", "frog"])
    assert table[["true", "predicted"]].values.tolist() == [["cat", "dog"], ["dog", "frog"], ["frog", "cat"],
                                                            ["frog", "dog"]]
    assert table["share_of_true"].tolist() == [1.0, 1.0, 0.5, 0.5]


def test_the_confusion_summaries_agree_with_the_full_matrix():
    generator = np.random.default_rng(3)
    y_true, y_pred = generator.integers(0, 40, 2000), generator.integers(0, 40, 2000)
    full = metrics.confusion(y_true, y_pred, num_classes=40)
    worst = metrics.most_confused_classes(y_true, y_pred, num_classes=40, top=5)
    off = full - np.diag(np.diag(full))
    first = np.unravel_index(np.argmax(off), off.shape)   # the most frequent mistake: both its classes are in
    assert set(first) <= set(worst) and len(worst) <= 5 and list(worst) == sorted(worst)
    assert (metrics.confusion_among(y_true, y_pred, worst) == full[np.ix_(worst, worst)]).all()
    exact, size = metrics.binned_confusion(y_true, y_pred, num_classes=40, bins=50)
    assert size == 1 and np.allclose(exact, metrics.confusion(y_true, y_pred, num_classes=40, normalize="true"))
    blocks, size = metrics.binned_confusion(y_true, y_pred, num_classes=40, bins=8)
    grouped = full.reshape(8, 5, 8, 5).sum(axis=(1, 3))
    assert size == 5 and np.allclose(blocks, grouped / grouped.sum(axis=1, keepdims=True))


@pytest.mark.parametrize("ours, std, paper, expected", [
    (0.915, 0.002, 0.91, "level with the paper"),
    (0.96, 0.002, 0.93, "above the paper"),
    (0.80, 0.002, 0.859, "below the paper"),
    (0.88, 0.05, 0.91, "level with the paper"),     # within one standard deviation
    (float("nan"), float("nan"), 0.9, "not measured"),
])
def test_verdict_without_a_known_interval(ours, std, paper, expected):
    assert metrics.verdict(ours, std, paper) == expected


def test_a_difference_inside_the_noise_is_level():
    # One sequence of JapaneseVowels' 370 is 0.27 points: 98.4% against a published 99.2% is inside the noise.
    interval = metrics.noise(0.984, 0.992, examples=370)
    assert interval == pytest.approx(1.96 * np.sqrt((0.984 * 0.016 + 0.992 * 0.008) / 370))
    assert metrics.verdict(0.984, float("nan"), 0.992, interval=interval) == "level with the paper"
    # On 10,000 test images the same difference is not.
    interval = metrics.noise(0.984, 0.992, examples=10_000)
    assert metrics.verdict(0.984, float("nan"), 0.992, interval=interval) == "below the paper"
    # Seeds that disagree widen it: their standard error adds to the test split's.
    assert metrics.noise(0.76, 0.763, examples=10_000, std=0.02, seeds=4) > metrics.noise(0.76, 0.763,
                                                                                          examples=10_000)


def test_papers_way_takes_the_moving_averages_and_keeps_the_recomputed_number_as_our_extension():
    assert metrics.papers_way({"test_accuracy": 0.81, "test_accuracy_running_bn": 0.76}, "test_accuracy") \
        == (0.76, 0.81)
    assert metrics.papers_way({"test_accuracy": 0.98}, "test_accuracy") == (0.98, None)   # nothing recomputed
    # A run that recomputed the statistics but kept the paper's way only at the end: its curve is not the paper's.
    old = {"test_accuracy": 0.75, "test_accuracy_running_bn": 0.72, "test_accuracy_by_epoch": [0.5, 0.75]}
    assert metrics.papers_way(old, "test_accuracy_by_epoch") == (None, [0.5, 0.75])


def test_tables_from_a_saved_run(fixture_results):
    result = results.load(fixture_results)
    trials = metrics.trials_table(result)
    assert len(trials) == len(result.trials)
    assert trials.iloc[0]["best"] and trials.iloc[0]["trial"] == result.best_trial_id
    assert list(trials["val_accuracy_mean"]) == sorted(trials["val_accuracy_mean"], reverse=True)
    assert {"learning_rate", "iterations", "hidden_units"} <= set(trials.columns)
    paper = metrics.paper_table(result)
    assert len(paper) == len(result.paper_runs)
    assert paper.iloc[0]["setting"] == "baseline" and paper.iloc[0]["paper"] == 0.91


def test_training_seconds_add_every_recorded_training_once(fixture_results):
    result = results.load(fixture_results)
    trials = sum(e["duration_s"] for t in result.trials for e in t["executions"])
    assert metrics.training_seconds(result) == pytest.approx(trials + result.final["duration_s"])


def test_final_models_last_epochs_show_how_much_the_last_epoch_is_a_draw(fixture_results):
    data = results.load(fixture_results).to_dict()
    data["spec"]["paper"]["final"] = {"test_accuracy": 0.763}
    accuracies = [0.5 + 0.01 * i for i in range(20)] + [0.74, 0.76, 0.73, 0.77, 0.75, 0.72, 0.78, 0.75, 0.74, 0.76]
    data["final"]["history"] = {"unit": "epoch", "step": list(range(1, 31)), "val_accuracy": accuracies,
                                "test_accuracy": accuracies[:-1] + [0.77]}
    table = metrics.paper_table(results.RunResult.from_dict(data))
    row = table[table["measure"] == "test accuracy, mean of the last 10 epochs"].iloc[0]
    last = accuracies[20:29] + [0.77]
    assert row["ours_mean"] == pytest.approx(np.mean(last))
    assert row["ours_std"] == pytest.approx(np.std(last))
    assert "epochs 21-30: 72.0% to 78.0%" in row["source"]
    del data["final"]["history"]["test_accuracy"]    # not tracked: validation accuracy instead
    table = metrics.paper_table(results.RunResult.from_dict(data))
    row = table[table["measure"] == "validation accuracy, mean of the last 10 epochs"].iloc[0]
    assert pd.isna(row["paper"]) and row["verdict"] == ""    # validation is not compared with the paper's test


def test_the_final_model_is_compared_the_papers_way_with_recomputed_statistics_beside_it(fixture_results):
    data = results.load(fixture_results).to_dict()
    data["spec"]["paper"]["final"] = {"test_accuracy": 0.763, "test_loss": 0.69}
    data["final"]["metrics"].update(test_accuracy=0.81, test_accuracy_running_bn=0.70, test_loss=0.55,
                                    test_loss_running_bn=0.80)
    data["dataset"]["sizes"]["test"] = 10_000   # CIFAR-10's: 6.3 points is far outside its noise
    table = metrics.paper_table(results.RunResult.from_dict(data))
    row = table[(table["setting"] == "final model") & (table["measure"] == "test accuracy")].iloc[0]
    assert row["ours_mean"] == 0.70 and row["extension_mean"] == 0.81 and row["verdict"] == "below the paper"
    loss = table[table["measure"] == "test loss"].iloc[0]
    assert loss["ours_mean"] == 0.80 and loss["extension_mean"] == 0.55
    shown = formatting.paper_display(table)
    cell = shown[shown["measure"] == "test accuracy"].iloc[-1]["ours with recomputed batch-norm statistics "
                                                               "(our extension)"]
    assert cell == "81.0% (+11.0 pts)"
    assert not any("moving averages" in measure for measure in table["measure"])   # no separate row any more


def test_a_baseline_curve_kept_only_with_recomputed_statistics_is_not_compared(fixture_results):
    data = results.load(fixture_results).to_dict()
    run = data["paper_runs"][0]
    run["first_epoch_test_accuracy"] = 0.424
    run["executions"] = [{"seed": 42, "duration_s": 1.0, "test_accuracy": 0.75, "test_accuracy_running_bn": 0.7,
                          "test_accuracy_by_epoch": [0.56, 0.75]}]
    row = metrics.paper_table(results.RunResult.from_dict(data)).query("measure == 'test accuracy after epoch 1'")
    assert np.isnan(row.iloc[0]["ours_mean"]) and row.iloc[0]["extension_mean"] == pytest.approx(0.56)
    assert row.iloc[0]["verdict"].startswith("not comparable")
    for execution in run["executions"]:
        execution["test_accuracy_by_epoch_running_bn"] = [0.45, 0.68]
    row = metrics.paper_table(results.RunResult.from_dict(data)).query("measure == 'test accuracy after epoch 1'")
    assert row.iloc[0]["ours_mean"] == pytest.approx(0.45)


def test_a_loss_trained_with_label_smoothing_is_not_compared(fixture_results):
    data = results.load(fixture_results).to_dict()
    data["spec"]["paper"]["final"] = {"test_loss": 0.69}
    data["final"].setdefault("params", {})["label_smoothing"] = 0.2
    row = metrics.paper_table(results.RunResult.from_dict(data)).query("measure == 'test loss'").iloc[0]
    assert row["verdict"].startswith("not comparable")


def test_a_loss_verdict_says_worse_or_better():
    assert metrics.verdict(0.95, 0.0, 0.69, relative=True) == "worse than the paper (higher loss)"
    assert metrics.verdict(0.50, 0.0, 0.69, relative=True) == "better than the paper (lower loss)"


def test_a_meaningful_zero_is_shown_in_words():
    assert metrics.display_value("train_examples", 0) == "all"
    assert metrics.display_value("batch_size", 0) == "full batch"
    assert metrics.display_value("dropout", 0) == "0" and metrics.display_value("filters", [48, 96]) == "48/96"


def grid_result(fixture_results, scores: dict):
    """The saved run with its trials replaced by a full grid whose validation accuracies are `scores`."""
    import copy
    data = copy.deepcopy(results.load(fixture_results).to_dict())
    data["spec"]["search"] = {"learning_rate": [0.1, 0.2], "hidden_units": [16, 32, 64]}
    template = data["trials"][0]
    data["trials"] = []
    for i, ((rate, units), score) in enumerate(scores.items()):
        execution = {"seed": 42, "val_accuracy": score, "test_accuracy": score, "val_loss": 1 - score,
                     "test_loss": 1 - score, "duration_s": 1.0,
                     "history": {"unit": "epoch", "step": [1, 2], "val_accuracy": [score / 2, score]}}
        data["trials"].append({**template, "trial_id": f"t{i}", "status": "COMPLETED", "executions": [execution],
                               "hyperparameters": {"learning_rate": rate, "hidden_units": units}})
    data["best_trial_id"] = "t0"
    return results.RunResult.from_dict(data)


def test_main_effects_average_every_trial_that_used_a_value(fixture_results):
    scores = {(0.1, 16): 0.5, (0.1, 32): 0.6, (0.1, 64): 0.7, (0.2, 16): 0.7, (0.2, 32): 0.8, (0.2, 64): 0.9}
    effects = metrics.main_effects(grid_result(fixture_results, scores))
    rate = effects[effects["hyperparameter"] == "learning_rate"]
    assert rate["value"].tolist() == ["0.1", "0.2"] and rate["mean"].tolist() == pytest.approx([0.6, 0.8])
    units = effects[effects["hyperparameter"] == "hidden_units"]
    assert units["value"].tolist() == ["16", "32", "64"] and units["trials"].tolist() == [2, 2, 2]
    assert units["min"].tolist() == pytest.approx([0.5, 0.6, 0.7])


def test_importance_is_each_axis_share_of_the_variance(fixture_results):
    # Additive grid: learning rate moves the score by 0.2, hidden units by 0.1 per step; no interaction.
    scores = {(0.1, 16): 0.5, (0.1, 32): 0.6, (0.1, 64): 0.7, (0.2, 16): 0.7, (0.2, 32): 0.8, (0.2, 64): 0.9}
    shares = metrics.importance(grid_result(fixture_results, scores)).set_index("hyperparameter")
    total = np.var(list(scores.values()))
    assert shares.loc["learning_rate", "share_of_variance"] == pytest.approx(0.01 / total)
    assert shares.loc["hidden_units", "share_of_variance"] == pytest.approx((0.02 / 3) / total)
    assert shares["share_of_variance"].sum() == pytest.approx(1.0)     # additive: nothing left to interaction
    assert shares.loc["learning_rate", "best_value"] == "0.2" and shares.index[0] == "learning_rate"


def test_importance_needs_enough_trials(fixture_results):
    few = grid_result(fixture_results, {(0.1, 16): 0.5, (0.2, 16): 0.6, (0.1, 32): 0.7})
    assert metrics.importance(few).empty


def test_long_curves_have_one_row_per_trial_seed_and_step(fixture_results):
    scores = {(0.1, 16): 0.5, (0.2, 32): 0.8}
    long = metrics.curves_long(grid_result(fixture_results, scores))
    trials = long[long["trial"] != "final"]
    assert len(trials) == 4 and trials["step"].tolist() == [1, 2, 1, 2]
    assert trials["val_accuracy"].tolist() == pytest.approx([0.25, 0.5, 0.4, 0.8])
    assert set(trials["hidden_units"]) == {"16", "32"} and (long["trial"] == "final").any()


def test_published_results_are_compared_only_on_their_own_data_set(fixture_results):
    import copy
    data = copy.deepcopy(results.load(fixture_results).to_dict())
    data["spec"]["paper"]["references"] = [
        {"name": "FCN", "dataset": "aeon:JapaneseVowels", "test_accuracy": 0.993, "source": "Fawaz et al. 2019"}]
    on_digits = metrics.paper_table(results.RunResult.from_dict(data))
    assert "FCN" not in set(on_digits["setting"])
    data["dataset"]["name"] = "aeon:JapaneseVowels"
    on_vowels = metrics.paper_table(results.RunResult.from_dict(data))
    assert "FCN" in set(on_vowels["setting"])


def test_a_setting_not_measured_is_not_called_incomparable(fixture_results):
    # The smoke profile trains none of the paper's settings: they are "not measured", whatever the model.
    table = metrics.paper_table(results.load(fixture_results))
    unmeasured = table[table["ours_mean"].isna() & table["paper"].notna()]
    assert not unmeasured.empty
    assert not any(verdict.startswith("not comparable") for verdict in unmeasured["verdict"])
