"""`ann-keras predict`: a trained model's top classes for a user's own inputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import inputs
from .trained import locate


@dataclass(frozen=True)
class Prediction:
    """One input's top classes, most probable first: [(class name, probability), ...]."""

    input: str
    top: list[tuple[str, float]]

    def to_dict(self) -> dict:
        return {"input": self.input, "top": [{"class": name, "probability": round(p, 6)} for name, p in self.top]}


def predict(target: Path, paths: list[Path], top: int = 3) -> tuple[list[Prediction], list[str]]:
    """Classify each readable input with the model `target` names; return the predictions and the skipped lines."""
    trained = locate(target)
    model = trained.load_model()
    kind, input_shape = trained.reads(model)   # results.json checked against the model before it sizes anything
    read = inputs.read(paths, kind, input_shape, trained.scaling)
    if not len(read.x):
        return [], read.skipped
    probabilities = _probabilities(model, read.x)
    names = trained.class_names or tuple(f"class {i}" for i in range(probabilities.shape[1]))
    predictions = []
    for name, row in zip(read.names, probabilities):
        order = np.argsort(-row, kind="stable")[:top]
        predictions.append(Prediction(name, [(names[i], float(row[i])) for i in order]))
    return predictions, read.skipped


# Inputs handed to Keras at a time: model.predict copies its whole input into a tensor first.
CHUNK = 4096


def _probabilities(model, x: np.ndarray) -> np.ndarray:
    """Return class probabilities (a model with a linear output gives logits: softmax them)."""
    from ..training.optimizers import emits_logits
    out = np.concatenate([np.asarray(model.predict(x[start:start + CHUNK], batch_size=256, verbose=0),
                                     dtype=np.float64) for start in range(0, len(x), CHUNK)])
    if emits_logits(model):
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    return out
