"""training/optimizers.py: targets, the one-cycle schedule, SGD's faster offsets, the weights' moving average."""

import numpy as np
import pytest

from ann_keras import models
from ann_keras.training import optimizers


def test_targets_are_one_hot_for_mse_only():
    labels = np.array([0, 2])
    assert optimizers.targets(labels, {"loss": "mse"}, 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert optimizers.targets(labels, {"loss": "crossentropy", "label_smoothing": 0.0}, 3) is labels


def test_one_cycle_rises_then_falls_to_zero():
    schedule = optimizers.OneCycle(0.4, total_steps=100, warmup=0.25)
    rates = [float(schedule(step)) for step in (0, 25, 50, 100)]
    assert rates == pytest.approx([0.0, 0.4, 0.4 * 50 / 75, 0.0])
    assert optimizers.OneCycle.from_config(schedule.get_config()).peak == 0.4


def test_one_cycle_can_start_and_end_above_zero():
    schedule = optimizers.OneCycle(1.5, total_steps=100, warmup=0.2, start=0.2, end=0.07)
    rates = [float(schedule(step)) for step in (0, 10, 20, 60, 100)]
    assert rates == pytest.approx([0.3, 0.9, 1.5, 1.5 * (1 - 0.93 * 40 / 80), 1.5 * 0.07])
    assert optimizers.OneCycle.from_config(schedule.get_config()).end == 0.07


def test_sgd_steps_batch_norm_offsets_further_and_nothing_else():
    import keras
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="dense")(inputs)
    model = keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(hidden))
    before = {w.path: w.numpy().copy() for w in model.trainable_weights}
    optimizer = optimizers.SGD(learning_rate=0.1, offset_rate_scale=64.0)
    gradients = [np.ones(w.shape, "float32") for w in model.trainable_weights]
    optimizer.apply_gradients(zip(gradients, model.trainable_weights))
    moved = {w.path: float(np.abs(before[w.path] - w.numpy()).max()) for w in model.trainable_weights}
    assert moved["bn/beta"] == pytest.approx(6.4) and moved["bn/gamma"] == pytest.approx(0.1)
    assert moved["dense/kernel"] == pytest.approx(0.1)
    assert optimizers.SGD.from_config(optimizer.get_config()).offset_rate_scale == 64.0


def test_a_short_training_averages_its_weights_over_at_most_its_last_fifth():
    # 480 steps keep the spec's 0.98; 60 steps (a set of 32 sequences, 60 epochs) average over 12, so the
    # first steps' nearly untrained weights do not stay in the model; 4 steps average nothing.
    assert optimizers.ema_momentum(0.98, 480) == 0.98
    assert optimizers.ema_momentum(0.98, 60) == pytest.approx(1 - 1 / 12)
    assert 0.98 ** 59 > 0.29 and (1 - 1 / 12) ** 59 < 0.01
    assert optimizers.ema_momentum(0.98, 4) == 0.0


def test_the_optimizer_gets_the_shortened_momentum(images_case):
    spec, dataset = images_case
    params = spec.with_params({"ema": 0.98}, "test")
    model = models.build("cnn", dataset.input_shape, dataset.num_classes, params)
    optimizers.compile_model(model, params, total_steps=60)
    assert model.optimizer.use_ema and model.optimizer.ema_momentum == pytest.approx(1 - 1 / 12)
    optimizers.compile_model(model, spec.with_params({"ema": 0.0}, "test"), total_steps=60)
    assert not model.optimizer.use_ema
