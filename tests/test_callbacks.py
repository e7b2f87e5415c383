"""training/callbacks.py: lookahead, the per-epoch test accuracy and recomputed batch-norm statistics."""

import numpy as np
import pytest

from ann_keras import data, experiments, models
from ann_keras.training import callbacks, fitting, optimizers


def test_lookahead_ends_on_the_slow_weights(images_case):
    import keras
    spec, dataset = images_case
    params = spec.with_params({"epochs": 2, "batch_size": 32, "lookahead": 0.9}, "test")
    model = models.build("cnn", dataset.input_shape, dataset.num_classes, params)
    keras.utils.set_random_seed(0)
    callback = callbacks.Lookahead(0.9, total_steps=16, every=5)
    optimizers.compile_model(model, params)
    model.fit(dataset.x_train[:256], optimizers.targets(dataset.y_train[:256], params, dataset.num_classes),
              batch_size=32, epochs=2, verbose=0, callbacks=[callback])
    assert callback.step == 16
    assert all(np.array_equal(slow.numpy(), fast.numpy()) for slow, fast in zip(callback.slow, callback.fast))
    # Batch normalisation's statistics are averaged too, so they match the averaged weights.
    assert any("moving_mean" in fast.path for fast in callback.fast)


def test_recomputed_statistics_are_used_and_the_moving_averages_kept_for_comparison(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 2, "bn_recompute": 100, "track_test": True}, "test")
    run = fitting.train("cnn", params, dataset, seed=0, augment=spec.augment)
    assert {"test_accuracy_running_bn", "test_loss_running_bn"} <= set(run.metrics)
    # The final metrics and the last epoch's test accuracy are both measured with recomputed statistics.
    assert run.history["test_accuracy"][-1] == pytest.approx(run.metrics["test_accuracy"])
    # The paper's evaluation (the moving averages training left) is measured every epoch too, and the last
    # epoch's equals the final number and the predictions kept for the per-class table.
    assert len(run.history["test_accuracy_running_bn"]) == 2
    assert run.history["test_accuracy_running_bn"][-1] == pytest.approx(run.metrics["test_accuracy_running_bn"])
    assert np.mean(run.y_pred_running_bn == dataset.y_test) == pytest.approx(run.metrics["test_accuracy_running_bn"])
    assert run.summary()["test_accuracy_by_epoch_running_bn"] == run.history["test_accuracy_running_bn"]
    plain = fitting.train("cnn", spec.with_params({"epochs": 2, "bn_recompute": 0}, "test"), dataset, seed=0,
                          augment=spec.augment)
    assert "test_accuracy_running_bn" not in plain.metrics and plain.y_pred_running_bn is None


def test_statistics_are_recomputed_for_the_moving_average_of_the_weights_training_ends_with():
    # With ema, fit puts the averaged weights in place after the last validation: their statistics are
    # recomputed then, so the saved model's equal a fresh recomputation on the same training sequences.
    from ann_keras.models import normalization
    spec = experiments.load("rnn", "smoke")
    dataset = data.load("digits-seq", seed=0, limit=120, test_limit=30)
    # Batches of 4 make enough steps (2 x 27) for the average to keep its momentum of 0.9.
    params = spec.with_params({"epochs": 2, "conv_branch": 4, "ema": 0.9, "bn_recompute": 1000, "batch_size": 4},
                              "test")
    run = fitting.train("rnn", params, dataset, seed=0)
    kept = normalization.moving_statistics(run.model)
    normalization.recompute_statistics(run.model, dataset.x_train)
    again = normalization.moving_statistics(run.model)
    assert len(kept) == 3
    assert all(np.allclose(k[0], a[0], atol=1e-5) and np.allclose(k[1], a[1], atol=1e-5) for k, a in zip(kept, again))
    assert "test_accuracy_running_bn" in run.metrics


def test_test_accuracy_is_tracked_per_epoch_when_asked(images_case):
    spec, dataset = images_case
    run = fitting.train("cnn", spec.with_params({"epochs": 2, "track_test": True}, "test"), dataset, seed=0)
    assert len(run.history["test_accuracy"]) == 2
    assert run.summary()["test_accuracy_by_epoch"] == run.history["test_accuracy"]
    assert run.history["test_accuracy"][-1] == pytest.approx(run.metrics["test_accuracy"])
