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
    table = formatting.paper(frame)
    source, notes = spec["paper"].get("source", ""), spec["paper"].get("notes", "").strip()
    return Section("paper", "The paper and us", note=_profile_note(spec), tables=[table], files=[table.csv_file],
                   paragraphs=[
                       f"Source: {source}. Ours is the mean ± standard deviation over the seeds (n = the number of "
                       "seeds; a single run has no spread); \"reproduced\" means within 1 point or one standard "
                       "deviation of the paper's number, whichever is larger. Differences are in percentage points "
                       "for accuracies and in the measure's own unit for losses.", notes,
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
