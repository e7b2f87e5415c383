"""TensorBoard event files for every training of a run, and the HParams dashboard's view of its search.

Everything lands under `<run folder>/tensorboard/`, one folder per training:

    tensorboard/
        (the HParams experiment: the search's axes and the metrics it shows)
        trial_0003/            (one trial: its hyperparameters and mean metrics)
            seed42/train, seed42/validation    (Keras's per-epoch scalars)
            seed42-fold0/...   (with [tuner] folds, one folder per fold)
        paper_runs/0-seed42/   refit/0003-seed42/   final/

TensorBoard's own event-file writer writes the per-epoch scalars under the
tags Keras's TensorBoard callback uses (epoch_loss, epoch_accuracy,
epoch_learning_rate), and the HParams plugin's summary API makes the trial
sessions. TensorBoard makes every record; nothing here imports TensorFlow,
so the same files come from every Keras backend.
`ann-keras tensorboard RUN_DIR` shows them.
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import keras
import numpy as np
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.plugins.scalar import summary_v2 as scalars
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from .. import backend, files

LOG_DIR = "tensorboard"

# The per-trial numbers the HParams table shows: the objective's candidates and the test split's.
METRICS = (
    ("val_accuracy", "validation accuracy (mean over seeds; over folds too with [tuner] folds)"),
    ("val_loss", "validation loss (mean over seeds and folds)"),
    ("train_accuracy", "training accuracy at the end of training"),
    ("test_accuracy", "test accuracy (absent in a cross-validated search until its refit)"),
)


def log_dir(run_folder: Path, *parts: str) -> Path:
    """Return the event-file folder of one training inside a run folder (PathError if a link leads out of it)."""
    return files.inside(Path(run_folder), Path(LOG_DIR, *parts))


def callback(folder: Path) -> keras.callbacks.Callback:
    """Return a Keras callback writing each logged point's metrics to `folder`/train and `folder`/validation."""
    return EpochScalars(folder)


class EpochScalars(keras.callbacks.Callback):
    """Per-epoch loss, accuracy and learning rate, under the tags and folders of Keras's TensorBoard callback.

    Keras's own callback also hooks every batch (for its profiler and its
    per-batch mode), which sends the training loop back to Python after each
    step: 9% more search time for the digits-seq cells in `make bench`. This
    one acts once per logged point, through TensorBoard's event-file
    writer, and TensorBoard shows the same charts.
    """

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)
        self.writers = {}

    def on_train_begin(self, logs=None):
        self.writers = {split: _writer(self.folder / split) for split in ("train", "validation")}

    def on_epoch_end(self, epoch, logs=None):
        values = {("validation", key[4:]) if key.startswith("val_") else ("train", key): value
                  for key, value in (logs or {}).items() if key != "time_s"}
        rate = getattr(self.model.optimizer, "learning_rate", None)
        if rate is not None:   # a backend tensor or variable (a MirroredVariable under a distribution strategy)
            values[("train", "learning_rate")] = np.asarray(keras.ops.convert_to_numpy(rate))
        for (split, name), value in values.items():
            _write(self.writers[split], scalars.scalar_pb(f"epoch_{name}", float(value)), epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self.writers.values():
            writer.close()


def write_experiment(run_folder: Path, search: dict, objective: str) -> None:
    """Declare the HParams experiment: every search axis with its values, and the metrics per trial."""
    folder = log_dir(run_folder)
    if any(folder.glob("events.out.tfevents.*")):
        return   # a resumed search: declared when it started
    hparams = [hp.HParam(name, hp.Discrete(_values(values))) for name, values in search.items()]
    metrics = [hp.Metric(tag, display_name=tag + (" (objective)" if tag == objective else ""), description=text)
               for tag, text in METRICS]
    if objective not in dict(METRICS):
        metrics.insert(0, hp.Metric(objective, display_name=f"{objective} (objective)"))
    writer = _writer(folder)
    _write(writer, hp.hparams_config_pb(hparams=hparams, metrics=metrics), 0)
    writer.close()


def write_trial(run_folder: Path, trial_id: str, hyperparameters: dict, metrics: dict) -> None:
    """Write one trial's session: its hyperparameters and its mean metrics (step 0), beside its trainings."""
    writer = _writer(log_dir(run_folder, f"trial_{trial_id}"))
    _write(writer, hp.hparams_pb({name: _value(value) for name, value in hyperparameters.items()},
                                 trial_id=trial_id), 0)
    for tag, value in metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            _write(writer, scalars.scalar_pb(tag, float(value)), 0)
    writer.close()


def _writer(folder: Path) -> EventFileWriter:
    """TensorBoard's writer of one event file in `folder` (made if missing)."""
    if not backend.is_tensorflow() and "tensorboard.compat.notf" not in sys.modules:
        # TensorBoard's file functions come from TensorFlow where it is installed, and from its own stub where
        # the module tensorboard.compat.notf exists (TensorBoard's switch): a JAX or PyTorch run starts no TensorFlow.
        sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return EventFileWriter(str(folder))


def _write(writer: EventFileWriter, summary, step: int) -> None:
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))


def _value(value):
    """HParams take bool, number or string; anything else (a list) is shown as its text."""
    return value if isinstance(value, (bool, int, float, str)) else str(value)


def _values(values: list) -> list:
    """Return a search axis's values in the one type a Discrete domain takes (ints and floats become floats)."""
    converted = [_value(v) for v in values]
    kinds = {type(v) for v in converted}
    if len(kinds) == 1:
        return converted
    if kinds == {int, float}:
        return [float(v) for v in converted]
    return [str(v) for v in converted]
