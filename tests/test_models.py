"""The family registry: dispatch, input checks, and every parameter a builder or the training loop reads declared."""

import pytest

from ann_keras import data, experiments, models, specs
from ann_keras.errors import DataError
from ann_keras.training import fitting


def test_build_dispatches_by_name():
    params = experiments.load("ann", "smoke").params
    assert models.build("mlp", (64,), 10, params).name == "mlp"


def test_every_family_is_registered_with_its_schema_and_input():
    assert set(models.FAMILIES) == set(models.PARAMS) == {"mlp", "cnn", "airbench", "rnn"}
    for family in models.FAMILIES.values():
        assert callable(family.build)
        assert family.INPUT is None or family.INPUT in data.KINDS


class Recorder(dict):
    """A params dict that remembers every key read from it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


SHAPES = {"mlp": (64,), "cnn": (16, 16, 3), "airbench": (16, 16, 3), "rnn": (8, 8)}


@pytest.mark.parametrize("name", sorted(specs.available()))
def test_every_key_a_builder_reads_is_declared_in_its_schema(name):
    spec = experiments.load(name, "smoke")
    params = Recorder(spec.params)
    models.build(spec.model, SHAPES[spec.model], 10, params, spec.augment)
    undeclared = params.read - set(models.PARAMS[spec.model])
    assert not undeclared, f"{spec.model} reads undeclared keys: {sorted(undeclared)}"
    assert params.read, "the recorder saw nothing: the test would pass for any builder"


@pytest.mark.parametrize("name", sorted(specs.available()))
def test_every_key_the_training_loop_reads_is_declared(name, tmp_path):
    """Train one tiny execution of each experiment's smoke profile with recording params."""
    from ann_keras import data
    spec = experiments.load(name, "smoke", ("tuner.executions=1",))
    dataset = data.load(spec.dataset, seed=0, **spec.data)
    params = Recorder({**spec.params, **({"iterations": 2, "log_every": 1} if spec.params.get("iterations")
                                         else {"epochs": 1})})
    fitting.train(spec.model, params, dataset, seed=0, augment=spec.augment)
    undeclared = params.read - set(models.PARAMS[spec.model])
    assert not undeclared, f"training reads undeclared keys: {sorted(undeclared)}"
    assert {"optimizer", "learning_rate", "batch_size"} <= params.read


def test_an_image_model_refuses_sequences_before_building():
    with pytest.raises(DataError, match=r"the cnn model needs images"):
        models.build("cnn", (8, 8), 10, experiments.load("cnn", "smoke").params)


def test_auto_precision_builds_in_what_this_machine_computes_fastest(monkeypatch):
    from ann_keras.models import bfloat16
    params = experiments.load("ann", "smoke").with_params({"precision": "auto"}, "test")
    for flags, policy in (({"avx512_bf16"}, "mixed_bfloat16"), (set(), "float32")):
        monkeypatch.setattr(bfloat16, "_cpu_flags", lambda: flags)
        model = models.build("mlp", (64,), 10, params)
        assert model.layers[-1].dtype_policy.name == policy
