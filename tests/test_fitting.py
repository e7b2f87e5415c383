"""training/fitting.py: one training, from building the model to its numbers, reproducible and resumable."""

import pytest

from ann_keras import data, experiments
from ann_keras.training import fitting


def test_full_batch_iterations_learn_and_log_per_step(small):
    spec, dataset = small
    params = spec.with_params({"iterations": 400, "log_every": 100, "learning_rate": 0.5}, "test")
    run = fitting.train("mlp", params, dataset, seed=1)
    assert run.history["unit"] == "iteration"
    assert run.history["step"] == [100, 200, 300, 400]
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert run.metrics["test_accuracy"] > 0.3          # ten classes: chance is 0.1
    assert set(run.metrics) == {f"{s}_{m}" for s in ("train", "val", "test") for m in ("accuracy", "loss")}
    assert run.y_pred.shape == dataset.y_test.shape


def test_same_seed_gives_the_same_numbers(small):
    spec, dataset = small
    a = fitting.train("mlp", spec.params, dataset, seed=5)
    b = fitting.train("mlp", spec.params, dataset, seed=5)
    c = fitting.train("mlp", spec.params, dataset, seed=6)
    assert a.metrics == b.metrics
    assert a.history["loss"] != c.history["loss"]


def test_epochs_minibatches_crossentropy_and_adam(small):
    spec, dataset = small
    params = dict(spec.params, iterations=None, epochs=3, batch_size=32, loss="crossentropy",
                  optimizer="adam", learning_rate=0.01, output_activation="softmax")
    run = fitting.train("mlp", params, dataset, seed=1)
    assert run.history["unit"] == "epoch" and run.history["step"] == [1, 2, 3]
    assert run.metrics["test_accuracy"] > 0.5


def test_patience_stops_when_the_validation_loss_stops_improving(small):
    spec, dataset = small
    params = dict(spec.params, iterations=None, epochs=30, batch_size=64, loss="crossentropy",
                  optimizer="adam", output_activation="softmax")
    # A step too small to move the validation loss by 1e-4: the first epoch is the best, two more and it stops.
    stalled = fitting.train("mlp", dict(params, learning_rate=1e-9, patience=2), dataset, seed=1)
    assert stalled.history["step"] == [1, 2, 3]
    learning = fitting.train("mlp", dict(params, learning_rate=0.01, epochs=4, patience=2), dataset, seed=1)
    assert learning.history["step"] == [1, 2, 3, 4]     # still improving: every epoch runs


def test_minibatch_iterations_and_budget(small):
    spec, dataset = small
    params = dict(spec.params, batch_size=16, iterations=300, log_every=100)
    run = fitting.train("mlp", params, dataset, seed=1, budget=2)
    assert run.history["step"] == [100, 200]


def test_cnn_learns_synthetic_images_with_augmentation(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 6, "dropout": 0.1, "learning_rate": 0.01, "filters": [8, 16],
                               "dense_units": 32}, "test")
    run = fitting.train("cnn", params, dataset, seed=0, augment=spec.augment)
    assert run.metrics["test_accuracy"] > 0.3       # ten classes: chance is 0.1


def test_bfloat16_precision_learns_and_keeps_float32_weights_and_outputs(images_case, tmp_path):
    import keras
    spec, dataset = images_case
    params = spec.with_params({"epochs": 6, "dropout": 0.1, "learning_rate": 0.01, "filters": [8, 16],
                               "dense_units": 32, "precision": "mixed_bfloat16"}, "test")
    run = fitting.train("cnn", params, dataset, seed=0, augment=spec.augment)
    assert run.metrics["test_accuracy"] > 0.3
    conv = run.model.get_layer("conv1_1")
    assert conv.compute_dtype == "bfloat16" and conv.kernel.dtype == "float32"
    assert run.model.get_layer("output").compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"      # the global policy is restored
    run.model.save(tmp_path / "model.keras")                  # a saved model keeps its precision
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert loaded.get_layer("conv1_1").compute_dtype == "bfloat16"
    assert loaded.predict(dataset.x_test[:4], verbose=0).dtype == "float32"


def test_train_examples_trains_on_a_subset(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 1, "train_examples": 64, "batch_size": 32}, "test")
    run = fitting.train("cnn", params, dataset, seed=0, verbose=0)
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
        fitting.train("cnn", params, dataset, seed=0, resume_dir=tmp_path)
    monkeypatch.setattr(keras.Model, "fit", real_fit)

    epochs_run = []
    monkeypatch.setattr(keras.callbacks.CSVLogger, "on_epoch_begin",
                        lambda self, epoch, logs=None: epochs_run.append(epoch), raising=False)
    run = fitting.train("cnn", params, dataset, seed=0, resume_dir=tmp_path)
    assert epochs_run == [2, 3]                               # epochs 0 and 1 were not trained again
    assert run.history["step"] == [1, 2, 3, 4] and len(run.history["loss"]) == 4


def test_augmentation_in_the_pipeline_trains_the_airbench_network_from_uint8():
    spec = experiments.load("cnn-fast", "smoke")
    dataset = data.load("synthetic-images", seed=0, limit=300, test_limit=60, image_size=16)
    params = spec.with_params({"epochs": 3, "learning_rate": 0.2, "lookahead": 0.5}, "test")
    run = fitting.train("airbench", params, dataset, seed=0, augment=spec.augment)
    assert run.history["step"] == [1, 2, 3]
    assert run.metrics["test_accuracy"] > 0.3       # ten classes: chance is 0.1
    again = fitting.train("airbench", params, dataset, seed=0, augment=spec.augment)
    assert again.metrics == run.metrics             # one seed fixes the augmented batches too


def test_an_epoch_is_whole_compiled_calls_of_at_least_one_pass(images_case):
    # 96 examples in batches of 32 are 3 steps; 2 steps per compiled call round the epoch up to 4, not to 2 x 2 + 2.
    spec, dataset = images_case
    params = spec.with_params({"epochs": 2, "train_examples": 96, "batch_size": 32, "steps_per_execution": 2}, "test")
    run = fitting.train("cnn", params, dataset, seed=0, verbose=0)
    assert run.model.optimizer.iterations.numpy() == 8
