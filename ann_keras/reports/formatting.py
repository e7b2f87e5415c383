"""Numbers and cells as the pages show them, and the Tables built from metrics' DataFrames.

A missing number (None or NaN) is an empty cell, never "nan". Each Table
keeps its unformatted frame for the CSV beside the pages.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..results import RunResult, Status
from .page import Table


def pct(value) -> str:
    return "" if value is None or is_nan(value) else f"{100 * value:.1f}%"


def num(value, digits: int = 3) -> str:
    return "" if value is None or is_nan(value) else f"{value:.{digits}f}"


def is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def mean_std(mean, std) -> str:
    return "" if is_nan(mean) else f"{100 * mean:.1f}% ± {100 * std:.1f}"


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (float, np.floating)):
        return num(float(value), 4)
    if isinstance(value, (list, tuple)):
        return "/".join(map(str, value))
    return "" if value is None else str(value)


def subject(result: RunResult) -> str:
    """Return what every figure's title names: the experiment and its data set."""
    return f"{result.title}, {result.dataset['name']}"


def hardware_text(hardware: dict) -> str:
    """Return a machine in one line: processor, cores, memory, GPUs."""
    gpus = ", ".join(hardware.get("gpus") or []) or "no GPU"
    return (f"{hardware.get('cpu', 'unknown CPU')}, {hardware.get('usable_cpus')} usable cores, "
            f"{hardware.get('memory_gib')} GiB, {gpus}")


def arithmetic_text(precision: str | None, hardware: dict) -> str:
    """Return the arithmetic a run computed in: `precision` as resolved on `hardware`, not what the processor could do.

    `auto` meant mixed_bfloat16 where the processor (or a GPU) computes
    bfloat16 in hardware, float32 elsewhere (models.bfloat16).
    """
    native = hardware.get("bfloat16")
    if precision == "auto":
        if native is None:
            return "float32 or bfloat16 (precision auto; this run did not record which)"
        precision = "mixed_bfloat16" if native else "float32"
    if precision == "mixed_bfloat16":
        how = {True: "computed in hardware", False: "emulated: the processor has no bfloat16 instructions"}
        return f"bfloat16 with float32 weights (mixed_bfloat16, {how.get(native, 'hardware support not recorded')})"
    return "float32"


def arithmetic(result: RunResult) -> str:
    """Return the arithmetic the final model (else the spec's [params]) trained in on this run's machine."""
    params = (result.final or {}).get("params") or result.spec["params"]
    return arithmetic_text(params.get("precision"), result.environment["hardware"])


# ---------------------------------------------------------------- tables


# A table longer than this many rows pages: the HTML page shows this many at a time (sortable and filtered over
# all of them), the Markdown page the first this many, and the CSV beside them every row.
PAGE = 100

_NUMBER = re.compile(r"^[-+]?(\d[\d,]*\.?\d*|\.\d+)(%|e[-+]?\d+)?( ± [\d.]+)?( pts)?$")


def table(name: str, frame: pd.DataFrame, shown: pd.DataFrame | None = None, highlight=None) -> Table:
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
    long = len(rows) > PAGE
    return Table(name, [columns[i] for i in keep], rows, frame, list(highlight or []), numeric, sortable=long,
                 page=PAGE if long else 0)


def trials(frame: pd.DataFrame) -> Table:
    """Return the trials' table (metrics.trials_table) as the page shows it: sortable, the best trial marked."""
    if frame.empty:
        return table("trials", frame)
    first_metric = list(frame.columns).index("val_accuracy_mean")
    # trial id and hyperparameters as written in the spec ("best" is shown by highlighting)
    shown = frame.drop(columns="best").iloc[:, :first_metric - 1].astype(str)
    for key in ("val_accuracy", "test_accuracy"):   # one execution has no spread: the paragraph says n = 1
        shown[key] = [pct(m) if n == 1 else mean_std(m, s)
                      for m, s, n in zip(frame[f"{key}_mean"], frame[f"{key}_std"], frame["executions"])]
        if key == "val_accuracy" and "folds" in frame:   # cross-validated: how much the folds disagree
            shown["val_accuracy_over_folds"] = [
                "" if is_nan(s) else f"± {100 * s:.1f} ({int(k)} folds)" for s, k in
                zip(frame["val_accuracy_fold_std"], frame["folds"].fillna(0))]
    shown["val_loss"] = [num(v, 4) for v in frame["val_loss_mean"]]
    shown["test_loss"] = [num(v, 4) for v in frame["test_loss_mean"]]
    shown["executions"], shown["time_s"] = frame["executions"], [f"{v:.1f}" for v in frame["time_s"]]
    if "worker" in frame:
        shown["worker"] = frame["worker"].fillna("")
    if (frame["status"] != Status.COMPLETED).any():
        shown["status"], shown["message"] = frame["status"], frame["message"]
    page_table = table("trials", frame, shown, highlight=frame["best"].tolist())
    page_table.sortable = True
    return page_table


def paper_display(frame: pd.DataFrame, reference: str = "paper") -> pd.DataFrame:
    """Return the paper-and-us table with each number formatted by what it measures.

    `reference` heads the column of the numbers we are compared with: the
    paper's, or published results'. Our extension (recomputed batch-norm
    statistics) has a column of its own, with its gain over ours in points.
    """
    rows = []
    explained = set()   # a setting's reason is given once, on its first row that differs
    for row in frame.to_dict("records"):
        measure, paper, mean, std, diff = (row["measure"], row["paper"], row["ours_mean"], row["ours_std"],
                                           row["difference"])
        extension = row.get("extension_mean", float("nan"))
        why = row.get("why", "") if _differs(row["verdict"]) and row["setting"] not in explained else ""
        if why:
            explained.add(row["setting"])
        single = row["executions"] == 1
        if "configuration" in measure:
            cells = (paper, row["ours"], "")
        elif measure.startswith("epoch"):   # whole epochs: 9, not 9.0
            cells = ("" if paper is None or is_nan(paper) else f"{paper:.0f}",
                     "" if is_nan(mean) else (f"{mean:.0f}" if is_nan(std) or not std else f"{mean:.1f} ± {std:.1f}"),
                     "" if is_nan(diff) else f"{diff:+.0f}")
            extension = float("nan")   # an epoch number has no gain in points
        elif "accuracy" in measure:
            cells = (pct(paper), pct(mean) if is_nan(std) or single else mean_std(mean, std),
                     "" if is_nan(diff) else f"{100 * diff:+.1f} pts")
        else:
            spread = "" if is_nan(std) or single else f" ± {std:.3f}"
            cells = (num(paper), num(mean) + spread, "" if is_nan(diff) else f"{diff:+.3f}")
        if single and cells[1] and "spread" not in measure and "mean of" not in measure:
            cells = (cells[0], f"{cells[1]} (n = 1)", cells[2])
        if not cells[1] and not is_nan(extension):
            cells = (cells[0], "not kept", cells[2])
        gain = ""
        if not is_nan(extension):
            gain = pct(extension) if "accuracy" in measure else num(extension)
            if not is_nan(mean):
                gain += f" ({100 * (extension - mean):+.1f} pts)" if "accuracy" in measure \
                    else f" ({extension - mean:+.3f})"
        interval = row.get("noise", float("nan"))
        rows.append({"setting": row["setting"], "measure": measure, "changes": row["changes"],
                     reference: cells[0], "ours": cells[1], "difference": cells[2],
                     "noise (95%)": "" if is_nan(interval) else f"± {100 * interval:.1f} pts",
                     "verdict": row["verdict"],
                     "ours with recomputed batch-norm statistics (our extension)": gain,
                     "paper's finding": row["paper_finding"], "our finding": row["our_finding"],
                     "why they differ": why,
                     "measured by": row["source"]})
    return pd.DataFrame(rows)


def beside_project(text: str, spec_path: str) -> str:
    """Return `text` with paths beside the project the spec came from written relative to it (../shared/...).

    A path from the machine that ran the experiment names nothing on a reader's; one relative to the
    checkout (the folder above tuning/) does.
    """
    if not spec_path.startswith("/"):
        return text
    beside = str(Path(spec_path).parent.parent.parent).rstrip("/") + "/"
    return text.replace(beside, "../") if beside != "/" else text


def _differs(verdict: str) -> bool:
    """Whether a verdict says ours and the paper's differ (a reason is then worth showing)."""
    return bool(verdict) and not verdict.startswith(("level with", "same as"))


def paper(frame: pd.DataFrame) -> list[Table]:
    """Return the paper-and-us tables (metrics.paper_table) as the page shows them.

    The paper's own numbers and published results on the same data set are
    two tables, each headed by whose numbers they are.
    """
    published = frame["published"] if "published" in frame else pd.Series(False, index=frame.index)
    tables = []
    for name, rows, reference in (("paper_and_us", frame[~published], "paper"),
                                  ("published_and_us", frame[published], "published")):
        if not rows.empty:
            tables.append(table(name, rows, paper_display(rows, reference)))
    return tables


def baselines(frame: pd.DataFrame) -> Table:
    """Return aeon's classifiers' table (metrics.baselines_table) as the page shows it."""
    shown = pd.DataFrame({
        "classifier": frame["classifier"], "from": frame["from"],
        "test accuracy": [pct(m) if n == 1 else mean_std(m, s)
                          for m, s, n in zip(frame["test_accuracy_mean"], frame["test_accuracy_std"], frame["seeds"])],
        "seeds": frame["seeds"],
        "fit time per seed": ["" if is_nan(v) else f"{v:.1f} s" for v in frame["fit_s_mean"]],
        "published": [pct(v) for v in frame["published"]],
        "published in": frame["published_source"].fillna(""),
    })
    return table("baselines", frame, shown)
