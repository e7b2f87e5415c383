"""CIFAR-10: a local copy read by path, else Keras's download (faked here: nothing downloads in tests)."""

import numpy as np
import pytest

from ann_keras import data
from ann_keras.errors import DataError


def test_cifar10_without_a_path_uses_keras_download(monkeypatch, seed):
    import keras
    rng = np.random.default_rng(0)
    fake = ((rng.integers(0, 256, (100, 32, 32, 3), dtype=np.uint8), np.arange(100).reshape(-1, 1) % 10),
            (rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8), np.arange(20).reshape(-1, 1) % 10))
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: fake)
    d = data.load("cifar10", seed=seed, validation_size=0.1)
    assert d.class_names[3] == "cat" and d.input_shape == (32, 32, 3)
    assert d.x_train.dtype == np.uint8 and len(d.y_test) == 20
    assert "keras.datasets.cifar10" in d.source


def test_cifar10_download_failure_says_how_to_use_a_local_copy(monkeypatch, seed):
    import keras

    def offline():
        raise OSError("network is unreachable")
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    with pytest.raises(DataError, match="cannot download CIFAR-10 .* give a local copy with --data PATH"):
        data.load("cifar10", seed=seed)
