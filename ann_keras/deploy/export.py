"""`ann-keras export`: the final model in another form, checked on the test split against the Keras model.

Formats:
- keras: the `.keras` file itself (Keras's own format), loaded back and run.
- savedmodel: TensorFlow's SavedModel (keras.Model.export), for TF Serving
  and any TensorFlow runtime; run through its `serve` signature.
- tflite: TensorFlow Lite (converted from the SavedModel), for phones and
  small devices; run through the TFLite interpreter.

The check runs the exported model on the run's test split (read again with
the run's data options and seed; its fingerprint must match the run's) and
compares its accuracy with the Keras model's on the same inputs: equal to
the last digit for keras and savedmodel, and within TFLITE_TOLERANCE for
TFLite, whose converter fuses and reorders operations. Everything is
written inside the run folder's `exports/`; the check is recorded in its
results.json (`exports`), which the report and the model card read.

The run folder's lock is held throughout (another export, or a tune or
train in the same folder, waits its turn), and every path written is
checked by files.inside: `exports/` or an export's name that is a link, or
an earlier export of another kind (a file where the SavedModel folder goes)
is refused before anything is written, so an export never deletes or writes
outside the run folder. Each export is written under a fresh temporary
name and renamed into place; one that fails removes its temporary.
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import backend, data, files, results
from ..errors import AnnKerasError, PathError
from .trained import Trained, held

FORMATS = ("keras", "savedmodel", "tflite")
EXPORTS_DIR = "exports"
TARGETS = {"keras": "model.keras", "savedmodel": "savedmodel", "tflite": "model.tflite"}   # inside EXPORTS_DIR
# TFLite may differ from the Keras model on a few borderline examples; at most this much accuracy (absolute).
TFLITE_TOLERANCE = 0.001
BATCH = 256


class ExportCheckFailed(AnnKerasError):
    """The exported model's accuracy differs from the Keras model's by more than its tolerance."""


@dataclass(frozen=True)
class Exported:
    """One export and its check."""

    format: str
    path: Path                 # inside the run folder
    keras_accuracy: float      # the Keras model on the test split, now
    exported_accuracy: float   # the exported model on the same inputs
    agreement: float           # fraction of test examples both classify alike
    tolerance: float
    examples: int

    def record(self, run_dir: Path) -> dict:
        return {"format": self.format, "path": self.path.relative_to(run_dir).as_posix(),
                "keras_accuracy": self.keras_accuracy, "exported_accuracy": self.exported_accuracy,
                "agreement": self.agreement, "tolerance": self.tolerance, "examples": self.examples,
                "passed": abs(self.exported_accuracy - self.keras_accuracy) <= self.tolerance,
                "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def export(run_dir: Path, fmt: str, *, data_path: str | None = None) -> Exported:
    """Write the final model of `run_dir` in `fmt` under run_dir/exports/, check it, record it; return the check."""
    if fmt not in FORMATS:
        raise AnnKerasError(f"--format {fmt!r}; valid: {', '.join(FORMATS)}")
    if fmt != "keras" and not backend.is_tensorflow():
        raise AnnKerasError(f"--format {fmt}: SavedModel and TFLite are TensorFlow's formats and this process runs "
                            f"Keras on {backend.name()}; valid here: --format keras (or KERAS_BACKEND=tensorflow "
                            "for the others)")
    with held(Path(run_dir), "export needs the run folder (its test split is the check)") as trained:
        return _export(trained, fmt, data_path)


def _export(trained: Trained, fmt: str, data_path: str | None) -> Exported:
    run_dir = trained.run_dir
    path = target(run_dir, fmt)   # refused before the data and the model are read
    x_test, y_test = test_split(trained.result, data_path)
    model = trained.load_model()
    keras_pred = _classes(model.predict(x_test, batch_size=BATCH, verbose=0))
    path.parent.mkdir(exist_ok=True)
    path = target(run_dir, fmt)   # again, now that exports/ exists
    exported_pred = _WRITERS[fmt](model, trained.model_file, path, x_test)
    tolerance = TFLITE_TOLERANCE if fmt == "tflite" else 0.0
    result = Exported(fmt, path, float(np.mean(keras_pred == y_test)), float(np.mean(exported_pred == y_test)),
                      float(np.mean(exported_pred == keras_pred)), tolerance, len(y_test))
    stored = trained.result
    stored.exports = [e for e in stored.exports if e.get("format") != fmt] + [result.record(run_dir)]
    results.save(stored, run_dir)   # atomic: the report and the model card read the check from here
    if abs(result.exported_accuracy - result.keras_accuracy) > tolerance:
        raise ExportCheckFailed(
            f"{path}: the exported model's test accuracy {result.exported_accuracy:.4%} differs from the Keras "
            f"model's {result.keras_accuracy:.4%} by more than {tolerance:.2%} (recorded in results.json)")
    return result


def target(run_dir: Path, fmt: str) -> Path:
    """Return where `fmt` is exported in `run_dir`, or raise PathError if writing there could reach outside it.

    Through files.inside: neither `exports` nor the export's own name may be
    a link. An earlier export of the same format is replaced; anything else
    under that name (a file where the SavedModel folder goes, a folder where
    a .keras file goes) is not ann-keras's to delete.
    """
    path = files.inside(run_dir, f"{EXPORTS_DIR}/{TARGETS[fmt]}")
    if path.parent.exists() and not path.parent.is_dir():
        raise PathError(f"{path.parent}: a file, where the exports folder goes; valid: move or remove it, then "
                        "export again")
    folder = fmt == "savedmodel"
    if path.exists() and path.is_dir() != folder:
        found, wanted = ("a file", "folder") if folder else ("a folder", "file")
        raise PathError(f"{path}: {found}, where the {fmt} export's {wanted} goes; ann-keras replaces only its own "
                        "earlier export; valid: move or remove it, then export again")
    return path


def test_split(result, data_path: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Read the run's test split again, as the run read it; refuse data other than the run's (export, evaluate)."""
    options = dict(result.spec["data"])
    if data_path:
        options["path"] = str(data_path)
    name = result.spec["dataset"]
    dataset = data.load(name, seed=result.seed, **options)
    recorded = result.dataset.get("fingerprint")
    if recorded and dataset.fingerprint != recorded:
        raise AnnKerasError(f"{name}: the data read now (fingerprint {dataset.fingerprint}) is not the data this "
                            f"run was trained on ({recorded}); valid: --data with the run's own copy")
    if not len(dataset.y_test):
        raise AnnKerasError(f"{name}: the run's test split is empty; there is nothing to test the model on")
    return dataset.x_test, dataset.y_test


def _classes(outputs) -> np.ndarray:
    return np.asarray(outputs).argmax(axis=1)


def _keras(model, model_file: Path, path: Path, x_test) -> np.ndarray:
    import keras
    # A fresh temporary, renamed over the link-free target.
    files.write_bytes(path, Path(model_file).read_bytes(), within=path.parent)
    reloaded = keras.saving.load_model(path, compile=False, safe_mode=True)
    return _classes(reloaded.predict(x_test, batch_size=BATCH, verbose=0))


def _savedmodel(model, model_file: Path, path: Path, x_test) -> np.ndarray:
    """Write the SavedModel in a fresh temporary folder, then put it in place of any earlier one.

    The earlier one is removed just before the rename (a folder cannot be
    renamed over a folder that has files), so a stopped export never leaves
    half a model under the final name; it is a real folder (target() refused
    a link), and rmtree unlinks any link inside it without following it.
    """
    import tensorflow as tf
    temporary = files.temporary_folder(path)
    try:
        _write_savedmodel(model, temporary, batch=None)
        files.inside(path.parent, path.name)   # again: a link made since target() looked is refused, not followed
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    loaded = tf.saved_model.load(str(path))   # kept: its signature refers to the loaded object's variables
    dtype = model.inputs[0].dtype   # raw pixel values arrive as uint8; the signature takes the model's input type
    return np.concatenate([_classes(loaded.serve(tf.constant(x_test[i:i + BATCH], dtype=dtype)))
                           for i in range(0, len(x_test), BATCH)])


def _write_savedmodel(model, folder: Path, batch: int | None) -> None:
    """Write a SavedModel whose `serve` runs the model for inference.

    training=False is passed explicitly: keras.Model.export calls the model
    without it, and Keras's augmentation layers then default to training,
    so the exported model would flip and crop every input it serves.
    """
    import keras
    import tensorflow as tf
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda x: model(x, training=False),
                         input_signature=[tf.TensorSpec([batch, *model.input_shape[1:]], model.inputs[0].dtype)])
    archive.write_out(str(folder), verbose=False)


def _tflite(model, model_file: Path, path: Path, x_test) -> np.ndarray:
    """Convert through a SavedModel that takes one example at a time, then run each test example through TFLite.

    A fixed batch of one is what a device feeds, and it lets the converter
    turn a recurrent layer's loop into TFLite's own kernels (with a free
    batch size, masked LSTMs need TensorFlow's Flex ops, which neither a
    phone's plain runtime nor this check's interpreter has).
    """
    import tempfile

    import tensorflow as tf
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".savedmodel-") as saved:
        _write_savedmodel(model, Path(saved), batch=1)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        flat = converter.convert()
    files.write_bytes(path, flat, within=path.parent)
    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    entry, exit_ = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    predicted = np.empty(len(x_test), dtype=np.int64)
    for index in range(len(x_test)):
        interpreter.set_tensor(entry["index"], x_test[index:index + 1].astype(entry["dtype"]))
        interpreter.invoke()
        predicted[index] = int(interpreter.get_tensor(exit_["index"]).argmax())
    return predicted


_WRITERS = {"keras": _keras, "savedmodel": _savedmodel, "tflite": _tflite}
