import numpy as np
import pytest

from ann_keras import data
from ann_keras.errors import DataError


def test_digits_split_80_20_then_validation_from_train(seed):
    d = data.load("digits", seed=seed, test_size=0.2, validation_size=0.2)
    assert len(d.y_test) == 360
    assert len(d.y_train) + len(d.y_val) == 1797 - 360
    assert len(d.y_val) == pytest.approx(0.2 * (1797 - 360), abs=1)
    assert d.input_shape == (64,) and d.num_classes == 10
    assert d.x_train.dtype == np.float32
    assert d.x_train.max() == 16.0          # the raw pixel range is kept on purpose


def test_same_seed_same_split_other_seed_other_split(seed):
    a, b = data.load("digits", seed=seed), data.load("digits", seed=seed)
    c = data.load("digits", seed=seed + 1)
    assert np.array_equal(a.y_test, b.y_test) and np.array_equal(a.x_val, b.x_val)
    assert not np.array_equal(a.x_test, c.x_test)


def test_splits_are_stratified(seed):
    d = data.load("digits", seed=seed)
    counts = np.bincount(d.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37


def test_limit_keeps_a_stratified_subset(seed):
    d = data.load("digits", seed=seed, limit=300)
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == 300
    assert set(d.y_test) == set(range(10))


def test_describe_reports_sizes_and_source(seed):
    info = data.load("digits", seed=seed).describe()
    assert info["sizes"]["test"] == 360
    assert "scikit-learn" in info["source"]
    assert info["class_names"] == [str(i) for i in range(10)]


def test_unknown_data_set_lists_the_valid_ones(seed):
    with pytest.raises(DataError, match="unknown data set 'mnist'; valid choices: digits"):
        data.load("mnist", seed=seed)
