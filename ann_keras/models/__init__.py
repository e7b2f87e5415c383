"""Model families: one module per family, its parameter schema (PARAMS) beside its builder.

A family module declares PARAMS (every key its builder and the training loop
may read, as specs.fields.Field), INPUT (the rank of one example it reads,
or None for any) and `build(input_shape, num_classes, params, augment)`.
Builders make the architecture only; the optimizer, loss and training loop
belong to search/training.py, so one builder serves the tuner and a plain
run alike. Keras is imported inside the builders, so that a spec can be
checked against PARAMS without starting TensorFlow.

A new family is one new module here plus its line in FAMILIES.
"""

from __future__ import annotations

import contextlib

from ..errors import DataError
from . import cnn, mlp, resnet, rnn

FAMILIES = {"mlp": mlp, "cnn": cnn, "resnet": resnet, "rnn": rnn}

# Each family's parameter schema: what a spec's [params], [search] and [final] may say for it.
PARAMS = {name: family.PARAMS for name, family in FAMILIES.items()}


def check_input(model: str, input_shape) -> None:
    """Raise DataError when examples of `input_shape` cannot feed `model`, saying which data would."""
    expected = FAMILIES[model].INPUT
    if expected is not None:
        rank, meaning, valid = expected
        if len(input_shape) != rank:
            raise DataError(f"the {model} model needs {meaning}, got examples of shape {tuple(input_shape)}; "
                            f"valid choices: {valid}")


def build(model: str, input_shape, num_classes: int, params: dict, augment: dict | None = None):
    """Return the keras.Model of family `model` built from `params`, in `params["precision"]`."""
    check_input(model, input_shape)
    with precision(params["precision"]):
        return FAMILIES[model].build(input_shape, num_classes, params, augment)


@contextlib.contextmanager
def precision(policy: str):
    """Build layers under Keras dtype `policy` (each layer keeps its own, so a saved model does too)."""
    import keras
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
