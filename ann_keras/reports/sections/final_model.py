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
    if k > plots.ANNOTATED:
        return _summarised(y_true, y_pred, class_names, per_class, subject)
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


# With more classes than a heatmap can label, the matrix is drawn at most this many cells wide: beyond, each
# cell is a block of consecutive classes, so the picture and its memory stay the same size.
PIXELS = 500
# At most this many classes, those of the most frequent mistakes, have their confusion counts shown cell by cell.
MOST_CONFUSED = 20


def _summarised(y_true, y_pred, class_names, per_class: pd.DataFrame, subject: str) -> list[Figure]:
    """Return the confusion views for many classes: the whole matrix as a picture, the worst classes in numbers.

    Every cell's text, drawn for 1,000 classes, would be a million labels
    nobody can read; the per-class table (sortable, paged) holds each class's
    numbers instead.
    """
    k = len(class_names)
    matrix, block = metrics.binned_confusion(y_true, y_pred, num_classes=k, bins=PIXELS)
    grouped = (f"Each cell is a block of {block} consecutive classes (in the per-class table's order): the share of "
               "the row block's test examples predicted as a class of the column block. " if block > 1 else "")
    positions = [class_names[i] for i in range(0, k, block)]
    worst = metrics.most_confused_classes(y_true, y_pred, num_classes=k, top=MOST_CONFUSED)
    names = [class_names[i] for i in worst]
    classes = per_class.iloc[:k]
    return [
        Figure("confusion_normalised", "Confusion matrix (row-normalised)",
               f"All {k} classes: rows are the true class, columns the predicted class, each row divided by its "
               f"class's number of test examples, so the diagonal is per-class recall. {grouped}Too many classes "
               "to write each cell's value: the per-class table and the most confused pairs give the numbers.",
               plots.heatmap(matrix, row_labels=positions, column_labels=positions, vmax=1.0,
                             title=f"Confusion matrix, row-normalised: {subject}", xlabel="predicted", ylabel="true",
                             colorbar="share of the true class")),
        Figure("confusion_most_confused", f"Confusion counts among the {len(worst)} most confused classes",
               f"The {len(worst)} classes of the most frequent mistakes, both the true and the predicted class of "
               "each, with every test example among them counted: rows true, columns predicted.",
               plots.heatmap(metrics.confusion_among(y_true, y_pred, worst), row_labels=names, column_labels=names,
                             fmt="{:.0f}", title=f"Confusion among the most confused classes: {subject}",
                             xlabel="predicted", ylabel="true", colorbar="test examples"), 560),
        Figure("precision_recall", "Precision, recall and F1 per class, sorted",
               f"Each score of the {k} classes sorted from lowest to highest: how many classes fall below a given "
               "score. Precision = TP / (TP + FP), recall = TP / (TP + FN) (scikit-learn's definitions); the "
               "per-class table names the classes.",
               plots.sorted_scores({"precision": classes["precision"], "recall": classes["recall"],
                                    "F1": classes["f1"]}, title=f"Precision, recall and F1 per class: {subject}",
                                   xlabel="classes, sorted by the score")),
    ]


def _classes_beside_paper(per_class: pd.DataFrame, class_names, paper_classes: dict, title: str) -> Figure:
    """Return our accuracy beside Table I's for the classes Table I names (not a bar per class of a larger set)."""
    shown = [i for i, name in enumerate(class_names) if name in paper_classes]
    recall = per_class.iloc[:len(class_names)]["recall"].tolist()
    return Figure("per_class_beside_paper", "Per-class accuracy beside the paper's Table I",
                  "Test accuracy of each class (the fraction of its test images classified correctly, i.e. its "
                  "recall) for our final model, beside the paper's Table I.",
                  plots.classes_beside_paper([class_names[i] for i in shown], [recall[i] for i in shown],
                                             [paper_classes[class_names[i]] for i in shown], title=title))
