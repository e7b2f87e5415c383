"""The sections on what the search tried: every trial, and how the objective depends on each hyperparameter."""

from __future__ import annotations

from ...results import RunResult, Status
from .. import formatting, metrics, plots
from ..page import Figure, Section

OBJECTIVES = {"val_accuracy": "mean validation accuracy (highest first)",
              "val_loss": "mean validation loss (lowest first)"}


def all_trials(result: RunResult) -> Section:
    """Return "All trials": one row per trial, sorted by the search's objective, the best highlighted."""
    spec = result.spec
    table = formatting.trials(metrics.trials_table(result))
    return Section("trials", "All trials", tables=[table], files=[table.csv_file], paragraphs=[
        f"Sorted by {OBJECTIVES[spec['tuner']['objective']]}, the search's objective; the best trial is highlighted. "
        "Accuracies are mean ± standard deviation over executions (seeds)."
        + (" Validation numbers are the means over the cross-validation folds (the spread over folds beside them); "
           "test numbers come from training again on the whole training split after the search, where it was done."
           if (spec["tuner"].get("folds") or 0) > 1 else "")
        + (" One execution per trial (n = 1): no spread." if _single_execution(result) else "")])


def _single_execution(result: RunResult) -> bool:
    return bool(result.trials) and all(len(t["executions"]) == 1 for t in result.trials)


def hyperparameters(result: RunResult) -> Section | None:
    """Return the section tuning users look for: main effects, importance, parallel coordinates (or None).

    Only for a search that varied something and completed at least two trials.
    """
    trials = metrics.trials_table(result)
    axes = metrics.searched_axes(result)
    done = trials[trials["status"] == Status.COMPLETED] if not trials.empty else trials
    if result.kind != "tune" or not axes or len(done) < 2:
        return None
    subject = formatting.subject(result)
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
    effects_table = formatting.table("main_effects", effects)
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
        shares_table = formatting.table("importance", shares)
        section.tables.append(shares_table)
        section.files.append(shares_table.csv_file)
    if len(axes) >= 1 and len(done) >= 3:
        section.figures.append(Figure(
            "parallel_coordinates", "Parallel coordinates",
            "Every completed trial as a line through its hyperparameters' values (evenly spaced, in the grid's "
            f"order) to its {objective.replace('_', ' ')} on the right, coloured by it; the best trial is thick.",
            plots.parallel_coordinates(done, axes_names=axes, objective=objective, title=subject, grid={
                axis: [metrics.display_value(axis, value) for value in result.spec["search"][axis]] for axis in axes})))
    return section
