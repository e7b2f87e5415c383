"""A user's own files read for a trained model: bounded, and every unreadable one a line naming it."""

import numpy as np
import pytest
from PIL import Image

from ann_keras.data import sequences
from ann_keras.deploy import inputs

SCALING = {"mean": [1.0, 2.0], "std": [2.0, 4.0], "steps": 5}


def test_images_are_converted_to_the_models_channels_and_size(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGBA", (40, 20), (255, 0, 0, 128)).save(path)
    read = inputs.read([path], "images", (8, 8, 1), None)
    assert read.x.shape == (1, 8, 8, 1) and read.x.dtype == np.uint8 and read.skipped == []


def test_an_image_that_crashes_pillow_is_skipped_in_one_line_and_the_others_are_read(tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (4, 4), "red").save(good)
    odd = tmp_path / "odd.dds"   # pixel format flags 0: Pillow raises NotImplementedError
    Image.new("RGB", (6, 4), "blue").save(odd)
    data = bytearray(odd.read_bytes())
    data[80:84] = bytes(4)
    odd.write_bytes(bytes(data))
    read = inputs.read([odd, good, odd], "images", (8, 8, 3), None)
    assert read.names == [str(good)] and read.x.shape == (1, 8, 8, 3)
    assert read.skipped == [f"{odd}: not a readable image (NotImplementedError)"] * 2


def test_a_csv_row_is_steps_with_their_channels_side_by_side_standardised_and_padded(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("1,2,3,6\n\n5,10\n")
    read = inputs.read([path], "sequences", (5, 2), SCALING)
    assert read.names == [f"{path}#1", f"{path}#2"]
    assert read.x[0, :2].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert (read.x[0, 2:] == sequences.MASK_VALUE).all() and read.x[1, 0].tolist() == [2.0, 2.0]


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_text("1," * 100)
    read = inputs.read([path], "sequences", (5, 2), SCALING)
    assert len(read.x) == 0 and "more than the 0 MiB read per input" in read.skipped[0]


def test_too_many_inputs_stop_with_a_line(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_INPUTS", 2)
    path = tmp_path / "many.csv"
    path.write_text("1,2\n" * 5)
    read = inputs.read([path], "sequences", (5, 2), SCALING)
    assert len(read.x) == 2 and "more than 2 inputs" in read.skipped[0]


@pytest.mark.parametrize("text, message", [
    ("1 2 3", "holds 3 values; the model reads 64"),
    (" ".join(["20"] * 64), "values outside 0..16"),
    ("x " * 64, "not 64 numbers as text"),
])
def test_digits_outside_what_the_model_learnt_are_skipped(tmp_path, text, message):
    path = tmp_path / "d.txt"
    path.write_text(text)
    read = inputs.read([path], "vectors", (64,), None)
    assert message in read.skipped[0]
