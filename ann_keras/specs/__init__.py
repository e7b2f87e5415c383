"""Experiment specs: `tuning/*.toml` read into a validated, frozen `Spec`.

A spec is data a user edits without touching code. Loading one applies a
profile (a named set of overrides, e.g. `smoke` for the tests) and then any
`--set key=value` overrides, and checks every key and type so that a typo
fails at once with a message naming the file, the key and the valid choices.
No TensorFlow here: reports and the CLI's argument checks import this module.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import names
from ..errors import SpecError, choices, shorten

# ---------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Field:
    """One allowed key: its type, bounds or choices, and what it means."""

    kind: type
    help: str
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    nullable: bool = False
    default: object = None  # used when the key is absent; None means the key is required

    def check(self, value, where: str):
        """Return `value` normalised to this field's type, or raise SpecError."""
        if value is None and self.nullable:
            return None
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.kind is list:
            if not isinstance(value, list) or not value:
                raise SpecError(f"{where}: expected a non-empty list, got {_short(value)}")
            return [_check_list_item(v, where) for v in value]
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise SpecError(f"{where}: expected {self.kind.__name__}, got {_short(value)} ({type(value).__name__})")
        if self.kind is float and not math.isfinite(value):
            raise SpecError(f"{where}: {value!r} is not a finite number")
        if self.choices and value not in self.choices:
            raise SpecError(f"{where}: {_short(value)} is not one of: {choices(self.choices)}")
        low_ok = (
            self.minimum is None
            or value > self.minimum
            or (value == self.minimum and not self.exclusive_minimum)
        )
        if not low_ok or (self.maximum is not None and value > self.maximum):
            bound = ">" if self.exclusive_minimum else ">="
            limits = f"{bound} {self.minimum}" if self.minimum is not None else ""
            if self.maximum is not None:
                limits += f"{' and ' if limits else ''}<= {self.maximum}"
            raise SpecError(f"{where}: {value!r} is out of range; expected {limits}")
        return value


# The largest list item: kernels per convolution, widths, stage numbers.
LIST_ITEM_MAXIMUM = 4096


def _check_list_item(value, where):
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= LIST_ITEM_MAXIMUM:
        raise SpecError(f"{where}: list items must be integers from 1 to {LIST_ITEM_MAXIMUM}, got {_short(value)}")
    return value


def _short(value) -> str:
    return shorten(repr(value))


_POSITIVE = dict(minimum=0, exclusive_minimum=True)
_FRACTION = dict(minimum=0, exclusive_minimum=True, maximum=0.9)

# Training settings shared by every model.
TRAINING_PARAMS = {
    "optimizer": Field(str, "gradient method", choices=("sgd", "adam")),
    "learning_rate": Field(float, "step size of the optimizer", **_POSITIVE, maximum=100.0),
    "loss": Field(str, "loss on one-hot targets", choices=("mse", "crossentropy")),
    "iterations": Field(int, "gradient steps (the paper's 'iterations'); excludes epochs", minimum=1,
                        maximum=10_000_000, nullable=True),
    "epochs": Field(int, "passes over the training split; excludes iterations", minimum=1, maximum=10_000,
                    nullable=True),
    "batch_size": Field(int, "examples per gradient step; 0 means the full training split", minimum=0,
                        maximum=1_000_000),
    "log_every": Field(int, "gradient steps between logged points when counting iterations", minimum=1,
                       maximum=10_000_000, default=100),
    "jit_compile": Field(bool, "compile the training step with XLA", default=True),
    "momentum": Field(float, "SGD momentum (Nesterov when > 0)", minimum=0, maximum=0.999, default=0.0),
    "weight_decay": Field(float, "decoupled weight decay of the optimizer (0 = none)", minimum=0, maximum=1.0,
                          default=0.0),
    "label_smoothing": Field(float, "cross-entropy label smoothing", minimum=0, maximum=0.5, default=0.0),
    "schedule": Field(str, "learning rate over training: constant, or one cycle (linear warm-up, then linear "
                           "decay to zero)", choices=("constant", "onecycle"), default="constant"),
    "warmup": Field(float, "fraction of training spent warming up (onecycle)", minimum=0, maximum=0.9,
                    default=0.2),
    "ema": Field(float, "keep an exponential moving average of the weights with this momentum (0 = off)",
                 minimum=0, maximum=0.9999, default=0.0),
    "tta_flip": Field(bool, "evaluate on each image and its mirror image, averaging the predictions",
                      default=False),
    "steps_per_execution": Field(int, "batches per compiled call when counting epochs", minimum=1,
                                 maximum=10_000, default=1),
    "train_examples": Field(int, "train on a stratified subset of this many training examples (0 = all)",
                            minimum=0, maximum=1_000_000_000, default=0),
    "track_test": Field(bool, "also measure test accuracy after every epoch (for the paper's per-epoch figures)",
                        default=False),
    "bn_recompute": Field(int, "before every evaluation, recompute batch normalisation's statistics on this many "
                               "clean training images (0 = keep the moving averages training left)", minimum=0,
                          maximum=10_000_000, default=0),
    "precision": Field(str, "arithmetic of the layers: float32, or bfloat16 with float32 weights and outputs "
                            "(Keras's mixed_bfloat16; fast on CPUs with AVX512-BF16 or AMX, and on GPUs)",
                       choices=("float32", "mixed_bfloat16"), default="float32"),
}

MODEL_PARAMS = {
    "mlp": {
        **TRAINING_PARAMS,
        "hidden_units": Field(int, "nodes per hidden layer", minimum=1, maximum=4096),
        "hidden_layers": Field(int, "number of hidden layers", minimum=1, maximum=32),
        "activation": Field(str, "hidden-layer activation", choices=("sigmoid", "relu", "tanh")),
        "output_activation": Field(str, "output-layer activation", choices=("sigmoid", "softmax", "linear")),
        "input_scale": Field(float, "factor applied to the inputs inside the model", **_POSITIVE, maximum=1e6),
    },
    "cnn": {
        **TRAINING_PARAMS,
        "filters": Field(list, "kernels per convolution pair, e.g. [48, 96]: two convolutions each"),
        "kernel_size": Field(int, "height and width of every kernel", minimum=1, maximum=32, default=3),
        "batch_norm": Field(bool, "batch normalisation after every convolution", default=True),
        "bn_momentum": Field(float, "batch normalisation's moving-average momentum", minimum=0, maximum=0.999,
                             default=0.99),
        "reduction": Field(str, "how each pair halves the image: the second convolution's stride, "
                                "max-pooling, or none", choices=("stride", "maxpool", "none")),
        "dropout": Field(float, "dropout rate after each convolution pair (where pooling would be)", minimum=0,
                         maximum=0.95),
        "dense_dropout": Field(float, "dropout rate after each hidden fully-connected layer", minimum=0,
                               maximum=0.95, default=0.0),
        "dense_units": Field(int, "nodes per fully-connected layer", minimum=1, maximum=8192),
        "dense_layers": Field(int, "fully-connected layers before the softmax", minimum=0, maximum=16),
        "augment": Field(bool, "apply the [augment] layers in training"),
    },
    "resnet": {
        **TRAINING_PARAMS,
        "widths": Field(list, "kernels of the stem and of each pooling stage, e.g. [32, 64, 128, 256]"),
        "residual_stages": Field(list, "stages (1-based) followed by a residual block of two convolutions"),
        "stem_pool": Field(bool, "max-pool right after the stem convolution", default=False),
        "logit_scale": Field(float, "factor on the logits before the softmax", minimum=0, exclusive_minimum=True,
                             maximum=1000.0, default=1.0),
        "bn_momentum": Field(float, "batch normalisation's moving-average momentum", minimum=0, maximum=0.999,
                             default=0.99),
        "dropout": Field(float, "dropout before the softmax", minimum=0, maximum=0.95, default=0.0),
        "augment": Field(bool, "apply the [augment] layers in training"),
    },
    "rnn": {
        **TRAINING_PARAMS,
        "cell": Field(str, "recurrent cell", choices=("simple", "lstm", "gru")),
        "units": Field(int, "units per recurrent layer (per direction)", minimum=1, maximum=4096),
        "recurrent_layers": Field(int, "stacked recurrent layers", minimum=1, maximum=16),
        "bidirectional": Field(bool, "read each sequence forwards and backwards"),
        "dropout": Field(float, "dropout on each cell's inputs", minimum=0, maximum=0.95, default=0.0),
        "recurrent_dropout": Field(float, "dropout on each cell's recurrent state", minimum=0, maximum=0.95,
                                   default=0.0),
        "masking": Field(bool, "skip padded time steps (variable-length sequences)", default=True),
    },
}

AUGMENT_FIELDS = {
    "horizontal_flip": Field(bool, "mirror left-right"),
    "vertical_flip": Field(bool, "mirror top-bottom"),
    "rotation": Field(float, "fraction of a full turn", minimum=0, maximum=0.5),
    "crop": Field(int, "pixels of padding before a random crop", minimum=0, maximum=64),
    "translation": Field(float, "fraction of height and width", minimum=0, maximum=0.5),
    "zoom": Field(float, "fraction", minimum=0, maximum=0.9),
    "brightness": Field(float, "fraction of the value range", minimum=0, maximum=1),
    "hue": Field(float, "fraction of the hue circle", minimum=0, maximum=1),
}

DATA_FIELDS = {
    "test_size": Field(float, "fraction held out for testing when the data set has no test split", **_FRACTION),
    "validation_size": Field(float, "fraction of the training split held out as the tuner's objective", **_FRACTION),
    "limit": Field(int, "keep this many training examples, stratified (0 = all); for quick runs", minimum=0,
                   maximum=1_000_000_000),
    "test_limit": Field(int, "keep this many test examples, stratified (0 = all)", minimum=0,
                        maximum=1_000_000_000),
    "path": Field(str, "where a file-based data set is read from ('' = its default; cifar10: Keras's download)"),
    "image_size": Field(int, "images are resized to image_size x image_size", minimum=4, maximum=1024),
    "channels": Field(int, "1 (grayscale) or 3 (RGB)", choices=(1, 3)),
}

TUNERS = ("grid", "random", "bayesian", "hyperband")
TUNER_FIELDS = {
    "name": Field(str, "search algorithm", choices=TUNERS),
    "executions": Field(int, "seeds per trial; every execution's numbers are kept", minimum=1, maximum=1000),
    "max_trials": Field(int, "stop after this many trials (0 = the whole grid)", minimum=0, maximum=100_000),
    "objective": Field(str, "what the search optimises: validation accuracy (maximised) or loss (minimised; "
                            "it still ranks trials when a small validation split is classified perfectly)",
                       choices=("val_accuracy", "val_loss")),
    "paper_runs": Field(bool, "also train the paper's settings that the search does not cover"),
}

PAPER_RUN_FIELDS = {
    "name": Field(str, "what the paper calls this setting"),
    "params": Field(dict, "overrides of [params] for this setting"),
    "baseline": Field(bool, "the setting other runs are compared with"),
    "test_accuracy": Field(float, "test accuracy the paper reports", minimum=0, maximum=1),
    "expect": Field(str, "the paper's finding relative to the baseline", choices=("above", "below", "inconclusive")),
    "first_epoch_test_accuracy": Field(float, "test accuracy after the first epoch", minimum=0, maximum=1),
    "best_epoch_test_accuracy": Field(float, "the highest test accuracy over the epochs", minimum=0, maximum=1),
    "best_epoch": Field(int, "the epoch of that highest test accuracy", minimum=1, maximum=10_000),
}
REFERENCE_FIELDS = {
    "name": Field(str, "the published method"),
    "dataset": Field(str, "the data set it was measured on; a report shows it only beside a run on that data set"),
    "test_accuracy": Field(float, "its reported test accuracy", minimum=0, maximum=1),
    "source": Field(str, "where it was published"),
}
PAPER_FINAL_FIELDS = {
    "test_accuracy": Field(float, "test accuracy of the paper's final model", minimum=0, maximum=1),
    "test_loss": Field(float, "test loss of the paper's final model", minimum=0, maximum=1e6),
}

TOP_LEVEL = ("name", "title", "description", "dataset", "model", "default_profile",
             "data", "params", "augment", "search", "tuner", "final", "paper", "notes", "profiles")
NOTE_FIELDS = {
    "title": Field(str, "what differs from the paper, or what a reader would otherwise take for a bug"),
    "text": Field(str, "why, from evidence: the measurements and the commands that made them"),
    "profiles": Field(list, "the profiles the note is about (default: every profile)"),
}
# The type of each top-level value and of a profile's own values; the tables' contents are checked field by field.
TOP_LEVEL_TYPES = {"name": str, "title": str, "description": str, "dataset": str, "model": str,
                   "default_profile": str, "data": dict, "params": dict, "augment": dict, "search": dict,
                   "tuner": dict, "final": dict, "paper": dict, "notes": list, "profiles": dict}
PROFILE_TYPES = {"description": str, "title": str, "dataset": str, "report_name": str, "data": dict, "params": dict,
                 "augment": dict, "search": dict, "tuner": dict, "final": dict}
PROFILE_TABLES = ("data", "params", "augment", "search", "tuner", "final")
SET_TABLES = ("data", "params", "augment", "search", "tuner", "final")

# ---------------------------------------------------------------- the spec


@dataclass(frozen=True)
class Spec:
    """A resolved experiment: the TOML file with its profile and overrides applied."""

    name: str
    title: str
    description: str
    path: str
    dataset: str
    model: str
    profile: str
    profile_description: str
    data: dict
    params: dict
    augment: dict
    search: dict
    tuner: dict
    final: dict
    paper: dict
    profiles: tuple = field(default=())   # every profile the file defines
    notes: tuple = field(default=())      # "where we differ and why", for this profile: {"title", "text"}
    report_name: str = ""                 # the folder under reports/ (the name unless a profile says)
    overrides: tuple = field(default=())

    @property
    def counted_in(self) -> str:
        """'iterations' or 'epochs': the unit the training length is given in."""
        return "iterations" if self.params.get("iterations") else "epochs"

    def to_dict(self) -> dict:
        """Return the spec as plain JSON-able data (stored in results.json)."""
        return {
            "name": self.name, "title": self.title, "description": self.description,
            "path": self.path, "dataset": self.dataset, "model": self.model,
            "profile": self.profile, "profile_description": self.profile_description,
            "data": self.data, "params": self.params, "augment": self.augment, "search": self.search,
            "tuner": self.tuner, "final": self.final, "paper": self.paper,
            "profiles": list(self.profiles), "report_name": self.report_name or self.name,
            "overrides": list(self.overrides), "notes": [dict(note) for note in self.notes],
        }

    def digest(self) -> str:
        """Return a short hash of everything that decides what a run computes.

        Optional parameters left at their defaults are not hashed, so a new
        release that adds an option (with a default that keeps the old
        behaviour) still finds and resumes an existing run folder.
        """
        payload = self.to_dict()
        for key in ("path", "title", "description", "profile_description", "paper", "notes", "profiles", "report_name",
                    "overrides"):
            payload.pop(key)
        fields = MODEL_PARAMS[self.model]
        for table in ("params", "final"):
            payload[table] = {key: value for key, value in payload[table].items()
                              if fields[key].default is None or value != fields[key].default}
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def with_params(self, overrides: dict, where: str) -> dict:
        """Return [params] with `overrides` applied and validated."""
        merged = {**self.params, **overrides}
        return _check_params(merged, self.model, where)


# ---------------------------------------------------------------- finding specs


def spec_dirs() -> list[Path]:
    """Folders searched for `<name>.toml`, in order of precedence."""
    package_root = Path(__file__).resolve().parents[2]
    return [
        Path.cwd() / "tuning",                          # the user's own, editable copies
        package_root / "tuning",                        # a source checkout (editable install)
        Path(sys.prefix) / "share" / "ann-keras" / "tuning",  # a regular `pip install`
    ]


def available() -> dict[str, Path]:
    """Return every experiment name that can be loaded, with its file."""
    found: dict[str, Path] = {}
    for folder in reversed(spec_dirs()):
        if folder.is_dir():
            found.update({p.stem: p for p in folder.glob("*.toml")})
    return dict(sorted(found.items()))


def find(experiment: str) -> Path:
    """Return the TOML file for an experiment name or path."""
    if experiment.endswith(".toml") or "/" in experiment:
        path = Path(experiment)
        if not path.is_file():
            raise SpecError(f"spec file {experiment!r} does not exist")
        return path
    specs = available()
    if experiment not in specs:
        raise SpecError(f"unknown experiment {experiment!r}; valid choices: {choices(specs) or '(none found)'}")
    return specs[experiment]


# ---------------------------------------------------------------- loading


def load(experiment: str, profile: str | None = None, overrides: tuple[str, ...] = ()) -> Spec:
    """Read, resolve and validate an experiment spec."""
    path = find(experiment)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: TOML syntax error: {error}") from None
    except RecursionError:
        raise SpecError(f"{path}: values nested too deeply to read") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read spec: {error}") from None
    return resolve(raw, str(path), profile, overrides)


def resolve(raw: dict, path: str, profile: str | None = None, overrides: tuple[str, ...] = ()) -> Spec:
    """Apply the profile and `--set` overrides to raw TOML data and validate it."""
    _check_keys(raw, TOP_LEVEL, f"{path}: top level")
    for key in ("name", "dataset", "model"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            raise SpecError(f"{path}: missing or empty top-level key {key!r}")
    _check_types(raw, TOP_LEVEL_TYPES, f"{path}: top level")
    names.check_plain(raw["name"], f"{path}: name", SpecError)   # runs/<name>/ and reports/<name>/
    model = raw["model"]
    if model not in MODEL_PARAMS:
        raise SpecError(f"{path}: model {model!r} is not one of: {choices(MODEL_PARAMS)}")

    profiles = raw.get("profiles", {})
    for name, table in profiles.items():
        _check_types({"profile": table}, {"profile": dict}, f"{path}: [profiles.{name}]")
    profile = profile or raw.get("default_profile")
    if not profile:
        raise SpecError(f"{path}: no profile given and no default_profile; valid choices: {choices(profiles)}")
    if profile not in profiles:
        raise SpecError(f"{path}: unknown profile {_short(profile)}; valid choices: {choices(profiles) or '(none)'}")
    chosen = dict(profiles[profile])
    _check_types(chosen, PROFILE_TYPES, f"{path}: [profiles.{profile}]")
    profile_description = chosen.pop("description", "")
    dataset = chosen.pop("dataset", raw["dataset"])   # e.g. synthetic data for the smoke profile
    report_name = chosen.pop("report_name", raw["name"])  # a profile on other data reports on its own page
    title = chosen.pop("title", raw.get("title", raw["name"]))   # ... under a title of its own
    names.check_plain(report_name, f"{path}: [profiles.{profile}] report_name", SpecError)
    _check_keys(chosen, PROFILE_TABLES, f"{path}: [profiles.{profile}]")

    tables = {key: copy.deepcopy(raw.get(key, {})) for key in PROFILE_TABLES}
    for key, table in chosen.items():
        tables[key].update(copy.deepcopy(table))
    for item in overrides:
        table, key, value = parse_override(item)
        tables[table][key] = value

    where = f"{path} [profile {profile}]"
    params = _check_params(tables["params"], model, f"{where} [params]")
    search = _check_search(tables["search"], model, f"{where} [search]")
    final = _check_table(tables["final"], MODEL_PARAMS[model], f"{where} [final]")
    augment = _check_table(tables["augment"], AUGMENT_FIELDS, f"{where} [augment]")
    data = _check_table({"test_size": 0.2, "validation_size": 0.2, "limit": 0, "test_limit": 0, "path": "",
                         "image_size": 32, "channels": 3, **tables["data"]},
                        DATA_FIELDS, f"{where} [data]")
    tuner = _check_table({"name": "grid", "executions": 3, "max_trials": 0, "objective": "val_accuracy",
                          "paper_runs": True, **tables["tuner"]}, TUNER_FIELDS, f"{where} [tuner]")
    paper = _check_paper(raw.get("paper", {}), model, f"{path} [paper]")
    notes = _check_notes(raw.get("notes", []), profiles, f"{path} [[notes]]")
    return Spec(
        name=raw["name"], title=title, description=raw.get("description", ""),
        path=path, dataset=dataset, model=model, profile=profile,
        profile_description=profile_description, data=data, params=params, augment=augment, search=search,
        tuner=tuner, final=final, paper=paper, profiles=tuple(profiles), report_name=report_name,
        notes=tuple({"title": n["title"], "text": n["text"].strip()} for n in notes
                    if profile in n.get("profiles", profiles)),
        overrides=tuple(overrides),
    )


def parse_override(item: str) -> tuple[str, str, object]:
    """Split `table.key=value` (or `key=value`, meaning [params]) into its parts.

    The value is read as a TOML value (`0.1`, `[32, 45]`, `true`, `"sgd"`); a
    bare word that is not valid TOML is taken as a string, so `optimizer=adam`
    works without quotes.
    """
    if "=" not in item:
        raise SpecError(f"--set {_short(item)}: expected key=value, e.g. params.learning_rate=0.05")
    key, text = (part.strip() for part in item.split("=", 1))
    table, _, name = key.rpartition(".")
    table = table or "params"
    if table not in SET_TABLES or not name:
        raise SpecError(f"--set {_short(item)}: unknown table {_short(table)}; valid choices: {choices(SET_TABLES)}")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    except RecursionError:
        raise SpecError(f"--set {_short(item)}: value nested too deeply") from None
    return table, name, value


# ---------------------------------------------------------------- validation


def _check_keys(table: dict, valid, where: str) -> None:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: expected a table, got {_short(table)}")
    for key in table:
        if key not in valid:
            raise SpecError(f"{where}: unknown key {_short(key)}; valid keys: {choices(valid)}")


def _check_types(table: dict, types: dict, where: str) -> None:
    """Check that each key present in `table` holds a value of its declared type (str, dict or list)."""
    for key, kind in types.items():
        if key in table and not isinstance(table[key], kind):
            wanted = {str: "a string", dict: "a table", list: "a list"}[kind]
            raise SpecError(f"{where}: {key} must be {wanted}, got {_short(table[key])}")


def _check_table(table: dict, fields: dict, where: str) -> dict:
    _check_keys(table, fields, where)
    return {key: fields[key].check(value, f"{where} {key}") for key, value in table.items()}


def _check_params(params: dict, model: str, where: str) -> dict:
    fields = MODEL_PARAMS[model]
    defaults = {key: f.default for key, f in fields.items() if f.default is not None}
    checked = _check_table({**defaults, **params}, fields, where)
    missing = sorted(set(fields) - set(checked) - {"iterations", "epochs"})
    if missing:
        raise SpecError(f"{where}: missing keys: {', '.join(missing)}")
    counts = [key for key in ("iterations", "epochs") if checked.get(key)]
    if len(counts) != 1:
        raise SpecError(f"{where}: give exactly one of iterations or epochs, got {counts or 'neither'}")
    if checked.get("iterations") and checked["iterations"] % checked["log_every"]:
        raise SpecError(f"{where}: iterations {checked['iterations']} is not a multiple of "
                        f"log_every {checked['log_every']}")
    return checked


def _check_search(search: dict, model: str, where: str) -> dict:
    fields = MODEL_PARAMS[model]
    _check_keys(search, fields, where)
    axes = {}
    for key, values in search.items():
        if not isinstance(values, list) or not values:
            raise SpecError(f"{where} {key}: a search axis needs a non-empty list of values, got {values!r}")
        axes[key] = [fields[key].check(value, f"{where} {key}") for value in values]
        if len({json.dumps(v) for v in axes[key]}) != len(values):
            raise SpecError(f"{where} {key}: values repeat in {values!r}")
    return axes


def _check_notes(notes: list, profiles: dict, where: str) -> list[dict]:
    """Check the spec's "where we differ and why" notes: a title and a text each, and known profile names."""
    checked = []
    for index, note in enumerate(notes):
        here = f"{where}[{index}]"
        _check_keys(note, NOTE_FIELDS, here)
        _check_types(note, {"title": str, "text": str, "profiles": list}, here)
        missing = [key for key in ("title", "text") if key not in note]
        if missing:
            raise SpecError(f"{here}: missing keys: {', '.join(missing)}")
        if not all(isinstance(name, str) for name in note.get("profiles", [])):
            raise SpecError(f"{here} profiles: expected a list of profile names, got {_short(note['profiles'])}")
        unknown = [name for name in note.get("profiles", []) if name not in profiles]
        if unknown:
            raise SpecError(f"{here} profiles: unknown profile {_short(unknown[0])}; valid choices: "
                            f"{choices(profiles)}")
        checked.append(note)
    return checked


def _check_paper(paper: dict, model: str, where: str) -> dict:
    _check_keys(paper, ("source", "notes", "runs", "final", "best", "per_class_accuracy", "references"), where)
    _check_types(paper, {"source": str, "notes": str, "runs": list, "final": dict, "best": dict,
                         "per_class_accuracy": dict, "references": list}, where)
    runs = []
    for index, run in enumerate(paper.get("runs", [])):
        run_where = f"{where} runs[{index}]"
        _check_keys(run, PAPER_RUN_FIELDS, run_where)
        checked = _check_table(run, PAPER_RUN_FIELDS, run_where)
        if "name" not in checked:
            raise SpecError(f"{run_where}: missing key 'name'")
        checked["params"] = _check_table(checked.get("params", {}), MODEL_PARAMS[model], f"{run_where} params")
        runs.append(checked)
    if sum(run.get("baseline", False) for run in runs) > 1:
        raise SpecError(f"{where}: more than one run is marked baseline = true")
    final = _check_table(paper.get("final", {}), PAPER_FINAL_FIELDS, f"{where} final")
    best = _check_table(paper.get("best", {}), MODEL_PARAMS[model], f"{where} best")
    per_class = paper.get("per_class_accuracy", {})
    _check_keys(per_class, per_class, f"{where} per_class_accuracy")
    per_class = {name: Field(float, "", minimum=0, maximum=1).check(value, f"{where} per_class_accuracy {name}")
                 for name, value in per_class.items()}
    references = [_check_table(ref, REFERENCE_FIELDS, f"{where} references[{i}]")
                  for i, ref in enumerate(paper.get("references", []))]
    for i, ref in enumerate(references):
        missing = [key for key in ("name", "dataset", "test_accuracy") if key not in ref]
        if missing:
            raise SpecError(f"{where} references[{i}]: missing keys: {', '.join(missing)}")
    return {"source": paper.get("source", ""), "notes": paper.get("notes", ""), "runs": runs, "final": final,
            "best": best, "per_class_accuracy": per_class, "references": references}
