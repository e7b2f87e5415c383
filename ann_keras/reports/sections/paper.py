"""The sections that set us beside the paper: its numbers and ours, and where the spec says we differ."""

from __future__ import annotations

from ...results import RunResult
from .. import formatting, metrics
from ..page import Section


def paper_and_us(result: RunResult) -> Section:
    """Return "The paper and us": the paper's numbers beside ours, with a verdict each (or a line saying none)."""
    spec = result.spec
    frame = metrics.paper_table(result)
    if frame.empty:
        return Section("paper", "The paper and us", note=_profile_note(spec),
                       paragraphs=["The spec lists no numbers from the paper for this experiment."])
    tables = formatting.paper(frame)
    source, notes = spec["paper"].get("source", ""), spec["paper"].get("notes", "").strip()
    return Section("paper", "The paper and us", note=_profile_note(spec), tables=tables,
                   files=[table.csv_file for table in tables], paragraphs=[
                       f"Source: {source}. Ours is measured the way the paper measured: test accuracy with batch "
                       "normalisation's moving averages, as the paper's PyTorch network and Keras evaluate by "
                       "default. Where we also recomputed those statistics on clean training images (bn_recompute), "
                       "that number is our extension, in a column of its own with its gain in points. Ours is the "
                       "mean ± standard deviation over the seeds (n = the number of seeds; a single run has no "
                       "spread). The noise column is a 95% interval for the difference from sampling alone: each "
                       "accuracy a share of the test examples (a binomial proportion, the paper's too), plus the "
                       "seeds' spread where there are several; a difference inside it is \"level\". Differences "
                       "are in percentage points for accuracies and in the measure's own unit for losses.", notes,
                   ])


def differences(result: RunResult) -> Section | None:
    """Return "Where we differ and why" from the spec's notes, or None for a spec without any."""
    notes = result.spec.get("notes")
    if not notes:
        return None
    return Section("differences", "Where we differ and why",
                   paragraphs=[f"{note['title']}. {note['text']}" for note in notes])


def _profile_note(spec: dict) -> str:
    if spec["profile"] == "paper":
        return "This run used the paper's protocol in full."
    return f"This run used the profile '{spec['profile']}', not the paper's protocol: {spec['profile_description']}"
