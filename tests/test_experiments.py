from pathlib import Path

import pytest

from ann_keras import experiments
from ann_keras.errors import SpecError


def test_data_given_on_the_command_line_is_absolute_and_kept_for_the_reproduce_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = experiments.load("cnn", "smoke", data_path="copy.tar.gz")
    assert spec.data["path"] == spec.data_option == str(tmp_path / "copy.tar.gz")
    # The same data however the path was written: the same run folder.
    assert spec.digest() == experiments.load("cnn", "smoke", data_path=str(tmp_path / "copy.tar.gz")).digest()


def test_a_path_from_the_environment_applies_only_to_its_data_set_and_never_over_the_spec(tmp_path):
    fallbacks = {"cifar10": str(tmp_path / "cifar")}
    assert experiments.load("cnn", "cpu", data_fallbacks=fallbacks).data["path"] == str(tmp_path / "cifar")
    assert experiments.load("ann", data_fallbacks=fallbacks).data["path"] == ""
    assert experiments.load("cnn", "cpu", ("data.path='mine'",), data_fallbacks=fallbacks).data["path"] == "mine"


def test_data_given_twice_is_refused_naming_both():
    with pytest.raises(SpecError, match=r"--data x: the spec already reads \[data\] path = 'mine'"):
        experiments.load("cnn", "smoke", ("data.path='mine'",), data_path="x")


def test_the_catalog_holds_every_family_and_the_augmentation_table():
    assert set(experiments.CATALOG.families) == {"mlp", "cnn", "resnet", "rnn"}
    assert "horizontal_flip" in experiments.CATALOG.augment
    assert Path(experiments.load("ann").path).name == "ann.toml"
