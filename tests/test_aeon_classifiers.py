"""aeon's classifiers measured beside ours: the spec's [baselines]."""

import numpy as np
import pytest

from ann_keras import data, experiments
from ann_keras.data.sequences import MASK_VALUE
from ann_keras.errors import SpecError
from ann_keras.models import aeon_classifiers


def test_padding_becomes_zeros_channels_come_first_and_short_sequences_reach_nine_steps():
    x = np.full((2, 5, 3), MASK_VALUE, dtype=np.float32)
    x[0, :5] = 1.0
    x[1, :2] = 2.0
    converted = aeon_classifiers.as_aeon(x)
    assert converted.shape == (2, 3, 9) and converted.dtype == np.float32
    assert (converted[0, :, :5] == 1).all() and (converted[0, :, 5:] == 0).all()
    assert (converted[1, :, :2] == 2).all() and (converted[1, :, 2:] == 0).all()


@pytest.fixture(scope="module")
def sequences():
    return data.load("digits-seq", seed=0, limit=200, test_limit=100)


def test_minirocket_trains_and_tests_on_our_splits(sequences, tmp_path):
    record = aeon_classifiers.fit_and_test("minirocket", {"n_kernels": 84}, sequences, 3, tmp_path / "b")
    assert record["seed"] == 3 and len(record["y_pred"]) == len(sequences.y_test)
    assert record["test_accuracy"] > 0.5          # ten digits: chance is 0.1
    assert record["duration_s"] > 0 and record["predict_s"] >= 0
    again = aeon_classifiers.fit_and_test("minirocket", {"n_kernels": 84}, sequences, 3, tmp_path / "b")
    assert again["y_pred"] == record["y_pred"]    # the seed fixes its kernels


@pytest.mark.tensorflow   # aeon's FCN is a tf.keras network
def test_a_deep_classifier_writes_only_inside_the_folder_it_is_given(sequences, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "run" / "baselines"
    record = aeon_classifiers.fit_and_test("fcn", {"n_epochs": 2, "batch_size": 64}, sequences, 0, folder)
    assert 0 <= record["test_accuracy"] <= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert list(folder.iterdir()) == []           # its checkpoint was removed with its scratch folder


def test_the_spec_names_classifiers_and_their_options_only_from_the_registry():
    spec = experiments.load("rnn", "smoke", ())
    assert set(spec.baselines) <= set(aeon_classifiers.CLASSIFIERS)
    with pytest.raises(SpecError, match=r"\[baselines\]: unknown classifier 'rocket'; valid choices: fcn, "
                                        r"inceptiontime, minirocket, multirocket-hydra"):
        experiments.resolve(_with_baselines({"rocket": {}}), "x.toml", "smoke")
    with pytest.raises(SpecError, match=r"\[baselines\] fcn: unknown key 'file_path'"):
        experiments.resolve(_with_baselines({"fcn": {"file_path": "/etc/"}}), "x.toml", "smoke")
    with pytest.raises(SpecError, match=r"n_kernels: 0 is out of range"):
        experiments.resolve(_with_baselines({"minirocket": {"n_kernels": 0}}), "x.toml", "smoke")
    spec = experiments.resolve(_with_baselines({"minirocket": {}, "fcn": False}), "x.toml", "smoke")
    assert spec.baselines == {"minirocket": {"n_kernels": 10_000}}
    # From the command line: leave one out, or add one with its options.
    assert set(experiments.load("rnn", "vowels", ("baselines.fcn=false",)).baselines) == {"minirocket"}
    added = experiments.load("rnn", "vowels", ("baselines.multirocket-hydra={n_groups=8}",)).baselines
    assert added["multirocket-hydra"] == {"n_kernels": 8, "n_groups": 8}


def _with_baselines(table):
    import tomllib
    from conftest import ROOT
    raw = tomllib.loads((ROOT / "tuning" / "rnn.toml").read_text())
    raw["baselines"] = table
    for profile in raw["profiles"].values():
        profile.pop("baselines", None)
    return raw
