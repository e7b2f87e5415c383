"""Figures for the reports, drawn with matplotlib's Agg backend. No TensorFlow.

Each function returns PNG bytes, so a report can both write the file (for
the Markdown) and embed it (for the self-contained HTML page).
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
import matplotlib.cm
import matplotlib.colors
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

# Labels come from data (class names, settings): a `$` must be drawn as a dollar sign, never start mathtext,
# whose parser would fail on an unmatched one and break the whole report.
matplotlib.rcParams["text.parse_math"] = False

DPI = 110
# One colour per split in every figure, so the training curves and accuracy-against-time agree.
COLOURS = {"training": "tab:blue", "validation": "tab:orange", "test": "tab:green",
           "test, paper's evaluation": "tab:purple"}
# Red marks the paper's numbers in every figure; our own lines never use it. Ours: tab10's strong colours
# first, then tab20's light ones, the reds left out.
PAPER = "tab:red"
_TAB20 = matplotlib.colormaps["tab20"].colors
OURS_PALETTE = [c for c in _TAB20[0::2] + _TAB20[1::2] if c not in (_TAB20[6], _TAB20[7])]


def _whole_steps(axes, unit: str) -> None:
    """Tick epochs and iterations at whole numbers only (matplotlib would put ticks at 2.5 epochs)."""
    if unit in ("epoch", "iteration"):
        axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


# A title longer than this many lines is cut with an ellipsis: a title from data (a results.json someone hands
# over) could otherwise be megabytes that matplotlib tries to lay out.
TITLE_LINES = 3


def _wrapped(title: str, figure) -> str:
    """Return `title` broken into lines that fit the figure's width (a long experiment title ran off the edge)."""
    characters = max(30, int(figure.get_figwidth() * 7))   # the axes take about 3/4 of it, ~10 characters per inch
    lines = textwrap.wrap(title[:characters * (TITLE_LINES + 1)], characters)
    if len(lines) > TITLE_LINES:
        lines = lines[:TITLE_LINES]
        lines[-1] = lines[-1][:characters - 1] + "…"
    return "\n".join(lines) or title[:characters]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    # No timestamp in the PNG, so the same results give the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _subplots(*grid, figsize, **options):
    """Return a figure and its axes, drawn without pyplot.

    A Figure of its own renders to PNG with Agg whatever backend the process
    uses: no display is needed on a server, and a notebook that writes a
    report keeps its own inline figures (matplotlib.use would switch them off).
    """
    figure = Figure(figsize=figsize)
    return figure, figure.subplots(*grid, **options)


# Up to this many rows and columns a heatmap writes each cell's value in it and names every class on its
# axes; beyond, the text would be unreadable and its cost grows with the square of the classes.
ANNOTATED = 30
# Inches: a heatmap of many classes is drawn at this size, whatever the number of classes.
LARGEST = 9.0


def heatmap(matrix, *, row_labels, column_labels, title: str, xlabel: str, ylabel: str, colorbar: str,
            fmt: str = "{:.2f}", vmin: float = 0.0, vmax: float | None = None) -> bytes:
    """Return a labelled heatmap with a labelled colour bar, each cell's value written in it where it fits.

    Up to ANNOTATED rows and columns every cell carries its value and every
    row and column its label; beyond, the matrix is a picture of LARGEST
    inches at most, with a few evenly spaced positions labelled.
    """
    matrix = np.asarray(matrix, dtype=float)
    rows, columns = matrix.shape
    annotated = rows <= ANNOTATED and columns <= ANNOTATED
    size = (max(5.0, 0.6 * columns + 2.5), max(3.0, 0.5 * rows + 1.8)) if annotated else (LARGEST + 2.5, LARGEST)
    figure, axes = _subplots(figsize=size)
    image = axes.imshow(matrix, cmap="Blues", vmin=vmin, aspect=None if annotated else "auto",
                        vmax=vmax if vmax is not None else max(matrix.max(), vmin + 1e-9))
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label=colorbar)
    _label_positions(axes.set_xticks, column_labels, rotation=45, ha="right")
    _label_positions(axes.set_yticks, row_labels)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(_wrapped(title, figure))
    if annotated:
        threshold = (image.norm.vmin + image.norm.vmax) / 2
        font = 8 if columns > 8 else 9
        for i in range(rows):
            for j in range(columns):
                value = matrix[i, j]
                axes.text(j, i, fmt.format(value), ha="center", va="center", fontsize=font,
                          color="white" if value > threshold else "black")
    return _png(figure)


def _label_positions(set_ticks, labels, **options) -> None:
    """Label every position up to ANNOTATED of them; beyond, about ten evenly spaced ones (their labels cut short)."""
    labels = [str(label) for label in labels]
    if len(labels) <= ANNOTATED:
        set_ticks(range(len(labels)), labels=labels, **options)
        return
    positions = np.unique(np.linspace(0, len(labels) - 1, 10).round().astype(int))
    set_ticks(positions, labels=[_short(labels[p]) for p in positions], **options)


def _short(label: str, characters: int = 24) -> str:
    return label if len(label) <= characters else label[:characters - 1] + "…"


def sorted_scores(scores: dict[str, np.ndarray], *, title: str, xlabel: str) -> bytes:
    """Return each score per class sorted from lowest to highest, one line per score: their spread at a glance.

    For many classes, where a heatmap of one cell per class and score would
    be too thin to read; the lowest classes are named in the per-class table.
    """
    figure, axes = _subplots(figsize=(7, 3.8))
    for (name, values), colour in zip(scores.items(), OURS_PALETTE):
        values = np.sort(np.asarray(values, dtype=float))
        axes.plot(np.arange(1, len(values) + 1), values, label=name, color=colour)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("score")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    axes.set_title(_wrapped(title, figure))
    return _png(figure)


def training_curves(history: dict, *, title: str) -> bytes:
    """Return loss and accuracy against the logged step, training and validation."""
    steps = history.get("step", [])
    figure, (loss_axes, accuracy_axes) = _subplots(1, 2, figsize=(10, 3.8))
    for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
        for key, label, style in ((metric, "training", "-"), (f"val_{metric}", "validation", "--")):
            if history.get(key):
                axes.plot(steps[:len(history[key])], history[key], style, marker="." if len(steps) < 60 else None,
                          label=label, color=COLOURS[label])
        axes.set_xlabel(history.get("unit", "epoch"))
        _whole_steps(axes, history.get("unit", "epoch"))
        axes.set_ylabel(metric)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(_wrapped(title, figure))
    return _png(figure)


def accuracy_against_time(history: dict, *, target: float | None, title: str) -> bytes:
    """Return training, validation (and test, where tracked) accuracy against time, with the paper's line.

    Seconds for a run under two minutes, minutes otherwise.
    """
    seconds = list(history["time_s"])
    scale, unit = (60, "minutes") if seconds and seconds[-1] >= 120 else (1, "seconds")
    times = [t / scale for t in seconds]
    figure, axes = _subplots(figsize=(7, 3.8))
    # Where the run recomputed batch-norm statistics, "test" is that (our extension) and the paper's evaluation
    # has a line of its own: the paper's number is set beside the latter.
    for key, label in (("accuracy", "training"), ("val_accuracy", "validation"), ("test_accuracy", "test"),
                       ("test_accuracy_running_bn", "test, paper's evaluation")):
        if history.get(key):
            axes.plot(times, history[key], marker=".", label=label, color=COLOURS[label])
    if target is not None:
        axes.axhline(target, color=PAPER, linestyle=":", linewidth=1.5,
                     label=f"paper's final test accuracy: {100 * target:.1f}%")
    axes.set_xlabel(f"{unit} since training started")
    axes.set_ylabel("accuracy")
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title(_wrapped(title, figure))
    return _png(figure)


def image_grid(rows: list[list[np.ndarray]], *, row_titles: list[str], column_titles: list[str],
               title: str) -> bytes:
    """Return a grid of images (uint8 or [0, 1] floats), one list per row."""
    count_rows, count_columns = len(rows), max(len(r) for r in rows)
    figure, axes = _subplots(count_rows, count_columns, figsize=(1.3 * count_columns, 1.4 * count_rows),
                             squeeze=False)
    for i, row in enumerate(rows):
        for j in range(count_columns):
            cell = axes[i][j]
            cell.set_xticks([])
            cell.set_yticks([])
            if j < len(row):
                image = np.asarray(row[j])
                cell.imshow(image.squeeze(), cmap="gray" if image.ndim == 2 or image.shape[-1] == 1 else None)
            if i == 0 and j < len(column_titles):
                cell.set_title(column_titles[j], fontsize=8)
            if j == 0 and i < len(row_titles):
                cell.set_ylabel(row_titles[i], fontsize=8)
    figure.suptitle(_wrapped(title, figure))
    return _png(figure)


def epochs_beside_paper(by_epoch: list[list[float]], *, paper_points: dict[int, float], title: str) -> bytes:
    """Return test accuracy per epoch (one line per seed, and their mean) with the paper's points marked.

    `by_epoch` holds one list per execution; `paper_points` maps an epoch
    (1-based) to the paper's accuracy there.
    """
    figure, axes = _subplots(figsize=(7, 3.8))
    runs = [np.asarray(run, dtype=float) for run in by_epoch if run]
    length = min(len(run) for run in runs)
    epochs = np.arange(1, length + 1)
    if len(runs) > 1:
        for run in runs:
            axes.plot(epochs, run[:length], color="tab:blue", alpha=0.3, linewidth=1)
    mean = np.mean([run[:length] for run in runs], axis=0)
    axes.plot(epochs, mean, marker=".", color="tab:blue",
              label="ours" + (f" (mean of {len(runs)} seeds)" if len(runs) > 1 else ""))
    for epoch, accuracy in sorted(paper_points.items()):
        axes.plot([epoch], [accuracy], marker="*", markersize=13, color=PAPER, linestyle="none")
        axes.annotate(f"paper, epoch {epoch}: {100 * accuracy:.1f}%", (epoch, accuracy), textcoords="offset points",
                      xytext=(9, 2), fontsize=8, color=PAPER)
    axes.plot([], [], marker="*", markersize=10, color=PAPER, linestyle="none", label="paper")
    lowest = min([float(mean.min())] + list(paper_points.values()))
    axes.set_ylim(max(0.0, lowest - 0.05), None)   # room below the lowest point for its label
    axes.set_xticks(epochs)
    axes.set_xlabel("epoch")
    axes.set_ylabel("test accuracy")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    axes.set_title(_wrapped(title, figure))
    return _png(figure)


def classes_beside_paper(class_names: list[str], ours: list[float], paper: list[float | None], *,
                         title: str) -> bytes:
    """Return per-class accuracy as paired bars, ours beside the paper's (a missing paper value draws no bar)."""
    positions = np.arange(len(class_names))
    figure, axes = _subplots(figsize=(max(6.0, 0.75 * len(class_names) + 1.5), 3.8))
    width = 0.4
    axes.bar(positions - width / 2, [np.nan if p is None else p for p in paper], width, label="paper (Table I)",
             color=PAPER, alpha=0.75)
    axes.bar(positions + width / 2, ours, width, label="ours", color="tab:blue")
    axes.set_xticks(positions, labels=class_names, rotation=45, ha="right")
    axes.set_ylim(0, 1)
    axes.set_ylabel("test accuracy (recall)")
    axes.grid(alpha=0.3, axis="y")
    axes.legend(loc="lower right")
    axes.set_title(_wrapped(title, figure))
    return _png(figure)


def main_effects(effects, *, objective: str, title: str) -> bytes:
    """Return one panel per hyperparameter: the objective's mean per value, its spread and each value's range.

    `effects` is metrics.main_effects: rows of hyperparameter, value, mean,
    std, min, max.
    """
    axes_names = list(dict.fromkeys(effects["hyperparameter"]))
    figure, panels = _subplots(1, len(axes_names), figsize=(max(5.0, 3.2 * len(axes_names)), 3.4),
                               sharey=True, squeeze=False)
    for panel, name in zip(panels[0], axes_names):
        rows = effects[effects["hyperparameter"] == name]
        positions = np.arange(len(rows))
        panel.vlines(positions, rows["min"], rows["max"], color="tab:blue", alpha=0.35, linewidth=6,
                     label="range over trials")
        # A line between two values says something lies between them: true of numbers, not of categories.
        numeric = all(_is_number(value) for value in rows["value"])
        panel.errorbar(positions, rows["mean"], yerr=rows["std"], fmt="o-" if numeric else "o", color="tab:blue",
                       capsize=4, label="mean ± std")
        panel.set_xticks(positions, labels=list(rows["value"]))
        panel.set_xlabel(name)
        panel.grid(alpha=0.3)
    panels[0][0].set_ylabel(objective.replace("_", " "))
    panels[0][0].legend(fontsize=8)
    figure.suptitle(_wrapped(title, figure))
    return _png(figure)


def _is_number(text) -> bool:
    try:
        float(str(text))
        return True
    except ValueError:
        return False


def coordinate_levels(trials, axes_names: list[str], grid: dict[str, list[str]]) -> dict[str, list[str]]:
    """Return each axis's values from bottom to top: the grid's order, then any value only the trials show."""
    return {name: list(dict.fromkeys([*grid.get(name, []), *trials[name].astype(str)])) for name in axes_names}


def parallel_coordinates(trials, *, axes_names: list[str], objective: str, title: str,
                         grid: dict[str, list[str]] | None = None) -> bytes:
    """Return every trial as a line across its hyperparameters' values, coloured by the objective.

    Each hyperparameter's values sit evenly spaced in the order the grid
    lists them (`grid`: each axis's values as the trials table shows them;
    values no trial reached keep their place); the last axis is the
    objective itself.
    """
    figure, axes = _subplots(figsize=(max(6.0, 2.2 * (len(axes_names) + 1)), 3.8))
    scores = trials[f"{objective}_mean"].astype(float)
    norm = matplotlib.colors.Normalize(scores.min(), scores.max() if scores.max() > scores.min() else scores.min() + 1)
    colours = matplotlib.colormaps["viridis_r" if objective.endswith("loss") else "viridis"]
    levels = coordinate_levels(trials, axes_names, grid or {})
    for _, trial in trials.iterrows():
        ys = [levels[n].index(str(trial[n])) / max(len(levels[n]) - 1, 1) for n in axes_names]
        ys.append(norm(trial[f"{objective}_mean"]))
        axes.plot(range(len(ys)), ys, color=colours(norm(trial[f"{objective}_mean"])),
                  linewidth=3 if trial.get("best") else 1.2, alpha=0.9)
    for i, name in enumerate(axes_names):
        for j, level in enumerate(levels[name]):
            axes.annotate(level, (i, j / max(len(levels[name]) - 1, 1)), xytext=(4, 0), textcoords="offset points",
                          fontsize=8, va="center")
    axes.annotate(f"{scores.max():.3f}", (len(axes_names), 1), xytext=(4, 0), textcoords="offset points", fontsize=8)
    axes.annotate(f"{scores.min():.3f}", (len(axes_names), 0), xytext=(4, 0), textcoords="offset points", fontsize=8)
    axes.set_xticks(range(len(axes_names) + 1), labels=axes_names + [objective.replace("_", " ")])
    axes.set_yticks([])
    axes.set_xlim(-0.1, len(axes_names) + 0.4)
    figure.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=colours), ax=axes,
                    label=objective.replace("_", " "))
    axes.set_title(_wrapped(title, figure))
    return _png(figure)


def trial_curves(curves: list[dict], *, metric: str, unit: str, title: str) -> bytes:
    """Return `metric` against the logged step for every trial and seed: one colour per trial, a line per seed.

    `curves` holds {"label", "best", "steps", "values"} per execution; the
    best trial's lines are drawn thick.
    """
    figure, axes = _subplots(figsize=(8, 4))
    labels = list(dict.fromkeys(c["label"] for c in curves))
    seen = set()
    for curve in curves:
        index = labels.index(curve["label"])
        axes.plot(curve["steps"], curve["values"], color=OURS_PALETTE[index % len(OURS_PALETTE)],
                  marker="o" if len(curve["steps"]) < 30 else None, markersize=3,
                  linewidth=2.6 if curve["best"] else 1.0, alpha=0.95 if curve["best"] else 0.7,
                  label=None if curve["label"] in seen else curve["label"] + (" (best)" if curve["best"] else ""))
        seen.add(curve["label"])
    axes.set_xlabel(unit)
    _whole_steps(axes, unit)
    axes.set_ylabel(metric.replace("_", " "))
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    axes.set_title(_wrapped(title, figure))
    return _png(figure)
