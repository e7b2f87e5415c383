import numpy as np
import pytest

from ann_keras.data import sequences
from ann_keras.errors import DataError


def test_prepare_standardises_on_train_and_pads_with_the_mask_value():
    train = [np.array([[1.0, 10.0], [3.0, 30.0]]), np.array([[5.0, 50.0]])]
    test = [np.array([[3.0, 30.0], [3.0, 30.0], [3.0, 30.0]])]
    x_train, x_test = sequences.prepare(train, test)
    assert x_train.shape == (2, 3, 2) and x_test.shape == (1, 3, 2) and x_train.dtype == np.float32
    real = x_train[x_train[..., 0] != sequences.MASK_VALUE]
    assert np.allclose(real.mean(axis=0), 0) and np.allclose(real.std(axis=0), 1)
    assert (x_train[1, 1:] == sequences.MASK_VALUE).all()          # padded at the end
    assert np.allclose(x_test[0], 0)                               # train's mean, not test's


def test_constant_channels_do_not_divide_by_zero():
    x_train, _ = sequences.prepare([np.ones((4, 1))], [np.ones((2, 1))])
    assert np.isfinite(x_train[x_train != sequences.MASK_VALUE]).all()


def test_shipped_classification_sets_include_the_headline_one():
    shipped = sequences.shipped_classification()
    assert {"JapaneseVowels", "BasicMotions", "GunPoint"} <= set(shipped)
    assert "Airline" not in shipped                                 # a forecasting series, not classification


def test_japanese_vowels_has_its_own_split_and_variable_lengths():
    x_train, y_train, x_test, y_test, names, source = sequences.load_aeon("JapaneseVowels")
    assert (len(x_train), len(x_test)) == (270, 370)
    assert names == tuple(str(i) for i in range(1, 10))
    lengths = {len(s) for s in x_train + x_test}
    assert min(lengths) == 7 and max(lengths) == 29
    assert x_train[0].shape[1] == 12 and "shipped inside the aeon package" in source


def test_unknown_aeon_name_lists_the_shipped_ones():
    with pytest.raises(DataError, match=r"unknown aeon data set 'Vowels'; valid choices \(shipped with aeon\): .*"
                                        r"JapaneseVowels"):
        sequences.load_aeon("Vowels")
