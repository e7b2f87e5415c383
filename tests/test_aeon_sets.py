"""aeon:NAME, the classification sets shipped inside the aeon wheel."""

import pytest

from ann_keras import data
from ann_keras.data import aeon_sets
from ann_keras.errors import DataError


def test_any_shipped_aeon_set_loads_by_name_with_its_own_split(seed):
    d = data.load("aeon:BasicMotions", seed=seed, validation_size=0.25)
    assert d.input_shape == (100, 6)
    assert len(d.y_train) + len(d.y_val) == 40 and len(d.y_test) == 40
    assert d.class_names == ("badminton", "running", "standing", "walking")


def test_unknown_aeon_set_is_refused(seed):
    with pytest.raises(DataError, match="unknown aeon data set 'Nope'"):
        data.load("aeon:Nope", seed=seed)


def test_shipped_classification_sets_include_the_headline_one():
    shipped = aeon_sets.shipped_classification()
    assert {"JapaneseVowels", "BasicMotions", "GunPoint"} <= set(shipped)
    assert "Airline" not in shipped                                 # a forecasting series, not classification


def test_japanese_vowels_has_its_own_split_and_variable_lengths():
    x_train, y_train, x_test, y_test, names, source = aeon_sets.load_aeon("JapaneseVowels")
    assert (len(x_train), len(x_test)) == (270, 370)
    assert names == tuple(str(i) for i in range(1, 10))
    lengths = {len(s) for s in x_train + x_test}
    assert min(lengths) == 7 and max(lengths) == 29
    assert x_train[0].shape[1] == 12 and "shipped inside the aeon package" in source


def test_unknown_aeon_name_lists_the_shipped_ones():
    with pytest.raises(DataError, match=r"unknown aeon data set 'Vowels'; valid choices \(shipped with aeon\): .*"
                                        r"JapaneseVowels"):
        aeon_sets.load_aeon("Vowels")


def test_a_name_is_required():
    with pytest.raises(DataError, match="data set 'aeon' needs a name: aeon:NAME, e.g. aeon:BasicMotions"):
        data.load("aeon", seed=0)
