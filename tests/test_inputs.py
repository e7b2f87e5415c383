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


@pytest.mark.filterwarnings("error::RuntimeWarning")   # 1e300 overflows float32: no warning on stderr
@pytest.mark.parametrize("text, message", [
    ("1 2 3", "holds 3 values; the model reads 64"),
    ("1e300 " * 64, "values outside 0..16"),
    (" ".join(["20"] * 64), "values outside 0..16"),
    ("x " * 64, "not 64 numbers as text"),
])
def test_digits_outside_what_the_model_learnt_are_skipped(tmp_path, text, message):
    path = tmp_path / "d.txt"
    path.write_text(text)
    read = inputs.read([path], "vectors", (64,), None)
    assert message in read.skipped[0]


# ---------------------------------------------------------------- memory bounded by the model's input, not the file


def parsed_rows(monkeypatch):
    """Count the rows whose values are parsed (inputs._numbers), to show the rest never are."""
    calls = []
    real = inputs._numbers
    monkeypatch.setattr(inputs, "_numbers", lambda cells, where: calls.append(where) or real(cells, where))
    return calls


def no_allocation_over(monkeypatch, limit):
    """Make np.full, np.zeros and np.empty fail for an array over `limit` bytes: it must never be asked for."""
    for name in ("full", "zeros", "empty"):
        real = getattr(np, name)

        def guarded(shape, *args, real=real, name=name, **kwargs):
            dtype = np.dtype(kwargs.get("dtype", args[1] if name == "full" and len(args) > 1 else
                                        args[0] if name != "full" and args else np.float64))
            size = int(np.prod(shape, dtype=object)) * dtype.itemsize
            assert size <= limit, f"np.{name} asked for {size:,} bytes"
            return real(shape, *args, **kwargs)
        monkeypatch.setattr(np, name, guarded)


def test_a_csv_of_many_short_rows_stops_at_the_input_cap_before_parsing_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_INPUTS", 1_000)
    path = tmp_path / "rows.csv"
    path.write_bytes(b"1,2\n" * 200_000)   # what 4.2 million rows of a 64 MB file did, at 1/20 the size
    rows = parsed_rows(monkeypatch)
    read = inputs.read([path], "sequences", (5, 2), SCALING)
    assert len(read.x) == 1_000 and len(rows) == 1_000
    assert read.skipped == [f"{path}#1001: more than 1,000 inputs in one call; the rest were not read"]


def test_the_array_a_models_steps_imply_is_held_to_the_byte_budget_before_it_is_made(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_ARRAY_BYTES", 40_000)
    no_allocation_over(monkeypatch, 40_000)
    path = tmp_path / "short.csv"
    path.write_bytes(b"0.5\n" * 500)       # 500 one-step rows for a 1,000-step model: 2 MB of padding
    scaling = {"mean": [0.0], "std": [1.0], "steps": 1_000}
    read = inputs.read([path], "sequences", (1_000, 1), scaling)
    assert read.x.shape == (10, 1_000, 1)
    assert read.skipped == [f"{path}#11: more than 10 inputs in one call (3.91 KiB each, 39.1 KiB in all); the rest "
                            "were not read"]


def test_a_model_whose_one_input_is_over_the_budget_is_refused_before_anything_is_read(tmp_path):
    from ann_keras.errors import DataError
    scaling = {"mean": [0.0], "std": [1.0], "steps": 10**12}
    with pytest.raises(DataError, match=r"inputs of shape \(1000000000000, 1\), 3.64 TiB each as float32, more than "
                                        r"the 128 MiB prepared in one call"):
        inputs.read([tmp_path / "never-read.csv"], "sequences", (10**12, 1), scaling)


def peak_python_bytes(call):
    import tracemalloc
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name, content, kind, shape, message", [
    ("row.csv", b"1," * 500_000, "sequences", (5, 2), "row 1 has more than 5 time steps (10 values of 2 channel(s)); "
                                                      "the model reads 1 to 5"),
    ("case.ts", b"@data\n" + b"1," * 500_000 + b"1:2\n", "sequences", (5, 2),
     "case 1 (line 2) has more than 5 time steps; the model reads 1 to 5"),
    ("digits.txt", b"1 " * 500_000, "vectors", (64,), "holds more than 64 values; the model reads 64 (8 rows of 8)"),
])
def test_one_huge_row_case_or_digits_file_is_refused_once_counted_not_parsed(
        tmp_path, name, content, kind, shape, message):
    path = tmp_path / name
    path.write_bytes(content)   # 1 MB of one-digit values: split into Python objects, 30 MB and more (aeon: 35 MB)
    read, peak = peak_python_bytes(lambda: inputs.read([path], kind, shape, SCALING))
    assert read.skipped == [f"{path}: {message}"]
    assert peak < 6 * len(content), f"{peak:,} bytes of Python objects for a {len(content):,}-byte file"


def test_ts_files_are_read_as_aeon_reads_them_labelled_or_not(tmp_path):
    from aeon.datasets import load_from_ts_file
    header = "@problemName x\n@timeStamps false\n@missing false\n@univariate false\n@dimensions 2\n"
    rows = ["1.5,2,3:4,5,6.25", "7,8:9,10", "-1e3, 0.5 ,2:3,4,5"]
    labelled = tmp_path / "labelled.ts"
    labelled.write_text(header + "@equalLength false\n@classLabel true a b\n@data\n"
                        + "".join(f"{row}:{label}\n" for row, label in zip(rows, "aba")))
    bare = tmp_path / "bare.ts"
    bare.write_text("# a comment\n" + header + "@equalLength false\n@classLabel false\n@data\n" + "\n".join(rows))
    scaling = {"mean": [0.0, 0.0], "std": [1.0, 1.0], "steps": 4}
    for path in (labelled, bare):
        read = inputs.read([path], "sequences", (4, 2), scaling)
        x, _ = load_from_ts_file(str(path))
        assert read.names == [f"{path}#{i}" for i in (1, 2, 3)] and read.skipped == []
        for case, theirs in zip(read.x, x):
            theirs = np.asarray(theirs, dtype=np.float32).T
            assert np.array_equal(case[:len(theirs)], theirs)
            assert (case[len(theirs):] == sequences.MASK_VALUE).all()


@pytest.mark.filterwarnings("error::RuntimeWarning")   # 1e300 overflows float32: no warning on stderr
@pytest.mark.parametrize("text, message", [
    ("@timeStamps true\n@data\n(1,2)\n", "holds timestamped data (@timeStamps true), which is not read"),
    ("@data\n1,2,3\n", "case 1 (line 2) has 1 channel(s); the model reads 2"),
    ("@data\n1,2:3\n", "case 1 (line 2) has channels of different lengths (2, 1)"),
    ("@data\n1,?:3,4\n", "case 1 has missing or infinite values"),
    ("@data\n1,1e300:3,4\n", "case 1 has missing or infinite values"),
    ("@data\n1,x:3,4\n", "case 1 (line 2) holds a value that is not a number"),
    ("1,2:3,4\n", "not a readable .ts file (line 1 comes before @data and is not an @tag)"),
    ("@problemName x\n", "not a readable .ts file (no @data line)"),
    ("@data\n\n", "holds no cases after @data"),
])
def test_malformed_ts_files_are_skipped_in_one_line(tmp_path, text, message):
    path = tmp_path / "bad.ts"
    path.write_text(text)
    read = inputs.read([path], "sequences", (5, 2), SCALING)
    assert len(read.x) == 0 and read.skipped[0].startswith(f"{path}: {message}")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_values_that_overflow_once_standardised_are_skipped_in_one_line(tmp_path):
    path = tmp_path / "far.csv"
    path.write_text("1e38,1\n1,1\n")
    read = inputs.read([path], "sequences", (5, 2), {**SCALING, "std": [1e-30, 1.0]})
    assert len(read.x) == 0
    assert read.skipped == [f"{path}: case 1 holds values so far from training's that, standardised, they overflow "
                            "float32"]


def test_a_scaling_that_does_not_fit_the_model_sizes_nothing(tmp_path):
    from ann_keras.errors import DataError
    path = tmp_path / "one.csv"
    path.write_text("1,2\n")
    with pytest.raises(DataError, match="pads to 1000000000000 steps; the model reads 5"):
        inputs.read([path], "sequences", (5, 2), {**SCALING, "steps": 10**12})


def test_images_count_against_the_byte_budget_too(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_ARRAY_BYTES", 3 * 8 * 8 * 3)
    paths = []
    for i in range(5):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (4, 4), (i, 0, 0)).save(paths[-1])
    read = inputs.read(paths, "images", (8, 8, 3), None)
    assert read.x.shape == (3, 8, 8, 3) and read.names == [str(p) for p in paths[:3]]
    assert read.skipped == [f"{p}: more than 3 inputs in one call (192 bytes each, 576 bytes in all); the rest were "
                            "not read" for p in paths[3:]]
