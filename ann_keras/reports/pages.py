"""Reports: a RunResult rendered as Markdown and a self-contained HTML page.

`build_report` turns results into a `Report` of plain tables and figures;
Jinja2 templates render it (HTML with autoescape on, Markdown with every
value escaped), so text from data, such as a class folder's name, is never
markup. Tables are also written as CSV and figures as PNG beside the pages.
No TensorFlow: a report is rebuilt from results.json alone.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from . import metrics, plots
from .. import names, results
from ..errors import ResultsError, shorten
from ..files import write_bytes, write_text
from ..results import RunResult, Status, decode_images

SUMMARY_FILE = "summary.json"
# Each report sits in reports/<name>/; the index of all of them one folder up.
INDEX_LINKS = ("../index.html", "../README.md")


@dataclass
class Table:
    """Column headers and rows of already-formatted cells, plus the raw frame for CSV."""

    name: str
    columns: list[str]
    rows: list[list[str]]
    frame: pd.DataFrame = field(repr=False)
    highlight: list[bool] = field(default_factory=list)   # rows to mark (the best trial)
    numeric: list[bool] = field(default_factory=list)     # columns of numbers: right-aligned
    sortable: bool = False                                # the HTML page sorts and filters it
    csv: bool = True                                      # written beside the pages as <name>.csv
    header: bool = True                                   # the HTML page shows the column headers
    shown: bool = True                                    # False: a CSV beside the pages only

    @property
    def csv_file(self) -> str:
        return f"{self.name}.csv"


@dataclass
class Figure:
    name: str
    title: str
    caption: str
    png: bytes = field(repr=False)
    min_width: int = 0   # px: on a narrow screen the figure scrolls sideways rather than shrink below this

    @property
    def file(self) -> str:
        return f"{self.name}.png"

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    """One section of a report, declared once: both pages (Markdown and HTML) render the same list."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)    # text, escaped when rendered
    note: str = ""                                          # a paragraph set apart
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    files: list[str] = field(default_factory=list)          # files beside the pages, linked by name


@dataclass
class Report:
    """Exactly what the pages show: a title, an opening paragraph and the sections in order."""

    experiment: str
    title: str
    description: str
    sections: list[Section]
    headline: dict
    footer: str

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]


# ---------------------------------------------------------------- formatting


def _pct(value) -> str:
    return "" if value is None or _nan(value) else f"{100 * value:.1f}%"


def _num(value, digits: int = 3) -> str:
    return "" if value is None or _nan(value) else f"{value:.{digits}f}"


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _mean_std(mean, std) -> str:
    return "" if _nan(mean) else f"{100 * mean:.1f}% ± {100 * std:.1f}"


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (float, np.floating)):
        return _num(float(value), 4)
    if isinstance(value, (list, tuple)):
        return "/".join(map(str, value))
    return "" if value is None else str(value)


# ---------------------------------------------------------------- building


def build_report(result: RunResult) -> Report:
    """Return every section of the report for `result`."""
    spec, final = result.spec, result.final
    class_names = result.dataset["class_names"]
    subject = f"{result.title}, {result.dataset['name']}"   # every figure's title names the data set
    heatmaps, per_class, confused, curves = [], None, None, []
    if final:
        y_true, y_pred = final["y_true"], final["y_pred"]
        paper_classes = spec["paper"].get("per_class_accuracy")
        frame = metrics.per_class_table(y_true, y_pred, class_names=class_names, paper_accuracy=paper_classes)
        per_class = _table("per_class", frame)
        confused = _table("most_confused", metrics.most_confused(y_true, y_pred, class_names=class_names))
        heatmaps = _heatmaps(y_true, y_pred, class_names, frame, subject)
        if paper_classes and any(name in paper_classes for name in class_names):   # Table I's classes, by name
            heatmaps.insert(0, _classes_beside_paper(frame, class_names, paper_classes, subject))
        validated = bool(final["history"].get("val_loss"))
        curves = [Figure("training_curves", "Training curves",
                         f"Loss and accuracy of the final model per logged {final['history']['unit']}, "
                         + ("on the training split (solid, blue) and the validation split (dashed, orange)."
                            if validated else
                            "on the training split (solid, blue). It was trained on the whole training split, "
                            "validation part included, after cross-validation: there is no validation curve; "
                            "the folds' numbers are in the trials' table."),
                         plots.training_curves(final["history"], title=subject))]
        if final["history"].get("time_s"):
            target = spec["paper"].get("final", {}).get("test_accuracy")
            curves.append(Figure(
                "accuracy_against_time", "Accuracy against time",
                "Accuracy of the final model after each epoch against wall time since its training started "
                "(a resumed run counts from its restart), in the training curves' colours"
                + ("; the dotted red line is the paper's final test accuracy." if target is not None else "."),
                plots.accuracy_against_time(final["history"], target=target, title=subject)))
    curves += _paper_epoch_figures(result, subject)
    trials_frame = metrics.trials_table(result)
    trials = _trials(trials_frame)
    baselines_frame = metrics.baselines_table(result)
    baselines = _baselines(baselines_frame) if not baselines_frame.empty else None
    paper_frame = metrics.paper_table(result)
    paper = _paper(paper_frame) if not paper_frame.empty else None
    objective = {"val_accuracy": "mean validation accuracy (highest first)",
                 "val_loss": "mean validation loss (lowest first)"}[spec["tuner"]["objective"]]
    long_frame = metrics.curves_long(result)
    long = None
    if not long_frame.empty:   # one row per trial x seed x logged step: a CSV for the reader's own plots
        long = Table("curves_long", list(long_frame.columns), [], long_frame, shown=False)
    summary_rows = _summary(result)
    summary = _table("summary", pd.DataFrame(summary_rows, columns=["", " "]))
    summary.csv, summary.header = False, False
    paper_source, paper_notes = spec["paper"].get("source", ""), spec["paper"].get("notes", "").strip()
    sections = [
        Section("summary", "Summary", tables=[summary], files=[results.RESULTS_FILE, SUMMARY_FILE]),
        Section("paper", "The paper and us", note=_profile_note(spec), tables=[paper] if paper else [],
                paragraphs=[
                    f"Source: {paper_source}. Ours is the mean ± standard deviation over the seeds (n = the "
                    "number of seeds; a single run has no spread); \"reproduced\" means within 1 point or one "
                    "standard deviation of the paper's number, whichever is larger. Differences are in "
                    "percentage points for accuracies and in the measure's own unit for losses.", paper_notes,
                ] if paper else ["The spec lists no numbers from the paper for this experiment."],
                files=[paper.csv_file] if paper else []),
        *([Section("differences", "Where we differ and why",
                   paragraphs=[f"{note['title']}. {note['text']}" for note in spec["notes"]])]
          if spec.get("notes") else []),
        *([Section("baselines", "Beside aeon's classifiers", tables=[baselines], files=[baselines.csv_file],
                   paragraphs=[
                       "Time-series classifiers a practitioner would pick instead, from aeon, trained on the same "
                       "training split (without the validation split) with the same seeds and tested on the same "
                       "test split. Fit time is training only, data in memory, on this run's hardware; ours is one "
                       "training of the trial (a cross-validated trial's refit). Padded steps are zeros for them "
                       "(they take no mask). The published figure is shown only where one exists for this data set."
                       ] + [f"{b['label']}: {b.get('summary', '')}." for b in result.baselines])]
          if baselines is not None else []),
        Section("trials", "All trials", tables=[trials], files=[trials.csv_file],
                paragraphs=[f"Sorted by {objective}, the search's objective; the best trial is highlighted. "
                            "Accuracies are mean ± standard deviation over executions (seeds)."
                            + (" Validation numbers are the means over the cross-validation folds (the spread "
                               "over folds beside them); test numbers come from training again on the whole "
                               "training split after the search, where it was done."
                               if (spec["tuner"].get("folds") or 0) > 1 else "")
                            + (" One execution per trial (n = 1): no spread." if _single_execution(result)
                               else "")]),
        *_hyperparameter_sections(result, trials_frame, subject),
        Section("per-class", "Per-class metrics", tables=[per_class] if per_class else [],
                files=[per_class.csv_file] if per_class else [],
                paragraphs=["The final model on the test split. Per-class accuracy is the share of a class's "
                            "test examples predicted correctly (equal to recall); averages follow "
                            "scikit-learn's macro and weighted definitions."] if per_class
                else ["No final model in this run."]),
        Section("heatmaps", "Heatmaps", figures=heatmaps),
        Section("confused", "Most confused pairs", tables=[confused] if confused else [],
                files=[confused.csv_file] if confused else [],
                paragraphs=["The most frequent mistakes of the final model: true class, predicted class, count, "
                            "and the share of the true class's test examples that went there."] if confused
                else []),
        Section("curves", "Training curves", figures=curves + _trial_curve_figures(result, subject),
                files=[long.csv_file] if long is not None else []),
    ]
    if long is not None:
        sections[-1].tables.append(long)
    augmentation = _augmentation(result)
    if augmentation:
        sections.append(Section("augmentation", "Augmentation", figures=augmentation))
    return Report(
        experiment=result.experiment, title=result.title, description=spec.get("description", "").strip(),
        sections=sections, headline=headline(result, paper_frame),
        footer=f"Written by ann-keras {result.environment['versions'].get('ann-keras', '')} from results.json.",
    )


def _hyperparameter_sections(result: RunResult, trials: pd.DataFrame, subject: str) -> list[Section]:
    """Return the section tuning users look for: main effects, importance, parallel coordinates (or nothing).

    Only for a search that varied something and completed at least two trials.
    """
    axes = metrics.searched_axes(result)
    done = trials[trials["status"] == Status.COMPLETED] if not trials.empty else trials
    if result.kind != "tune" or not axes or len(done) < 2:
        return []
    objective = result.spec["tuner"]["objective"]
    effects = metrics.main_effects(result, trials)
    section = Section("hyperparameters", "Hyperparameters", paragraphs=[
        f"How {objective.replace('_', ' ')} depends on each hyperparameter the search varied: for each value, the "
        "mean over every trial that used it (whatever the other hyperparameters were), its standard deviation and "
        "its range. This is the paper's own reading of a grid, one factor at a time."])
    section.figures.append(Figure("main_effects", "Main effects",
                                  f"Mean {objective.replace('_', ' ')} per value of each hyperparameter, over the "
                                  "trials that used it; bars span their range.",
                                  plots.main_effects(effects, objective=objective, title=subject)))
    effects_table = _table("main_effects", effects)
    section.tables.append(effects_table)
    section.files.append(effects_table.csv_file)
    shares = metrics.importance(result)
    if not shares.empty:
        section.paragraphs.append(
            "Importance: each hyperparameter's share of the variance of the trials' mean objective (one-way "
            "analysis of variance, eta squared: the variance of its per-value means, weighted by trials, over the "
            "variance across all trials). What the shares leave is interaction between hyperparameters and seed "
            f"noise; with few trials (at least {metrics.IMPORTANCE_MIN_TRIALS} are needed here) read them as a "
            "ranking, not as precise numbers.")
        shares_table = _table("importance", shares)
        section.tables.append(shares_table)
        section.files.append(shares_table.csv_file)
    if len(axes) >= 1 and len(done) >= 3:
        section.figures.append(Figure(
            "parallel_coordinates", "Parallel coordinates",
            "Every completed trial as a line through its hyperparameters' values (evenly spaced, in the grid's "
            f"order) to its {objective.replace('_', ' ')} on the right, coloured by it; the best trial is thick.",
            plots.parallel_coordinates(done, axes_names=axes, objective=objective, title=subject)))
    return [section]


def _trial_curve_figures(result: RunResult, subject: str) -> list[Figure]:
    """Return validation accuracy and loss against the logged step for every trial and seed (where stored)."""
    searched = list(result.spec["search"])
    curves = {"val_accuracy": [], "val_loss": []}
    unit = "epoch"
    for trial in result.trials:
        label = ", ".join(f"{k}={metrics.display_value(k, trial['hyperparameters'][k])}" for k in searched
                          if k in trial["hyperparameters"]) or trial["trial_id"]
        for execution in trial["executions"]:
            history = execution.get("history") or {}
            unit = history.get("unit", unit)
            for metric, found in curves.items():
                if history.get(metric):
                    found.append({"label": label, "best": trial["trial_id"] == result.best_trial_id,
                                  "steps": history["step"][:len(history[metric])], "values": history[metric]})
    if not curves["val_accuracy"] or len(result.trials) < 2:
        return []
    return [Figure(f"trials_{metric}", f"Every trial's {metric.replace('_', ' ')}",
                   f"{metric.replace('_', ' ').capitalize()} of every trial per logged {unit}: one colour per "
                   "trial, one line per seed; the best trial is thick. Which settings learn faster, and how much "
                   "seeds differ.",
                   plots.trial_curves(found, metric=metric, unit=unit, title=subject))
            for metric, found in curves.items() if found]


def _single_execution(result: RunResult) -> bool:
    return bool(result.trials) and all(len(t["executions"]) == 1 for t in result.trials)


def _classes_beside_paper(per_class: pd.DataFrame, class_names, paper_classes: dict, title: str) -> Figure:
    ours = per_class.iloc[:len(class_names)]["recall"].tolist()
    paper = [paper_classes.get(name) for name in class_names]
    return Figure("per_class_beside_paper", "Per-class accuracy beside the paper's Table I",
                  "Test accuracy of each class (the fraction of its test images classified correctly, i.e. its "
                  "recall) for our final model, beside the paper's Table I.",
                  plots.classes_beside_paper(class_names, ours, paper, title=title))


def _paper_epoch_figures(result: RunResult, subject: str) -> list[Figure]:
    """Return, per paper setting with per-epoch test accuracy, that curve with the paper's points marked."""
    figures = []
    for index, run in enumerate(result.paper_runs):
        by_epoch = [e["test_accuracy_by_epoch"] for e in run.get("executions", []) if e.get("test_accuracy_by_epoch")]
        points = {}
        if run.get("first_epoch_test_accuracy") is not None:
            points[1] = run["first_epoch_test_accuracy"]
        if run.get("best_epoch_test_accuracy") is not None and run.get("best_epoch"):
            points[int(run["best_epoch"])] = run["best_epoch_test_accuracy"]
        if not by_epoch or not points:
            continue
        name = "paper_run_epochs" if index == 0 else f"paper_run_{index + 1}_epochs"
        figures.append(Figure(
            name, f"Test accuracy per epoch: {run['name']}",
            f"Our test accuracy after each epoch of the paper's setting \"{run['name']}\", with the paper's "
            "reported points marked (stars): its accuracy after the first epoch and its best epoch.",
            plots.epochs_beside_paper(by_epoch, paper_points=points, title=f"{subject}: {run['name']}")))
    return figures


def _augmentation(result: RunResult) -> list[Figure]:
    stored = result.augmentation
    if not stored:
        return []
    grid = decode_images(stored["images"])
    png = plots.image_grid([list(row) for row in grid], row_titles=stored["labels"],
                           column_titles=["original"] + [f"augmented {i}" for i in range(1, grid.shape[1])],
                           title="Training images and augmented copies")
    layers = ", ".join(f"{k}={v}" for k, v in result.spec["augment"].items() if v) or "none"
    return [Figure("augmentation", "Augmentation",
                   f"A few training images (left) and random augmented versions, drawn by the model's own "
                   f"augmentation layers in training mode. Settings: {layers}.", png)]


def headline(result: RunResult, paper_frame: pd.DataFrame) -> dict:
    """Return the numbers the index shows: our final model, and the paper's headline number beside ours.

    The headline is the paper's final model where it reports one (CNN), else
    its baseline setting (ANN).
    """
    final = result.final or {}
    chosen = paper_frame.iloc[:0]
    if not paper_frame.empty:
        accuracy = paper_frame[(paper_frame["measure"] == "test accuracy") & paper_frame["paper"].notna()]
        chosen = accuracy[accuracy["setting"] == "final model"]
        if chosen.empty:
            chosen = accuracy[accuracy["baseline"]]
    return {
        "experiment": result.spec.get("report_name", result.experiment),
        "title": result.title,
        "profile": result.profile,
        "dataset": result.dataset["name"],
        "test_accuracy": final.get("metrics", {}).get("test_accuracy"),
        "best_trial": result.best_trial_id,
        "trials": len(result.trials),
        "compared": None if chosen.empty else f"{chosen.iloc[0]['setting']}, test accuracy",
        "paper": None if chosen.empty else _float(chosen.iloc[0]["paper"]),
        "ours": None if chosen.empty else _float(chosen.iloc[0]["ours_mean"]),
        "hardware": hardware_text(result.environment["hardware"]),
        "finished": result.finished,
    }


def _float(value):
    return None if value is None or _nan(float(value)) else float(value)


def _summary(result: RunResult) -> list[tuple[str, str]]:
    spec, data, final = result.spec, result.dataset, result.final or {}
    sizes = data["sizes"]
    versions = result.environment["versions"]
    best = next((t for t in result.trials if t["trial_id"] == result.best_trial_id), None)
    rows = [
        ("Experiment", f"{result.experiment}: {result.title}"),
        ("Profile", f"{spec['profile']}: {spec['profile_description']}"),
        ("Data set", f"{data['name']}, read from {data['source']}" + (
            f"; content digest {data['fingerprint']} (the run folder is named after it, not the path)"
            if data.get("fingerprint") else "")),
        ("Splits", f"{sizes['train']} train, {sizes['validation']} validation, {sizes['test']} test"),
    ]
    if result.kind == "train":   # the spec's [search] axes were not searched: naming them would mislead
        executions = len(result.trials[0]["executions"]) if result.trials else 0
        rows.append(("Configuration", f"no search (ann-keras train): the spec's [params], one training per seed, "
                                      f"{executions} seed(s)"))
    else:
        rows.append(("Search", f"{spec['tuner']['name']} over {', '.join(spec['search']) or 'nothing'}; "
                               f"{len(result.trials)} trial(s), {spec['tuner']['executions']} execution(s) each"
                               + _folds_text(spec["tuner"])))
    if result.kind != "train" and best is not None:
        def shown(values):
            return ", ".join(f"{k}={metrics.display_value(k, v)}" for k, v in values.items())
        chosen = (f"{shown(best['hyperparameters'])} (trial {best['trial_id']})" if best["hyperparameters"]
                  else "the spec's [params]: the search had no axes")
        paper_best = (spec.get("paper") or {}).get("best") or {}
        if paper_best:   # the spec's description may name the paper's pick; say plainly which one is ours
            chosen += f"; the paper's pick: {shown(paper_best)}"
        rows.append(("Best configuration", chosen))
    if final:
        m = final["metrics"]
        overrides = ", ".join(f"{k}={v}" for k, v in spec["final"].items())
        rows.append(("Final model", f"test accuracy {_pct(m['test_accuracy'])}, test loss {_num(m['test_loss'], 4)}"
                     f" (one run, seed {final['seed']}{'; retrained with ' + overrides if overrides else ''})"))
    for exported in result.exports:
        verdict = "passed" if exported["passed"] else "FAILED"
        rows.append((f"Exported ({exported['format']})",
                     f"{exported['path']} in the run folder; checked on {exported.get('examples', '?')} test examples: "
                     f"{_pct(exported['exported_accuracy'])} against the Keras model's "
                     f"{_pct(exported['keras_accuracy'])} (tolerance {_pct(exported['tolerance'])}): {verdict}"))
    rows += [
        ("Training time", f"{metrics.training_seconds(result):.1f} s: every training this run records (trials, "
                          "the paper's extra settings, the final model), resumed invocations included"),
        ("Wall time", _wall_time(result)),
        ("Hardware", hardware_text(result.environment["hardware"])),
        *_distribution(result.environment.get("distribution") or {}),
        ("Versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("Source", _source(result.environment.get("source") or {}, versions.get("ann-keras", ""))),
        ("Seed", f"{result.seed} (execution i uses seed + i)"),
        ("Command", result.command),
        ("Reproduce", reproduce_command(result)),
        ("Finished", result.finished),
    ]
    return rows


def _folds_text(tuner: dict) -> str:
    """Say how a cross-validated search measured its trials ("" for one validation split)."""
    if (tuner.get("folds") or 0) < 2:
        return ""
    refit = "every trial" if tuner.get("refit") == "all" else "the best trial"
    return (f"; cross-validated on {tuner['folds']} stratified folds of the training data (the objective is their "
            f"mean; the search never saw the test split), then {refit} trained again on the whole training split "
            "(its validation part included) per seed and tested")


def _wall_time(result: RunResult) -> str:
    stages = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in result.timings.items())
    text = f"{result.wall_time_s:.1f} s in the last invocation ({stages})"
    if result.wall_time_s < 0.1 * metrics.training_seconds(result):
        text += ("; every stage was found finished in the run folder and read back, so the training time above "
                 "is what they took")
    return text


def _source(source: dict, version: str) -> str:
    if not source.get("commit"):
        return f"ann-keras {version} (not a git checkout)"
    changes = ", with local changes to ann_keras/ or tuning/" if source.get("local_changes") else ""
    return f"ann-keras {version}, git commit {source['commit'][:12]}{changes}"


def reproduce_command(result: RunResult) -> str:
    """Return the command that computes this run again: spec, profile, seed, every --set, --dataset and --data."""
    spec = result.spec
    shipped = Path(spec.get("path", "")).parent.name == "tuning"   # else a spec file of the user's own
    experiment = spec["name"] if shipped or not spec.get("path") else spec["path"]
    parts = ["ann-keras", result.kind, experiment, "--profile", spec["profile"], "--seed", str(result.seed)]
    for item in spec.get("overrides", []):
        parts += ["--set", item]
    if spec.get("dataset_option"):
        parts += ["--dataset", spec["dataset_option"]]
    if spec.get("data_option"):
        parts += ["--data", spec["data_option"]]
    return shlex.join(parts)


def _distribution(distribution: dict) -> list[tuple[str, str]]:
    """Return the summary row saying how the work was spread, if it was."""
    parts = []
    if distribution.get("workers"):
        workers = distribution["workers"]
        parts.append(f"trials run by {len(workers)} worker process(es) ({', '.join(workers)}) of one chief "
                     "(Keras Tuner's chief/worker engine)")
    if distribution.get("strategy", "default") != "default":
        parts.append(f"each model trained with tf.distribute {distribution['strategy']} strategy over "
                     f"{distribution['replicas']} replica(s)")
    return [("Distribution", "; ".join(parts))] if parts else []


def hardware_text(hardware: dict) -> str:
    """Return a machine in one line: processor, cores, memory, GPUs."""
    gpus = ", ".join(hardware.get("gpus") or []) or "no GPU"
    bfloat16 = {True: ", bfloat16 in hardware", False: ", bfloat16 emulated"}.get(hardware.get("bfloat16"), "")
    return (f"{hardware.get('cpu', 'unknown CPU')}, {hardware.get('usable_cpus')} usable cores, "
            f"{hardware.get('memory_gib')} GiB, {gpus}{bfloat16}")


def _profile_note(spec: dict) -> str:
    if spec["profile"] == "paper":
        return "This run used the paper's protocol in full."
    return f"This run used the profile '{spec['profile']}', not the paper's protocol: {spec['profile_description']}"


_NUMBER = re.compile(r"^[-+]?(\d[\d,]*\.?\d*|\.\d+)(%|e[-+]?\d+)?( ± [\d.]+)?( pts)?$")


def _table(name: str, frame: pd.DataFrame, shown: pd.DataFrame | None = None, highlight=None) -> Table:
    """Return a Table that shows `shown` (default: `frame`) and writes `frame`, unformatted, as CSV.

    Columns whose every cell is empty are left out of the page (the CSV
    keeps them); columns of numbers are marked, for right alignment.
    """
    shown = frame if shown is None else shown
    rows = [[_cell(value) for value in row] for row in shown.itertuples(index=False)]
    columns = [str(c) for c in shown.columns]
    keep = [i for i in range(len(columns)) if not rows or any(row[i] for row in rows)]
    rows = [[row[i] for i in keep] for row in rows]
    numeric = [bool(rows) and all(_NUMBER.match(row[j]) for row in rows if row[j]) for j in range(len(keep))]
    return Table(name, [columns[i] for i in keep], rows, frame, list(highlight or []), numeric)


def _trials(frame: pd.DataFrame) -> Table:
    if frame.empty:
        return _table("trials", frame)
    first_metric = list(frame.columns).index("val_accuracy_mean")
    # trial id and hyperparameters as written in the spec ("best" is shown by highlighting)
    shown = frame.drop(columns="best").iloc[:, :first_metric - 1].astype(str)
    for key in ("val_accuracy", "test_accuracy"):   # one execution has no spread: the paragraph says n = 1
        shown[key] = [_pct(m) if n == 1 else _mean_std(m, s)
                      for m, s, n in zip(frame[f"{key}_mean"], frame[f"{key}_std"], frame["executions"])]
        if key == "val_accuracy" and "folds" in frame:   # cross-validated: how much the folds disagree
            shown["val_accuracy_over_folds"] = [
                "" if _nan(s) else f"± {100 * s:.1f} ({int(k)} folds)" for s, k in
                zip(frame["val_accuracy_fold_std"], frame["folds"].fillna(0))]
    shown["val_loss"] = [_num(v, 4) for v in frame["val_loss_mean"]]
    shown["test_loss"] = [_num(v, 4) for v in frame["test_loss_mean"]]
    shown["executions"], shown["time_s"] = frame["executions"], [f"{v:.1f}" for v in frame["time_s"]]
    if "worker" in frame:
        shown["worker"] = frame["worker"].fillna("")
    if (frame["status"] != Status.COMPLETED).any():
        shown["status"], shown["message"] = frame["status"], frame["message"]
    table = _table("trials", frame, shown, highlight=frame["best"].tolist())
    table.sortable = True
    return table


def paper_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the paper-and-us table with each number formatted by what it measures."""
    rows = []
    for row in frame.to_dict("records"):
        measure, paper, mean, std, diff = (row["measure"], row["paper"], row["ours_mean"], row["ours_std"],
                                           row["difference"])
        if "configuration" in measure:
            cells = (paper, row["ours"], "")
        elif measure.startswith("epoch"):   # whole epochs: 9, not 9.0
            single = _nan(std) or not std
            cells = ("" if paper is None or _nan(paper) else f"{paper:.0f}",
                     "" if _nan(mean) else (f"{mean:.0f}" if single else f"{mean:.1f} ± {std:.1f}"),
                     "" if _nan(diff) else f"{diff:+.0f}")
        elif "accuracy" in measure:
            cells = (_pct(paper), _pct(mean) if _nan(std) or row["executions"] == 1 else _mean_std(mean, std),
                     "" if _nan(diff) else f"{100 * diff:+.1f} pts")
        else:
            spread = "" if _nan(std) or row["executions"] == 1 else f" ± {std:.3f}"
            cells = (_num(paper), _num(mean) + spread, "" if _nan(diff) else f"{diff:+.3f}")
        if row["executions"] == 1 and cells[1] and "spread" not in measure and "mean of" not in measure:
            cells = (cells[0], f"{cells[1]} (n = 1)", cells[2])
        rows.append({"setting": row["setting"], "measure": measure, "changes": row["changes"],
                     "paper": cells[0], "ours": cells[1], "difference": cells[2], "verdict": row["verdict"],
                     "paper's finding": row["paper_finding"], "our finding": row["our_finding"],
                     "measured by": row["source"]})
    return pd.DataFrame(rows)


def _baselines(frame: pd.DataFrame) -> Table:
    shown = pd.DataFrame({
        "classifier": frame["classifier"], "from": frame["from"],
        "test accuracy": [_pct(m) if n == 1 else _mean_std(m, s)
                          for m, s, n in zip(frame["test_accuracy_mean"], frame["test_accuracy_std"], frame["seeds"])],
        "seeds": frame["seeds"],
        "fit time per seed": ["" if _nan(v) else f"{v:.1f} s" for v in frame["fit_s_mean"]],
        "published": [_pct(v) for v in frame["published"]],
        "published in": frame["published_source"].fillna(""),
    })
    return _table("baselines", frame, shown)


def _paper(frame: pd.DataFrame) -> Table:
    return _table("paper_and_us", frame, paper_display(frame))


def _heatmaps(y_true, y_pred, class_names, per_class: pd.DataFrame, subject: str) -> list[Figure]:
    k = len(class_names)
    counts = metrics.confusion(y_true, y_pred, num_classes=k)
    normalised = metrics.confusion(y_true, y_pred, num_classes=k, normalize="true")
    classes = per_class.iloc[:k]
    scores = np.vstack([classes["precision"], classes["recall"], classes["f1"]])
    common = dict(row_labels=class_names, column_labels=class_names, xlabel="predicted", ylabel="true")
    # The colour scale starts at the lowest score (rounded down to 0.05): scores of 0.89-1.00 stay distinguishable.
    low = float(np.floor(np.nanmin(scores) * 20) / 20) if scores.size else 0.0
    wide = 560 if k > 5 else 0   # px: on a phone the heatmap scrolls sideways, its numbers stay legible
    return [
        Figure("confusion_counts", "Confusion matrix (counts)",
               "Rows are the true class, columns the predicted class; the diagonal holds the correct predictions.",
               plots.heatmap(counts, title=f"Confusion matrix: {subject}", fmt="{:.0f}",
                             colorbar="test examples", **common), wide),
        Figure("confusion_normalised", "Confusion matrix (row-normalised)",
               "Each row divided by its class's number of test examples: the diagonal is per-class recall.",
               plots.heatmap(normalised, title=f"Confusion matrix, row-normalised: {subject}", vmax=1.0,
                             colorbar="share of the true class", **common), wide),
        Figure("precision_recall", "Precision, recall and F1 per class",
               "Precision = TP / (TP + FP), recall = TP / (TP + FN), per class (scikit-learn's definitions). "
               f"The colour scale runs from {low:.2f} (the lowest score, rounded down) to 1.",
               plots.heatmap(scores, row_labels=["precision", "recall", "F1"], column_labels=class_names,
                             title=f"Precision, recall and F1: {subject}", xlabel="class", ylabel="metric",
                             vmin=min(low, 0.95), vmax=1.0, colorbar="score"), wide),
    ]


# ---------------------------------------------------------------- rendering


# Markdown's own punctuation: emphasis, code, links and images, headings, strike-through, table cells.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]#!~|])")
# What GitHub links by itself: scheme://..., mailto: and xmpp:, www.
_AUTOLINK_COLON = re.compile(r"(?i):(?=//)|(?<=mailto):|(?<=xmpp):")
_WWW = re.compile(r"(?i)\b(www)\.")


def _markdown_escape(value):
    """Return a value from data as inert Markdown text: it reads the same and makes no markup, link or image.

    HTML is escaped (GitHub renders raw HTML), Markdown's punctuation gets a
    backslash, newlines become spaces (one table cell, one paragraph), and
    what GitHub would turn into a link by itself is broken up invisibly: the
    `:` of `scheme://` or `mailto:` becomes an entity, `www.` loses its dot
    to one, and an e-mail address gets an empty comment after its `@`.
    Markup (the output of a template's macro, already escaped, or a file
    name the report made) passes through unchanged.
    """
    if isinstance(value, markupsafe.Markup):
        return value
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    text = _WWW.sub(r"\1&#46;", _AUTOLINK_COLON.sub("&#58;", text)).replace("@", "@<!-- -->")
    return markupsafe.Markup(text.replace("\r", " ").replace("\n", " "))


def _link(target: str) -> markupsafe.Markup:
    """Return a link target the report made, after checking it stays inside the reports folder.

    Every href and image source in both pages goes through this filter: a
    relative path of plain names (a figure, a CSV, another report's folder),
    never a URL, an absolute path or `..`.
    """
    if target in INDEX_LINKS:
        return markupsafe.Markup(target)   # a report's way back to reports/index.html
    if not all(names.is_plain(part) for part in str(target).split("/")):
        raise ResultsError(f"refusing to link {str(target)[:80]!r}: a report links only its own files")
    return markupsafe.Markup(target)


def environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    """Return the HTML and the Markdown template environments (the Markdown one makes data inert text)."""
    loader = jinja2.PackageLoader("ann_keras.reports", "templates")
    html_env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True)
    markdown_env = jinja2.Environment(loader=loader, autoescape=True, finalize=_markdown_escape,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    for env in (html_env, markdown_env):
        env.filters.update(pct=_pct, num=_num, link=_link)
        # Our own style sheet, not text from data: autoescaping would turn its quotes into entities.
        env.globals["style"] = markupsafe.Markup((Path(__file__).parent / "templates" / "style.css").read_text())
        env.globals["script"] = markupsafe.Markup((Path(__file__).parent / "templates" / "tables.js").read_text())
    return html_env, markdown_env


def write_report(result: RunResult, reports_dir: Path) -> Path:
    """Write reports/<experiment>/ (README.md, index.html, CSVs, PNGs); return the folder."""
    folder = names.inside(reports_dir, result.spec.get("report_name", result.experiment), "report_name",
                          ResultsError)
    report = build_report(result)
    html_env, markdown_env = environments()
    for table in report.tables:
        if table.csv:
            write_text(folder / table.csv_file, table.frame.to_csv(index=False))
    for figure in report.figures:
        write_bytes(folder / figure.file, figure.png)
    write_text(folder / "README.md", markdown_env.get_template("report.md.j2").render(r=report))
    write_text(folder / "index.html", html_env.get_template("report.html.j2").render(r=report))
    write_text(folder / SUMMARY_FILE, json.dumps(report.headline, indent=1) + "\n")
    # The report's own data: `ann-keras report reports/<name>` rebuilds it, and a reader can check any number.
    results.save(result, folder)
    return folder


# What the index reads from each report's summary.json (written by write_report as `headline`).
_SUMMARY_SCHEMA = {
    "type": "object",
    "required": ["title", "profile", "dataset", "trials", "hardware", "finished"],
    "properties": {
        **{key: {"type": "string"} for key in ("title", "profile", "dataset", "hardware", "finished")},
        "trials": {"type": "integer", "minimum": 0},
        **{key: {"type": ["number", "null"]} for key in ("test_accuracy", "paper", "ours")},
        "compared": {"type": ["string", "null"]},
    },
}


def write_index(reports_dir: Path) -> tuple[Path, list[str]]:
    """Write reports/index.html and reports/README.md: one row per experiment's report.

    Return the page and the summary files left out, each with why: a folder
    that is not a plain name, or a summary.json that is not one of ours, is
    skipped rather than allowed to break the index or link anywhere.
    """
    import jsonschema
    reports_dir = Path(reports_dir)
    rows, skipped = [], []
    for path in sorted(reports_dir.glob(f"*/{SUMMARY_FILE}")):
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.validate(row, _SUMMARY_SCHEMA)
        except (OSError, ValueError, RecursionError, jsonschema.ValidationError) as error:
            skipped.append(f"{path}: not an ann-keras summary ({_first_line(error)})")
            continue
        if not names.is_plain(path.parent.name):
            skipped.append(f"{path}: folder name cannot be linked; use {names.RULE}")
            continue
        rows.append({**row, "experiment": path.parent.name})   # the link is the folder itself, never data
    html_env, markdown_env = environments()
    bench = (reports_dir / "bench" / "index.html").exists()
    write_text(reports_dir / "index.html", html_env.get_template("index.html.j2").render(rows=rows, bench=bench))
    write_text(reports_dir / "README.md", markdown_env.get_template("index.md.j2").render(rows=rows, bench=bench))
    return reports_dir / "index.html", skipped


def _first_line(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error)
    return shorten(text.splitlines()[0] if text else type(error).__name__, 100)
