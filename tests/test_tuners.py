"""The search algorithms' registry: every name a spec may choose makes its oracle."""

import keras_tuner as kt
import pytest

from ann_keras import experiments
from ann_keras.search import oracles, tuners
from ann_keras.search.tuners import TUNERS


def test_the_spec_checker_knows_exactly_the_registered_tuners():
    assert experiments.CATALOG.tuners == tuple(TUNERS) == ("grid", "random", "bayesian", "hyperband")


@pytest.mark.parametrize("name, oracle", [
    ("grid", oracles.GridSearchOracle), ("random", oracles.RandomSearchOracle),
    ("bayesian", oracles.BayesianOptimizationOracle), ("hyperband", oracles.HyperbandOracle),
])
def test_each_name_makes_its_resumable_oracle(name, oracle):
    spec = experiments.load("ann", "smoke", (f"tuner.name={name}",))
    made = tuners.make_oracle(spec, seed=3)
    assert type(made) is oracle and isinstance(made, kt.Oracle)
    assert made.objective.name == spec.tuner["objective"] and made.seed == 3


def test_budgets_follow_the_spec():
    spec = experiments.load("ann", "smoke", ("tuner.name=random", "tuner.max_trials=2"))
    assert tuners.make_oracle(spec, seed=0).max_trials == 2
    spec = experiments.load("ann", "smoke", ("tuner.name=hyperband",))
    points = spec.params["iterations"] // spec.params["log_every"]
    assert tuners.make_oracle(spec, seed=0).max_epochs == max(points, 2)
