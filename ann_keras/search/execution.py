"""One seeded execution of a run's settings: trained, reported as it goes, logged for TensorBoard, then freed.

Every stage of a run trains through `train`: a search's trials and folds,
the paper's extra settings, `ann-keras train` and the final model.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import keras

from ..data import Dataset
from ..training import fitting, tensorboard_logs
from . import events


@contextlib.contextmanager
def train(run, params: dict, dataset: Dataset, seed: int, *, log: tuple[str, ...], budget: int | None = None,
          resume_dir: Path | None = None):
    """Train one seeded execution of `params` for `run` (a search.run.Run); yield it, then free its memory.

    The one way every stage trains: a search's trials, the paper's extra
    settings, `train` and the final model. Keras's session is cleared when
    the block ends, after the caller has kept what it needs (numbers, the
    saved model). `log` names its TensorBoard folder inside the run folder
    (tensorboard_logs.log_dir), e.g. ("trial_0003", "seed42").
    """
    stage = "/".join(log)
    settings = {name: params[name] for name in run.spec.search if name in params}

    def progress(epoch: int, epochs: int, examples: int, seconds: float) -> None:
        if epoch == 0:
            run.on_event(events.TrainingStarted(stage, settings, epochs, examples, params.get("iterations") or 0))
        else:
            run.on_event(events.EpochEnded(stage, epoch, epochs, examples, seconds))

    try:
        yield fitting.train(run.spec.model, params, dataset, seed=seed, augment=run.spec.augment,
                            verbose=run.verbose, budget=budget, resume_dir=resume_dir, strategy=run.strategy,
                            log_dir=tensorboard_logs.log_dir(run.folder, *log) if run.tensorboard else None,
                            on_progress=progress)
    finally:
        keras.backend.clear_session(free_memory=True)
