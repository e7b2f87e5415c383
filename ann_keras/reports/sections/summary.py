"""The Summary section: what ran, on which data and machine, with which versions, and the command to run it again."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pandas as pd

from ... import results
from ...results import RunResult
from .. import formatting, metrics
from ..formatting import hardware_text, num, pct
from ..headline import SUMMARY_FILE
from ..page import Section


def summary(result: RunResult) -> Section:
    """Return the Summary section: one two-column table of facts about the run, and its data files."""
    table = formatting.table("summary", pd.DataFrame(_rows(result), columns=["", " "]))
    table.csv, table.header = False, False
    return Section("summary", "Summary", tables=[table], files=[results.RESULTS_FILE, SUMMARY_FILE])


def _rows(result: RunResult) -> list[tuple[str, str]]:
    spec, data, final = result.spec, result.dataset, result.final or {}
    sizes = data["sizes"]
    versions = result.environment["versions"]
    best = next((t for t in result.trials if t["trial_id"] == result.best_trial_id), None)
    rows = [
        ("Experiment", f"{result.experiment}: {result.title}"),
        ("Profile", f"{spec['profile']}: {spec['profile_description']}"),
        ("Data set", f"{data['name']}, read from {formatting.beside_project(data['source'], spec.get('path', ''))}" + (
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
        accuracy, recomputed = metrics.papers_way(m, "test_accuracy")
        loss = metrics.papers_way(m, "test_loss")[0]
        text = f"test accuracy {pct(accuracy)}, test loss {num(loss, 4)}"
        if recomputed is not None:
            text += (f" with batch normalisation's moving averages (the paper's evaluation); "
                     f"{pct(recomputed)} ({100 * (recomputed - accuracy):+.1f} pts) with the statistics recomputed "
                     "on clean training images (our extension)")
        rows.append(("Final model", f"{text} (one run, seed {final['seed']}"
                                    f"{'; retrained with ' + overrides if overrides else ''})"))
    for exported in result.exports:
        verdict = "passed" if exported["passed"] else "FAILED"
        rows.append((f"Exported ({exported['format']})",
                     f"{exported['path']} in the run folder; checked on {exported.get('examples', '?')} test examples: "
                     f"{pct(exported['exported_accuracy'])} against the Keras model's "
                     f"{pct(exported['keras_accuracy'])} (tolerance {pct(exported['tolerance'])}): {verdict}"))
    rows += [
        ("Training time", f"{metrics.training_seconds(result):.1f} s: every training this run records (trials, "
                          "the paper's extra settings, the final model), resumed invocations included"),
        ("Wall time", _wall_time(result)),
        ("Hardware", hardware_text(result.environment["hardware"])),
        ("Keras backend", result.environment.get("backend", "tensorflow")),
        ("Arithmetic", formatting.arithmetic(result)),
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
        return f"ann-keras {version}; its commit was not recorded (the code did not run from a git checkout)"
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
        parts += ["--data", _relative(spec["data_option"], spec.get("path", ""))]
    return shlex.join(parts)


def _relative(path: str, spec_path: str) -> str:
    """Return an absolute data path relative to the project the spec came from (the folder above tuning/).

    A reproduce line is typed in a checkout on another machine: a path from
    this machine's root would name nothing there, while `../shared/data/x`
    beside the checkout does.
    """
    if not Path(path).is_absolute() or not Path(spec_path).is_absolute():
        return path
    return os.path.relpath(path, Path(spec_path).parent.parent)


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
