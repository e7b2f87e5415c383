"""The optimisers, learning-rate schedules and losses a spec's [params] name, and compiling a model with them.

Keras's Adam and SGD (with airbench's faster-stepping batch-norm offsets),
a one-cycle schedule, a moving average of the weights sized to the
training's length, and the loss with the targets it compares against.
"""

from __future__ import annotations

import keras
import numpy as np

from .. import backend

EMA_HORIZON = 0.2   # the moving average of the weights spans at most this fraction of training's steps


def compile_model(model: keras.Model, params: dict, steps_per_execution: int = 1, total_steps: int = 1) -> None:
    """Attach the optimizer, learning-rate schedule, loss and accuracy metric that `params` name."""
    rate = params["learning_rate"]
    if params["schedule"] == "onecycle":
        rate = OneCycle(rate, total_steps, params["warmup"], params["warmup_from"], params["decay_to"])
    options = dict(learning_rate=rate, weight_decay=params["weight_decay"] or None,
                   use_ema=params["ema"] > 0, ema_momentum=ema_momentum(params["ema"], total_steps))
    if params["optimizer"] == "sgd":
        optimizer = SGD(momentum=params["momentum"], nesterov=params["momentum"] > 0,
                        offset_rate_scale=params["offset_rate_scale"], **options)
    else:
        optimizer = keras.optimizers.Adam(**options)
    model.compile(optimizer=optimizer, loss=loss_function(params, emits_logits(model)), metrics=["accuracy"],
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile(params))


def jit_compile(params: dict) -> bool:
    """Whether Keras compiles the training step: the spec's `jit_compile` (XLA) on TensorFlow, whose graph mode
    runs compiled anyway; always on JAX, where an uncompiled step runs operation by operation in Python; never
    on PyTorch, whose eager mode is its normal one (torch.compile is a minutes-long first step)."""
    return {"tensorflow": params["jit_compile"], "jax": True}.get(backend.name(), False)


def ema_momentum(ema: float, total_steps: int) -> float:
    """The moving average's momentum for a training of `total_steps`: `ema`, or less when training is short.

    Keras's average starts from the weights after the first step, and the
    steps of a short training all weigh in: a set of 32 sequences makes one
    step per epoch, and after 60 steps at 0.98 the first (nearly untrained)
    step's weights still make up 30% of the average. The average's horizon,
    1 / (1 - momentum) steps, is therefore kept within a fifth of training,
    so that the first four fifths weigh under 2% (e^-4) at the end. Runs of
    250 steps or more keep 0.98 unchanged.
    """
    return max(0.0, min(ema, 1.0 - 1.0 / (EMA_HORIZON * max(total_steps, 1))))


@keras.saving.register_keras_serializable(package="ann_keras")
class SGD(keras.optimizers.SGD):
    """Keras's SGD, with batch normalisation's offsets (beta) stepping `offset_rate_scale` times further.

    airbench trains the offsets 64 times faster than the weights: with the
    scale fixed at 1 they are the only way a channel's threshold moves, and
    a single offset gets a far smaller gradient than a kernel of hundreds of
    weights. Weight decay is not scaled (Keras applies it apart, at the base rate).
    """

    def __init__(self, *args, offset_rate_scale: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.offset_rate_scale = offset_rate_scale

    def update_step(self, gradient, variable, learning_rate):
        # Runs once, while the step is traced; the backend may hand over its own variable, so look up Keras's.
        if self.offset_rate_scale != 1.0 \
                and self._trainable_variables[self._get_variable_index(variable)].path.endswith("/beta"):
            learning_rate = learning_rate * self.offset_rate_scale
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "offset_rate_scale": self.offset_rate_scale}


@keras.saving.register_keras_serializable(package="ann_keras")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak` over `warmup` of the steps, then linear decay.

    The warm-up starts at `start` x peak and the decay ends at `end` x peak
    (0 and 0: the classic one-cycle triangle; airbench: 0.2 and 0.07).
    """

    def __init__(self, peak: float, total_steps: int, warmup: float, start: float = 0.0, end: float = 0.0):
        self.peak, self.total_steps, self.warmup = peak, max(int(total_steps), 1), warmup
        self.start, self.end = start, end

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rise = max(self.warmup * self.total_steps, 1.0)
        up = keras.ops.clip(step / rise, 0.0, 1.0)
        down = keras.ops.clip((step - rise) / max(self.total_steps - rise, 1.0), 0.0, 1.0)
        rate = keras.ops.where(step < rise, self.start + (1.0 - self.start) * up, 1.0 - (1.0 - self.end) * down)
        return self.peak * rate

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup": self.warmup, "start": self.start,
                "end": self.end}


def emits_logits(model: keras.Model) -> bool:
    """Whether the model's output layer is linear (logits) rather than a softmax or sigmoid (probabilities)."""
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "") == "linear"


def loss_function(params: dict, logits: bool = False) -> keras.losses.Loss:
    """Return the Keras loss for `params`; MSE and smoothed cross-entropy take one-hot targets, the rest labels."""
    if params["loss"] == "mse":
        return keras.losses.MeanSquaredError()
    if params["label_smoothing"]:
        return keras.losses.CategoricalCrossentropy(label_smoothing=params["label_smoothing"], from_logits=logits)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=logits)


def targets(labels: np.ndarray, params: dict, num_classes: int) -> np.ndarray:
    """Return what the loss compares predictions with: one-hot rows (MSE, label smoothing) or labels."""
    if params["loss"] == "mse" or params["label_smoothing"]:
        return np.eye(num_classes, dtype=np.float32)[labels]
    return labels
