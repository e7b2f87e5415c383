import re
from pathlib import Path

import pytest

from ann_keras import experiments
from ann_keras.errors import DataError, SpecError


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
    assert set(experiments.CATALOG.families) == {"mlp", "cnn", "airbench", "rnn"}
    assert "horizontal_flip" in experiments.CATALOG.augment
    assert Path(experiments.load("ann").path).name == "ann.toml"


# ---------------------------------------------------------------- --dataset


def test_another_data_set_gets_its_own_page_and_none_of_the_papers_numbers():
    spec = experiments.load("rnn", dataset="aeon:BasicMotions")
    assert spec.dataset == spec.dataset_option == "aeon:BasicMotions"
    assert spec.report_name == "rnn-aeon-BasicMotions"
    assert spec.title.endswith(", on aeon:BasicMotions instead of aeon:JapaneseVowels")
    # The paper's numbers were measured on the spec's data; published references name their own data set.
    assert spec.paper["runs"] == [] and spec.paper["final"] == {} and spec.paper["per_class_accuracy"] == {}
    assert spec.paper["references"] == experiments.load("rnn").paper["references"]
    assert spec.digest() != experiments.load("rnn").digest()


def test_the_profiles_own_data_set_changes_nothing():
    own = experiments.load("cnn", "cpu")
    same = experiments.load("cnn", "cpu", dataset="cifar10")
    assert same.to_dict() == own.to_dict() and same.digest() == own.digest() and same.dataset_option == ""


def test_a_user_folder_is_named_by_its_last_part():
    spec = experiments.load("cnn", "smoke", dataset="images:/home/me/pictures/flowers/")
    assert spec.report_name.endswith("-images-flowers")
    assert spec.title.endswith(", on images:flowers instead of synthetic-images")


@pytest.mark.parametrize("experiment, dataset, message", [
    ("rnn", "images:/tmp/x", "the rnn model needs sequences (time steps, channels), but data set 'images:/tmp/x' "
                             "gives images (height, width, channels); valid choices: aeon:NAME, digits-seq"),
    ("cnn", "aeon:BasicMotions", "the cnn model needs images (height, width, channels), but data set "
                                 "'aeon:BasicMotions' gives sequences"),
    ("cnn", "mnist", "unknown data set 'mnist'; valid choices: aeon:NAME, cifar10"),
])
def test_a_data_set_the_model_cannot_read_is_refused_when_the_spec_is_read(experiment, dataset, message):
    with pytest.raises(DataError, match=re.escape(message)):
        experiments.load(experiment, dataset=dataset)


def test_the_multilayer_perceptron_reads_any_kind():
    assert experiments.load("ann", dataset="digits-seq").dataset == "digits-seq"
