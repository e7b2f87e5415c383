"""TensorBoard event files for every training of a run, and the HParams dashboard's view of its search.

Everything lands under `<run folder>/tensorboard/`, one folder per training:

    tensorboard/
        (the HParams experiment: the search's axes and the metrics it shows)
        trial_0003/            (one trial: its hyperparameters and mean metrics)
            seed42/train, seed42/validation    (Keras's per-epoch scalars)
            seed42-fold0/...   (with [tuner] folds, one folder per fold)
        paper_runs/0-seed42/   refit/0003-seed42/   final/

Keras's own TensorBoard callback writes the per-epoch scalars (epoch_loss,
epoch_accuracy, epoch_learning_rate); the HParams plugin's summary API
writes the trial sessions. Nothing here writes event files by hand.
`ann-keras tensorboard RUN_DIR` shows them.
"""

from __future__ import annotations

from pathlib import Path

LOG_DIR = "tensorboard"

# The per-trial numbers the HParams table shows: the objective's candidates and the test split's.
METRICS = (
    ("val_accuracy", "validation accuracy (mean over seeds; over folds too with [tuner] folds)"),
    ("val_loss", "validation loss (mean over seeds and folds)"),
    ("train_accuracy", "training accuracy at the end of training"),
    ("test_accuracy", "test accuracy (absent in a cross-validated search until its refit)"),
)


def log_dir(run_folder: Path, *parts: str) -> Path:
    """Return the event-file folder of one training inside a run folder."""
    return Path(run_folder, LOG_DIR, *parts)


def callback(folder: Path):
    """Return Keras's TensorBoard callback writing per-epoch scalars to `folder`.

    No graph, no profiler, no histograms: each logged point costs one small
    write, and a search with many trainings stays as fast as without.
    """
    import keras
    return keras.callbacks.TensorBoard(str(folder), histogram_freq=0, write_graph=False, write_images=False,
                                       update_freq="epoch", profile_batch=0)


def write_experiment(run_folder: Path, search: dict, objective: str) -> None:
    """Declare the HParams experiment: every search axis with its values, and the metrics per trial."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    folder = log_dir(run_folder)
    if any(folder.glob("events.out.tfevents.*")):
        return   # a resumed search: declared when it started
    hparams = [hp.HParam(name, hp.Discrete(_values(values))) for name, values in search.items()]
    metrics = [hp.Metric(tag, display_name=tag + (" (objective)" if tag == objective else ""), description=text)
               for tag, text in METRICS]
    if objective not in dict(METRICS):
        metrics.insert(0, hp.Metric(objective, display_name=f"{objective} (objective)"))
    with tf.summary.create_file_writer(str(folder)).as_default():
        hp.hparams_config(hparams=hparams, metrics=metrics)


def write_trial(run_folder: Path, trial_id: str, hyperparameters: dict, metrics: dict) -> None:
    """Write one trial's session: its hyperparameters and its mean metrics (step 0), beside its trainings."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    with tf.summary.create_file_writer(str(log_dir(run_folder, f"trial_{trial_id}"))).as_default():
        hp.hparams({name: _value(value) for name, value in hyperparameters.items()}, trial_id=trial_id)
        for tag, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                tf.summary.scalar(tag, float(value), step=0)


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
