"""Child process of bench/run.py: load one hostile data file and report how it was refused.

Prints one JSON line: the loader's one-line message (or "loaded"), and this process's peak
resident memory. A process of its own, so the peak is this file's alone; `--imports-only` gives
the baseline, the same process with the same imports and no file read.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peak import peak_mb  # noqa: E402  (bench/ is on the path: the script's own folder)

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
print(json.dumps({"outcome": outcome, "peak_mb": peak_mb()}))
