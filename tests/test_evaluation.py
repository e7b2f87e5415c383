"""training/evaluation.py: test-time augmentation averages the scores it should."""

import numpy as np
import pytest

from ann_keras.training import evaluation, fitting, optimizers


def test_tta_translate_adds_half_the_mean_over_two_mirror_padded_shifts(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 1, "tta_flip": True, "tta_translate": 1}, "test")
    run = fitting.train("cnn", params, dataset, seed=0)
    x = dataset.x_test

    def mirrored(images):
        return (run.model.predict(images, verbose=0) + run.model.predict(images[:, :, ::-1], verbose=0)) / 2

    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    shifted = (mirrored(padded[:, :-2, :-2]) + mirrored(padded[:, 2:, 2:])) / 2
    assert evaluation.predict(run.model, x, params) == pytest.approx((mirrored(x) + shifted) / 2, abs=1e-6)


def test_label_smoothing_uses_one_hot_targets_and_tta_averages_mirror_images(images_case):
    spec, dataset = images_case
    params = spec.with_params({"epochs": 1, "label_smoothing": 0.2, "tta_flip": True, "schedule": "onecycle",
                               "optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.0005,
                               "steps_per_execution": 4}, "test")
    assert optimizers.targets(np.array([1]), params, 3).tolist() == [[0, 1, 0]]
    run = fitting.train("cnn", params, dataset, seed=0)
    mirrored = dataset.x_test[:, :, ::-1]
    plain = run.model.predict(dataset.x_test, verbose=0)
    averaged = (plain + run.model.predict(mirrored, verbose=0)) / 2
    assert evaluation.predict(run.model, dataset.x_test, params) == pytest.approx(averaged, abs=1e-6)
