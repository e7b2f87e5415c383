"""Child process of bench/run.py: time training epochs of one experiment on one Keras backend.

    python bench/backend_epoch.py --backend jax --experiment cnn --images 4000 --data CIFAR10 [--no-augment]

Prints one JSON line: images per second over the steady epochs (the first, which compiles, left out), the
seconds per epoch scaled to the experiment's whole training split, and the peak resident memory. Runs the code
`ann-keras train` runs (training/fitting.fit, the backend's own feeding), on a subset of the training images,
with 500 validation images and no recomputed batch-norm statistics, so that an epoch is mostly training.
"""

import argparse
import dataclasses
import json
import os
import resource
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--backend", required=True, choices=("tensorflow", "jax", "torch"))
parser.add_argument("--experiment", required=True)
parser.add_argument("--profile", default="paper")
parser.add_argument("--data")
parser.add_argument("--images", type=int, required=True, help="training images per timed epoch")
parser.add_argument("--epochs", type=int, default=3, help="epochs trained; the first is not timed")
parser.add_argument("--no-augment", action="store_true")
parser.add_argument("--set", dest="overrides", action="append", default=[])
args = parser.parse_args()

os.environ["KERAS_BACKEND"] = args.backend
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ann_keras import backend, data, experiments  # noqa: E402
from ann_keras.search import runner  # noqa: E402
from ann_keras.training import fitting  # noqa: E402

backend.choose(args.backend)
overrides = tuple(args.overrides) + ((f"data.path={json.dumps(args.data)}",) if args.data else ())
spec = experiments.load(args.experiment, args.profile, overrides)
dataset = runner.load_dataset(spec, 42)
x_val, y_val = data.subset(dataset.x_val, dataset.y_val, 500, 0)
dataset = dataclasses.replace(dataset, x_val=x_val, y_val=y_val)
settings = {"epochs": args.epochs, "train_examples": args.images, "bn_recompute": 0, "track_test": False}
if args.no_augment and "augment" in spec.params:
    settings["augment"] = False
params = spec.with_params(settings, "bench")
execution = fitting.train(spec.model, params, dataset, seed=42, augment=spec.augment)
times = execution.history["time_s"]
steady = (times[-1] - times[0]) / (len(times) - 1)          # per epoch, the compiling first one left out
images = min(args.images, len(dataset.y_train))
print(json.dumps({"backend": backend.name(), "experiment": args.experiment, "augment": bool(params.get("augment")),
                  "images_per_s": images / steady, "epoch_s_scaled": steady * len(dataset.y_train) / images,
                  "first_epoch_s": times[0],
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
