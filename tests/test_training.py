import numpy as np
import pytest

from ann_keras import data, experiments
from ann_keras.search import training


@pytest.fixture(scope="module")
def small():
    spec = experiments.load("ann", "smoke")
    return spec, data.load("digits", seed=1, limit=400)


def test_full_batch_iterations_learn_and_log_per_step(small):
    spec, dataset = small
    params = spec.with_params({"iterations": 400, "log_every": 100, "learning_rate": 0.5}, "test")
    run = training.train("mlp", params, dataset, seed=1)
    assert run.history["unit"] == "iteration"
    assert run.history["step"] == [100, 200, 300, 400]
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert run.metrics["test_accuracy"] > 0.3          # ten classes: chance is 0.1
    assert set(run.metrics) == {f"{s}_{m}" for s in ("train", "val", "test") for m in ("accuracy", "loss")}
    assert run.y_pred.shape == dataset.y_test.shape


def test_same_seed_gives_the_same_numbers(small):
    spec, dataset = small
    a = training.train("mlp", spec.params, dataset, seed=5)
    b = training.train("mlp", spec.params, dataset, seed=5)
    c = training.train("mlp", spec.params, dataset, seed=6)
    assert a.metrics == b.metrics
    assert a.history["loss"] != c.history["loss"]


def test_epochs_minibatches_crossentropy_and_adam(small):
    spec, dataset = small
    params = dict(spec.params, iterations=None, epochs=3, batch_size=32, loss="crossentropy",
                  optimizer="adam", learning_rate=0.01, output_activation="softmax")
    run = training.train("mlp", params, dataset, seed=1)
    assert run.history["unit"] == "epoch" and run.history["step"] == [1, 2, 3]
    assert run.metrics["test_accuracy"] > 0.5


def test_patience_stops_when_the_validation_loss_stops_improving(small):
    spec, dataset = small
    params = dict(spec.params, iterations=None, epochs=30, batch_size=64, loss="crossentropy",
                  optimizer="adam", output_activation="softmax")
    # A step too small to move the validation loss by 1e-4: the first epoch is the best, two more and it stops.
    stalled = training.train("mlp", dict(params, learning_rate=1e-9, patience=2), dataset, seed=1)
    assert stalled.history["step"] == [1, 2, 3]
    learning = training.train("mlp", dict(params, learning_rate=0.01, epochs=4, patience=2), dataset, seed=1)
    assert learning.history["step"] == [1, 2, 3, 4]     # still improving: every epoch runs


def test_minibatch_iterations_and_budget(small):
    spec, dataset = small
    params = dict(spec.params, batch_size=16, iterations=300, log_every=100)
    run = training.train("mlp", params, dataset, seed=1, budget=2)
    assert run.history["step"] == [100, 200]


def test_targets_are_one_hot_for_mse_only():
    labels = np.array([0, 2])
    assert training.targets(labels, {"loss": "mse"}, 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert training.targets(labels, {"loss": "crossentropy", "label_smoothing": 0.0}, 3) is labels


@pytest.fixture(scope="module")
def images_case():
    spec = experiments.load("cnn", "smoke")
    return spec, data.load("synthetic-images", seed=0, limit=300, test_limit=60, image_size=16)


def test_cnn_learns_synthetic_images_with_augmentation(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 6, "dropout": 0.1, "learning_rate": 0.01, "filters": [8, 16],
                               "dense_units": 32}, "test")
    run = training.train("cnn", params, dataset, seed=0, augment=spec.augment)
    assert run.metrics["test_accuracy"] > 0.3       # ten classes: chance is 0.1


def test_bfloat16_precision_learns_and_keeps_float32_weights_and_outputs(images_case, tmp_path):
    import keras
    spec, dataset = images_case
    params = spec.with_params({"epochs": 6, "dropout": 0.1, "learning_rate": 0.01, "filters": [8, 16],
                               "dense_units": 32, "precision": "mixed_bfloat16"}, "test")
    run = training.train("cnn", params, dataset, seed=0, augment=spec.augment)
    assert run.metrics["test_accuracy"] > 0.3
    conv = run.model.get_layer("conv1_1")
    assert conv.compute_dtype == "bfloat16" and conv.kernel.dtype == "float32"
    assert run.model.get_layer("output").compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"      # the global policy is restored
    run.model.save(tmp_path / "model.keras")                  # a saved model keeps its precision
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert loaded.get_layer("conv1_1").compute_dtype == "bfloat16"
    assert loaded.predict(dataset.x_test[:4], verbose=0).dtype == "float32"


def test_test_accuracy_is_tracked_per_epoch_when_asked(images_case):
    spec, dataset = images_case
    run = training.train("cnn", spec.with_params({"epochs": 2, "track_test": True}, "test"), dataset, seed=0)
    assert len(run.history["test_accuracy"]) == 2
    assert run.summary()["test_accuracy_by_epoch"] == run.history["test_accuracy"]
    assert run.history["test_accuracy"][-1] == pytest.approx(run.metrics["test_accuracy"])


def test_train_examples_trains_on_a_subset(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 1, "train_examples": 64, "batch_size": 32}, "test")
    run = training.train("cnn", params, dataset, seed=0, verbose=0)
    assert run.history["step"] == [1]
    assert run.model.optimizer.iterations.numpy() == 2        # 64 examples in batches of 32


def test_a_killed_run_resumes_from_its_last_epoch(images_case, tmp_path, monkeypatch):
    import keras
    spec, dataset = images_case
    params = spec.with_params({"epochs": 4}, "test")

    class KillAfterTwoEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    real_fit = keras.Model.fit

    def fit_with_kill(self, *args, callbacks=(), **kwargs):
        # The kill must come after BackupAndRestore has saved the epoch, as a real kill would.
        return real_fit(self, *args, callbacks=list(callbacks) + [KillAfterTwoEpochs()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_with_kill)
    with pytest.raises(KeyboardInterrupt):
        training.train("cnn", params, dataset, seed=0, resume_dir=tmp_path)
    monkeypatch.setattr(keras.Model, "fit", real_fit)

    epochs_run = []
    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_begin",
                        lambda self, epoch, logs=None: epochs_run.append(epoch), raising=False)
    run = training.train("cnn", params, dataset, seed=0, resume_dir=tmp_path)
    assert epochs_run == [2, 3]                               # epochs 0 and 1 were not trained again
    assert run.history["step"] == [1, 2, 3, 4] and len(run.history["loss"]) == 4


def test_one_cycle_rises_then_falls_to_zero():
    schedule = training.OneCycle(0.4, total_steps=100, warmup=0.25)
    rates = [float(schedule(step)) for step in (0, 25, 50, 100)]
    assert rates == pytest.approx([0.0, 0.4, 0.4 * 50 / 75, 0.0])
    assert training.OneCycle.from_config(schedule.get_config()).peak == 0.4


def test_one_cycle_can_start_and_end_above_zero():
    schedule = training.OneCycle(1.5, total_steps=100, warmup=0.2, start=0.2, end=0.07)
    rates = [float(schedule(step)) for step in (0, 10, 20, 60, 100)]
    assert rates == pytest.approx([0.3, 0.9, 1.5, 1.5 * (1 - 0.93 * 40 / 80), 1.5 * 0.07])
    assert training.OneCycle.from_config(schedule.get_config()).end == 0.07


def test_sgd_steps_batch_norm_offsets_further_and_nothing_else():
    import keras
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="dense")(inputs)
    model = keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(hidden))
    before = {w.path: w.numpy().copy() for w in model.trainable_weights}
    optimizer = training.SGD(learning_rate=0.1, offset_rate_scale=64.0)
    gradients = [np.ones(w.shape, "float32") for w in model.trainable_weights]
    optimizer.apply_gradients(zip(gradients, model.trainable_weights))
    moved = {w.path: float(np.abs(before[w.path] - w.numpy()).max()) for w in model.trainable_weights}
    assert moved["bn/beta"] == pytest.approx(6.4) and moved["bn/gamma"] == pytest.approx(0.1)
    assert moved["dense/kernel"] == pytest.approx(0.1)
    assert training.SGD.from_config(optimizer.get_config()).offset_rate_scale == 64.0


def test_a_short_training_averages_its_weights_over_at_most_its_last_fifth():
    # 480 steps keep the spec's 0.98; 60 steps (a set of 32 sequences, 60 epochs) average over 12, so the
    # first steps' nearly untrained weights do not stay in the model; 4 steps average nothing.
    assert training.ema_momentum(0.98, 480) == 0.98
    assert training.ema_momentum(0.98, 60) == pytest.approx(1 - 1 / 12)
    assert 0.98 ** 59 > 0.29 and (1 - 1 / 12) ** 59 < 0.01
    assert training.ema_momentum(0.98, 4) == 0.0


def test_the_optimizer_gets_the_shortened_momentum(images_case):
    spec, dataset = images_case
    params = spec.with_params({"ema": 0.98}, "test")
    model = training.models.build("cnn", dataset.input_shape, dataset.num_classes, params)
    training.compile_model(model, params, total_steps=60)
    assert model.optimizer.use_ema and model.optimizer.ema_momentum == pytest.approx(1 - 1 / 12)
    training.compile_model(model, spec.with_params({"ema": 0.0}, "test"), total_steps=60)
    assert not model.optimizer.use_ema


def test_lookahead_ends_on_the_slow_weights(images_case):
    import keras
    spec, dataset = images_case
    params = spec.with_params({"epochs": 2, "batch_size": 32, "lookahead": 0.9}, "test")
    model = training.models.build("cnn", dataset.input_shape, dataset.num_classes, params)
    keras.utils.set_random_seed(0)
    callback = training.Lookahead(0.9, total_steps=16, every=5)
    training.compile_model(model, params)
    model.fit(dataset.x_train[:256], training.targets(dataset.y_train[:256], params, dataset.num_classes),
              batch_size=32, epochs=2, verbose=0, callbacks=[callback])
    assert callback.step == 16
    assert all(np.array_equal(slow.numpy(), fast.numpy()) for slow, fast in zip(callback.slow, callback.fast))
    # Batch normalisation's statistics are averaged too, so they match the averaged weights.
    assert any("moving_mean" in fast.path for fast in callback.fast)


def test_tta_translate_adds_half_the_mean_over_two_mirror_padded_shifts(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 1, "tta_flip": True, "tta_translate": 1}, "test")
    run = training.train("cnn", params, dataset, seed=0)
    x = dataset.x_test

    def mirrored(images):
        return (run.model.predict(images, verbose=0) + run.model.predict(images[:, :, ::-1], verbose=0)) / 2

    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    shifted = (mirrored(padded[:, :-2, :-2]) + mirrored(padded[:, 2:, 2:])) / 2
    assert training.predict(run.model, x, params) == pytest.approx((mirrored(x) + shifted) / 2, abs=1e-6)


def test_augmentation_in_the_pipeline_trains_the_airbench_network_from_uint8():
    spec = experiments.load("cnn-fast", "smoke")
    dataset = data.load("synthetic-images", seed=0, limit=300, test_limit=60, image_size=16)
    params = spec.with_params({"epochs": 3, "learning_rate": 0.2, "lookahead": 0.5}, "test")
    run = training.train("airbench", params, dataset, seed=0, augment=spec.augment)
    assert run.history["step"] == [1, 2, 3]
    assert run.metrics["test_accuracy"] > 0.3       # ten classes: chance is 0.1
    again = training.train("airbench", params, dataset, seed=0, augment=spec.augment)
    assert again.metrics == run.metrics             # one seed fixes the augmented batches too


def test_label_smoothing_uses_one_hot_targets_and_tta_averages_mirror_images(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 1, "label_smoothing": 0.2, "tta_flip": True, "schedule": "onecycle",
                               "optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.0005,
                               "steps_per_execution": 4}, "test")
    assert training.targets(np.array([1]), params, 3).tolist() == [[0, 1, 0]]
    run = training.train("cnn", params, dataset, seed=0)
    mirrored = dataset.x_test[:, :, ::-1]
    plain = run.model.predict(dataset.x_test, verbose=0)
    averaged = (plain + run.model.predict(mirrored, verbose=0)) / 2
    assert training.predict(run.model, dataset.x_test, params) == pytest.approx(averaged, abs=1e-6)


def test_recomputed_statistics_are_used_and_the_moving_averages_kept_for_comparison(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 2, "bn_recompute": 100, "track_test": True}, "test")
    run = training.train("cnn", params, dataset, seed=0, augment=spec.augment)
    assert {"test_accuracy_running_bn", "test_loss_running_bn"} <= set(run.metrics)
    # The final metrics and the last epoch's test accuracy are both measured with recomputed statistics.
    assert run.history["test_accuracy"][-1] == pytest.approx(run.metrics["test_accuracy"])
    # The paper's evaluation (the moving averages training left) is measured every epoch too, and the last
    # epoch's equals the final number and the predictions kept for the per-class table.
    assert len(run.history["test_accuracy_running_bn"]) == 2
    assert run.history["test_accuracy_running_bn"][-1] == pytest.approx(run.metrics["test_accuracy_running_bn"])
    assert np.mean(run.y_pred_running_bn == dataset.y_test) == pytest.approx(run.metrics["test_accuracy_running_bn"])
    assert run.summary()["test_accuracy_by_epoch_running_bn"] == run.history["test_accuracy_running_bn"]
    plain = training.train("cnn", spec.with_params({"epochs": 2, "bn_recompute": 0}, "test"), dataset, seed=0,
                           augment=spec.augment)
    assert "test_accuracy_running_bn" not in plain.metrics and plain.y_pred_running_bn is None


def test_statistics_are_recomputed_for_the_moving_average_of_the_weights_training_ends_with():
    # With ema, fit puts the averaged weights in place after the last validation: their statistics are
    # recomputed then, so the saved model's equal a fresh recomputation on the same training sequences.
    from ann_keras import data
    from ann_keras.models import normalization
    spec = experiments.load("rnn", "smoke")
    dataset = data.load("digits-seq", seed=0, limit=120, test_limit=30)
    # Batches of 4 make enough steps (2 x 27) for the average to keep its momentum of 0.9.
    params = spec.with_params({"epochs": 2, "conv_branch": 4, "ema": 0.9, "bn_recompute": 1000, "batch_size": 4},
                              "test")
    run = training.train("rnn", params, dataset, seed=0)
    kept = normalization.moving_statistics(run.model)
    normalization.recompute_statistics(run.model, dataset.x_train)
    again = normalization.moving_statistics(run.model)
    assert len(kept) == 3
    assert all(np.allclose(k[0], a[0], atol=1e-5) and np.allclose(k[1], a[1], atol=1e-5) for k, a in zip(kept, again))
    assert "test_accuracy_running_bn" in run.metrics


def test_an_epoch_is_whole_compiled_calls_of_at_least_one_pass(images_case):
    # 96 examples in batches of 32 are 3 steps; 2 steps per compiled call round the epoch up to 4, not to 2 x 2 + 2.
    spec, dataset = images_case
    params = spec.with_params({"epochs": 2, "train_examples": 96, "batch_size": 32, "steps_per_execution": 2}, "test")
    run = training.train("cnn", params, dataset, seed=0, verbose=0)
    assert run.model.optimizer.iterations.numpy() == 8
