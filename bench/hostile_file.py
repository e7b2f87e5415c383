"""Child process of bench/run.py: load one hostile data file and report how it was refused.

Prints one JSON line: the loader's one-line message (or "loaded"), and this process's peak
resident memory. A process of its own, so the peak is this file's alone; `--imports-only` gives
the baseline, the same process with the same imports and no file read.
"""

import argparse
import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ann_keras.data import images  # noqa: E402
from ann_keras.errors import DataError  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("path", nargs="?")
parser.add_argument("--imports-only", action="store_true")
args = parser.parse_args()

outcome = "imports only"
if not args.imports_only:
    try:
        splits = images.load(args.path, image_size=32, channels=3)
        outcome = f"loaded: {len(splits.y_train)} train, {len(splits.skipped)} skipped ({'; '.join(splits.skipped)})"
    except DataError as error:
        outcome = f"refused: {error}"
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux reports KiB
print(json.dumps({"outcome": outcome, "peak_mb": round(peak_mb, 1)}))
