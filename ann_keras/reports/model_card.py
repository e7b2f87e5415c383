"""A model card beside every final model: what it learnt from, how, how well per class, and what it is not for.

Written from results.json alone (with the checks of `ann-keras export`,
which it records there), as Markdown through the
reports' escaping template environment, so a hostile class name or data
path stays inert text.
"""

from __future__ import annotations

from pathlib import Path

from ..files import write_text
from ..results import RunResult
from . import metrics
from .formatting import hardware_text
from .rendering import environments

CARD_FILE = "MODEL_CARD.md"
FINAL_DIR = "final"   # where search.runner saves the final model


def write(result: RunResult, run_dir: Path) -> Path | None:
    """Write <run>/final/MODEL_CARD.md (beside the model it describes); return it, or None for a run without one."""
    final = result.final
    if not final or not final.get("model_file"):
        return None
    path = Path(run_dir) / FINAL_DIR / CARD_FILE   # not results.json's path: that file may come from anyone
    write_text(path, render(result), within=run_dir)
    return path


def render(result: RunResult) -> str:
    """Return the card's Markdown."""
    final, dataset, spec = result.final, result.dataset, result.spec
    per_class = metrics.per_class_table(final["y_true"], final["y_pred"], class_names=dataset["class_names"])
    params = final["params"]
    searched = sorted(spec.get("search") or {})
    _, markdown = environments()
    return markdown.get_template("model_card.md.j2").render(
        r=result, final=final, dataset=dataset, spec=spec, per_class=per_class.to_dict("records"),
        params=sorted(params.items()), searched=searched, exported=result.exports,
        hardware=hardware_text(result.environment.get("hardware", {})),
        chosen={k: params.get(k) for k in searched})
