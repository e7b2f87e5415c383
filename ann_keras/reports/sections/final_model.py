"""The sections on the final model's predictions for the test split: per class, as heatmaps, its mistakes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...results import RunResult
from .. import formatting, metrics, plots
from ..page import Figure, Section


def per_class(result: RunResult) -> Section:
    """Return "Per-class metrics": precision, recall, F1 and accuracy per class (or a line saying no final model)."""
    if not result.final:
        return Section("per-class", "Per-class metrics", paragraphs=["No final model in this run."])
    table = formatting.table("per_class", _per_class_frame(result))
    _, how = predictions(result.final)
    paragraphs = [
        f"The final model on the test split{', ' + how if how else ''}. Per-class accuracy is the share of a "
        "class's test examples predicted correctly (equal to recall); averages follow scikit-learn's macro and "
        "weighted definitions."]
    paper = result.spec["paper"]
    table_one = paper.get("per_class_accuracy") or {}
    headline = (paper.get("final") or {}).get("test_accuracy")
    if table_one and headline is not None:
        average = sum(table_one.values()) / len(table_one)
        if abs(average - headline) >= 0.005:
            paragraphs.append(
                f"The paper's per-class figures average {formatting.pct(average)} over its {len(table_one)} classes, "
                f"not its headline {formatting.pct(headline)}: with equal classes in the test split the two "
                "should agree, so the paper's table and its headline disagree with each other. Each of our "
                "classes is set beside the paper's own figure for it.")
    return Section("per-class", "Per-class metrics", tables=[table], files=[table.csv_file], paragraphs=paragraphs)


def predictions(final: dict) -> tuple[list, str]:
    """Return the final model's test predictions measured the paper's way where kept, and how they were measured."""
    if final.get("y_pred_running_bn") is not None:
        return final["y_pred_running_bn"], "with batch normalisation's moving averages (the paper's evaluation)"
    if final.get("metrics", {}).get("test_accuracy_running_bn") is not None:
        return final["y_pred"], ("with batch-norm statistics recomputed on clean training images (our extension: "
                                 "this run did not keep its predictions under the paper's evaluation)")
    return final["y_pred"], ""


def heatmaps(result: RunResult) -> Section:
    """Return "Heatmaps": confusion matrices and per-class scores, with Table I beside ours where the spec has it."""
    if not result.final:
        return Section("heatmaps", "Heatmaps")
    class_names = result.dataset["class_names"]
    paper_classes = result.spec["paper"].get("per_class_accuracy")
    frame, subject = _per_class_frame(result), formatting.subject(result)
    figures = _heatmaps(result.final["y_true"], predictions(result.final)[0], class_names, frame, subject)
    if paper_classes and any(name in paper_classes for name in class_names):   # Table I's classes, by name
        figures.insert(0, _classes_beside_paper(frame, class_names, paper_classes, subject))
    return Section("heatmaps", "Heatmaps", figures=figures)


def most_confused(result: RunResult) -> Section:
    """Return "Most confused pairs": the final model's most frequent mistakes (empty without a final model)."""
    if not result.final:
        return Section("confused", "Most confused pairs")
    final = result.final
    frame = metrics.most_confused(final["y_true"], predictions(final)[0], class_names=result.dataset["class_names"])
    table = formatting.table("most_confused", frame)
    return Section("confused", "Most confused pairs", tables=[table], files=[table.csv_file], paragraphs=[
        "The most frequent mistakes of the final model: true class, predicted class, count, and the share of the "
        "true class's test examples that went there."])


def _per_class_frame(result: RunResult) -> pd.DataFrame:
    """Return metrics.per_class_table of the final model, with Table I's accuracies where the spec has them."""
    final = result.final
    return metrics.per_class_table(final["y_true"], predictions(final)[0], class_names=result.dataset["class_names"],
                                   paper_accuracy=result.spec["paper"].get("per_class_accuracy"))


def _heatmaps(y_true, y_pred, class_names, per_class: pd.DataFrame, subject: str) -> list[Figure]:
    k = len(class_names)
    counts = metrics.confusion(y_true, y_pred, num_classes=k)
    normalised = metrics.confusion(y_true, y_pred, num_classes=k, normalize="true")
    classes = per_class.iloc[:k]
    scores = np.vstack([classes["precision"], classes["recall"], classes["f1"]])
    common = dict(row_labels=class_names, column_labels=class_names, xlabel="predicted", ylabel="true")
    # The colour scale starts at the lowest score (rounded down to 0.05): scores of 0.89-1.00 stay distinguishable.
    low = float(np.floor(np.nanmin(scores) * 20) / 20) if scores.size else 0.0
    wide = 560 if k > 5 else 0   # px: on a phone the heatmap scrolls sideways, its numbers stay legible
    return [
        Figure("confusion_counts", "Confusion matrix (counts)",
               "Rows are the true class, columns the predicted class; the diagonal holds the correct predictions.",
               plots.heatmap(counts, title=f"Confusion matrix: {subject}", fmt="{:.0f}",
                             colorbar="test examples", **common), wide),
        Figure("confusion_normalised", "Confusion matrix (row-normalised)",
               "Each row divided by its class's number of test examples: the diagonal is per-class recall.",
               plots.heatmap(normalised, title=f"Confusion matrix, row-normalised: {subject}", vmax=1.0,
                             colorbar="share of the true class", **common), wide),
        Figure("precision_recall", "Precision, recall and F1 per class",
               "Precision = TP / (TP + FP), recall = TP / (TP + FN), per class (scikit-learn's definitions). "
               f"The colour scale runs from {low:.2f} (the lowest score, rounded down) to 1.",
               plots.heatmap(scores, row_labels=["precision", "recall", "F1"], column_labels=class_names,
                             title=f"Precision, recall and F1: {subject}", xlabel="class", ylabel="metric",
                             vmin=min(low, 0.95), vmax=1.0, colorbar="score"), wide),
    ]


def _classes_beside_paper(per_class: pd.DataFrame, class_names, paper_classes: dict, title: str) -> Figure:
    ours = per_class.iloc[:len(class_names)]["recall"].tolist()
    paper = [paper_classes.get(name) for name in class_names]
    return Figure("per_class_beside_paper", "Per-class accuracy beside the paper's Table I",
                  "Test accuracy of each class (the fraction of its test images classified correctly, i.e. its "
                  "recall) for our final model, beside the paper's Table I.",
                  plots.classes_beside_paper(class_names, ours, paper, title=title))
