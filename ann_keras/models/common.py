"""The training settings every model family shares: optimizer, schedule, length, precision.

Each family's PARAMS is these plus its own architecture keys; the training
loop (training/fitting.py) reads these, the family's builder reads its own.
No TensorFlow here.
"""

from __future__ import annotations

from ..specs.fields import POSITIVE, Field

TRAINING_PARAMS = {
    "optimizer": Field(str, "gradient method", choices=("sgd", "adam")),
    "learning_rate": Field(float, "step size of the optimizer", **POSITIVE, maximum=100.0),
    "loss": Field(str, "loss on one-hot targets", choices=("mse", "crossentropy")),
    "iterations": Field(int, "gradient steps (the paper's 'iterations'); excludes epochs", minimum=1,
                        maximum=10_000_000, nullable=True),
    "epochs": Field(int, "passes over the training split; excludes iterations", minimum=1, maximum=10_000,
                    nullable=True),
    "batch_size": Field(int, "examples per gradient step; 0 means the full training split", minimum=0,
                        maximum=1_000_000),
    "log_every": Field(int, "gradient steps between logged points when counting iterations", minimum=1,
                       maximum=10_000_000, default=100),
    "jit_compile": Field(bool, "compile the training step with XLA", default=True),
    "momentum": Field(float, "SGD momentum (Nesterov when > 0)", minimum=0, maximum=0.999, default=0.0),
    "weight_decay": Field(float, "decoupled weight decay of the optimizer (0 = none)", minimum=0, maximum=1.0,
                          default=0.0),
    "label_smoothing": Field(float, "cross-entropy label smoothing", minimum=0, maximum=0.5, default=0.0),
    "schedule": Field(str, "learning rate over training: constant, or one cycle (linear warm-up, then linear "
                           "decay to zero)", choices=("constant", "onecycle"), default="constant"),
    "warmup": Field(float, "fraction of training spent warming up (onecycle)", minimum=0, maximum=0.9,
                    default=0.2),
    "warmup_from": Field(float, "onecycle: the learning rate at the first step, as a fraction of the peak",
                         minimum=0, maximum=1, default=0.0),
    "decay_to": Field(float, "onecycle: the learning rate at the last step, as a fraction of the peak", minimum=0,
                      maximum=1, default=0.0),
    "offset_rate_scale": Field(float, "SGD: multiply the learning rate of batch normalisation's offsets (beta) by "
                                      "this; their weight decay is not scaled", minimum=0, exclusive_minimum=True,
                               maximum=1000.0, default=1.0),
    "lookahead": Field(float, "every 5 steps, pull the weights to a moving average of themselves whose decay grows "
                              "as the cube of training's progress up to this value (0 = off; airbench: 0.95^5)",
                       minimum=0, maximum=0.9999, default=0.0),
    "ema": Field(float, "keep an exponential moving average of the weights with this momentum (0 = off); a "
                        "short training gets less, so that the average spans at most a fifth of its steps "
                        "(1 / (1 - momentum) <= steps / 5)",
                 minimum=0, maximum=0.9999, default=0.0),
    "patience": Field(int, "stop training when the validation loss has not improved (by 1e-4) for this many epochs "
                           "(0 = train every epoch); the weights trained last are kept", minimum=0,
                      maximum=10_000, default=0),
    "tta_flip": Field(bool, "evaluate on each image and its mirror image, averaging the predictions",
                      default=False),
    "tta_translate": Field(int, "also evaluate on each image shifted by this many pixels up-left and down-right "
                                "(mirror-padded), averaging half the prediction over the shifts (0 = off)",
                           minimum=0, maximum=8, default=0),
    "steps_per_execution": Field(int, "batches per compiled call when counting epochs", minimum=1,
                                 maximum=10_000, default=1),
    "train_examples": Field(int, "train on a stratified subset of this many training examples (0 = all)",
                            minimum=0, maximum=1_000_000_000, default=0),
    "track_test": Field(bool, "also measure test accuracy after every epoch (for the paper's per-epoch figures)",
                        default=False),
    "bn_recompute": Field(int, "before every evaluation and when training ends, recompute batch normalisation's "
                               "statistics on this many clean training examples (images or sequences; 0 = keep "
                               "the moving averages training left)", minimum=0,
                          maximum=10_000_000, default=0),
    "precision": Field(str, "arithmetic of the layers: float32, or bfloat16 with float32 weights and outputs "
                            "(Keras's mixed_bfloat16; fast on GPUs and on CPUs with AVX512-BF16 or AMX, slower than "
                            "float32 where bfloat16 is emulated), or auto: mixed_bfloat16 where the hardware has "
                            "it, float32 elsewhere", choices=("float32", "mixed_bfloat16", "auto"),
                       default="float32"),
}
