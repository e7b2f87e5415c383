"""results.json: the one contract between training and reports. No TensorFlow here.

A run folder holds Keras Tuner's project, the saved model and results.json;
the reports are rebuilt from results.json alone. The contract is declared
twice over, on purpose: as types here (what the code reads and writes) and
as results.schema.json (what a file from anyone must hold before a report
trusts it). Files from older versions are migrated on load, step by step.
"""

from __future__ import annotations

import base64
import enum
import functools
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TypedDict

from . import names
from .errors import ResultsError, shorten
from .files import read_json, write_json

SCHEMA_VERSION = 2
RESULTS_FILE = "results.json"


# ---------------------------------------------------------------- the records inside


class Status(enum.StrEnum):
    """How a trial ended (Keras Tuner's TrialStatus values, as results.json stores them)."""

    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    INVALID = "INVALID"
    STOPPED = "STOPPED"
    RUNNING = "RUNNING"
    IDLE = "IDLE"


class Execution(TypedDict, total=False):
    """One seed of one configuration: its end-of-training metrics and curves.

    Cross-validated ([tuner] folds): train_* and val_* are the means over
    the folds, each fold's numbers are in `folds`, and test_* (with every
    other number of that model, in `refit`) come from training again on the
    whole training split after the search.
    """

    seed: int
    duration_s: float
    train_accuracy: float
    train_loss: float
    val_accuracy: float
    val_loss: float
    test_accuracy: float
    test_loss: float
    history: dict                    # per logged point: {"unit", "step", "loss", "accuracy", "val_loss", ...}
    test_accuracy_by_epoch: list     # where test accuracy was tracked every epoch
    worker: str                      # the worker process that ran it, in a distributed search
    folds: list                      # cross-validated: [{"fold", "train_accuracy", "val_accuracy", ...}, ...]
    refit: dict                      # cross-validated and refit: the refit model's metrics and duration


class Trial(TypedDict):
    """One configuration of the search with every execution's numbers."""

    trial_id: str
    status: str                      # a Status value
    hyperparameters: dict
    budget: int | None               # Hyperband's epochs for this round; None: the full length
    score: float | None              # the objective: the mean over executions
    executions: list[Execution]
    message: str | None              # why it failed, in one line


def trial(trial_id: str, hyperparameters: dict, executions: list[Execution], *, status: str = Status.COMPLETED,
          budget: int | None = None, score: float | None = None, message: str | None = None) -> Trial:
    """Return a trial record: the one place its keys are written."""
    return Trial(trial_id=trial_id, status=str(status), hyperparameters=hyperparameters, budget=budget,
                 score=score, executions=executions, message=message)


def mean_std(executions: list[Execution], key: str) -> tuple[float, float]:
    """Return the mean and population standard deviation of `key` over executions (NaN where none has it)."""
    import numpy as np
    numbers = [execution[key] for execution in executions if execution.get(key) is not None]
    if not numbers:
        return float("nan"), float("nan")
    return float(np.mean(numbers)), float(np.std(numbers))


def completed(trial: Trial) -> bool:
    """Whether the trial ran to its end and has numbers to compare."""
    return trial["status"] == Status.COMPLETED and bool(trial["executions"])


# ---------------------------------------------------------------- the run


@dataclass
class RunResult:
    """Everything one `tune` or `train` run produced, as stored in results.json."""

    kind: str                  # "tune" or "train"
    experiment: str
    title: str
    command: str
    seed: int
    spec: dict                 # the resolved spec (specs.Spec.to_dict)
    dataset: dict              # data.Dataset.describe()
    environment: dict          # package versions and hardware
    started: str
    finished: str
    wall_time_s: float
    timings: dict              # seconds per stage: data, search, paper_runs, final
    trials: list[Trial]        # every ended trial, in the order they ended
    best_trial_id: str | None
    final: dict                # the retrained best: params, metrics, history, y_true, y_pred
    paper_runs: list = field(default_factory=list)  # the paper's settings, measured
    augmentation: dict = field(default_factory=dict)  # sample images and augmented copies (encode_images)
    baselines: list = field(default_factory=list)     # aeon classifiers on the same splits: name, label, executions
    exports: list = field(default_factory=list)       # `ann-keras export`: each form written and its test-split check
    schema_version: int = SCHEMA_VERSION

    @property
    def profile(self) -> str:
        return self.spec["profile"]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = "results.json") -> "RunResult":
        """Return a RunResult, or raise ResultsError naming the first thing that breaks the contract."""
        if not isinstance(data, dict):
            raise ResultsError(f"{where}: expected a JSON object")
        data = migrate(data, where)
        validate(data, where)
        names = [f.name for f in fields(cls)]
        return cls(**{name: data[name] for name in names if name in data})


# ---------------------------------------------------------------- older versions


def _v1_to_v2(data: dict) -> dict:
    """Version 2 records the content fingerprint of the data a run read (None: not recorded)."""
    dataset = data.get("dataset")
    if isinstance(dataset, dict):
        dataset.setdefault("fingerprint", None)
    return data


# schema_version -> the step that turns it into the next version.
MIGRATIONS = {1: _v1_to_v2}


def migrate(data: dict, where: str = "results.json") -> dict:
    """Return `data` in the current schema_version, or raise ResultsError for a version we never wrote."""
    version = data.get("schema_version")
    if type(version) is not int or (version != SCHEMA_VERSION and version not in MIGRATIONS):   # not bool either
        raise ResultsError(f"{where}: schema_version {shorten(repr(version))} is not supported; valid choices: "
                           f"{', '.join(str(v) for v in (*MIGRATIONS, SCHEMA_VERSION))}")
    while version != SCHEMA_VERSION:
        data = MIGRATIONS[version](dict(data))
        version = data["schema_version"] = version + 1
    return data


# ---------------------------------------------------------------- the contract, checked

SCHEMA_FILE = Path(__file__).with_name("results.schema.json")


@functools.cache
def _validator():
    import jsonschema
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate(data: dict, where: str = "results.json") -> None:
    """Raise ResultsError unless `data` keeps the results.json contract.

    The declared schema (results.schema.json) fixes every type a report
    reads; the checks below it are the ones a schema cannot say: lengths
    that must agree and labels that must name a class.
    """
    import jsonschema
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(top level)"
        message = error.message
        if error.validator == "pattern":   # the only pattern is a plain folder name
            message = f"{shorten(repr(error.instance))} cannot name a folder; use {names.RULE}"
        elif error.validator == "maxLength":   # the value itself may be megabytes: its length, not its text
            message = f"{len(error.instance):,} characters; valid: at most {error.validator_value:,}"
        raise ResultsError(f"{where}: {at.lstrip('.')}: {shorten(message, 160)}")
    classes = len(data["dataset"]["class_names"])
    final = data["final"]
    if final:
        if len(final["y_pred"]) != len(final["y_true"]):
            raise ResultsError(f"{where}: final.y_pred has {len(final['y_pred'])} labels but final.y_true has "
                               f"{len(final['y_true'])}; they must agree")
        if max(final["y_true"] + final["y_pred"], default=0) >= classes:
            raise ResultsError(f"{where}: final.y_true or y_pred holds a label >= {classes}, the number of "
                               "classes in dataset.class_names")
        history = final["history"]
        for key, values in history.items():
            if key != "unit" and len(values) != len(history["step"]):
                raise ResultsError(f"{where}: final.history.{key} has {len(values)} points but "
                                   f"final.history.step has {len(history['step'])}")
    trial_ids = [trial["trial_id"] for trial in data["trials"]]
    if data["best_trial_id"] is not None and data["best_trial_id"] not in trial_ids:
        raise ResultsError(f"{where}: best_trial_id {shorten(repr(data['best_trial_id']))} is not one of the trials: "
                           f"{shorten(', '.join(trial_ids) or '(none)')}")
    stored = data.get("augmentation") or {}
    if stored:
        shape, text = stored["images"]["shape"], stored["images"]["uint8_base64"]
        size = len(text) // 4 * 3 - text[-2:].count("=")
        if len(text) % 4 or size != math.prod(shape):
            raise ResultsError(f"{where}: augmentation.images holds {size} bytes, not the "
                               f"{math.prod(shape)} its shape {shape} declares")
        if len(stored["labels"]) != shape[0]:
            raise ResultsError(f"{where}: augmentation.labels has {len(stored['labels'])} names for "
                               f"{shape[0]} rows of images")


def save(result: RunResult, run_dir: Path) -> Path:
    """Write results.json into `run_dir` atomically; return its path."""
    path = Path(run_dir) / RESULTS_FILE
    write_json(path, result.to_dict(), within=run_dir)
    return path


def load(path: Path) -> RunResult:
    """Read a RunResult from a run folder or a results.json file."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS_FILE
    if not path.exists():
        raise ResultsError(f"{path}: no results.json here; give a run folder from runs/<experiment>/")
    return RunResult.from_dict(read_json(path), str(path))


def encode_images(images) -> dict:
    """Return a uint8 array as JSON-able data: its shape and its bytes in base64."""
    import numpy as np
    array = np.ascontiguousarray(images, dtype=np.uint8)
    return {"shape": list(array.shape), "uint8_base64": base64.b64encode(array.tobytes()).decode("ascii")}


def decode_images(stored: dict):
    """Undo `encode_images`."""
    import numpy as np
    data = base64.b64decode(stored["uint8_base64"])
    return np.frombuffer(data, dtype=np.uint8).reshape(stored["shape"])
