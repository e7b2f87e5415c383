"""Child process of bench/run.py: time training epochs of one CNN configuration on CIFAR-10.

Prints one JSON line: seconds per epoch (scaled to the paper's 45,000 training images), images per
second, and this process's peak resident memory. A process of its own, so the memory is this run's.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--images", type=int, required=True, help="training images per timed epoch")
parser.add_argument("--set", dest="overrides", action="append", default=[])
parser.add_argument("--keras-batch-norm", action="store_true",
                    help="build with keras.layers.BatchNormalization (the code path before the fused layer)")
parser.add_argument("--epochs", type=int, default=2, help="timed epochs; the fastest is reported")
parser.add_argument("--steps-per-execution", type=int, default=1)
args = parser.parse_args()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from ann_keras.models import normalization  # noqa: E402
from ann_keras import data, experiments, models  # noqa: E402
from ann_keras.search import runner  # noqa: E402
from ann_keras.training import batches as batches_module, optimizers  # noqa: E402


class EpochTimes(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        # The first epoch includes tracing; the fastest later one is the steady state.
        if epoch > 0:
            self.seconds = min(getattr(self, "seconds", float("inf")), time.perf_counter() - self.start)


tf.get_logger().setLevel("ERROR")
spec = experiments.load("cnn", "paper", tuple(args.overrides) + (f"data.path={json.dumps(args.data)}",))
dataset = runner.load_dataset(spec, 42)
params = spec.params
if args.keras_batch_norm:
    normalization.FusedBatchNormalization = keras.layers.BatchNormalization   # the builders import it per call
keras.utils.set_random_seed(42)
model = models.build("cnn", dataset.input_shape, dataset.num_classes, params, spec.augment)
optimizers.compile_model(model, params, steps_per_execution=args.steps_per_execution)
x, y = data.subset(dataset.x_train, dataset.y_train, args.images, 42)
# As training feeds them: an endless stream in the tf.data pipeline (augmented where the spec says), cut into epochs.
batches = batches_module.augmented_batches(x, y, params["batch_size"], 42, spec.augment if params["augment"] else {})
steps = len(y) // params["batch_size"]
times = EpochTimes()
model.fit(batches, epochs=1 + args.epochs, steps_per_epoch=steps, verbose=0, callbacks=[times])
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"epoch_s_scaled": times.seconds * len(dataset.y_train) / len(y),
                  "images_per_s": len(y) / times.seconds, "peak_rss_gib": peak_kib / 2**20,
                  "train_images": len(dataset.y_train), "timed_images": len(y)}))
