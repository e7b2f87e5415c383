from ann_keras import experiments
from ann_keras.search import plan


def test_grid_size_and_planned_trials():
    assert plan.grid_size(experiments.load("ann")) == 8
    assert plan.planned_trials(experiments.load("ann", "smoke")) == 4
    assert plan.planned_trials(experiments.load("ann", "smoke", ("tuner.max_trials=3",))) == 3
    assert plan.planned_trials(experiments.load("ann", "smoke", ("tuner.name=hyperband",))) is None


def test_the_cnn_cpu_plan_counts_baseline_grid_and_final_in_examples_seen():
    spec = experiments.load("cnn", "cpu")
    train = 45_000
    baseline = 10 * train                                   # the paper's 10-epoch baseline on every image
    grid = 9 * spec.params["epochs"] * spec.params["train_examples"]
    final = 50 * train                                      # the final model on every image
    assert plan.planned_work(spec, "tune", train, 5_000) == baseline + grid + final


def test_a_cross_validated_plan_counts_every_fold_and_the_refits_once():
    spec = experiments.load("rnn", "cpu")
    train, validation, folds = 243, 27, spec.tuner["folds"]
    epochs = spec.params["epochs"]
    per_fold = (train + validation) * (folds - 1) // folds
    search = 3 * folds * epochs * per_fold
    refits = 2 * epochs * (train + validation)              # the third cell's refit is the final model
    final = epochs * (train + validation)
    assert plan.planned_work(spec, "tune", train, validation) == search + refits + final


def test_train_plans_the_final_model_once_per_seed():
    spec = experiments.load("rnn", "smoke")
    assert plan.planned_work(spec, "train", 240) == spec.params["epochs"] * 240 * spec.tuner["executions"]
