"""The reference pages of the documentation, written from the code at build time: never edited by hand.

Each function returns one page as Markdown:

- `cli_page`: every command of `ann_keras.cli.cli`, with the usage line and
  the option help that `--help` prints (click's own help records);
- `spec_page`: the spec format, from the `Field` tables that the spec
  (ann_keras/specs/fields.py) and each model family (`PARAMS` in
  ann_keras/models/) declare, the augmentation's `FIELDS` and the aeon
  classifiers' options;
- `results_page`: results.json, from ann_keras/results.schema.json;
- `experiments_page`: the specs in tuning/ and their profiles, as
  `ann_keras.experiments.load` resolves them;
- `datasets_page`: the data sources' own declarations (`ann_keras.data.SOURCES`).

docs/hooks.py adds them to the site. None of this imports TensorFlow.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "ann_keras" / "results.schema.json"

GENERATED = ("This page is generated from the code when the site is built ({source}); edit the code, "
             "not the page.")

# ---------------------------------------------------------------- Markdown helpers


def cell(text) -> str:
    """Return `text` fit for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text) -> str:
    """Return `text` as inline code, fit for a table cell."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the command line


# What each argument names. click gives arguments no help text; the arguments themselves are the code's, and one
# without a line here stops the build.
ARGUMENT_HELP = {
    "experiment": "an experiment: a name from [Experiments](experiments.md) (looked up in ./tuning, then in the "
                  "installed package) or the path of a TOML file",
    "experiments": "experiments to run, by name (none: the paper's, as `make reproduce` runs them)",
    "run_dirs": "run folders (runs/EXPERIMENT/RUN), or a folder holding them",
    "run_dir": "a run folder (runs/EXPERIMENT/RUN) whose run finished",
    "model": "a run folder, or a `.keras` file",
    "inputs": "your files: images, `.ts` or `.csv` sequences, or digits as text (64 values from 0 to 16)",
}


def cli_page() -> str:
    from ann_keras.cli import cli

    arguments = {p.name for command in cli.commands.values() for p in command.params if isinstance(p, click.Argument)}
    _check_described(ARGUMENT_HELP, arguments, "the arguments of ann_keras.cli")

    root = click.Context(cli, info_name="ann-keras")
    out = ["# Command line\n",
           GENERATED.format(source="the click commands of `ann_keras/cli.py`") + "\n",
           f"{cli.help}\n",
           "```\n" + _usage(cli, root) + "\n```\n",
           _options(cli, root),
           "A mistake in what you type (an unknown experiment, key, profile or data set, a bad value) is one line "
           "naming the bad value and the valid choices, and exit code 2. Ctrl-C stops with exit code 130 and says "
           "how to resume.\n",
           "## Commands\n",
           table(["command", "what it does"],
                 [[f"[`ann-keras {name}`](#ann-keras-{name})", cell(command.help or "")]
                  for name, command in cli.commands.items()])]
    for name, command in cli.commands.items():
        ctx = click.Context(command, info_name=name, parent=root)
        out.append(f"## ann-keras {name}\n")
        out.append(f"{command.help}\n")
        out.append("```\n" + _usage(command, ctx) + "\n```\n")
        arguments = [p for p in command.get_params(ctx) if isinstance(p, click.Argument)]
        if arguments:
            out.append(table(["argument", "takes"], [
                [code(p.make_metavar(ctx)), cell(f"{ARGUMENT_HELP[p.name]} ({_argument(p)})")] for p in arguments]))
        out.append(_options(command, ctx))
    return "\n".join(out)


def _usage(command: click.Command, ctx: click.Context) -> str:
    return " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])


def _options(command: click.Command, ctx: click.Context) -> str:
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx) if isinstance(param, click.Option) else None
        if record:
            rows.append([code(record[0]), cell(record[1])])
    return table(["option", "meaning"], rows) if rows else ""


def _argument(param: click.Argument) -> str:
    kind = param.type
    if isinstance(kind, click.Path):
        what = {(True, True): "a file or folder", (True, False): "a file", (False, True): "a folder"}[
            (bool(kind.file_okay), bool(kind.dir_okay))]
        what += " that exists" if kind.exists else ""
    else:
        what = "text" if kind.name == "text" else f"a {kind.name}"
    many = param.nargs == -1
    if many:
        what = ("one or more: " if param.required else "any number (none allowed): ") + what
    elif not param.required:
        what += " (optional)"
    return what


# ---------------------------------------------------------------- the spec format

# The meaning of each top-level key and of each key a profile may set. The keys themselves are the code's
# (specs.fields.TOP_LEVEL, PROFILE_TYPES); a key added there without a line here stops the build.
TOP_LEVEL_HELP = {
    "name": "the experiment's name: its folder under runs/ and, unless a profile says otherwise, under reports/",
    "title": "the title of its report",
    "description": "what the experiment is, in a few sentences; the report shows it",
    "dataset": "the data set, by a name from the [data sets](datasets.md) page (a profile may replace it)",
    "model": "the model family: one of the families below",
    "default_profile": "the profile used when the command line names none",
    "data": "the [data] table: splits, limits, where files are read from",
    "params": "the [params] table: the family's parameters, the settings of one training",
    "augment": "the [augment] table: augmentation in training only",
    "search": "the [search] table: grid axes, each a list of values of a [params] key; every combination is one "
              "trial",
    "tuner": "the [tuner] table: how the search runs",
    "final": "the [final] table: [params] overrides for retraining the best trial (it may fix a search axis too)",
    "baselines": "the [baselines] table: aeon's classifiers measured beside ours on the same splits and seeds",
    "paper": "the [paper] table: the paper's settings and numbers, shown beside ours in the report",
    "notes": "the [[notes]] array: where we differ from the paper and why; each report shows them",
    "profiles": "the [profiles.NAME] tables: named sets of overrides, chosen with --profile",
}
PROFILE_HELP = {
    "description": "what the profile is for; the report shows it",
    "title": "a report title of its own",
    "dataset": "another data set (the smoke profiles read small generated or shipped data)",
    "report_name": "a report folder of its own under reports/, so that it does not replace the main report",
}


def spec_page() -> str:
    from ann_keras import experiments, models, specs
    from ann_keras.models import aeon_classifiers
    from ann_keras.models.common import TRAINING_PARAMS
    from ann_keras.specs import fields

    _check_described(TOP_LEVEL_HELP, fields.TOP_LEVEL, "specs.fields.TOP_LEVEL")
    _check_described(PROFILE_HELP, set(fields.PROFILE_TYPES) - set(fields.PROFILE_TABLES),
                     "specs.fields.PROFILE_TYPES")
    families = _families_in_use(specs.available())
    catalog = experiments.CATALOG
    out = [
        "# Spec format\n",
        GENERATED.format(source="the `Field` tables of `ann_keras/specs/fields.py`, each model family's `PARAMS`, "
                                "`ann_keras/models/augment.py` and `ann_keras/models/aeon_classifiers.py`") + "\n",
        "An experiment is a TOML file, `tuning/<name>.toml`, or any path given in its place. Every key and the "
        "type of every value is checked when the file is loaded, and a mistake is one line naming the file, the "
        "key and the valid choices. How to write one: [Write a spec](../how-to/write-a-spec.md).\n",
        "Loading applies, in order: the top-level tables, the chosen profile's tables over them, then each "
        "`--set TABLE.KEY=VALUE` (a bare `KEY=VALUE` means `params.KEY`), then `--dataset` and `--data`. "
        f"Tables `--set` can reach: {', '.join(code(t) for t in fields.SET_TABLES)}. Values are TOML; a bare word "
        "that is not TOML is taken as a string.\n",
        "## Top level\n",
        table(["key", "type", "meaning"],
              [[code(key), _type_name(fields.TOP_LEVEL_TYPES[key]), cell(TOP_LEVEL_HELP[key])]
               for key in fields.TOP_LEVEL]),
        "`name`, `dataset` and `model` are required; `name` (and a profile's `report_name`) must be a plain name: "
        "letters, digits, `.`, `_`, `-`, not starting with `.`.\n",
        "## [profiles.NAME]\n",
        "A profile is a named set of overrides. Its own keys:\n",
        table(["key", "type", "meaning"],
              [[code(key), _type_name(kind), cell(PROFILE_HELP[key])]
               for key, kind in fields.PROFILE_TYPES.items() if key not in fields.PROFILE_TABLES]),
        "and any of the tables " + ", ".join(code(f"[{t}]") for t in fields.PROFILE_TABLES) + ", whose keys "
        "replace the top-level table's one by one. In [baselines], `NAME = false` leaves a classifier out.\n",
        "## [params]\n",
        f"The parameters of the spec's model family. Families: "
        f"{', '.join(code(name) for name in models.FAMILIES)}. A key whose default is \"required\" must be "
        "set by the spec; give exactly one of `iterations` and `epochs`.\n",
        "### Training settings (every family)\n",
        "The training loop reads these, whatever the family.\n",
        _fields_table(TRAINING_PARAMS),
    ]
    for name, family in models.FAMILIES.items():
        own = {key: f for key, f in family.PARAMS.items() if key not in TRAINING_PARAMS}
        used = families.get(name, [])
        reads = {None: "any examples (flattened first)"}.get(family.INPUT, family.INPUT)
        out.append(f"### Family `{name}`\n")
        summary = re.sub(r":\s+(its|their)\b.*$", ".", (family.__doc__ or "").strip().splitlines()[0])
        out.append(f"{summary} It reads {reads}."
                   + (f" Used by: {', '.join(code(e) for e in used)}." if used else "") + "\n")
        out.append(_fields_table(own))
    out += [
        "## [search]\n",
        "Each key is a [params] key of the family; its value is a non-empty list of values, each checked as that "
        "parameter is, without repeats. Every combination of the axes is one trial.\n",
        "## [final]\n",
        "[params] keys and values for retraining the best trial after the search; it may also fix a searched key.\n",
        "## [augment]\n",
        "Transformations applied to the training batches only; `0` or `false` switches one off. They run in the "
        "input pipeline, before the model, on every backend: flips and crops on uint8 batches, then rotation, zoom, "
        "translation, brightness and hue as one vectorised transform per batch (`models/augment.py`). A saved model "
        "holds no augmentation.\n",
        _fields_table(catalog.augment, absent="off"),
        "## [data]\n",
        _fields_table(fields.DATA_FIELDS),
        "Which keys a data set reads besides the splits: [data sets](datasets.md).\n",
        "## [tuner]\n",
        f"Search algorithms (`name`): {', '.join(code(t) for t in catalog.tuners)}.\n",
        _fields_table(fields.TUNER_FIELDS, defaults=_tuner_defaults()),
        "## [baselines]\n",
        "Classifiers from aeon, trained and tested on the same splits and seeds as ours. Each takes only the "
        "options listed; `NAME = {}` uses their defaults.\n",
    ]
    for name, classifier in aeon_classifiers.CLASSIFIERS.items():
        out.append(f"### `{name}`\n")
        out.append(f"{classifier.summary}.\n")
        out.append(_fields_table(classifier.options))
    out += [
        "## [[notes]]\n",
        "Where the experiment differs from the paper, and what a reader would otherwise take for a bug. Each "
        "report shows the notes for its profile.\n",
        _fields_table(fields.NOTE_FIELDS, defaults={"profiles": "every profile"}),
        "## [paper]\n",
        "The paper's numbers, shown beside ours. Its keys: `source` and `notes` (text), `runs` (the paper's "
        "settings, below), `final` (its final model), `best` (its best configuration, as [params] values), "
        "`per_class_accuracy` (class name to accuracy) and `references` (published results on other data "
        "sets).\n",
        "### [[paper.runs]]\n",
        "A setting the paper trained; the run trains it too (unless `[tuner] paper_runs = false`).\n",
        _fields_table(fields.PAPER_RUN_FIELDS, defaults={"name": "required"}, absent="optional"),
        "### [paper.final]\n",
        _fields_table(fields.PAPER_FINAL_FIELDS, absent="optional"),
        "### [[paper.references]]\n",
        _fields_table(fields.REFERENCE_FIELDS, defaults={"source": "optional"}),
    ]
    return "\n".join(out)


def _check_described(described: dict, keys, where: str) -> None:
    missing, stale = set(keys) - set(described), set(described) - set(keys)
    if missing or stale:
        raise RuntimeError(f"docs/gen_reference.py: describe {sorted(missing)} and drop {sorted(stale)} to match "
                           f"{where}")


def _families_in_use(available: dict) -> dict[str, list[str]]:
    """Return model family -> the experiments in tuning/ that use it."""
    used: dict[str, list[str]] = {}
    for name, path in available.items():
        model = tomllib.loads(path.read_text(encoding="utf-8")).get("model")
        used.setdefault(model, []).append(name)
    return used


def _tuner_defaults() -> dict:
    """Return what [tuner] holds when a spec sets none of it: tuning/ann.toml resolved without its [tuner]."""
    from ann_keras import experiments, specs

    path = specs.find("ann")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw.pop("tuner", None)
    for profile in raw.get("profiles", {}).values():
        profile.pop("tuner", None)
    tuner = experiments.resolve(raw, str(path)).tuner
    return {key: code(json.dumps(value)) for key, value in tuner.items()}


def _type_name(kind) -> str:
    return {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "table"}[kind]


def _allowed(field) -> str:
    from ann_keras.specs.fields import LIST_ITEM_MAXIMUM

    if field.kind is list:
        return f"non-empty list of integers from 1 to {LIST_ITEM_MAXIMUM}"
    if field.choices:
        return ", ".join(code(json.dumps(c)) for c in field.choices)
    parts = []
    if field.minimum is not None:
        parts.append(f"{'>' if field.exclusive_minimum else '>='} {_number(field.minimum)}")
    if field.maximum is not None:
        parts.append(f"<= {_number(field.maximum)}")
    return " and ".join(parts)


def _number(value) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _fields_table(fields: dict, *, defaults: dict | None = None, absent: str = "required") -> str:
    """Return a table of Fields; `absent` says what a key without a default means when left out."""
    rows = []
    for key, field in fields.items():
        if defaults and key in defaults:
            default = defaults[key]
        elif field.default is not None:
            default = code(json.dumps(field.default))
        elif field.nullable:
            default = "one of the two"
        else:
            default = absent
        kind = _type_name(field.kind) + (" or none" if field.nullable else "")
        rows.append([code(key), kind, cell(_allowed(field)), default, cell(field.help)])
    return table(["key", "type", "allowed", "default", "meaning"], rows)


# ---------------------------------------------------------------- results.json


def results_page() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    out = ["# results.json\n",
           GENERATED.format(source="`ann_keras/results.schema.json`") + "\n",
           f"**{schema.get('title', '')}.** {schema.get('description', '')}\n",
           "Every run folder holds one `results.json`, written atomically when a run ends; every report is rebuilt "
           "from it alone (`ann-keras report RUN_DIR`), after checking it against this schema. Objects list their "
           "declared keys; **bold** keys are required.\n"]
    sections = [("The file", "the-file", schema)]
    sections += [(name, name, definition) for name, definition in schema.get("$defs", {}).items()]
    done = 0
    while done < len(sections):   # nested objects append sections of their own as they are met
        title, anchor, definition = sections[done]
        done += 1
        out.append(f"## {title} {{#{anchor}}}\n")
        description = definition.get("description", "")
        if description:
            out.append(description[0].upper() + description[1:] + "\n")
        for part in definition.get("allOf", ()):
            if "$ref" in part:
                out.append(f"Everything of {_schema_type(part)}, and:\n")
            else:
                out.append(_object_table(part, title if done > 1 else "", sections))
        if "properties" in definition or "additionalProperties" in definition:
            out.append(_object_table(definition, title if done > 1 else "", sections))
        elif "allOf" not in definition:
            out.append(f"Type: {_schema_type(definition)}.\n")
    out.append("## The schema file {#the-schema-file}\n")
    out.append('??? note "ann_keras/results.schema.json"\n\n    ```json\n'
               + "\n".join("    " + line for line in json.dumps(schema, indent=2).splitlines())
               + "\n    ```\n")
    return "\n".join(out)


def _object_table(definition: dict, where: str, sections: list) -> str:
    """Return the table of an object's keys; a nested object with keys of its own gets a section, linked."""
    required = set(definition.get("required", ()))
    rows = []
    for key, sub in definition.get("properties", {}).items():
        name = f"**{code(key)}**" if key in required else code(key)
        kind = _schema_type(sub)
        nested, suffix = (sub.get("items"), "[]") if isinstance(sub, dict) and sub.get("type") == "array" else (sub, "")
        if isinstance(nested, dict) and nested.get("properties"):
            title = f"{where}.{key}{suffix}".lstrip(".")
            anchor = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            sections.append((title, anchor, nested))
            kind = f"array of [{title}](#{anchor})" if suffix else f"[{title}](#{anchor})"
        described = sub.get("description", "") if isinstance(sub, dict) else ""
        rows.append([name, cell(kind), cell(described)])
    extra = definition.get("additionalProperties")
    if isinstance(extra, dict):
        rows.append(["any other key", cell(_schema_type(extra)), ""])
    return table(["key", "type", "meaning"], rows) if rows else "Any object.\n"


def _schema_type(sub) -> str:
    """Return a short description of a schema's type: a $ref becomes a link to its section."""
    if not isinstance(sub, dict):
        return "any"
    if "$ref" in sub:
        target = sub["$ref"].rsplit("/", 1)[-1]
        return f"[{target}](#{target})"
    if "const" in sub:
        return code(json.dumps(sub["const"]))
    if "enum" in sub:
        return "one of " + ", ".join(code(json.dumps(v)) for v in sub["enum"])
    if "then" in sub and "$ref" in sub["then"]:
        return f"{_schema_type(sub['then'])}, or empty"
    if "allOf" in sub:
        return " and ".join(_schema_type(part) for part in sub["allOf"])
    kinds = sub.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    text = " or ".join(kinds)
    if "array" in kinds and "items" in sub:
        text = f"array of {_schema_type(sub['items'])}"
    elif "object" in kinds and isinstance(sub.get("additionalProperties"), dict) and not sub.get("properties"):
        text = f"object of {_schema_type(sub['additionalProperties'])}"
    bounds = []
    if "minimum" in sub:
        bounds.append(f">= {sub['minimum']}")
    if "maximum" in sub:
        bounds.append(f"<= {sub['maximum']}")
    if "pattern" in sub:
        bounds.append(f"matching {code(sub['pattern'])}")
    if "maxItems" in sub:
        bounds.append(f"at most {sub['maxItems']} items")
    return text + (f" ({', '.join(bounds)})" if bounds else "")


# ---------------------------------------------------------------- experiments and data sets


def experiments_page() -> str:
    from ann_keras import experiments, specs
    from ann_keras.errors import AnnKerasError

    out = ["# Experiments\n",
           GENERATED.format(source="the specs in `tuning/`, resolved by `ann_keras.experiments.load`") + "\n",
           "`ann-keras experiments` lists the same. Each experiment is one TOML file; a profile is a named set of "
           "overrides inside it (`--profile NAME`). Reports go to `reports/<report folder>/`.\n"]
    for name, path in specs.available().items():
        try:
            spec = experiments.load(name)
        except AnnKerasError as error:
            raise RuntimeError(f"tuning/{path.name} does not load: {error}") from None
        out.append(f"## {name}\n")
        out.append(f"**{spec.title}.** {' '.join(spec.description.split())}\n")
        axes = ", ".join(f"{code(k)} {code(json.dumps(v))}" for k, v in spec.search.items()) or "none"
        out.append(table(["", ""], [
            ["model family", f"[{code(spec.model)}](spec.md#family-{spec.model})"],
            ["data set", code(spec.dataset)],
            ["default profile", code(spec.profile)],
            ["search axes (default profile)", cell(axes)],
            ["spec file", code(f"tuning/{path.name}")],
        ]))
        rows = []
        for profile in spec.profiles:
            resolved = experiments.load(name, profile)
            rows.append([code(profile), code(resolved.dataset), code(resolved.report_name),
                         cell(resolved.profile_description)])
        out.append(table(["profile", "data set", "report folder", "what it is"], rows))
        if spec.notes:
            out.append("Where it differs from the paper (the report gives each note in full):\n")
            out.append("\n".join(f"- {cell(note['title'])}" for note in spec.notes) + "\n")
    return "\n".join(out)


def datasets_page() -> str:
    from ann_keras import data, models

    readers = {}
    for name, family in models.FAMILIES.items():
        for source in data.SOURCES:
            if family.INPUT is None or family.INPUT == source.kind:
                readers.setdefault(source.pattern, []).append(name)
    rows = []
    for source in data.SOURCES:
        where = []
        if source.reads_path:
            where.append("`--data PATH`")
        if source.env:
            where.append(code(f"${source.env}"))
        rows.append([code(source.pattern), source.kind, ", ".join(code(f) for f in readers.get(source.pattern, [])),
                     cell(source.summary), ", ".join(code(o) for o in source.options) or "—",
                     ", ".join(where) or "—"])
    return "\n".join([
        "# Data sets\n",
        GENERATED.format(source="the `Source` each module of `ann_keras/data/` declares") + "\n",
        "A spec names its data set in `dataset`; `--dataset NAME` replaces it for one run. `ann-keras datasets` "
        "lists the same and the names of aeon's shipped sets.\n",
        table(["name", "examples", "model families", "what it is", "[data] keys it reads", "files from"], rows),
        "Every data set also reads the split keys of [data] (`validation_size`, `limit`, `test_limit`, and "
        "`test_size` where it has no test split of its own): [spec format](spec.md#data).\n",
    ])


PAGES = {
    "reference/cli.md": cli_page,
    "reference/spec.md": spec_page,
    "reference/results.md": results_page,
    "reference/experiments.md": experiments_page,
    "reference/datasets.md": datasets_page,
}
