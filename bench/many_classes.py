"""Child process of bench/run.py: write the report of a run with many classes; print its time and peak memory.

The run is the ANN smoke fixture's, given `--classes` class names and a test
split of 50 examples per class of which about a third are mistaken (seeded).
A process of its own, so the peak is this report's alone. Prints one JSON line.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peak import peak_mb  # noqa: E402  (bench/ is on the path: the script's own folder)

from ann_keras import reports, results  # noqa: E402


def many_classes(classes: int, per_class: int = 50, seed: int = 0) -> results.RunResult:
    """Return the smoke fixture's run with `classes` classes and a test split of `per_class` examples each."""
    data = json.loads((ROOT / "tests" / "fixtures" / "ann-smoke-results.json").read_text())
    generator = np.random.default_rng(seed)
    y_true = np.repeat(np.arange(classes), per_class)
    y_pred = np.where(generator.random(y_true.size) < 0.35, generator.integers(0, classes, y_true.size), y_true)
    data["dataset"]["class_names"] = [f"class {i:05d}" for i in range(classes)]
    data["final"].update(y_true=y_true.tolist(), y_pred=y_pred.tolist())
    return results.RunResult.from_dict(data, f"{classes} classes")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, required=True)
    args = parser.parse_args()
    result = many_classes(args.classes)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        written = reports.write_report(result, Path(folder))
        seconds = time.perf_counter() - start
        size = sum(f.stat().st_size for f in written.iterdir())
        print(json.dumps({"classes": args.classes, "seconds": round(seconds, 2), "peak_mb": peak_mb(),
                          "written_mb": round(size / 2**20, 2)}))
