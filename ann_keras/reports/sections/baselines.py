"""The section beside aeon's time-series classifiers, for a run that trained them."""

from __future__ import annotations

from ...results import RunResult
from .. import formatting, metrics
from ..page import Section


def beside_aeon(result: RunResult) -> Section | None:
    """Return "Beside aeon's classifiers", or None for a run without baselines."""
    if not result.baselines:
        return None
    frame = metrics.baselines_table(result)
    # Every baseline may have been skipped (aeon's deep classifiers on another backend): then only why.
    table = formatting.baselines(frame) if not frame.empty else None
    return Section("baselines", "Beside aeon's classifiers", tables=[table] if table else [],
                   files=[table.csv_file] if table else [], paragraphs=[
        "Time-series classifiers a practitioner would pick instead, from aeon, trained on the same training split "
        "(without the validation split) with the same seeds and tested on the same test split. Fit time is training "
        "only, data in memory, on this run's hardware; ours is one training of the trial (a cross-validated trial's "
        "refit). Padded steps are zeros for them (they take no mask). The published figure is shown only where one "
        "exists for this data set."] + [_line(b) for b in result.baselines])


def _line(baseline: dict) -> str:
    """What a baseline is, or why it was not trained (aeon's deep classifiers need TensorFlow as the backend)."""
    if baseline["executions"]:
        return f"{baseline['label']}: {baseline.get('summary', '')}."
    return f"{baseline['label']}: not trained here: {baseline.get('skipped', 'no executions')}."
