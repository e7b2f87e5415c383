"""ts:PATH, a user's own sequences in aeon's .ts format."""

import numpy as np
import pytest

from ann_keras import data
from ann_keras.errors import DataError


def write_ts(path, cases, *, classes=None, equal_length=None, header_extra=""):
    """Write `cases`, a list of (channels list of value lists, label), as a .ts file; return its path."""
    classes = classes or sorted({label for _, label in cases})
    lengths = {len(channel) for channels, _ in cases for channel in channels}
    equal = len(lengths) == 1 if equal_length is None else equal_length
    univariate = all(len(channels) == 1 for channels, _ in cases)
    lines = ["# written by the tests", "@problemName Walks", "@timeStamps false", "@missing false",
             f"@univariate {str(univariate).lower()}", f"@equalLength {str(equal).lower()}",
             f"@classLabel true {' '.join(classes)}", header_extra, "@data"]
    for channels, label in cases:
        lines.append(":".join(",".join(f"{v:.4f}" for v in channel) for channel in channels) + f":{label}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def walks(folder, *, per_class=6, channels=2, unequal=True, seed=0, name="Walks"):
    """Write NAME_TRAIN.ts and NAME_TEST.ts: 'Up' rises, 'Down' falls; lengths vary when `unequal`."""
    rng = np.random.default_rng(seed)

    def cases(count):
        out = []
        for i in range(count):
            label = ("Up", "Down")[i % 2]
            length = int(rng.integers(8, 15)) if unequal else 10
            slope = 1.0 if label == "Up" else -1.0
            series = [list(slope * np.arange(length) + rng.normal(0, 0.1, length) + c) for c in range(channels)]
            out.append((series, label))
        return out

    train = write_ts(folder / f"{name}_TRAIN.ts", cases(2 * per_class), classes=["Up", "Down"])
    write_ts(folder / f"{name}_TEST.ts", cases(per_class), classes=["Up", "Down"])
    return train


def test_a_train_file_or_its_folder_loads_with_its_own_split(tmp_path, seed):
    train = walks(tmp_path / "walks")
    by_file = data.load(f"ts:{train}", seed=seed, validation_size=0.25)
    by_folder = data.load(f"ts:{tmp_path / 'walks'}", seed=seed, validation_size=0.25)
    assert by_file.class_names == ("down", "up")           # aeon lower-cases labels as it reads them
    assert len(by_file.y_train) + len(by_file.y_val) == 12 and len(by_file.y_test) == 6
    assert by_file.input_shape[1] == 2 and 8 <= by_file.input_shape[0] <= 14
    assert np.array_equal(by_file.x_train, by_folder.x_train) and by_file.fingerprint == by_folder.fingerprint
    assert "Walks_TRAIN.ts" in by_file.source


def test_ts_alone_reads_the_data_path(tmp_path, seed):
    train = walks(tmp_path / "w")
    assert data.reads_path("ts") and not data.reads_path(f"ts:{train}")
    loaded = data.load("ts", seed=seed, path=str(train), validation_size=0.25)
    assert loaded.num_classes == 2


def test_unequal_lengths_are_padded_with_the_mask_value_and_univariate_works(tmp_path, seed):
    from ann_keras.data import sequences
    train = walks(tmp_path / "w", channels=1, unequal=True)
    loaded = data.load(f"ts:{train}", seed=seed, validation_size=0.25)
    assert loaded.input_shape[1] == 1
    padded = (loaded.x_train[..., 0] == sequences.MASK_VALUE).sum(axis=1)
    assert padded.max() > padded.min()                          # shorter ones padded at the end


def test_the_fingerprint_follows_the_content(tmp_path):
    import shutil
    train = walks(tmp_path / "a")
    copy = shutil.copytree(tmp_path / "a", tmp_path / "b")
    first = data.fingerprint(f"ts:{train}")
    assert first == data.fingerprint(f"ts:{copy}")
    test_file = copy / "Walks_TEST.ts"
    test_file.write_text(test_file.read_text().replace("0.", "1.", 1))
    assert data.fingerprint(f"ts:{copy}") != first


def broken_header(folder):
    train = walks(folder)
    train.write_text(train.read_text().replace("@data", "@data extra"))
    return train


def no_labels(folder):
    train = walks(folder)
    text = train.read_text().replace("@classLabel true Up Down", "@classLabel false")
    train.write_text(text.replace(":Up\n", "\n").replace(":Down\n", "\n"))
    return train


def missing_values(folder):
    train = walks(folder)
    lines = train.read_text().splitlines()
    lines[-1] = "?" + lines[-1][lines[-1].index(","):]
    train.write_text("\n".join(lines) + "\n")
    return train


def binary_garbage(folder):
    train = walks(folder)
    train.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 50)
    return train


def unseen_test_class(folder):
    train = walks(folder)
    test = folder / "Walks_TEST.ts"
    text = test.read_text().replace("@classLabel true Up Down", "@classLabel true Up Down Sideways")
    test.write_text(text.rstrip("\n").rsplit("\n", 1)[0] + "\n1.0,2.0:1.0,2.0:Sideways\n")
    return train


def other_channels(folder):
    train = walks(folder, channels=2)
    write_ts(folder / "Walks_TEST.ts", [([[1.0, 2.0, 3.0]], "Up"), ([[3.0, 2.0, 1.0]], "Down")])
    return train


def no_test_file(folder):
    train = walks(folder)
    (folder / "Walks_TEST.ts").unlink()
    return train


def wrong_name(folder):
    train = walks(folder)
    return train.rename(folder / "walks.txt")


def two_train_files(folder):
    walks(folder)
    walks(folder, name="Other")
    return folder


def empty_folder(folder):
    folder.mkdir()
    return folder


def undeclared_label(folder):
    train = walks(folder)
    train.write_text(train.read_text().replace(":Down\n", ":Dwon\n", 1))
    return train


def lying_equal_length(folder):
    """@equalLength true, but the last case is longer than the first."""
    train = walks(folder, unequal=False, channels=1)
    lines = train.read_text().splitlines()
    lines[-1] = ",".join(["1.0"] * 12) + lines[-1][lines[-1].index(":"):]
    train.write_text("\n".join(lines) + "\n")
    return train


@pytest.mark.parametrize("make, message", [
    (broken_header, "not a readable .ts file (data tag should not have an associated value)"),
    (no_labels, "has no class labels"),
    (missing_values, "has missing or infinite values"),
    (binary_garbage, "not a readable .ts file"),
    (unseen_test_class, "class(es) sideways appear in Walks_TEST.ts but never in Walks_TRAIN.ts"),
    (other_channels, "2 channel(s) in Walks_TRAIN.ts but 1 in Walks_TEST.ts"),
    (no_test_file, "its test split Walks_TEST.ts is not beside it"),
    (wrong_name, "the name must end in _TRAIN.ts"),
    (two_train_files, "found Other_TRAIN.ts, Walks_TRAIN.ts"),
    (empty_folder, "found none"),
    (undeclared_label, "case 2 has the label 'dwon', which @classLabel does not declare; valid: down, up"),
    (lying_equal_length, "not a readable .ts file"),
])
def test_bad_files_are_one_clear_data_error(tmp_path, seed, make, message):
    path = make(tmp_path / "w")
    with pytest.raises(DataError) as error:
        data.load(f"ts:{path}", seed=seed)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_declared_length_of_a_billion_steps_costs_nothing_the_data_does_not_hold(tmp_path, seed):
    train = walks(tmp_path / "w", unequal=False)
    for file in (train, tmp_path / "w" / "Walks_TEST.ts"):
        file.write_text(file.read_text().replace("@data", "@seriesLength 1000000000\n@data"))
    assert data.load(f"ts:{train}", seed=seed).x_train.shape[1] == 10   # the steps the cases hold


@pytest.mark.parametrize("line, message", [
    ("0," * 1_100_000 + "0:up", r"line \d+ holds more than 1,000,000 values"),
    (("0," * 99_999 + "0:up\n") * 210, "holds more than 20,000,000 values"),
])
def test_a_case_or_a_file_of_more_values_than_the_reader_can_hold_is_refused_before_parsing(tmp_path, seed, line,
                                                                                            message):
    train = walks(tmp_path / "w")
    train.write_text(train.read_text() + line + "\n")
    with pytest.raises(DataError, match=message):
        data.load(f"ts:{train}", seed=seed)


def test_one_outlier_length_cannot_make_padding_take_all_memory(tmp_path, seed):
    folder = tmp_path / "w"
    cases = [([list(np.zeros(10))], ("a", "b")[i % 2]) for i in range(400)]
    cases[0] = ([list(np.zeros(300_000))], "a")
    write_ts(folder / "Long_TRAIN.ts", cases, equal_length=False)
    write_ts(folder / "Long_TEST.ts", cases[1:5], equal_length=False)
    with pytest.raises(DataError, match=r"sequences from 10 to 300000 time steps \(median 10\): padding all 404"):
        data.load(f"ts:{folder}", seed=seed)
