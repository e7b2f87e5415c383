"""Every section of a report, in page order: one function per section, declared once in `SECTIONS`.

Each function takes the RunResult and returns its Section, or None where
the run has nothing for it (no spec notes, no baselines, no search, no
augmentation). Both pages render the one list `build_report` returns, so
fixing a section touches its function, and adding one is a function plus
its place in `SECTIONS`.
"""

from __future__ import annotations

from typing import Callable

from ...results import RunResult
from ..headline import headline
from ..page import Report, Section
from . import augmentation, baselines, curves, final_model, paper, search, summary

SECTIONS: tuple[Callable[[RunResult], Section | None], ...] = (
    summary.summary,
    paper.paper_and_us,
    paper.differences,
    baselines.beside_aeon,
    search.all_trials,
    search.hyperparameters,
    final_model.per_class,
    final_model.heatmaps,
    final_model.most_confused,
    curves.training_curves,
    augmentation.augmentation,
)


def build_report(result: RunResult) -> Report:
    """Return the report for `result`: every section of `SECTIONS` that has something to show, in order."""
    sections = [section for build in SECTIONS if (section := build(result)) is not None]
    return Report(
        experiment=result.experiment, title=result.title, description=result.spec.get("description", "").strip(),
        sections=sections, headline=headline(result),
        footer=f"Written by ann-keras {result.environment['versions'].get('ann-keras', '')} from results.json.",
    )
