"""`ann-keras evaluate`: a run's final model tested again on its test split, with and without test-time augmentation.

Test-time augmentation (airbench's: the mean prediction over each image and
its mirror image, `tta_flip`, then also over the image shifted n pixels
up-left and down-right, `tta_translate`) is decided when a model is tested,
not when it is trained. So its worth can be measured on one saved model
instead of by training again: every variant below is the same weights on the
same test split, read again as the run read it (export.test_split: same
options and seed, and the run's data fingerprint must match).

Only image models have variants; a sequence or digits model is tested once,
as trained. The variant the run itself was tested with is marked, with the
test accuracy the run recorded, so a reader sees the model measured now is
the model the report speaks of.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .export import test_split
from .trained import Trained, held

# The shift tried when the run itself did not translate: airbench's.
DEFAULT_TRANSLATE = 2


@dataclass(frozen=True)
class Variant:
    """One way of testing: its name, its two switches, and what it measured."""

    name: str
    tta_flip: bool
    tta_translate: int
    test_accuracy: float
    test_loss: float
    seconds: float          # predicting the whole test split, the model already traced
    as_run: bool            # the run's own setting

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Evaluation:
    """Every variant of one run's final model on its test split."""

    run_dir: Path
    examples: int
    recorded_accuracy: float | None   # what the run recorded for its own setting
    variants: tuple[Variant, ...]

    def to_dict(self) -> dict:
        return {"run_dir": str(self.run_dir), "examples": self.examples, "recorded_accuracy": self.recorded_accuracy,
                "variants": [v.to_dict() for v in self.variants]}


def _own(params: dict) -> tuple[bool, int]:
    """The run's own (tta_flip, tta_translate)."""
    return bool(params.get("tta_flip")), int(params.get("tta_translate") or 0)


def settings(params: dict, images: bool) -> list[tuple[str, bool, int]]:
    """Return the (name, tta_flip, tta_translate) settings to test: none, flip, flip and shifts; the run's own too."""
    own = _own(params)
    if not images:
        return [("as trained", *own)]
    shift = own[1] or DEFAULT_TRANSLATE
    wanted = [(False, 0), (True, 0), (True, shift), own]
    unique = list(dict.fromkeys(wanted))
    return [(_name(flip, translate), flip, translate) for flip, translate in unique]


def _name(flip: bool, translate: int) -> str:
    parts = (["flip"] if flip else []) + ([f"translate {translate}"] if translate else [])
    return " + ".join(parts) or "none"


def evaluate(run_dir: Path, *, data_path: str | None = None) -> Evaluation:
    """Test the final model of `run_dir` under each setting of settings(); return every measurement.

    The run folder's lock is held throughout (trained.held): a `tune
    --overwrite` never replaces the folder while this reads it.
    """
    with held(Path(run_dir), "evaluate needs the run folder (its test split and settings)") as trained:
        return _evaluate(trained, data_path)


def _evaluate(trained: Trained, data_path: str | None) -> Evaluation:
    from ..training import evaluation, optimizers

    result = trained.result
    params = dict(result.final.get("params") or result.spec["params"])
    x_test, y_test = test_split(result, data_path)
    model = trained.load_model()
    loss = optimizers.loss_function(params, optimizers.emits_logits(model))
    targets = optimizers.targets(y_test, params, len(result.dataset["class_names"]))
    own = _own(params)
    # TensorFlow traces the model on its first call: done once here, so no variant's time includes it.
    model.predict(x_test[:1024], batch_size=1024, verbose=0)
    measured = []
    for name, flip, translate in settings(params, x_test.ndim == 4):
        started = time.perf_counter()
        scores = evaluation.predict(model, x_test, dict(params, tta_flip=flip, tta_translate=translate))
        seconds = time.perf_counter() - started
        measured.append(Variant(name, flip, translate, float(np.mean(scores.argmax(axis=1) == y_test)),
                                float(loss(targets, scores)), round(seconds, 3), (flip, translate) == own))
    recorded = (result.final.get("metrics") or {}).get("test_accuracy")
    return Evaluation(trained.run_dir, len(y_test), recorded, tuple(measured))
