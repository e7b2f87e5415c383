"""Model families: one module per family, its parameter schema (PARAMS) beside its builder.

A family module declares PARAMS (every key its builder and the training loop
may read, as specs.fields.Field), INPUT (the kind of examples it reads, a
key of data.KINDS, or None for any) and `build(input_shape, num_classes, params, augment)`.
Builders make the architecture only; the optimizer, loss and training loop
belong to the training package, so one builder serves the tuner and a plain
run alike. Keras is imported inside the builders, so that a spec can be
checked against PARAMS without starting TensorFlow.

A new family is one new module here plus its line in FAMILIES.
"""

from __future__ import annotations

import contextlib

from .. import data
from ..errors import DataError, choices
from . import airbench, cnn, mlp, rnn

FAMILIES = {"mlp": mlp, "cnn": cnn, "airbench": airbench, "rnn": rnn}

# Each family's parameter schema: what a spec's [params], [search] and [final] may say for it.
PARAMS = {name: family.PARAMS for name, family in FAMILIES.items()}


def check_data(model: str, dataset: str) -> None:
    """Raise DataError, before anything is loaded, when data set `dataset` cannot feed family `model`."""
    source, _ = data.find(dataset)
    wanted = FAMILIES[model].INPUT
    if wanted is not None and source.kind != wanted:
        raise DataError(f"the {model} model needs {data.KINDS[wanted][1]}, but data set {dataset!r} gives "
                        f"{source.gives}; valid choices: {_fitting(wanted)}")


def check_input(model: str, input_shape) -> None:
    """Raise DataError when loaded examples of `input_shape` cannot feed `model` (a source gave another kind)."""
    wanted = FAMILIES[model].INPUT
    if wanted is not None:
        rank, meaning = data.KINDS[wanted]
        if len(input_shape) != rank:
            raise DataError(f"the {model} model needs {meaning}, got examples of shape {tuple(input_shape)}; "
                            f"valid choices: {_fitting(wanted)}")


def _fitting(kind: str) -> str:
    """The data sets that give examples of `kind`, for a message."""
    return choices(s.pattern for s in data.SOURCES if s.kind == kind)


def build(model: str, input_shape, num_classes: int, params: dict, augment: dict | None = None):
    """Return the keras.Model of family `model` built from `params`, in `params["precision"]`."""
    check_input(model, input_shape)
    with precision(params["precision"]):
        return FAMILIES[model].build(input_shape, num_classes, params, augment)


def resolve_precision(policy: str) -> str:
    """Return the Keras dtype policy `policy` names: `auto` becomes mixed_bfloat16 or float32 by the hardware."""
    if policy != "auto":
        return policy
    from .. import backend
    from .bfloat16 import auto_precision
    return auto_precision(gpu=bool(backend.gpus()))


@contextlib.contextmanager
def precision(policy: str):
    """Build layers under Keras dtype `policy` (each layer keeps its own, so a saved model does too)."""
    import keras
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolve_precision(policy))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
