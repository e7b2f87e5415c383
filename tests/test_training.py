import numpy as np
import pytest

from ann_keras import data, specs, training


@pytest.fixture(scope="module")
def small():
    spec = specs.load("ann", "smoke")
    return spec, data.load("digits", seed=1, limit=400)


def test_full_batch_iterations_learn_and_log_per_step(small):
    spec, dataset = small
    params = spec.with_params({"iterations": 400, "log_every": 100, "learning_rate": 0.5}, "test")
    run = training.train("mlp", params, dataset, seed=1)
    assert run.history["unit"] == "iteration"
    assert run.history["step"] == [100, 200, 300, 400]
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert run.metrics["test_accuracy"] > 0.3          # ten classes: chance is 0.1
    assert set(run.metrics) == {f"{s}_{m}" for s in ("train", "val", "test") for m in ("accuracy", "loss")}
    assert run.y_pred.shape == dataset.y_test.shape


def test_same_seed_gives_the_same_numbers(small):
    spec, dataset = small
    a = training.train("mlp", spec.params, dataset, seed=5)
    b = training.train("mlp", spec.params, dataset, seed=5)
    c = training.train("mlp", spec.params, dataset, seed=6)
    assert a.metrics == b.metrics
    assert a.history["loss"] != c.history["loss"]


def test_epochs_minibatches_crossentropy_and_adam(small):
    spec, dataset = small
    params = dict(spec.params, iterations=None, epochs=3, batch_size=32, loss="crossentropy",
                  optimizer="adam", learning_rate=0.01, output_activation="softmax")
    run = training.train("mlp", params, dataset, seed=1)
    assert run.history["unit"] == "epoch" and run.history["step"] == [1, 2, 3]
    assert run.metrics["test_accuracy"] > 0.5


def test_minibatch_iterations_and_budget(small):
    spec, dataset = small
    params = dict(spec.params, batch_size=16, iterations=300, log_every=100)
    run = training.train("mlp", params, dataset, seed=1, budget=2)
    assert run.history["step"] == [100, 200]


def test_targets_are_one_hot_for_mse_only():
    labels = np.array([0, 2])
    assert training.targets(labels, {"loss": "mse"}, 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert training.targets(labels, {"loss": "crossentropy"}, 3) is labels
