"""Tables computed from a RunResult: trials, the paper beside us, per-class metrics.

Everything here is scikit-learn and pandas on stored predictions; no
TensorFlow. The CLI's terminal tables and the reports share these functions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from ..results import RunResult, Status, mean_std

# Where a difference's noise is not known (no test-split size): within this many accuracy points (or one
# standard deviation over seeds, if larger) counts as level with the paper.
TOLERANCE = 0.01


def training_seconds(result: RunResult) -> float:
    """Return the seconds spent training everything the run records: trials, extra paper settings, final model.

    Unlike the wall time of the last invocation, this survives resuming:
    each training's duration was stored when it finished.
    """
    seconds = sum(e.get("duration_s", 0) for t in result.trials for e in t["executions"])
    # Cross-validated searches refit after the search; the final model's refit carries no time of its own.
    seconds += sum((e.get("refit") or {}).get("duration_s") or 0 for t in result.trials for e in t["executions"])
    seconds += sum(e.get("duration_s", 0) for run in result.paper_runs
                   if run.get("source") == "trained beside the search" for e in run["executions"])
    if result.kind == "tune" and result.final:
        seconds += result.final.get("duration_s", 0)   # a train run's final model is its first execution
    return float(seconds)


def trials_table(result: RunResult) -> pd.DataFrame:
    """One row per trial: every hyperparameter, accuracy mean and std over executions, time.

    Sorted by the search's objective (mean validation accuracy, or loss),
    best first; failed trials last, with Keras Tuner's message.
    """
    axes = list(result.spec["search"]) or sorted({k for t in result.trials for k in t["hyperparameters"]})
    rows = []
    for trial in result.trials:
        row = {"trial": trial["trial_id"], "best": trial["trial_id"] == result.best_trial_id}
        for axis in axes:
            value = trial["hyperparameters"].get(axis, result.spec["params"].get(axis))
            row[axis] = "/".join(map(str, value)) if isinstance(value, list) else value
        if trial.get("budget") is not None:
            row["budget"] = trial["budget"]
        for key in ("val_accuracy", "val_loss", "test_accuracy", "test_loss"):
            row[f"{key}_mean"], row[f"{key}_std"] = mean_std(trial["executions"], key)
        folds = [e["folds"] for e in trial["executions"] if e.get("folds")]
        if folds:   # cross-validated: the spread over folds, averaged over the seeds
            row["folds"] = len(folds[0])
            row["val_accuracy_fold_std"] = float(np.mean([np.std([f["val_accuracy"] for f in each])
                                                          for each in folds]))
        row["executions"] = len(trial["executions"])
        row["time_s"] = round(sum(e["duration_s"] for e in trial["executions"]), 2)
        workers = sorted({e["worker"] for e in trial["executions"] if e.get("worker")})
        if workers:   # a distributed search: which worker process ran it
            row["worker"] = "/".join(workers)
        row["status"] = trial["status"]
        row["message"] = trial.get("message") or ""
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_failed"] = table["status"] != Status.COMPLETED
    objective = result.spec["tuner"]["objective"]
    table = table.sort_values(["_failed", f"{objective}_mean"], ascending=[True, objective.endswith("loss")],
                              na_position="last")
    return table.drop(columns="_failed").reset_index(drop=True)


def searched_axes(result: RunResult) -> list[str]:
    """Return the hyperparameters the search varied (more than one value)."""
    return [axis for axis, values in result.spec["search"].items() if len(values) > 1]


def main_effects(result: RunResult, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each hyperparameter the search varied, the objective per value: mean and spread over the trials.

    The paper's "change one factor" reading of a grid: each value's row
    averages every completed trial that used it, whatever the other axes were.
    """
    objective = result.spec["tuner"]["objective"]
    table = trials_table(result) if table is None else table
    rows = []
    if table.empty:
        return pd.DataFrame(columns=["hyperparameter", "value", "trials", "mean", "std", "min", "max"])
    done = table[table["status"] == Status.COMPLETED]
    for axis in searched_axes(result):
        for value, group in done.groupby(done[axis].astype(str), sort=False):
            scores = group[f"{objective}_mean"].astype(float)
            rows.append({"hyperparameter": axis, "value": value, "trials": len(group), "mean": scores.mean(),
                         "std": scores.std(ddof=0), "min": scores.min(), "max": scores.max()})
    frame = pd.DataFrame(rows, columns=["hyperparameter", "value", "trials", "mean", "std", "min", "max"])
    order = {str(display_value(a, v)): i for a in searched_axes(result) for i, v in enumerate(result.spec["search"][a])}
    return frame.sort_values(["hyperparameter", "value"], key=lambda c: c.map(order) if c.name == "value" else c,
                             kind="stable").reset_index(drop=True)


# Below this many completed trials, shares of variance say little: the table is left out.
IMPORTANCE_MIN_TRIALS = 6


def importance(result: RunResult) -> pd.DataFrame:
    """Each varied hyperparameter's share of the variance of the objective over the trials (eta squared).

    One-way analysis of variance per hyperparameter on the trials' mean
    objective: the variance of the per-value means (weighted by trials)
    divided by the variance over all trials. On a full grid the shares of
    the axes and their interactions add up to 1; what the axes leave is
    interaction. Empty below IMPORTANCE_MIN_TRIALS completed trials.
    """
    table = trials_table(result)
    effects, objective = main_effects(result, table), result.spec["tuner"]["objective"]
    columns = ["hyperparameter", "share_of_variance", "best_value", "range_of_means"]
    done = table[table["status"] == Status.COMPLETED] if not table.empty else table
    if len(done) < IMPORTANCE_MIN_TRIALS or effects.empty:
        return pd.DataFrame(columns=columns)
    scores = done[f"{objective}_mean"].astype(float)
    total = float(((scores - scores.mean()) ** 2).sum())
    rows = []
    for axis, group in effects.groupby("hyperparameter", sort=False):
        between = float((group["trials"] * (group["mean"] - scores.mean()) ** 2).sum())
        best = group.loc[group["mean"].idxmin() if objective.endswith("loss") else group["mean"].idxmax()]
        rows.append({"hyperparameter": axis, "share_of_variance": between / total if total else float("nan"),
                     "best_value": best["value"], "range_of_means": group["mean"].max() - group["mean"].min()})
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("share_of_variance", ascending=False, ignore_index=True)


def curves_long(result: RunResult) -> pd.DataFrame:
    """One row per trial x seed x logged step: every metric Keras logged, with the trial's hyperparameters."""
    axes = list(result.spec["search"])
    rows = []
    sources = [(t["trial_id"], t["hyperparameters"], e) for t in result.trials for e in t["executions"]]
    if result.final and result.kind == "tune":
        sources.append(("final", result.final.get("overrides", {}),
                        {"seed": result.final["seed"], "history": result.final["history"]}))
    for trial_id, hyperparameters, execution in sources:
        history = execution.get("history") or {}
        keys = [k for k in history if k not in ("unit", "step")]
        for i, step in enumerate(history.get("step", [])):
            values = {a: display_value(a, hyperparameters.get(a, result.spec["params"].get(a))) for a in axes}
            row = {"trial": trial_id, **values, "seed": execution.get("seed"), "unit": history["unit"], "step": step}
            row.update({k: history[k][i] for k in keys if i < len(history[k])})
            rows.append(row)
    return pd.DataFrame(rows)


# Up to this many trials, each is a row of its own beside the aeon classifiers (the RNN's cells); else the best.
BASELINE_TRIAL_ROWS = 6


def baselines_table(result: RunResult) -> pd.DataFrame:
    """Our models beside aeon's classifiers on the same splits: test accuracy over seeds, fit time, published figure.

    Ours are the trials (every one where the search is small, as the RNN's
    three cells; else the best), their test accuracy from the same seeds;
    a cross-validated trial's test numbers and time are its refit's. The
    published figure is the spec's reference of the same name for this
    data set, where there is one.
    """
    columns = ["classifier", "from", "test_accuracy_mean", "test_accuracy_std", "seeds", "fit_s_mean",
               "published", "published_source"]
    if not result.baselines:
        return pd.DataFrame(columns=columns)
    references = {r["name"]: r for r in result.spec["paper"].get("references", [])
                  if r.get("dataset") == result.dataset["name"]}
    completed = [t for t in result.trials if t["status"] == Status.COMPLETED and t["executions"]]
    if len(completed) > BASELINE_TRIAL_ROWS:
        completed = [t for t in completed if t["trial_id"] == result.best_trial_id]
    rows = []
    for trial in completed:
        tested = [e for e in trial["executions"] if e.get("test_accuracy") is not None]
        if not tested:
            continue
        label = ", ".join(f"{k}={display_value(k, v)}" for k, v in trial["hyperparameters"].items()) or "[params]"
        times = [(e["refit"].get("duration_s") if e.get("refit") else e.get("duration_s")) for e in tested]
        times = [t for t in times if t is not None]
        rows.append({"classifier": f"ours: {label}", "from": f"trial {trial['trial_id']}",
                     **_mean_std_columns(tested), "seeds": len(tested),
                     "fit_s_mean": float(np.mean(times)) if times else float("nan")})
    for baseline in result.baselines:
        executions = baseline["executions"]
        if not executions:   # skipped (baseline["skipped"] says why; the section names it)
            continue
        reference = references.get(baseline["label"], {})
        rows.append({"classifier": baseline["label"], "from": "aeon " + ", ".join(
                         f"{k}={v}" for k, v in (baseline.get("options") or {}).items()),
                     **_mean_std_columns(executions), "seeds": len(executions),
                     "fit_s_mean": float(np.mean([e["duration_s"] for e in executions])),
                     "published": reference.get("test_accuracy"), "published_source": reference.get("source", "")})
    return pd.DataFrame(rows, columns=columns)


def _mean_std_columns(executions: list) -> dict:
    mean, std = mean_std(executions, "test_accuracy")
    return {"test_accuracy_mean": mean, "test_accuracy_std": std}


def papers_way(record: dict, key: str) -> tuple[float | None, float | None]:
    """Return `key` of one execution (or a final model's metrics) measured the paper's way, and our extension's.

    The paper's network is PyTorch's, which, like Keras, evaluates with the
    batch-norm moving averages that training leaves. Where a run recomputed
    the statistics (bn_recompute), `key` holds the recomputed number and
    `<key>_running_bn` the paper's; the first is our extension. A run that
    recomputed them but did not keep the paper's number for `key` (the
    per-epoch curves of runs before they were kept) returns None for it.
    Where nothing was recomputed, `key` is the paper's way and there is no
    extension. Works for numbers and for per-epoch lists alike.
    """
    running = record.get(f"{key}_running_bn")
    if running is not None:
        return running, record.get(key)
    if record.get("test_accuracy_running_bn") is not None:
        return None, record.get(key)
    return record.get(key), None


def _extension(measured: list[tuple]) -> float | None:
    """Return the mean of our extension's numbers (papers_way's second), or None where any is missing or none ran."""
    values = [extension for _, extension in measured]
    return None if not values or any(v is None for v in values) else float(np.mean(values))


def _spread(values: list) -> tuple[float, float]:
    """Return mean and population standard deviation, NaN where any value is missing (not measured that way)."""
    if not values or any(v is None for v in values):
        return float("nan"), float("nan")
    return float(np.mean(values)), float(np.std(values))


def noise(ours: float, paper: float, *, examples: int | None, std: float = float("nan"), seeds: int = 1) -> float:
    """Return the half-width of a 95% interval for `ours - paper` from sampling alone, NaN where unknown.

    Each accuracy is a share of `examples` test examples, a binomial
    proportion (the paper's too: it tested on the same split); over several
    seeds, the spread of ours adds its standard error. One seed has no
    spread to add, so a single run's interval is the test split's alone.
    """
    variance = 0.0
    if examples:
        variance += (ours * (1 - ours) + paper * (1 - paper)) / examples
    if seeds > 1 and not np.isnan(std):
        variance += std ** 2 / seeds
    return Z95 * float(np.sqrt(variance)) if variance > 0 else float("nan")


Z95 = 1.96


def paper_table(result: RunResult) -> pd.DataFrame:
    """Every number the paper reports, ours beside it measured the paper's way, the difference, a verdict.

    One row per (setting, measure): the paper's settings (test accuracy, and
    per-epoch figures where it gave them), its best configuration and its
    final model, then published results on the same data set. "ours" is
    measured the way the paper measured (papers_way); where we also
    recomputed batch-norm statistics, that number is `extension_mean`, our
    extension, beside it. Verdicts count a difference inside `noise` as
    level. Settings the paper reports only a direction for get our
    direction beside its.
    """
    runs = result.paper_runs
    examples = int(result.dataset["sizes"].get("test") or 0) or None
    baseline = next((run for run in runs if run.get("baseline")), None)
    base_mean = _spread([papers_way(e, "test_accuracy")[0] for e in baseline["executions"]])[0] \
        if baseline else float("nan")
    rows = []
    for run in runs:
        changes = _values(run["params"])
        common = {"setting": run["name"], "changes": changes, "executions": len(run["executions"]),
                  "source": run.get("source", ""), "baseline": bool(run.get("baseline"))}
        measured = [papers_way(e, "test_accuracy") for e in run["executions"]]
        ours, std = _spread([m[0] for m in measured])
        extension = _extension(measured)
        if run.get("test_accuracy") is not None or run.get("expect"):
            row = _row(common, "test accuracy", run.get("test_accuracy"), ours, std, extension=extension,
                       examples=examples)
            if run.get("expect") and not np.isnan(ours) and not np.isnan(base_mean):
                direction = _direction(ours - base_mean, noise(ours, base_mean, examples=examples, std=std,
                                                               seeds=len(measured)))
                row["paper_finding"] = f"{run['expect']} baseline"
                # In points, as the difference column beside it.
                row["our_finding"] = f"{direction} baseline ({100 * (ours - base_mean):+.1f} pts)"
                if run["expect"] != "inconclusive":
                    row["our_finding"] += " - same as the paper" if direction == run["expect"] else " - differs"
            elif run.get("expect"):
                row["paper_finding"] = f"{run['expect']} baseline"
            rows.append(row)
        curves = [papers_way(e, "test_accuracy_by_epoch") for e in run["executions"]]
        for key, measure, pick in (
                ("first_epoch_test_accuracy", "test accuracy after epoch 1", lambda c: c[0]),
                ("best_epoch_test_accuracy", "best test accuracy over the epochs", max),
                ("best_epoch", "epoch of the best test accuracy", lambda c: int(np.argmax(c)) + 1)):
            if run.get(key) is not None:
                picked = [pick(c) if c else None for c, _ in curves]
                extended = [pick(c) for _, c in curves if c]
                mean, spread = _spread(picked) if curves else (float("nan"),) * 2
                extension = float(np.mean(extended)) if extended and len(extended) == len(curves) else None
                rows.append(_row(common, measure, run[key], mean, spread, exact=key == "best_epoch",
                                 extension=extension, examples=examples))
    paper = result.spec["paper"]
    best = next((t for t in result.trials if t["trial_id"] == result.best_trial_id), None)
    if paper.get("best") and best is not None:
        ours_best = {k: best["hyperparameters"].get(k, result.spec["params"].get(k)) for k in paper["best"]}
        same = all(ours_best[k] == v for k, v in paper["best"].items())
        rows.append({"setting": "grid search", "measure": "best configuration",
                     "paper": _values(paper["best"]), "ours": _values(ours_best),
                     "verdict": "same as the paper" if same else "differs", "source": f"trial {best['trial_id']}"})
    final = result.final or {}
    # A `train` run's final model is one of its seeds: compare the mean over all of them.
    seeds = result.trials[0]["executions"] if result.kind == "train" and result.trials else []
    smoothing = (final.get("params") or result.spec["params"]).get("label_smoothing") or 0
    for key, measure in (("test_accuracy", "test accuracy"), ("test_loss", "test loss")):
        if paper.get("final", {}).get(key) is not None and final:
            measured = [papers_way(e, key) for e in seeds] or [papers_way(final["metrics"], key)]
            ours, std = _spread([m[0] for m in measured])
            extension = _extension(measured)
            source = f"mean of {len(seeds)} seeds" if seeds else f"final model, seed {final.get('seed')}"
            row = _row({"setting": "final model", "changes": _values(result.spec["final"]),
                        "executions": len(measured), "source": source},
                       measure, paper["final"][key], ours, std, relative=key == "test_loss", extension=extension,
                       examples=examples if key == "test_accuracy" else None)
            if key == "test_loss" and smoothing:
                # Label smoothing raises the loss of every prediction, right or wrong: not the paper's quantity.
                row["verdict"] = f"not comparable: trained with label smoothing {smoothing}"
            rows.append(row)
    if paper.get("final", {}).get("test_accuracy") is not None and final:
        rows += _last_epochs(final, paper["final"]["test_accuracy"], _values(result.spec["final"]), examples)
    # Published results are compared only with runs on the data set they were measured on.
    references = [r for r in paper.get("references", []) if r.get("dataset") == result.dataset["name"]]
    if references and best is not None:
        measured = [papers_way(e, "test_accuracy") for e in best["executions"]]
        ours, std = _spread([m[0] for m in measured])
        for reference in references:
            rows.append(_row({"setting": reference["name"], "changes": "", "executions": len(best["executions"]),
                              "source": f"ours: best trial {best['trial_id']}; theirs: {reference['source']}",
                              "published": True},
                             "test accuracy", reference["test_accuracy"], ours, std,
                             versus="the published result", examples=examples))
    columns = ["setting", "measure", "changes", "paper", "ours", "ours_mean", "ours_std", "executions",
               "difference", "noise", "verdict", "extension_mean", "paper_finding", "our_finding", "why", "source",
               "baseline", "published"]
    why = paper.get("why") or {}
    for row in rows:
        row["why"] = why.get(row["setting"], "")
    table = pd.DataFrame(rows, columns=columns)
    for flag in ("baseline", "published"):
        table[flag] = table[flag].astype("boolean").fillna(False).astype(bool)
    return table.fillna({"paper_finding": "", "our_finding": "", "changes": "", "ours": "", "why": ""})


LAST_EPOCHS = 10


def _last_epochs(final: dict, paper_accuracy: float, changes: str, examples: int | None) -> list[dict]:
    """Return the final model's accuracy over its last epochs: how much the last epoch's number is a draw.

    Test accuracy where it was tracked per epoch (the paper's way where
    kept), else validation accuracy; only a test accuracy is set beside the
    paper's (which is a test accuracy).
    """
    history = final.get("history") or {}
    if history.get("test_accuracy_running_bn"):
        key, split = "test_accuracy_running_bn", "test"
    elif history.get("test_accuracy") and "test_accuracy_running_bn" not in final.get("metrics", {}):
        key, split = "test_accuracy", "test"
    else:
        key, split = "val_accuracy", "validation"
    values = history.get(key) or []
    if history.get("unit") != "epoch" or len(values) < LAST_EPOCHS:
        return []
    last = np.asarray(values[-LAST_EPOCHS:], dtype=float)
    first = len(values) - LAST_EPOCHS + 1
    how = " (batch-norm statistics recomputed, as for every validation)" \
        if split == "validation" and "test_accuracy_running_bn" in final.get("metrics", {}) else ""
    row = _row({"setting": "final model", "changes": changes, "executions": 1,
                "source": f"{split} accuracy{how} after each of epochs {first}-{len(values)}: "
                          f"{100 * last.min():.1f}% to {100 * last.max():.1f}%"},
               f"{split} accuracy, mean of the last {LAST_EPOCHS} epochs",
               paper_accuracy if split == "test" else None, float(last.mean()), float(last.std()),
               examples=examples)
    return [row]


def _row(common: dict, measure: str, paper, ours: float, std: float, *, exact: bool = False,
         relative: bool = False, versus: str = "the paper", extension: float | None = None,
         examples: int | None = None) -> dict:
    row = {**common, "measure": measure, "paper": paper, "ours_mean": ours, "ours_std": std,
           "extension_mean": float("nan") if extension is None else extension}
    if paper is None:
        row.update(difference=float("nan"), noise=float("nan"), verdict="")
        return row
    row["difference"] = ours - paper
    seeds = common.get("executions") or 1
    row["noise"] = float("nan") if exact or relative or np.isnan(ours) else \
        noise(ours, paper, examples=examples, std=std, seeds=seeds)
    if exact:
        row["verdict"] = "not measured" if np.isnan(ours) else ("same as the paper" if ours == paper else "differs")
    elif np.isnan(ours) and extension is not None:
        row["verdict"] = "not comparable: this run kept only recomputed batch-norm statistics here"
    else:
        row["verdict"] = verdict(ours, std, paper, relative=relative, versus=versus, interval=row["noise"])
    return row


# Settings where 0 means "everything": shown as words, not as a zero a reader takes literally.
ZERO_MEANS = {"train_examples": "all", "limit": "all", "test_limit": "all", "batch_size": "full batch",
              "max_trials": "whole grid", "bn_recompute": "off"}


def display_value(key: str, value) -> str:
    """Return one setting as a reader should see it: lists joined with '/', a meaningful 0 in words."""
    if isinstance(value, list):
        return "/".join(map(str, value))
    if value == 0 and not isinstance(value, bool) and key in ZERO_MEANS:
        return ZERO_MEANS[key]
    return str(value)


def _values(values: dict) -> str:
    return ", ".join(f"{k}={display_value(k, v)}" for k, v in values.items())


def verdict(ours: float, std: float, paper: float, *, relative: bool = False, versus: str = "the paper",
            interval: float = float("nan")) -> str:
    """Return 'level with the paper', 'above the paper' or 'below the paper', or 'not measured'.

    A difference inside `interval` (noise: the test split's binomial
    interval and the seeds' spread) is level. Where no interval is known,
    within TOLERANCE (relative to the paper's value when `relative`, as for
    a loss) or one standard deviation, whichever is larger, is level.
    """
    if np.isnan(ours):
        return "not measured"
    spread = std if not np.isnan(std) else 0.0
    if np.isnan(interval):
        interval = max(TOLERANCE * abs(paper) if relative else TOLERANCE, spread)
    direction = _direction(ours - paper, interval)
    if direction == "level with":
        return f"level with {versus}"
    if relative:   # a loss: lower is better, and the verdict says so
        return f"worse than {versus} (higher loss)" if direction == "above" else f"better than {versus} (lower loss)"
    return f"{direction} {versus}"


def _direction(difference: float, interval: float) -> str:
    """Return 'above', 'below' or 'level with': level where the difference lies inside `interval` (or TOLERANCE)."""
    interval = TOLERANCE if np.isnan(interval) else interval
    if difference > interval:
        return "above"
    if difference < -interval:
        return "below"
    return "level with"


def per_class_table(y_true, y_pred, *, class_names, paper_accuracy: dict | None = None) -> pd.DataFrame:
    """Per-class accuracy, precision, recall, F1 and support, with macro and weighted averages.

    Per-class accuracy is the share of a class's examples predicted as that
    class (the paper's Table I), which equals recall. A class that is never
    predicted has precision 0 (scikit-learn's zero_division) and a warning
    column saying so, instead of an error.
    """
    labels = list(range(len(class_names)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, zero_division=0)
    predicted = np.bincount(np.asarray(y_pred, dtype=int), minlength=len(labels))
    rows = []
    for index, name in enumerate(class_names):
        rows.append({
            "class": name, "accuracy": recall[index], "precision": precision[index], "recall": recall[index],
            "f1": f1[index], "support": int(support[index]),
            "note": "never predicted" if predicted[index] == 0 and support[index] else "",
        })
    table = pd.DataFrame(rows)
    total = table["support"].sum()
    for name, weights in (("macro avg", None), ("weighted avg", table["support"])):
        averages = {col: float(np.average(table[col], weights=weights)) if total else float("nan")
                    for col in ("accuracy", "precision", "recall", "f1")}
        rows.append({"class": name, **averages, "support": int(total), "note": ""})
    table = pd.DataFrame(rows)
    if paper_accuracy:
        table.insert(2, "paper_accuracy", [paper_accuracy.get(name) for name in table["class"]])
    return table


def confusion(y_true, y_pred, *, num_classes: int, normalize: str | None = None) -> np.ndarray:
    """Return the confusion matrix (rows true, columns predicted), optionally row-normalised."""
    matrix = confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))
    if normalize == "true":
        sums = matrix.sum(axis=1, keepdims=True)
        return np.divide(matrix, sums, out=np.zeros(matrix.shape, dtype=float), where=sums > 0)
    return matrix


def _mistakes(y_true, y_pred, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each mistaken (true, predicted) pair that occurs and its count, most frequent first.

    Among equal counts, by true class then predicted class. Memory follows
    the test split, not k * k: a confusion matrix of 10,000 classes would be
    800 MB of mostly zeros.
    """
    flat = np.asarray(y_true, dtype=np.int64) * num_classes + np.asarray(y_pred, dtype=np.int64)
    pairs, counts = np.unique(flat, return_counts=True)
    true, predicted = np.divmod(pairs, num_classes)
    wrong = true != predicted
    true, predicted, counts = true[wrong], predicted[wrong], counts[wrong]
    order = np.lexsort((predicted, true, -counts))
    return true[order], predicted[order], counts[order]


def most_confused(y_true, y_pred, *, class_names, top: int = 10) -> pd.DataFrame:
    """The most frequent true -> predicted mistakes, with counts and share of the true class."""
    k = len(class_names)
    true, predicted, counts = (column[:top] for column in _mistakes(y_true, y_pred, k))
    support = np.bincount(np.asarray(y_true, dtype=np.int64), minlength=k)
    rows = [{"true": class_names[t], "predicted": class_names[p], "count": int(c), "share_of_true": c / support[t]}
            for t, p, c in zip(true, predicted, counts)]
    return pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true"])


def most_confused_classes(y_true, y_pred, *, num_classes: int, top: int = 20) -> np.ndarray:
    """Return up to `top` classes: both ends of the most frequent mistakes, taken pair by pair, in class order.

    Taken by pairs, not by each class's own count of mistakes: a class
    mistaken often but each time for another class would bring a row of
    zeros, while the classes of the most frequent pairs bring their mistakes
    into the matrix beside each other.
    """
    true, predicted, _ = _mistakes(y_true, y_pred, num_classes)
    chosen: dict[int, None] = {}
    for t, p in zip(true, predicted):
        if len(chosen) + (t not in chosen) + (p not in chosen) > top:
            break
        chosen.update(dict.fromkeys((int(t), int(p))))
    return np.array(sorted(chosen), dtype=np.int64)


def confusion_among(y_true, y_pred, classes) -> np.ndarray:
    """Return the confusion counts restricted to `classes` (rows true, columns predicted, in the order given)."""
    classes = np.asarray(classes, dtype=np.int64)
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    position = np.full(max(int(y_true.max(initial=0)), int(y_pred.max(initial=0)), int(classes.max(initial=0))) + 1,
                       -1)
    position[classes] = np.arange(len(classes))
    rows, columns = position[y_true], position[y_pred]
    kept = (rows >= 0) & (columns >= 0)
    n = len(classes)
    return np.bincount(rows[kept] * n + columns[kept], minlength=n * n).reshape(n, n)


def binned_confusion(y_true, y_pred, *, num_classes: int, bins: int) -> tuple[np.ndarray, int]:
    """Return the row-normalised confusion matrix with classes grouped in consecutive blocks, and the block size.

    With at most `bins` classes each block is one class and this is the
    exact matrix; with more, cell (i, j) is the share of block i's test
    examples predicted as a class of block j, so a picture of 10,000
    classes stays `bins` pixels wide and its memory bins * bins numbers.
    """
    size = -(-num_classes // bins)   # classes per block, rounded up
    blocks = -(-num_classes // size)
    rows = np.asarray(y_true, dtype=np.int64) // size
    columns = np.asarray(y_pred, dtype=np.int64) // size
    counts = np.bincount(rows * blocks + columns, minlength=blocks * blocks).reshape(blocks, blocks)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0), size
