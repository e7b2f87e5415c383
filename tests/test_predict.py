"""`ann-keras predict`: a trained model's top classes for a user's own files, prepared exactly as in training."""

import json
import shutil
import struct
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ann_keras import data, results
from ann_keras.cli import cli
from ann_keras.deploy import predict as predicting
from ann_keras.deploy import trained as trained_models
from ann_keras.deploy.trained import ModelError, locate


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def split_and_expected(run_dir):
    """The run's test split and its model's probabilities for it, as training computed them."""
    result = results.load(run_dir)
    dataset = data.load(result.spec["dataset"], seed=result.seed, **result.spec["data"])
    model = locate(run_dir).load_model()
    return dataset, model.predict(dataset.x_test, verbose=0)


def test_images_of_any_size_and_mode_are_prepared_as_in_training(trained_runs, tmp_path):
    run_dir = trained_runs["images"]
    dataset, expected = split_and_expected(run_dir)
    exact = tmp_path / "exact.png"
    Image.fromarray(dataset.x_test[0]).save(exact)   # lossless: the same pixels the model was tested on
    big = tmp_path / "big photo.jpg"
    Image.fromarray(dataset.x_test[1]).resize((64, 48)).save(big)
    grey = tmp_path / "grey.png"
    Image.fromarray(dataset.x_test[2]).convert("LA").save(grey)
    predictions, skipped = predicting.predict(run_dir, [exact, big, grey], top=len(dataset.class_names))
    assert skipped == [] and [p.input for p in predictions] == [str(exact), str(big), str(grey)]
    first = dict(predictions[0].top)
    assert set(first) == set(dataset.class_names)
    assert [first[name] for name in dataset.class_names] == pytest.approx(expected[0], abs=1e-5)
    assert all(sum(p for _, p in prediction.top) == pytest.approx(1, abs=1e-4) for prediction in predictions)


def test_sequences_from_ts_and_csv_files_are_standardised_as_in_training(trained_runs, tmp_path):
    from ann_keras.data.aeon_sets import load_aeon
    run_dir = trained_runs["sequences"]
    dataset, expected = split_and_expected(run_dir)
    _, _, raw_test, _, _, _ = load_aeon("BasicMotions")
    ts_file = tmp_path / "mine.ts"   # no class labels: what a user has to classify
    lines = ["@problemName mine", "@timeStamps false", "@missing false", "@univariate false", "@equalLength true",
             "@classLabel false", "@data"]
    lines += [":".join(",".join(f"{v:.9g}" for v in channel) for channel in case.T) for case in raw_test[:3]]
    ts_file.write_text("\n".join(lines) + "\n")
    csv_file = tmp_path / "one.csv"
    # Step by step, each step's channels together.
    csv_file.write_text(",".join(f"{v:.9g}" for v in raw_test[3].reshape(-1)) + "\n")
    predictions, skipped = predicting.predict(run_dir, [ts_file, csv_file], top=4)
    assert skipped == []
    assert [p.input for p in predictions] == [f"{ts_file}#1", f"{ts_file}#2", f"{ts_file}#3", str(csv_file)]
    for index, prediction in enumerate(predictions):
        probabilities = dict(prediction.top)
        assert [probabilities[n] for n in dataset.class_names] == pytest.approx(expected[index], abs=1e-4)


def test_digits_as_eight_rows_of_eight_values(trained_runs, tmp_path):
    run_dir = trained_runs["vectors"]
    dataset, expected = split_and_expected(run_dir)
    digit = tmp_path / "digit.txt"
    digit.write_text("\n".join(" ".join(f"{v:g}" for v in row) for row in dataset.x_test[0].reshape(8, 8)))
    [prediction], skipped = predicting.predict(run_dir, [digit], top=10)
    probabilities = dict(prediction.top)
    assert [probabilities[n] for n in dataset.class_names] == pytest.approx(expected[0], abs=1e-5)


def test_unreadable_inputs_are_skipped_one_line_each_and_hostile_names_stay_on_one_line(trained_runs, tmp_path):
    run_dir = trained_runs["images"]
    good = tmp_path / "ok.png"
    Image.new("RGB", (5, 9), "red").save(good)
    garbage = tmp_path / "photo.png"
    garbage.write_bytes(b"\x89PNG not really" * 10)
    hostile = tmp_path / "evil\nname\x1b[31m.png"
    hostile.write_bytes(b"nothing")
    folder = tmp_path / "a folder"
    folder.mkdir()
    result = invoke("predict", run_dir, good, garbage, hostile, folder, tmp_path / "missing.png", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert [p["input"] for p in document["predictions"]] == [str(good)]
    assert len(document["predictions"][0]["top"]) == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("ann-keras: skipped ") for line in lines)
    assert "not a readable image" in lines[0] and "evil\\nname\\x1b[31m.png" in lines[1]
    assert "not a file" in lines[2] and "cannot be read" in lines[3]


def test_no_readable_input_is_exit_code_2_naming_what_is_valid(trained_runs, tmp_path):
    bad = tmp_path / "x.png"
    bad.write_text("text")
    result = invoke("predict", trained_runs["images"], bad)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("ann-keras: error: none of the 1 input(s) could be read")


def test_sequences_of_the_wrong_shape_or_file_type_are_skipped(trained_runs, tmp_path):
    run_dir = trained_runs["sequences"]
    wrong_channels = tmp_path / "five.csv"
    wrong_channels.write_text("1,2,3,4,5\n")
    too_long = tmp_path / "long.csv"
    too_long.write_text(",".join(["0.5"] * 6 * 5000) + "\n")
    words = tmp_path / "words.csv"
    words.write_text("a,b,c,d,e,f\n")
    image = tmp_path / "x.png"
    image.write_bytes(b"")
    predictions, skipped = predicting.predict(run_dir, [wrong_channels, too_long, words, image])
    assert predictions == []
    assert "not a multiple of the model's 6 channels" in skipped[0]
    assert "row 1 has more than 100 time steps (600 values of 6 channel(s)); the model reads 1 to 100" in skipped[1]
    assert "not a number" in skipped[2] and "not a sequence file" in skipped[3]


def test_a_model_file_alone_classifies_images_and_names_classes_by_number(trained_runs, tmp_path):
    model_file = trained_runs["images"] / "final" / "model.keras"
    alone = tmp_path / "model.keras"
    alone.write_bytes(model_file.read_bytes())
    image = tmp_path / "x.png"
    Image.new("RGB", (16, 16), "blue").save(image)
    [prediction], _ = predicting.predict(alone, [image], top=2)
    assert all(name.startswith("class ") for name, _ in prediction.top)


def test_sequences_need_the_run_folder_for_their_scaling(trained_runs, tmp_path):
    alone = tmp_path / "model.keras"
    alone.write_bytes((trained_runs["sequences"] / "final" / "model.keras").read_bytes())
    csv_file = tmp_path / "s.csv"
    csv_file.write_text(",".join(["0.1"] * 12) + "\n")
    _, skipped = predicting.predict(alone, [csv_file])
    assert "the model's run folder (results.json) is needed" in skipped[0]


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "not a Keras model ann-keras can load"),
    (None, "not a .keras file"),
])
def test_a_broken_or_foreign_model_is_one_line(tmp_path, content, message):
    path = tmp_path / ("model.keras" if content is not None else "model.h5")
    path.write_bytes(content or b"")
    with pytest.raises(ModelError, match=message):
        locate(path).load_model()
    result = invoke("predict", path, path)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- a .keras file that inflates to gigabytes


def zip_of(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def declaring(path, member, size):
    """Rewrite the zip's central directory so that `member` declares `size` inflated bytes, as a real bomb's does."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02")                                     # a central directory entry
    while raw[at + 46:at + 46 + struct.unpack("<H", raw[at + 28:at + 30])[0]] != member.encode():
        at = raw.index(b"PK\x01\x02", at + 4)
    raw[at + 24:at + 28] = struct.pack("<I", size)                      # its uncompressed size
    path.write_bytes(bytes(raw))
    return path


def test_a_keras_file_whose_config_inflates_to_gigabytes_is_refused_before_keras_opens_it(tmp_path, monkeypatch):
    members = {"metadata.json": b"{}", "config.json": b" " * 1000, "model.weights.h5": bytes(100)}
    # What the red team's 1.6 MB file declared: 1.5 GiB.
    bomb = declaring(zip_of(tmp_path / "model.keras", members), "config.json", 1536 << 20)
    # No member is read, by ann-keras or by Keras: the refusal comes from the declared sizes alone.
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was opened"))
    with pytest.raises(ModelError, match=r"model.keras: member config.json inflates to 1.5 GiB; at most 16 MiB is "
                                         r"read; a decompression bomb\? valid: a model.keras written by"):
        locate(bomb)
    image = tmp_path / "x.png"
    Image.new("RGB", (4, 4)).save(image)
    result = invoke("predict", bomb, image)
    assert result.exit_code == 2 and "inflates to 1.5 GiB" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("limits, members, message", [
    ({"RATIO_FLOOR_BYTES": 10_000}, {"model.weights.h5": bytes(200_000)},
     r"member model.weights.h5 inflates \d+ bytes to 195 KiB, \d+ times; at most 100 times"),
    ({"MAX_INFLATED_BYTES": 50_000}, {f"assets/{i}": np.random.default_rng(i).bytes(20_000) for i in range(3)},
     "its members inflate to more than 48.8 KiB together"),
    ({"MAX_DIRECTORY_BYTES": 1_000}, {f"assets/{i}": b"" for i in range(50)},
     "its zip directory declares 51 members in 2.[0-9]+ KiB; at most 1000 bytes of directory is read"),
])
def test_a_keras_archive_over_any_cap_is_refused(tmp_path, monkeypatch, limits, members, message):
    for name, value in limits.items():
        monkeypatch.setattr(trained_models, name, value)
    path = zip_of(tmp_path / "model.keras", {"config.json": b"{}", **members})
    with pytest.raises(ModelError, match=message):
        locate(path)


def weights_declaring(path, shape, written=None):
    """An HDF5 weights file with one dataset of `shape`: compressed and never written, it stores nearly nothing."""
    import h5py
    with h5py.File(path, "w") as h5:
        if written is None:
            h5.create_dataset("layers/dense/vars/0", shape=shape, dtype="float32", chunks=True, compression="gzip")
        else:
            h5.create_dataset("layers/dense/vars/0", data=written)
    return path.read_bytes()


def test_weights_that_declare_more_than_they_store_are_refused_before_keras_reads_them(tmp_path):
    # 3.7 GiB declared in a few kilobytes: under Keras's own 4 GiB guard, and read in full before a shape check.
    weights = weights_declaring(tmp_path / "w.h5", (1_000_000, 1_000))
    bomb = tmp_path / "model.keras"
    with zipfile.ZipFile(bomb, "w") as archive:   # stored, not deflated, as Keras writes it
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", weights)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ModelError, match=r"member model.weights.h5 declares arrays of more than its own [0-9.]+ KiB"):
        locate(bomb)
    honest = tmp_path / "honest" / "model.keras"
    honest.parent.mkdir()
    with zipfile.ZipFile(honest, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", weights_declaring(tmp_path / "v.h5", None, np.ones((100, 10), "f4")))
    assert locate(honest).model_file == honest


def with_config(source, target, change):
    """Copy the .keras archive `source` to `target` with its config.json passed through `change`."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return target


def dense_layers(config):
    return [layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense"]


def test_a_config_declaring_layers_larger_than_its_weights_is_refused_before_keras_builds_them(tmp_path,
                                                                                               trained_runs):
    def huge(config):
        dense_layers(config)[0]["config"]["units"] = 2**36   # a kernel of 64 inputs x 2**36 units: 16 TiB
        for layer in config["config"]["layers"]:
            layer.pop("build_config", None)   # built from the call instead, on the declared shapes

    bomb = with_config(trained_runs["vectors"] / "final" / "model.keras", tmp_path / "model.keras", huge)
    with pytest.raises(ModelError, match=r"model.keras: its config.json declares layers of [0-9.]+ TiB of weights, "
                                         r"more than its model.weights.h5 holds \([0-9.]+ KiB\)"):
        locate(bomb).load_model()
    digits = tmp_path / "digits.csv"
    digits.write_text(",".join(["0"] * 64) + "\n")
    result = invoke("predict", bomb, digits)
    assert result.exit_code == 2 and "declares layers of" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_weights_a_config_declares_are_counted_exactly_and_nothing_is_left_for_keras_to_allocate(
        trained_runs):
    from keras.src.backend.common import global_state
    pending = list(global_state.get_global_attribute("uninitialized_variables", [], set_to_default=True))
    for run_dir in trained_runs.values():
        declared, stored = trained_models.config_weights(run_dir / "final" / "model.keras")
        model = locate(run_dir).load_model()
        assert declared == sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in model.variables)
        assert 0 < declared <= stored
    assert global_state.get_global_attribute("uninitialized_variables") == pending


def test_a_config_of_too_many_keras_objects_or_none_at_all_is_one_line(tmp_path, trained_runs, monkeypatch):
    source = trained_runs["vectors"] / "final" / "model.keras"
    monkeypatch.setattr(trained_models, "MAX_CONFIG_OBJECTS", 5)
    with pytest.raises(ModelError, match=r"its config.json names more than 5 Keras objects"):
        locate(source).load_model()
    monkeypatch.undo()

    def foreign(config):
        dense_layers(config)[0]["class_name"] = "os.system"

    with pytest.raises(ModelError, match=r"model.keras: not a Keras model ann-keras can load \("):
        locate(with_config(source, tmp_path / "model.keras", foreign)).load_model()


# ---------------------------------------------------------------- a results.json that is another model's


def tampered(run_dir, tmp_path, change):
    """A copy of the run folder whose results.json `change` rewrote."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    path = copy / "results.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return copy


def sequence_csv(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(",".join(f"{v:.3f}" for v in np.sin(np.arange(6 * 40) / 7)) + "\n")
    return path


def scaling_of(document):
    return document["dataset"]["scaling"]


def two_classes(document):
    """Two class names for a model of more, the test labels folded onto them so that the schema still holds."""
    document["dataset"]["class_names"] = ["a", "b"]
    for key in ("y_true", "y_pred", "y_pred_running_bn"):
        if key in document["final"]:
            document["final"][key] = [min(label, 1) for label in document["final"][key]]


@pytest.mark.parametrize("kind, change, message", [
    ("images", two_classes, "names 2 classes, but "),
    ("sequences", lambda d: scaling_of(d).update(mean=[0.0]),
     "dataset.scaling holds 1 mean(s) and 6 std(s); the model reads 6 channel(s)"),
    ("sequences", lambda d: scaling_of(d).update(steps=10**12), "dataset.scaling pads to 1000000000000 steps; the "
                                                                "model reads 100"),
    ("sequences", lambda d: scaling_of(d).update(std=[float("nan")] * 6), "dataset.scaling std holds nan"),
    ("sequences", lambda d: scaling_of(d).update(std=[-1.0] * 6), "dataset.scaling std holds -1.0"),
    ("sequences", lambda d: d["dataset"].pop("scaling"), "holds no dataset.scaling, but "),
    ("sequences", lambda d: d["spec"].update(model="cnn"), "its model family 'cnn' reads images (height, width, "
                                                           "channels), but "),
    ("images", lambda d: d["spec"].update(model="rnn"), "its model family 'rnn' reads sequences (time steps, "
                                                        "channels), but "),
])
def test_a_results_json_that_does_not_describe_its_model_is_one_line(trained_runs, tmp_path, kind, change, message):
    run_dir = tampered(trained_runs[kind], tmp_path, change)
    image = tmp_path / "x.png"
    Image.new("RGB", (4, 4)).save(image)
    result = invoke("predict", run_dir, sequence_csv(tmp_path) if kind == "sequences" else image)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert str(run_dir / "results.json") in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_zero_std_is_read_as_one_as_training_does_not_nan(trained_runs, tmp_path):
    zero = tampered(trained_runs["sequences"], tmp_path / "zero", lambda d: scaling_of(d).update(std=[0.0] * 6))
    one = tampered(trained_runs["sequences"], tmp_path / "one", lambda d: scaling_of(d).update(std=[1.0] * 6))
    csv_file = sequence_csv(tmp_path)
    [with_zero], skipped = predicting.predict(zero, [csv_file], top=4)
    [with_one], _ = predicting.predict(one, [csv_file], top=4)
    assert skipped == [] and with_zero.top == with_one.top
    assert all(np.isfinite(p) for _, p in with_zero.top)


def test_an_image_that_crashes_pillow_is_skipped_and_the_others_are_predicted(trained_runs, tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (5, 9), "red").save(good)
    odd = tmp_path / "odd.dds"   # pixel format flags 0: Pillow raises NotImplementedError
    Image.new("RGB", (6, 4), "blue").save(odd)
    odd.write_bytes(odd.read_bytes()[:80] + bytes(4) + odd.read_bytes()[84:])
    result = invoke("predict", trained_runs["images"], odd, good, "--json")
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert [p["input"] for p in json.loads(result.stdout)["predictions"]] == [str(good)]
    assert result.stderr.strip().splitlines() == [f"ann-keras: skipped {odd}: not a readable image "
                                                  "(NotImplementedError)"]
