"""The Training curves section: the final model's curves, the paper's settings per epoch, every trial's curves."""

from __future__ import annotations

from ...results import RunResult
from .. import formatting, metrics, plots
from ..page import Figure, Section, Table


def training_curves(result: RunResult) -> Section:
    """Return "Training curves", with every logged step of every trial and seed as a CSV beside the pages."""
    subject = formatting.subject(result)
    figures = _final_model_figures(result, subject) + _paper_epoch_figures(result, subject)
    section = Section("curves", "Training curves", figures=figures + _trial_curve_figures(result, subject))
    frame = metrics.curves_long(result)
    if not frame.empty:   # one row per trial x seed x logged step: a CSV for the reader's own plots
        section.tables.append(Table("curves_long", list(frame.columns), [], frame, shown=False))
        section.files.append(section.tables[-1].csv_file)
    return section


def _final_model_figures(result: RunResult, subject: str) -> list[Figure]:
    """Return the final model's loss and accuracy per logged step, and its accuracy against time where logged."""
    final = result.final
    if not final:
        return []
    validated = bool(final["history"].get("val_loss"))
    figures = [Figure("training_curves", "Training curves",
                      f"Loss and accuracy of the final model per logged {final['history']['unit']}, "
                      + ("on the training split (solid, blue) and the validation split (dashed, orange)."
                         if validated else
                         "on the training split (solid, blue). It was trained on the whole training split, "
                         "validation part included, after cross-validation: there is no validation curve; "
                         "the folds' numbers are in the trials' table."),
                      plots.training_curves(final["history"], title=subject))]
    if final["history"].get("time_s"):
        target = result.spec["paper"].get("final", {}).get("test_accuracy")
        figures.append(Figure(
            "accuracy_against_time", "Accuracy against time",
            "Accuracy of the final model after each epoch against wall time since its training started "
            "(a resumed run counts from its restart), in the training curves' colours"
            + ("; the dotted red line is the paper's final test accuracy." if target is not None else "."),
            plots.accuracy_against_time(final["history"], target=target, title=subject)))
    return figures


def _paper_epoch_figures(result: RunResult, subject: str) -> list[Figure]:
    """Return, per paper setting with per-epoch test accuracy, that curve with the paper's points marked."""
    figures = []
    for index, run in enumerate(result.paper_runs):
        by_epoch = [e["test_accuracy_by_epoch"] for e in run.get("executions", []) if e.get("test_accuracy_by_epoch")]
        points = {}
        if run.get("first_epoch_test_accuracy") is not None:
            points[1] = run["first_epoch_test_accuracy"]
        if run.get("best_epoch_test_accuracy") is not None and run.get("best_epoch"):
            points[int(run["best_epoch"])] = run["best_epoch_test_accuracy"]
        if not by_epoch or not points:
            continue
        name = "paper_run_epochs" if index == 0 else f"paper_run_{index + 1}_epochs"
        figures.append(Figure(
            name, f"Test accuracy per epoch: {run['name']}",
            f"Our test accuracy after each epoch of the paper's setting \"{run['name']}\", with the paper's "
            "reported points marked (stars): its accuracy after the first epoch and its best epoch.",
            plots.epochs_beside_paper(by_epoch, paper_points=points, title=f"{subject}: {run['name']}")))
    return figures


def _trial_curve_figures(result: RunResult, subject: str) -> list[Figure]:
    """Return validation accuracy and loss against the logged step for every trial and seed (where stored)."""
    searched = list(result.spec["search"])
    curves = {"val_accuracy": [], "val_loss": []}
    unit = "epoch"
    for trial in result.trials:
        label = ", ".join(f"{k}={metrics.display_value(k, trial['hyperparameters'][k])}" for k in searched
                          if k in trial["hyperparameters"]) or trial["trial_id"]
        for execution in trial["executions"]:
            history = execution.get("history") or {}
            unit = history.get("unit", unit)
            for metric, found in curves.items():
                if history.get(metric):
                    found.append({"label": label, "best": trial["trial_id"] == result.best_trial_id,
                                  "steps": history["step"][:len(history[metric])], "values": history[metric]})
    if not curves["val_accuracy"] or len(result.trials) < 2:
        return []
    return [Figure(f"trials_{metric}", f"Every trial's {metric.replace('_', ' ')}",
                   f"{metric.replace('_', ' ').capitalize()} of every trial per logged {unit}: one colour per "
                   "trial, one line per seed; the best trial is thick. Which settings learn faster, and how much "
                   "seeds differ.",
                   plots.trial_curves(found, metric=metric, unit=unit, title=subject))
            for metric, found in curves.items() if found]
