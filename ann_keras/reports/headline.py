"""A report's headline: the row the index of all reports shows, written beside the pages as summary.json.

The index is rebuilt from these files alone, so their shape is checked
(`SCHEMA`) before a row is shown.
"""

from __future__ import annotations

from ..results import RunResult
from . import formatting, metrics
from .formatting import hardware_text, is_nan

SUMMARY_FILE = "summary.json"

# What the index reads from each report's summary.json (written by write_report as `headline`).
SCHEMA = {
    "type": "object",
    "required": ["title", "profile", "dataset", "trials", "hardware", "finished"],
    "properties": {
        **{key: {"type": "string"} for key in ("title", "profile", "dataset", "hardware", "finished", "arithmetic",
                                               "evaluation")},
        "trials": {"type": "integer", "minimum": 0},
        **{key: {"type": ["number", "null"]} for key in ("test_accuracy", "paper", "ours", "extension", "noise")},
        "compared": {"type": ["string", "null"]},
        "verdict": {"type": ["string", "null"]},
        "files": {"type": "array", "items": {"type": "string"}, "maxItems": 1000},
    },
}


def headline(result: RunResult) -> dict:
    """Return the numbers the index shows: our final model, and the paper's headline number beside ours.

    The headline is the paper's final model where it reports one (CNN), else
    its baseline setting (ANN). Both of ours are measured the paper's way
    (metrics.papers_way); `extension` is the same with recomputed batch-norm
    statistics, where the run recomputed them.
    """
    paper_frame = metrics.paper_table(result)
    final = result.final or {}
    chosen = paper_frame.iloc[:0]
    if not paper_frame.empty:
        accuracy = paper_frame[(paper_frame["measure"] == "test accuracy") & paper_frame["paper"].notna()
                               & ~paper_frame["published"]]
        chosen = accuracy[accuracy["setting"] == "final model"]
        if chosen.empty:
            chosen = accuracy[accuracy["baseline"]]
    row = None if chosen.empty else chosen.iloc[0]
    test_accuracy, extension = metrics.papers_way(final.get("metrics", {}), "test_accuracy")
    return {
        "experiment": result.spec.get("report_name", result.experiment),
        "title": result.title,
        "profile": result.profile,
        "dataset": result.dataset["name"],
        "test_accuracy": test_accuracy,
        "extension": extension,
        "evaluation": "batch-norm moving averages (the paper's)" if extension is not None else "",
        "best_trial": result.best_trial_id,
        "trials": len(result.trials),
        "compared": None if row is None else f"{row['setting']}, test accuracy",
        "paper": None if row is None else _float(row["paper"]),
        "ours": None if row is None else _float(row["ours_mean"]),
        "noise": None if row is None else _float(row["noise"]),
        "verdict": None if row is None else row["verdict"],
        "hardware": hardware_text(result.environment["hardware"]),
        "arithmetic": formatting.arithmetic(result),
        "finished": result.finished,
    }


def _float(value):
    return None if value is None or is_nan(float(value)) else float(value)
