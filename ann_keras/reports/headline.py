"""A report's headline: the row the index of all reports shows, written beside the pages as summary.json.

The index is rebuilt from these files alone, so their shape is checked
(`SCHEMA`) before a row is shown.
"""

from __future__ import annotations

from ..results import RunResult
from . import metrics
from .formatting import hardware_text, is_nan

SUMMARY_FILE = "summary.json"

# What the index reads from each report's summary.json (written by write_report as `headline`).
SCHEMA = {
    "type": "object",
    "required": ["title", "profile", "dataset", "trials", "hardware", "finished"],
    "properties": {
        **{key: {"type": "string"} for key in ("title", "profile", "dataset", "hardware", "finished")},
        "trials": {"type": "integer", "minimum": 0},
        **{key: {"type": ["number", "null"]} for key in ("test_accuracy", "paper", "ours")},
        "compared": {"type": ["string", "null"]},
    },
}


def headline(result: RunResult) -> dict:
    """Return the numbers the index shows: our final model, and the paper's headline number beside ours.

    The headline is the paper's final model where it reports one (CNN), else
    its baseline setting (ANN).
    """
    paper_frame = metrics.paper_table(result)
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
    return None if value is None or is_nan(float(value)) else float(value)
