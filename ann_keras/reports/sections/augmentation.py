"""The Augmentation section: a few training images beside random augmented copies, for a run that augments."""

from __future__ import annotations

from ...results import RunResult, decode_images
from .. import plots
from ..page import Figure, Section


def augmentation(result: RunResult) -> Section | None:
    """Return "Augmentation" with the grid of images results.json stores, or None for a run without one."""
    stored = result.augmentation
    if not stored:
        return None
    grid = decode_images(stored["images"])
    png = plots.image_grid([list(row) for row in grid], row_titles=stored["labels"],
                           column_titles=["original"] + [f"augmented {i}" for i in range(1, grid.shape[1])],
                           title="Training images and augmented copies")
    layers = ", ".join(f"{k}={v}" for k, v in result.spec["augment"].items() if v) or "none"
    return Section("augmentation", "Augmentation", figures=[Figure(
        "augmentation", "Augmentation",
        f"A few training images (left) and random augmented versions, made by the augmentation the run trained with. "
        f"Settings: {layers}.", png)])
