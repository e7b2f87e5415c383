"""One training run: build, compile, fit, evaluate; returns plain numbers.

The paper counts full-batch gradient steps ("iterations"). A plain
`model.fit(epochs=5000)` pays Keras's per-epoch Python overhead 5000 times;
here `log_every` steps run inside one compiled call (`steps_per_execution`)
and one Keras "epoch" is one logged point, so 5000 steps cost 20 calls.
"""

from __future__ import annotations

import contextlib
import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from .. import backend, data, models
from ..models import augment as augmentation
from ..models import normalization, whitening
from ..data import Dataset
from . import feeding
from . import events, tensorboard_logs

HISTORY_FILE = "history.csv"
TRAIN_EVALUATION = 10_000
EMA_HORIZON = 0.2   # the moving average of the weights spans at most this fraction of training's steps


@dataclass
class Execution:
    """What one seed of one configuration produced."""

    seed: int
    metrics: dict            # train/val/test accuracy and loss at the end of training
    history: dict            # per logged step: {"unit", "step", "loss", "accuracy", "val_loss", ...}
    y_pred: np.ndarray       # predicted class of every test example
    duration_s: float        # fit and evaluation, model building excluded
    model: keras.Model = field(repr=False)
    # Test predictions with the batch-norm moving averages training left (the paper's and the frameworks'
    # evaluation), where bn_recompute measured the statistics afresh for `y_pred`; else None.
    y_pred_running_bn: np.ndarray | None = None

    def summary(self) -> dict:
        """Return the JSON-able part kept for every execution of every trial."""
        summary = {"seed": self.seed, **self.metrics, "duration_s": round(self.duration_s, 3),
                   "history": self.history}   # every trial's curves, for the report's per-trial figures and CSV
        if "test_accuracy" in self.history:   # tracked per epoch (track_test): the paper's per-epoch figures
            summary["test_accuracy_by_epoch"] = self.history["test_accuracy"]
        if "test_accuracy_running_bn" in self.history:   # the same under the paper's evaluation
            summary["test_accuracy_by_epoch_running_bn"] = self.history["test_accuracy_running_bn"]
        return summary


def train(model_name: str, params: dict, dataset: Dataset, *, seed: int, augment: dict | None = None,
          verbose: int = 0, budget: int | None = None, resume_dir: Path | None = None,
          strategy=None, log_dir: Path | None = None,
          on_progress=None) -> Execution:
    """Build the model from `params` with `seed` fixed, train it and evaluate it (within `strategy`'s scope)."""
    backend.set_seed(seed)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = models.build(model_name, dataset.input_shape, dataset.num_classes, params, augment)
        return fit(model, params, dataset, seed=seed, verbose=verbose, budget=budget, resume_dir=resume_dir,
                   log_dir=log_dir, augment=augment, on_progress=on_progress)


@contextlib.contextmanager
def execution(run, params: dict, dataset: Dataset, seed: int, *, log: tuple[str, ...], budget: int | None = None,
              resume_dir: Path | None = None):
    """Train one seeded execution of `params` for `run` (a search.run.Run); yield it, then free its memory.

    The one way every stage trains: a search's trials, the paper's extra
    settings, `train` and the final model. Keras's session is cleared when
    the block ends, after the caller has kept what it needs (numbers, the
    saved model). `log` names its TensorBoard folder inside the run folder
    (tensorboard_logs.log_dir), e.g. ("trial_0003", "seed42").
    """
    stage = "/".join(log)
    settings = {name: params[name] for name in run.spec.search if name in params}

    def progress(epoch: int, epochs: int, examples: int, seconds: float) -> None:
        if epoch == 0:
            run.on_event(events.TrainingStarted(stage, settings, epochs, examples, params.get("iterations") or 0))
        else:
            run.on_event(events.EpochEnded(stage, epoch, epochs, examples, seconds))

    try:
        yield train(run.spec.model, params, dataset, seed=seed, augment=run.spec.augment, verbose=run.verbose,
                    budget=budget, resume_dir=resume_dir, strategy=run.strategy,
                    log_dir=tensorboard_logs.log_dir(run.folder, *log) if run.tensorboard else None,
                    on_progress=progress)
    finally:
        keras.backend.clear_session(free_memory=True)


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


class Lookahead(keras.callbacks.Callback):
    """airbench's lookahead: every `every` steps, average the weights into a slow copy and restart from it.

    The slow copy moves towards the weights by (1 - decay), with decay =
    `final` x (progress)^3: early on the weights run free; towards the end
    each restart pulls them most of the way back to the average, which
    smooths the last noisy steps as an exponential moving average would. At
    the end the weights are the slow copy. Batch normalisation's moving
    statistics are averaged with them, so they match the averaged weights.
    """

    def __init__(self, final: float, total_steps: int, every: int = 5):
        super().__init__()
        self.final, self.total_steps, self.every = final, max(total_steps, 1), every
        self.step = 0

    def on_train_begin(self, logs=None):
        self.fast = [v for v in self.model.weights if "float" in str(v.dtype)]
        # Copies, not views: JAX's trainer hands the model's buffers to each step and frees them afterwards.
        self.slow = [keras.Variable(keras.ops.convert_to_numpy(v.value), dtype=v.dtype, trainable=False)
                     for v in self.fast]
        self.update = self._update
        if backend.is_tensorflow():   # one graph for all the assignments instead of one eager call each
            import tensorflow as tf
            self.update = tf.function(self._update)

    def _update(self, decay):
        for slow, fast in zip(self.slow, self.fast):
            slow.assign(slow.value + (1.0 - decay) * (fast.value - slow.value))
            fast.assign(keras.ops.copy(slow.value))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            _ = self.model   # on JAX, reading the model puts the trainer's current weights back into the variables
            self.update(keras.ops.convert_to_tensor(self.final * min(self.step / self.total_steps, 1.0) ** 3,
                                                    "float32"))

    def on_train_end(self, logs=None):
        _ = self.model
        self.update(keras.ops.convert_to_tensor(1.0, "float32"))


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


def fit(model: keras.Model, params: dict, dataset: Dataset, *, seed: int, verbose: int = 0,
        budget: int | None = None, resume_dir: Path | None = None, log_dir: Path | None = None,
        augment: dict | None = None, on_progress=None) -> Execution:
    """Compile and train `model`, then evaluate it on every split.

    `budget` caps the number of Keras epochs (logged points when counting
    iterations); Hyperband uses it to train short before training long.
    With `resume_dir`, a killed run continues from its last completed epoch
    (Keras's BackupAndRestore) and its history survives in a CSV file there.
    With `log_dir`, each logged point is also written for TensorBoard there.
    `on_progress(epoch, epochs, examples, seconds)` hears of the start
    (epoch 0) and of each logged point's end, for progress estimates.
    `augment` is the spec's [augment] table: where the family's `augment`
    switch is on, the batches are augmented before the model (search/batches.py).
    """
    k = dataset.num_classes
    x_train, y_train = data.subset(dataset.x_train, dataset.y_train, params["train_examples"], seed)
    y_train, y_val = targets(y_train, params, k), targets(dataset.y_val, params, k)
    batch_size = min(params["batch_size"] or len(y_train), len(y_train))
    started = time.perf_counter()
    # A patch-whitening first layer is set from the training images (only airbench has one, and the key freezing it).
    whitens = whitening.adapt(model, x_train, seed) > 0
    # Only families with an `augment` switch augment at all (the MLP and RNNs have none).
    augments = bool("augment" in params and params["augment"] and augment and augmentation.is_on(augment))
    if params.get("iterations"):
        per_call = steps_per_epoch = params["log_every"]
        epochs = params["iterations"] // per_call
    else:
        # One Keras epoch is one pass's worth of full batches of the endless stream. (A finite dataset that Keras
        # re-reads each epoch measured 17% slower: 46.6 s against 39.7 s an augmented CIFAR-10 epoch in batches of
        # 64 on 2 cores.)
        steps_per_epoch = max(len(y_train) // batch_size, 1)
        # Keras runs whole compiled calls of `per_call` steps on an endless stream, so an epoch is rounded up to a
        # multiple of them (703 steps of 64 images become 704); were it not, every epoch would overrun silently.
        per_call = min(params["steps_per_execution"], steps_per_epoch)
        steps_per_epoch = -(-steps_per_epoch // per_call) * per_call
        epochs = params["epochs"]
    batches = feeding.stream(x_train, y_train, batch_size, seed, augment if augments else {}, steps_per_epoch)
    if budget is not None:
        epochs = min(epochs, budget)
    if getattr(getattr(model, "distribute_strategy", None), "num_replicas_in_sync", 1) > 1:
        # Keras 3.15's multi-step loop fails under MirroredStrategy ("You must feed a value for
        # placeholder tensor"), so a model trained on several devices runs one step per call.
        per_call = 1
    total_steps = epochs * steps_per_epoch
    compile_model(model, params, steps_per_execution=per_call, total_steps=total_steps)
    # Only a model with batch normalisation has statistics to recompute (an RNN without its branch has none).
    statistics = RecomputeStatistics(dataset, params["bn_recompute"], seed) \
        if params["bn_recompute"] and normalization.batch_norms(model) else None
    # Recomputing comes first: validation and the per-epoch test accuracy are measured after it.
    callbacks = [statistics] if statistics is not None else []
    has_test = len(dataset.y_test) > 0   # a cross-validation fold has none: the search never sees the test split
    if params["track_test"] and has_test:
        callbacks.append(TestMetrics(dataset, params, statistics))
    if params["patience"] and len(dataset.y_val) and not params.get("iterations"):
        # The weights at the stop are kept, not the best epoch's: with a moving average of the weights (ema)
        # those are the averaged ones, which the per-epoch validation never saw.
        callbacks.append(keras.callbacks.EarlyStopping("val_loss", min_delta=1e-4, patience=params["patience"]))
    if params["lookahead"]:
        callbacks.append(Lookahead(params["lookahead"], total_steps))
    if whitens and params["whitening_bias_epochs"]:
        callbacks.append(whitening.FreezeBias(params["whitening_bias_epochs"]))
    if log_dir is not None:
        callbacks.append(tensorboard_logs.callback(log_dir))
    callbacks.append(Clock(started))   # its time includes the other callbacks' work
    if on_progress is not None:
        # Examples seen per logged point: a full pass, or the steps of one compiled call.
        examples = steps_per_epoch * batch_size
        callbacks.append(Progress(on_progress, epochs, examples))   # last: after validation and test
    if resume_dir is not None:
        callbacks += [keras.callbacks.BackupAndRestore(str(Path(resume_dir) / "backup")),
                      keras.callbacks.CSVLogger(str(Path(resume_dir) / HISTORY_FILE), append=True)]
    # The stream shuffles itself, so Keras's shuffle is off.
    # A refit after cross-validation has no validation split (data.whole_training): nothing to validate on.
    validation = (dataset.x_val, y_val) if len(dataset.y_val) else None
    history = model.fit(batches, steps_per_epoch=steps_per_epoch, shuffle=False, epochs=epochs,
                        validation_data=validation,
                        validation_batch_size=1024, verbose=verbose, callbacks=callbacks).history
    if hasattr(batches, "close"):
        batches.close()   # the portable stream's preparing thread
    if params["ema"] and backend.name() == "jax":
        # Keras puts the moving average in place by assigning the optimizer's average arrays to the weights; on JAX
        # both then hold one buffer, which the next compiled call frees, and saving the optimizer fails. Each
        # weight gets its own copy.
        for variable in model.trainable_variables:
            variable.assign(keras.ops.copy(variable.value))
    if resume_dir is not None:
        history = read_history_csv(Path(resume_dir) / HISTORY_FILE)   # includes epochs before a restart
    if statistics is not None:
        # Training may end on other weights than the last validation measured (a moving average's, which fit
        # puts in place at its end, or lookahead's): their statistics are recomputed once more.
        statistics.finish(model)
    extra, y_pred_running = statistics.compare_running(model, params) if statistics is not None and has_test \
        else ({}, None)
    metrics, y_pred = evaluate(model, params, dataset)
    metrics.update(extra)
    duration = time.perf_counter() - started
    return Execution(seed, metrics, _history(history, params), y_pred, duration, model, y_pred_running)


class Clock(keras.callbacks.Callback):
    """Adds `time_s`, seconds since training started, to each epoch's logs: accuracy against time."""

    def __init__(self, started: float):
        super().__init__()
        self.started = started

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["time_s"] = time.perf_counter() - self.started


class Progress(keras.callbacks.Callback):
    """Tells `report(epoch, epochs, examples, seconds)` when training starts (epoch 0) and as each epoch ends."""

    def __init__(self, report, epochs: int, examples: int):
        super().__init__()
        self.report, self.epochs, self.examples = report, epochs, examples
        self.begun = 0.0

    def on_train_begin(self, logs=None):
        self.report(0, self.epochs, self.examples, 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self.begun = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.report(epoch + 1, self.epochs, self.examples, time.perf_counter() - self.begun)


class RecomputeStatistics(keras.callbacks.Callback):
    """Recomputes batch normalisation's statistics on clean training images before each validation.

    Training itself is unchanged (it normalises with each batch's own
    statistics); only what inference uses is measured afresh. The moving
    averages training left are kept aside, so the final test accuracy can be
    given with them too.
    """

    def __init__(self, dataset: Dataset, examples: int, seed: int):
        super().__init__()
        self.dataset = dataset
        self.images, _ = data.subset(dataset.x_train, dataset.y_train, examples, seed)
        self.running = None

    def on_test_begin(self, logs=None):
        self.running = normalization.moving_statistics(self.model)
        normalization.recompute_statistics(self.model, self.images)

    def finish(self, model: keras.Model) -> None:
        """Recompute for the weights training ended with.

        The moving averages kept aside are those the last validation found
        (what training left); without any validation, those in place now.
        """
        self.set_model(model)
        if self.running is None:
            self.running = normalization.moving_statistics(model)
        normalization.recompute_statistics(model, self.images)

    def compare_running(self, model: keras.Model, params: dict) -> tuple[dict, np.ndarray]:
        """Return test accuracy and loss with the moving averages training left, and the test predictions.

        The moving averages are what the paper's PyTorch network and Keras
        evaluate with by default: the paper's evaluation.
        """
        if self.running is None:   # a resumed, finished run: recompute now
            self.finish(model)
        scores = self.running_scores(model, params)
        y = self.dataset.y_test
        return ({"test_accuracy_running_bn": float(np.mean(scores.argmax(axis=1) == y)),
                 "test_loss_running_bn": float(loss_function(params, emits_logits(model))(
                     targets(y, params, self.dataset.num_classes), scores))},
                scores.argmax(axis=1))

    def running_scores(self, model: keras.Model, params: dict) -> np.ndarray:
        """Return test scores with the moving averages put back for the call, the recomputed ones kept after."""
        recomputed = normalization.moving_statistics(model)
        normalization.set_moving_statistics(model, self.running)
        try:
            return predict(model, self.dataset.x_test, params)
        finally:
            normalization.set_moving_statistics(model, recomputed)


class TestMetrics(keras.callbacks.Callback):
    """Adds test accuracy and loss to each epoch's logs (the paper reports test accuracy per epoch).

    With recomputed batch-norm statistics (`statistics`), the same are also
    measured with the moving averages this epoch's training left, as
    `test_accuracy_running_bn`: the paper's evaluation, beside ours.
    """

    def __init__(self, dataset: Dataset, params: dict, statistics: RecomputeStatistics | None = None):
        super().__init__()
        # Not `self.params`: Keras sets that attribute on every callback.
        self.dataset, self.spec_params, self.statistics = dataset, params, statistics

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs.update(self._scores(predict(self.model, self.dataset.x_test, self.spec_params), ""))
        if self.statistics is not None and self.statistics.running is not None:
            logs.update(self._scores(self.statistics.running_scores(self.model, self.spec_params), "_running_bn"))

    def _scores(self, scores: np.ndarray, suffix: str) -> dict:
        y = self.dataset.y_test
        loss = loss_function(self.spec_params, emits_logits(self.model))
        return {f"test_accuracy{suffix}": float(np.mean(scores.argmax(axis=1) == y)),
                f"test_loss{suffix}": float(loss(targets(y, self.spec_params, self.dataset.num_classes), scores))}


def read_history_csv(path: Path) -> dict:
    """Return Keras's history from a CSVLogger file, keeping the last row of an epoch logged twice.

    Columns Keras left empty ("NA" in every row: validation without validation data) are left out.
    """
    with open(path, newline="") as stream:
        rows = {int(row["epoch"]): row for row in csv.DictReader(stream)}
    keys = [key for key in (next(iter(rows.values())) if rows else {}) if key != "epoch"]
    # Without validation data Keras still writes val_* columns, all "NA": they are no history.
    keys = [key for key in keys if any(row[key] != "NA" for row in rows.values())]
    return {key: [float(rows[epoch][key]) for epoch in sorted(rows)] for key in keys}


def evaluate(model: keras.Model, params: dict, dataset: Dataset) -> tuple[dict, np.ndarray]:
    """Return loss and accuracy on train, validation and test, and the test predictions.

    Training accuracy is measured on at most TRAIN_EVALUATION examples (a
    fixed stratified subset), without test-time augmentation: enough to see
    over-fitting, without predicting all 45,000 CIFAR-10 training images
    (six times over with tta_translate) after every run. An empty split (the
    test split of a cross-validation fold) is not measured.
    """
    loss = loss_function(params, emits_logits(model))
    metrics = {}
    test_predictions = np.zeros(0, dtype=np.int64)
    x_train, y_train = data.subset(dataset.x_train, dataset.y_train, TRAIN_EVALUATION, 0)
    # The training images are seen as they were trained on, without test-time augmentation (up to 6 passes each).
    plain = dict(params, tta_flip=False, tta_translate=0)
    for split, x, y in (("train", x_train, y_train), ("val", dataset.x_val, dataset.y_val),
                        ("test", dataset.x_test, dataset.y_test)):
        if len(y) == 0:
            continue
        scores = predict(model, x, plain if split == "train" else params)
        predicted = scores.argmax(axis=1)
        metrics[f"{split}_accuracy"] = float(np.mean(predicted == y))
        metrics[f"{split}_loss"] = float(loss(targets(y, params, dataset.num_classes), scores))
        if split == "test":
            test_predictions = predicted
    return metrics, test_predictions


def predict(model: keras.Model, x: np.ndarray, params: dict) -> np.ndarray:
    """Return class scores, averaged over test-time augmentations of images.

    With `tta_flip`, the mean over each image and its mirror image; with
    `tta_translate` = n, half of that plus half the mean of the same over
    the image shifted n pixels up-left and n down-right (mirror-padded):
    airbench's test-time augmentation.
    """
    def mirrored(images):
        scores = model.predict(images, batch_size=1024, verbose=0)
        if params["tta_flip"] and images.ndim == 4:
            scores = (scores + model.predict(images[:, :, ::-1], batch_size=1024, verbose=0)) / 2
        return scores

    scores = mirrored(x)
    shift = params["tta_translate"]
    if shift and x.ndim == 4:
        height, width = x.shape[1:3]
        padded = np.pad(x, ((0, 0), (shift, shift), (shift, shift), (0, 0)), mode="reflect")
        shifted = (mirrored(padded[:, :height, :width]) + mirrored(padded[:, 2 * shift:, 2 * shift:])) / 2
        scores = (scores + shifted) / 2
    return scores


def _history(history: dict, params: dict) -> dict:
    """Return Keras's history with the step each point was logged at, in the spec's unit."""
    if params.get("iterations"):
        unit, every = "iteration", params["log_every"]
    else:
        unit, every = "epoch", 1
    points = len(history.get("loss", []))
    return {"unit": unit, "step": [every * (i + 1) for i in range(points)],
            **{key: [float(v) for v in values] for key, values in history.items()}}
