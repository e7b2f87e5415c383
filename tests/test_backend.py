"""backend.py: the backend is chosen once, from --backend, KERAS_BACKEND or the default, with one-line refusals."""

import keras
import numpy as np
import pytest

from ann_keras import backend
from ann_keras.errors import AnnKerasError


def test_the_flag_wins_over_the_environment_and_is_passed_on_to_workers():
    environ = {"KERAS_BACKEND": "jax"}
    running = keras.config.backend()
    assert backend.choose(running, environ) == running
    assert environ["KERAS_BACKEND"] == running


def test_the_environment_is_respected_and_the_default_is_an_installed_backend():
    running = keras.config.backend()
    assert backend.choose(None, {"KERAS_BACKEND": running}) == running
    assert backend.default() in backend.BACKENDS and backend.installed(backend.default())


def test_an_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(AnnKerasError, match=r"--backend 'theano': valid choices: tensorflow, jax, torch"):
        backend.choose("theano", {})
    with pytest.raises(AnnKerasError, match=r"KERAS_BACKEND 'mxnet': valid choices"):
        backend.choose(None, {"KERAS_BACKEND": "mxnet"})


def test_a_backend_not_installed_names_the_extra_that_installs_it(monkeypatch):
    monkeypatch.setattr(backend, "installed", lambda name: name != "torch")
    with pytest.raises(AnnKerasError, match=r"--backend 'torch' is not installed \(pip install 'ann-keras\[torch\]'\)"):
        backend.choose("torch", {})


def test_keras_cannot_switch_backends_once_started():
    other = next(name for name in backend.BACKENDS if name != keras.config.backend() and backend.installed(name))
    with pytest.raises(AnnKerasError, match=rf"'{other}': Keras already started on {keras.config.backend()}"):
        backend.choose(other, {})


def test_set_seed_fixes_keras_and_numpy_draws():
    backend.set_seed(5)
    first = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    backend.set_seed(5)
    second = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_fast_paths_are_tensorflows_and_switch_off_together(monkeypatch):
    assert backend.fast_paths() == backend.is_tensorflow()
    monkeypatch.setenv(backend.FAST_PATHS_ENV, "0")
    assert not backend.fast_paths()
