import numpy as np
import pytest

from ann_keras import data
from ann_keras.errors import DataError
from ann_keras.specs.fields import DATA_DEFAULTS, DATA_FIELDS


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


def test_limits_keep_stratified_subsets(seed):
    d = data.load("digits", seed=seed, limit=240, test_limit=60)
    assert len(d.y_train) + len(d.y_val) == 240 and len(d.y_test) == 60
    assert set(d.y_test) == set(range(10)) and set(d.y_val) == set(range(10))


def test_describe_reports_sizes_and_source(seed):
    info = data.load("digits", seed=seed).describe()
    assert info["sizes"]["test"] == 360
    assert "scikit-learn" in info["source"]
    assert info["class_names"] == [str(i) for i in range(10)]


def test_unknown_data_set_lists_the_valid_ones(seed):
    with pytest.raises(DataError, match="unknown data set 'mnist'; valid choices: aeon:NAME, cifar10, digits, "
                                        "digits-seq, images:PATH"):
        data.load("mnist", seed=seed)


# ---------------------------------------------------------------- data a classifier cannot use


def test_a_single_class_is_refused(tmp_path, monkeypatch, seed):
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    tree = make_tree(tmp_path / "tree", classes=("cat",), per_class=10)
    with pytest.raises(DataError, match="1 class \\(cat\\); classification needs at least 2"):
        data.load(f"images:{tree}", seed=seed, image_size=8)


def test_a_class_with_one_training_image_is_named(tmp_path, monkeypatch, seed):
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    tree = make_tree(tmp_path / "tree", per_class=10)
    for extra in sorted((tree / "train" / "dog").iterdir())[1:]:
        extra.unlink()
    with pytest.raises(DataError, match="class 'dog' has 1 training example\\(s\\); each class needs at least 2"):
        data.load(f"images:{tree}", seed=seed, image_size=8)


def test_limits_too_small_for_a_stratified_split_are_one_line(seed):
    with pytest.raises(DataError, match="cannot split .* with \\[data\\] limit=5"):
        data.load("digits", seed=seed, limit=5)


def test_which_data_sets_read_a_path():
    assert data.reads_path("cifar10") and data.reads_path("images")
    assert not data.reads_path("digits") and not data.reads_path("synthetic-images")
    # aeon:NAME names a set shipped with aeon; a path after a colon is already the path.
    assert not data.reads_path("images:/some/tree") and not data.reads_path("aeon:BasicMotions")


# ---------------------------------------------------------------- the registry


def test_every_source_declares_itself_once():
    keys = [source.key for source in data.SOURCES]
    assert len(keys) == len(set(keys))
    for source in data.SOURCES:
        assert source.kind in data.KINDS and source.summary and callable(source.read)
        assert set(source.options) <= set(DATA_FIELDS), source.pattern
        assert not source.argument or source.example.startswith(f"{source.key}:") or source.reads_path


def test_a_name_with_an_argument_its_source_does_not_take_is_refused():
    with pytest.raises(DataError, match="data set 'digits:3': digits takes nothing after a colon"):
        data.find("digits:3")


def test_images_without_a_path_says_how_to_give_one(seed):
    with pytest.raises(DataError, match="data set 'images' needs a path: images:PATH, or images with --data PATH"):
        data.load("images", seed=seed)


def test_the_environment_stands_in_for_data_where_a_source_declares_it():
    assert data.path_fallbacks({"ANN_KERAS_CIFAR10": "/copies/cifar"}) == {"cifar10": "/copies/cifar"}
    assert data.path_fallbacks({}) == {}


def test_options_left_out_take_the_defaults_a_spec_gets(seed):
    assert np.array_equal(data.load("digits", seed=seed).y_test,
                          data.load("digits", seed=seed, **DATA_DEFAULTS).y_test)
    with pytest.raises(TypeError, match="unknown options \\['image_sise'\\]"):
        data.load("digits", seed=seed, image_sise=8)


def test_data_without_files_of_its_own_has_no_fingerprint(seed):
    assert data.fingerprint("digits") is None and data.load("digits", seed=seed).fingerprint is None


def test_a_small_set_with_many_classes_gets_one_validation_example_per_class():
    from ann_keras.data import _validation_count
    assert _validation_count(50, 10, 0.1) == 10    # 5 would leave classes out of a stratified split
    assert _validation_count(270, 9, 0.1) == 27    # the fraction where it is enough
    assert _validation_count(12, 10, 0.1) == 2     # too few to give every class one: the split says so
