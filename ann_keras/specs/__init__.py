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
import numbers
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import names
from ..errors import SpecError, choices
from .fields import (DATA_DEFAULTS, DATA_FIELDS, NOTE_FIELDS, PAPER_FINAL_FIELDS, PAPER_RUN_FIELDS, PROFILE_TABLES,
                     PROFILE_TYPES, REFERENCE_FIELDS, SET_TABLES, TOP_LEVEL, TOP_LEVEL_TYPES, TUNER_DEFAULTS,
                     TUNER_FIELDS, Field, short_repr)

__all__ = ["Catalog", "Field", "Spec", "available", "find", "format_override", "load", "parse_override",
           "resolve"]

# ---------------------------------------------------------------- what a spec may say


@dataclass(frozen=True)
class Catalog:
    """The schemas a spec is checked against that live beside their code, downstream of specs.

    `families` maps each model family to its parameters (models.PARAMS),
    `augment` is the augmentation's table (models.augment.FIELDS), `tuners`
    the search algorithms [tuner] name may choose (search.tuners.TUNERS),
    `baselines` the classifiers [baselines] may name, with their options
    (models.aeon_classifiers.OPTIONS).
    The package's own catalog is assembled in ann_keras/experiments.py;
    specs never import the models or the search, so the spec stays
    upstream of everything.
    """

    families: Mapping[str, Mapping[str, Field]]
    augment: Mapping[str, Field]
    tuners: tuple[str, ...]
    baselines: Mapping[str, Mapping[str, Field]] = field(default_factory=dict)   # [baselines]: name -> options


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
    catalog: Catalog | None = field(default=None, compare=False, repr=False)   # what params were checked against
    data_option: str = ""                 # the data path --data or the environment gave (absolute), else ""
    dataset_option: str = ""              # the data set --dataset chose, else "" (the profile's)
    baselines: dict = field(default_factory=dict)   # classifiers measured beside ours: name -> options

    @property
    def param_fields(self) -> Mapping[str, Field]:
        """The parameters this spec's model family declares."""
        return self.catalog.families[self.model]

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
            "data_option": self.data_option, "dataset_option": self.dataset_option,
            "baselines": self.baselines,
        }

    def digest(self, data_fingerprint: str | None = None) -> str:
        """Return a short hash of everything that decides what a run computes.

        Optional parameters left at their defaults are not hashed, so a new
        release that adds an option (with a default that keeps the old
        behaviour) still finds and resumes an existing run folder. With
        `data_fingerprint` (a digest of the data files' content), the data is
        named by what it holds instead of where it lies: its path, in [data]
        path or after the data set's colon, is left out.
        """
        payload = self.to_dict()
        for key in ("path", "title", "description", "profile_description", "paper", "notes", "profiles", "report_name",
                    "overrides", "data_option", "dataset_option"):
            payload.pop(key)
        fields = self.param_fields
        for table in ("params", "final"):
            payload[table] = {key: value for key, value in payload[table].items()
                              if fields[key].default is None or value != fields[key].default}
        payload["tuner"] = {key: value for key, value in payload["tuner"].items()
                            if key not in TUNER_DEFAULTS or value != TUNER_DEFAULTS[key]}
        if not payload["baselines"]:
            payload.pop("baselines")
        if data_fingerprint is not None:
            payload["data"] = {k: v for k, v in payload["data"].items() if k != "path"}
            payload["dataset"] = self.dataset.partition(":")[0]
            payload["data_fingerprint"] = data_fingerprint
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def with_params(self, overrides: dict, where: str) -> dict:
        """Return [params] with `overrides` applied and validated."""
        merged = {**self.params, **overrides}
        return _check_params(merged, self.param_fields, where)


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


def load(experiment: str, profile: str | None = None, overrides: tuple[str, ...] = (), *, catalog: Catalog,
         data_path: str | None = None, data_fallbacks: Mapping[str, str] | None = None,
         dataset: str | None = None) -> Spec:
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
    return resolve(raw, str(path), profile, overrides, catalog=catalog, data_path=data_path,
                   data_fallbacks=data_fallbacks, dataset=dataset)


def resolve(raw: dict, path: str, profile: str | None = None, overrides: tuple[str, ...] = (), *,
            catalog: Catalog, data_path: str | None = None, data_fallbacks: Mapping[str, str] | None = None,
            dataset: str | None = None) -> Spec:
    """Apply the profile, `--set` overrides, `--dataset` and `--data` to raw TOML data and validate it.

    `dataset` (--dataset) replaces the profile's data set. On another data set
    than the profile's, the run reports on a page of its own, named after the
    data, without the paper's numbers (they were measured on the spec's data);
    published references stay, as each names its own data set.

    `data_path` is where --data says the data set's files are; without it, a
    data set with no [data] path reads `data_fallbacks[dataset]` where there
    is one (a path from the environment, e.g. $ANN_KERAS_CIFAR10). Either is
    stored as an absolute path, so the run folder is the same however the
    path was written, and kept as `data_option` for the reproduce command.
    """
    _check_keys(raw, TOP_LEVEL, f"{path}: top level")
    for key in ("name", "dataset", "model"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            raise SpecError(f"{path}: missing or empty top-level key {key!r}")
    _check_types(raw, TOP_LEVEL_TYPES, f"{path}: top level")
    names.check_plain(raw["name"], f"{path}: name", SpecError)   # runs/<name>/ and reports/<name>/
    model = raw["model"]
    if model not in catalog.families:
        raise SpecError(f"{path}: model {short_repr(model)} is not one of: {choices(catalog.families)}")
    fields = catalog.families[model]

    profiles = raw.get("profiles", {})
    for name, table in profiles.items():
        _check_types({"profile": table}, {"profile": dict}, f"{path}: [profiles.{name}]")
    profile = profile or raw.get("default_profile")
    if not profile:
        raise SpecError(f"{path}: no profile given and no default_profile; valid choices: {choices(profiles)}")
    if profile not in profiles:
        raise SpecError(f"{path}: unknown profile {short_repr(profile)}; "
                        f"valid choices: {choices(profiles) or '(none)'}")
    chosen = dict(profiles[profile])
    _check_types(chosen, PROFILE_TYPES, f"{path}: [profiles.{profile}]")
    profile_description = chosen.pop("description", "")
    own_dataset = chosen.pop("dataset", raw["dataset"])   # e.g. synthetic data for the smoke profile
    report_name = chosen.pop("report_name", raw["name"])  # a profile on other data reports on its own page
    title = chosen.pop("title", raw.get("title", raw["name"]))   # ... under a title of its own
    if dataset is not None and (not isinstance(dataset, str) or not dataset):
        raise SpecError(f"--dataset {short_repr(dataset)}: expected a data set name, e.g. aeon:BasicMotions")
    other_data = dataset is not None and dataset != own_dataset
    if other_data:
        key, colon, argument = dataset.partition(":")
        short = key + colon + Path(argument.rstrip("/")).name   # images:~/pictures/flowers -> images:flowers
        report_name, title = f"{report_name}-{names.plain(short)}", f"{title}, on {short} instead of {own_dataset}"
    dataset = dataset if other_data else own_dataset
    names.check_plain(report_name, f"{path}: [profiles.{profile}] report_name", SpecError)
    _check_keys(chosen, PROFILE_TABLES, f"{path}: [profiles.{profile}]")

    tables = {key: copy.deepcopy(raw.get(key, {})) for key in PROFILE_TABLES}
    for key, table in chosen.items():
        tables[key].update(copy.deepcopy(table))
    for item in overrides:
        table, key, value = parse_override(item)
        tables[table][key] = value

    where = f"{path} [profile {profile}]"
    params = _check_params(tables["params"], fields, f"{where} [params]")
    search = _check_search(tables["search"], fields, f"{where} [search]")
    final = _check_table(tables["final"], fields, f"{where} [final]")
    augment = _check_table(tables["augment"], catalog.augment, f"{where} [augment]")
    data = _check_table({**DATA_DEFAULTS, **tables["data"]}, DATA_FIELDS, f"{where} [data]")
    data_option = _data_option(data, dataset, data_path, data_fallbacks or {}, where)
    if data_option:
        data["path"] = data_option
    tuner = _check_table({"name": "grid", "executions": 3, "max_trials": 0, "objective": "val_accuracy",
                          "paper_runs": True, **TUNER_DEFAULTS, **tables["tuner"]}, TUNER_FIELDS, f"{where} [tuner]")
    if tuner["folds"] == 1:
        raise SpecError(f"{where} [tuner] folds: 1 is not a cross-validation; valid: 0 (one validation split) or "
                        "2 to 50 folds")
    if tuner["name"] not in catalog.tuners:
        raise SpecError(f"{where} [tuner] name: {short_repr(tuner['name'])} is not one of: {choices(catalog.tuners)}")
    baselines = _check_baselines(tables["baselines"], catalog.baselines, f"{where} [baselines]")
    paper = _check_paper(raw.get("paper", {}), fields, f"{path} [paper]")
    if other_data:
        paper.update(runs=[], final={}, best={}, per_class_accuracy={})
    notes = _check_notes(raw.get("notes", []), profiles, f"{path} [[notes]]")
    return Spec(
        name=raw["name"], title=title, description=raw.get("description", ""),
        path=path, dataset=dataset, model=model, profile=profile,
        profile_description=profile_description, data=data, params=params, augment=augment, search=search,
        tuner=tuner, final=final, paper=paper, profiles=tuple(profiles), report_name=report_name,
        notes=tuple({"title": n["title"], "text": n["text"].strip()} for n in notes
                    if profile in n.get("profiles", profiles)),
        overrides=tuple(overrides), catalog=catalog, data_option=data_option,
        dataset_option=dataset if other_data else "", baselines=baselines,
    )


def _data_option(data: dict, dataset: str, data_path: str | None, fallbacks: Mapping[str, str], where: str) -> str:
    """Return the absolute data path that --data (or the environment) gives, or "" where the spec decides."""
    if data_path:
        if data["path"]:
            raise SpecError(f"--data {data_path}: the spec already reads [data] path = {data['path']!r} "
                            f"({where}); give one of the two")
        return str(Path(data_path).resolve())
    fallback = fallbacks.get(dataset)
    return str(Path(fallback).resolve()) if fallback and not data["path"] else ""


def _check_baselines(table: dict, known: Mapping[str, Mapping[str, Field]], where: str) -> dict:
    """Return [baselines] as name -> options with defaults filled; `name = false` (in a profile) leaves one out."""
    checked = {}
    for name, options in table.items():
        if name not in known:
            raise SpecError(f"{where}: unknown classifier {short_repr(name)}; "
                            f"valid choices: {choices(known) or '(none)'}")
        if options is False:
            continue
        if not isinstance(options, dict):
            raise SpecError(f"{where} {name}: expected a table of options (or false), got {short_repr(options)}")
        defaults = {key: f.default for key, f in known[name].items()}
        checked[name] = _check_table({**defaults, **options}, known[name], f"{where} {name}")
    return checked


def parse_override(item: str) -> tuple[str, str, object]:
    """Split `table.key=value` (or `key=value`, meaning [params]) into its parts.

    The value is read as a TOML value (`0.1`, `[32, 45]`, `true`, `"sgd"`); a
    bare word that is not valid TOML is taken as a string, so `optimizer=adam`
    works without quotes.
    """
    if "=" not in item:
        raise SpecError(f"--set {short_repr(item)}: expected key=value, e.g. params.learning_rate=0.05")
    key, text = (part.strip() for part in item.split("=", 1))
    table, _, name = key.rpartition(".")
    table = table or "params"
    if table not in SET_TABLES or not name:
        raise SpecError(f"--set {short_repr(item)}: unknown table {short_repr(table)}; "
                        f"valid choices: {choices(SET_TABLES)}")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    except RecursionError:
        raise SpecError(f"--set {short_repr(item)}: value nested too deeply") from None
    return table, name, value


def format_override(key: str, value) -> str:
    """Return the `--set` string that parse_override reads back as `key` and `value`: `key=<value as TOML>`.

    For callers that hold values rather than text (the notebook API's
    `overrides={"learning_rate": 0.05}`): strings are always quoted, booleans
    lower-case, lists and tables inline, so nothing depends on parse_override's
    bare-word fallback. What the value means is checked where every --set is, in
    `resolve`.
    """
    if not isinstance(key, str) or not key.strip() or "=" in key:
        raise SpecError(f"overrides: key {short_repr(key)} is not a setting name; valid: `name` ([params]) or "
                        f"`table.name` with table one of {choices(SET_TABLES)}, e.g. \"search.hidden_units\"")
    return f"{key.strip()}={_toml_value(value, key)}"


def _toml_value(value, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))   # Python's spelling is TOML's, inf and nan included
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item, key) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_string(str(k))} = {_toml_value(v, key)}" for k, v in value.items()) + "}"
    raise SpecError(f"overrides: {key} = {short_repr(value)} ({type(value).__name__}) cannot be written as a spec "
                    "value; valid: a number, a string, true/false, or a list or table of those")


def _toml_string(text: str) -> str:
    """Return `text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\u{ord(character):04x}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


# ---------------------------------------------------------------- validation


def _check_keys(table: dict, valid, where: str) -> None:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: expected a table, got {short_repr(table)}")
    for key in table:
        if key not in valid:
            raise SpecError(f"{where}: unknown key {short_repr(key)}; valid keys: {choices(valid)}")


def _check_types(table: dict, types: dict, where: str) -> None:
    """Check that each key present in `table` holds a value of its declared type (str, dict or list)."""
    for key, kind in types.items():
        if key in table and not isinstance(table[key], kind):
            wanted = {str: "a string", dict: "a table", list: "a list"}[kind]
            raise SpecError(f"{where}: {key} must be {wanted}, got {short_repr(table[key])}")


def _check_table(table: dict, fields: dict, where: str) -> dict:
    _check_keys(table, fields, where)
    return {key: fields[key].check(value, f"{where} {key}") for key, value in table.items()}


def _check_params(params: dict, fields: Mapping[str, Field], where: str) -> dict:
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


def _check_search(search: dict, fields: Mapping[str, Field], where: str) -> dict:
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
            raise SpecError(f"{here} profiles: expected a list of profile names, got {short_repr(note['profiles'])}")
        unknown = [name for name in note.get("profiles", []) if name not in profiles]
        if unknown:
            raise SpecError(f"{here} profiles: unknown profile {short_repr(unknown[0])}; valid choices: "
                            f"{choices(profiles)}")
        checked.append(note)
    return checked


def _check_paper(paper: dict, fields: Mapping[str, Field], where: str) -> dict:
    _check_keys(paper, ("source", "notes", "runs", "final", "best", "per_class_accuracy", "references", "why",
                        "easy", "hard", "extension"), where)
    _check_types(paper, {"source": str, "notes": str, "runs": list, "final": dict, "best": dict,
                         "per_class_accuracy": dict, "references": list, "why": dict, "easy": str, "hard": str,
                         "extension": bool}, where)
    # Why a setting's number differs from the paper's, by the setting's name in the report's table.
    why = paper.get("why", {})
    for setting, text in why.items():
        if not isinstance(text, str):
            raise SpecError(f"{where} why.{setting}: {text!r} is not text; give the reason as a string")
    runs = []
    for index, run in enumerate(paper.get("runs", [])):
        run_where = f"{where} runs[{index}]"
        _check_keys(run, PAPER_RUN_FIELDS, run_where)
        checked = _check_table(run, PAPER_RUN_FIELDS, run_where)
        if "name" not in checked:
            raise SpecError(f"{run_where}: missing key 'name'")
        checked["params"] = _check_table(checked.get("params", {}), fields, f"{run_where} params")
        runs.append(checked)
    if sum(run.get("baseline", False) for run in runs) > 1:
        raise SpecError(f"{where}: more than one run is marked baseline = true")
    final = _check_table(paper.get("final", {}), PAPER_FINAL_FIELDS, f"{where} final")
    best = _check_table(paper.get("best", {}), fields, f"{where} best")
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
            "best": best, "per_class_accuracy": per_class, "references": references, "why": dict(why),
            "easy": paper.get("easy", ""), "hard": paper.get("hard", ""),
            # True: the paper's numbers stand beside another network of ours (cnn-fast), not a reproduction.
            "extension": paper.get("extension", False)}
