"""results.json: the one contract between training and reports. No TensorFlow here.

A run folder holds Keras Tuner's project, the saved model and results.json;
the reports are rebuilt from results.json alone. Every file is written to a
temporary name and renamed, so a kill never leaves half a file behind.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path

from . import names
from .errors import ResultsError, shorten

SCHEMA_VERSION = 1
_UMASK = os.umask(0o022)
os.umask(_UMASK)
RESULTS_FILE = "results.json"


# ---------------------------------------------------------------- atomic files


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, as UTF-8."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_UMASK)   # mkstemp makes 0600; reports are meant to be shared
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    """Write `data` as indented JSON, atomically."""
    write_text(path, json.dumps(data, indent=1, allow_nan=True) + "\n")


def read_json(path: Path):
    """Return the JSON in `path`, or raise ResultsError naming the file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path}: unreadable JSON ({error})") from None
    except RecursionError:
        raise ResultsError(f"{path}: unreadable JSON (values nested too deeply)") from None


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
    trials: list               # one dict per trial, each with its executions
    best_trial_id: str | None
    final: dict                # the retrained best: params, metrics, history, y_true, y_pred
    paper_runs: list = field(default_factory=list)  # the paper's settings, measured
    augmentation: dict = field(default_factory=dict)  # sample images and augmented copies (encode_images)
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
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ResultsError(f"{where}: schema_version {shorten(repr(version))} is not supported; "
                               f"valid choices: {SCHEMA_VERSION}")
        validate(data, where)
        names = [f.name for f in fields(cls)]
        return cls(**{name: data[name] for name in names if name in data})


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
    write_json(path, result.to_dict())
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


# ---------------------------------------------------------------- environment

PACKAGES = ("ann-keras", "tensorflow", "tensorflow-cpu", "keras", "keras-tuner", "numpy",
            "scikit-learn", "pandas", "matplotlib")


def usable_cpus() -> int:
    """Return how many cores this process may run on (its affinity mask, where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def environment(gpus: list[str] | None = None) -> dict:
    """Return package versions and the hardware, for the report's summary."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {
        "versions": versions,
        "hardware": {
            "machine": platform.machine(),
            "system": f"{platform.system()} {platform.release()}",
            "cpu": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "usable_cpus": usable_cpus(),
            "memory_gib": _memory_gib(),
            "gpus": list(gpus or []),
        },
        "argv": list(sys.argv),
        "source": source_revision(),
    }


def source_revision() -> dict:
    """Return the git commit of the ann-keras source that ran, and whether it had local changes.

    Empty when the package is not a git checkout (an installed wheel): the
    version number is then what identifies the code.
    """
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return {}
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                  "ann_keras", "tuning"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": commit, "local_changes": bool(changed)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None
