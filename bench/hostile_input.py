"""Child process of bench/run.py (section hostile_inputs): read one hostile input the way its command does.

Prints one JSON line: the one line the input got (or what was read), and this
process's peak resident memory. A process of its own, so the peak is this
input's alone; `--imports-only` gives the baseline, the same imports reading nothing (for a model: Keras and
its backend too, which loading any model imports).
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peak import peak_mb  # noqa: E402  (bench/ is on the path: the script's own folder)

from ann_keras import data, results  # noqa: E402
from ann_keras.deploy import inputs, trained  # noqa: E402
from ann_keras.errors import AnnKerasError  # noqa: E402

SCALING = {"mean": [0.0, 0.0], "std": [1.0, 1.0], "steps": 5}
READERS = {   # case -> how its command reads the file
    "predict-sequences": lambda path: inputs.read([path], "sequences", (5, 2), SCALING),
    "predict-long-model": lambda path: inputs.read([path], "sequences", (1_000, 1),
                                                   {"mean": [0.0], "std": [1.0], "steps": 1_000}),
    "predict-digits": lambda path: inputs.read([path], "vectors", (64,), SCALING),
    "train-ts": lambda path: data.load(f"ts:{path}", seed=0),
    "archive": lambda path: trained.locate(path),                # the zip's declared sizes, before Keras
    "model": lambda path: trained.locate(path).load_model(),
    "report": lambda path: results.load(path),
}

parser = argparse.ArgumentParser()
parser.add_argument("case", choices=sorted(READERS))
parser.add_argument("path", nargs="?")
parser.add_argument("--imports-only", action="store_true")
args = parser.parse_args()

outcome = "imports only"
if args.imports_only and args.case == "model":
    # What loading any model imports first: Keras and its backend, and ann-keras's own layers.
    import keras  # noqa: E402,F401
    trained.register_own_objects()
if not args.imports_only:
    try:
        read = READERS[args.case](Path(args.path))
        skipped = getattr(read, "skipped", None)
        outcome = f"read; skipped: {'; '.join(skipped)}" if skipped else "read"
    except AnnKerasError as error:
        outcome = f"refused: {error}"
print(json.dumps({"outcome": outcome, "peak_mb": peak_mb()}))
