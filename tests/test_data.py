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


def test_cifar10_and_images_read_a_local_tree(tmp_path, monkeypatch, seed):
    from test_images import make_tree
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))
    tree = make_tree(tmp_path / "tree", per_class=10)
    from_path = data.load("cifar10", seed=seed, path=str(tree), image_size=8, validation_size=0.2)
    from_name = data.load(f"images:{tree}", seed=seed, image_size=8, validation_size=0.2)
    assert from_path.class_names == from_name.class_names == ("cat", "dog", "ship")
    assert np.array_equal(from_path.x_val, from_name.x_val)
    assert from_path.describe()["skipped"] == {"count": 0, "first": []}


def test_synthetic_images_are_deterministic(seed):
    a = data.load("synthetic-images", seed=seed, limit=100, test_limit=20, image_size=16)
    b = data.load("synthetic-images", seed=seed, limit=100, test_limit=20, image_size=16)
    assert a.x_train.shape[1:] == (16, 16, 3) and np.array_equal(a.x_train, b.x_train)
    assert len(a.y_test) == 20


def test_images_without_a_path_is_unknown(seed):
    with pytest.raises(DataError, match="unknown data set 'images'"):
        data.load("images", seed=seed)


def test_digits_seq_is_eight_steps_of_eight_features(seed):
    d = data.load("digits-seq", seed=seed)
    assert d.input_shape == (8, 8) and d.x_train.dtype == np.float32
    assert len(d.y_test) == 360 and d.num_classes == 10


def test_any_shipped_aeon_set_loads_by_name_with_its_own_split(seed):
    d = data.load("aeon:BasicMotions", seed=seed, validation_size=0.25)
    assert d.input_shape == (100, 6)
    assert len(d.y_train) + len(d.y_val) == 40 and len(d.y_test) == 40
    assert d.class_names == ("badminton", "running", "standing", "walking")


def test_unknown_aeon_set_is_refused(seed):
    with pytest.raises(DataError, match="unknown aeon data set 'Nope'"):
        data.load("aeon:Nope", seed=seed)


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
    assert data.reads_path("cifar10") and data.reads_path("images") and data.reads_path("aeon")
    assert not data.reads_path("digits") and not data.reads_path("synthetic-images")
    assert not data.reads_path("images:/some/tree") and not data.reads_path("aeon:BasicMotions")
