"""The search algorithms a spec's [tuner] name may choose: the registry, name -> how its oracle is made.

Each entry takes the spec and the settings every oracle shares (objective,
seed, failure tolerance) and returns a Keras Tuner oracle. Keras Tuner is
imported inside the entries, so that the names can check a spec (through
experiments.CATALOG) without starting TensorFlow. A new search algorithm
is an oracle class in search/oracles.py (or Keras Tuner's own) and a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .plan import grid_size

if TYPE_CHECKING:
    import keras_tuner as kt

    from ..specs import Spec


def _grid(spec: Spec, common: dict) -> kt.Oracle:
    from .oracles import GridSearchOracle
    return GridSearchOracle(max_trials=spec.tuner["max_trials"] or None, **common)


def _random(spec: Spec, common: dict) -> kt.Oracle:
    from .oracles import RandomSearchOracle
    return RandomSearchOracle(max_trials=spec.tuner["max_trials"] or grid_size(spec), **common)


def _bayesian(spec: Spec, common: dict) -> kt.Oracle:
    from .oracles import BayesianOptimizationOracle
    return BayesianOptimizationOracle(max_trials=spec.tuner["max_trials"] or grid_size(spec), **common)


def _hyperband(spec: Spec, common: dict) -> kt.Oracle:
    from .oracles import HyperbandOracle
    # Hyperband's budget is in Keras epochs: logged points when counting iterations.
    length = spec.params["iterations"] // spec.params["log_every"] if spec.params.get("iterations") \
        else spec.params["epochs"]
    return HyperbandOracle(max_epochs=max(length, 2), **common)


TUNERS: dict[str, Callable[[Spec, dict], kt.Oracle]] = {
    "grid": _grid,            # every combination of the [search] axes, in order (the paper's method)
    "random": _random,        # max_trials combinations drawn at random
    "bayesian": _bayesian,    # a Gaussian process proposes the next combination from the scores so far
    "hyperband": _hyperband,  # many short trainings, the best continued longer
}


def make_oracle(spec: Spec, seed: int) -> kt.Oracle:
    """Return the oracle the spec's [tuner] names, optimising its objective."""
    import keras_tuner as kt

    from .oracles import objective_direction
    objective = kt.Objective(spec.tuner["objective"], direction=objective_direction(spec.tuner["objective"]))
    # A bad grid point fails its own trial; only a run of failures stops the search.
    common = dict(objective=objective, seed=seed, max_consecutive_failed_trials=max(3, grid_size(spec)))
    return TUNERS[spec.tuner["name"]](spec, common)
