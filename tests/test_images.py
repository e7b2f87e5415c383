import io
import pickle
import re
import tarfile

import numpy as np
import pytest
from PIL import Image

from ann_keras.data import images
from ann_keras.errors import DataError

CLASSES = ("cat", "dog", "ship")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANN_KERAS_CACHE", str(tmp_path / "cache"))


def png(colour, size=(8, 8), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_tree(root, classes=CLASSES, per_class=3, splits=("train", "test"), size=(8, 8), mode="RGB"):
    for split in splits:
        for index, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                colour = (index * 80, i * 40, 10) if mode == "RGB" else index * 80
                (folder / f"{i:04d}.png").write_bytes(png(colour, size, mode))
    (root / "README.md").write_text("not data")
    return root


def make_tar(tree, path, prefix=""):
    with tarfile.open(path, "w:gz") as archive:
        archive.add(tree, arcname=prefix or ".")
    return path


def test_image_tree_gives_uint8_arrays_and_sorted_class_names(tmp_path):
    splits = images.load(make_tree(tmp_path / "t"), image_size=8, channels=3)
    assert splits.class_names == CLASSES
    assert splits.x_train.shape == (9, 8, 8, 3) and splits.x_train.dtype == np.uint8
    assert sorted(splits.y_test.tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert splits.x_train[splits.y_train == 1][0, 0, 0, 0] == 80    # dog's colour
    assert splits.skipped == []


@pytest.mark.parametrize("prefix", ["", "cifar10"])
def test_tarball_of_a_tree_reads_like_the_tree(tmp_path, prefix):
    tree = make_tree(tmp_path / "t")
    archive = make_tar(tree, tmp_path / "data.tar.gz", prefix)
    from_tree = images.load(tree, image_size=8, channels=3)
    from_tar = images.load(archive, image_size=8, channels=3)
    assert np.array_equal(from_tree.x_train, from_tar.x_train)
    assert np.array_equal(from_tree.y_test, from_tar.y_test)


def test_any_size_and_grayscale_are_resized_and_converted(tmp_path):
    tree = make_tree(tmp_path / "t", size=(20, 12), mode="L")
    splits = images.load(tree, image_size=16, channels=1)
    assert splits.x_train.shape == (9, 16, 16, 1)
    rgb = images.load(tree, image_size=16, channels=3)
    assert rgb.x_train.shape == (9, 16, 16, 3)


def test_second_load_comes_from_the_cache(tmp_path, monkeypatch):
    tree = make_tree(tmp_path / "t")
    first = images.load(tree, image_size=8, channels=3)
    monkeypatch.setattr(images, "decode", lambda *a: pytest.fail("decoded again"))
    second = images.load(tree, image_size=8, channels=3)
    assert np.array_equal(first.x_test, second.x_test) and second.class_names == first.class_names


def test_changed_content_is_not_served_from_the_cache(tmp_path):
    tree = make_tree(tmp_path / "t")
    images.load(tree, image_size=8, channels=3)
    (tree / "train" / "cat" / "0000.png").write_bytes(png((255, 255, 255)))
    again = images.load(tree, image_size=8, channels=3)
    assert again.x_train[0, 0, 0].tolist() == [255, 255, 255]


def test_corrupt_and_non_image_files_are_skipped_and_counted(tmp_path):
    tree = make_tree(tmp_path / "t")
    (tree / "train" / "cat" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tree / "train" / "dog" / "notes.txt").write_text("hello")
    splits = images.load(tree, image_size=8, channels=3)
    assert len(splits.y_train) == 9
    assert len(splits.skipped) == 2 and "train/cat/broken.jpg" in splits.skipped[0]


@pytest.mark.parametrize("damage, message", [
    (lambda t: [p.unlink() for p in (t / "train" / "dog").iterdir()], "no readable images in train/dog/"),
    (lambda t: [(t / "test").rename(t / "tests")], "no 'test' split"),
    (lambda t: (t / "test" / "cat").rename(t / "test" / "kitten"),
     "class folders differ between splits: only in train: cat; only in test: kitten"),
])
def test_bad_trees_are_refused_with_a_message_naming_them(tmp_path, damage, message):
    tree = make_tree(tmp_path / "t")
    damage(tree)
    with pytest.raises(DataError, match=message):
        images.load(tree, image_size=8, channels=3)


def test_unreadable_archive_is_named(tmp_path):
    broken = tmp_path / "data.tar.gz"
    make_tar(make_tree(tmp_path / "t"), broken)
    broken.write_bytes(broken.read_bytes()[:200])
    with pytest.raises(DataError, match="data.tar.gz: unreadable archive"):
        images.load(broken, image_size=8, channels=3)


def test_not_an_archive_lists_what_is_accepted(tmp_path):
    other = tmp_path / "data.bin"
    other.write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="not a folder, a .tar/.tar.gz archive"):
        images.load(other, image_size=8, channels=3)


@pytest.mark.parametrize("name", ["../escape.png", "/etc/evil.png", "train/cat/../../../up.png"])
def test_tar_members_outside_the_target_folder_are_refused(tmp_path, name):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        data = png((1, 2, 3))
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(DataError, match="would land outside the target folder"):
        images.load(archive, image_size=8, channels=3)


def test_tar_links_are_refused(tmp_path):
    archive = tmp_path / "link.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("train/cat/a.png")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(DataError, match="is a link or device; refused"):
        images.load(archive, image_size=8, channels=3)


# ---------------------------------------------------------------- CIFAR-10's python batches


def cifar_batch(count, seed):
    rng = np.random.default_rng(seed)
    return {b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
            b"labels": [i % 10 for i in range(count)], b"batch_label": b"x"}


def make_cifar_archive(path, batch_names=None):
    names = batch_names or [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    with tarfile.open(path, "w:gz") as tar:
        for seed, name in enumerate(names):
            data = pickle.dumps(cifar_batch(20, seed))
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_official_archive_layout_is_read(tmp_path):
    splits = images.load(make_cifar_archive(tmp_path / "cifar-10-python.tar.gz"), image_size=32, channels=3)
    assert splits.x_train.shape == (100, 32, 32, 3) and splits.x_test.shape == (20, 32, 32, 3)
    assert splits.class_names[0] == "airplane" and splits.class_names[-1] == "truck"
    raw = cifar_batch(20, 0)[b"data"][0]
    assert splits.x_train[0, 0, 0].tolist() == [raw[0], raw[1024], raw[2048]]   # channels-first on disk


def test_extracted_official_folder_is_read(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for seed, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        (folder / name).write_bytes(pickle.dumps(cifar_batch(10, seed)))
    assert images.load(folder, image_size=32, channels=3).x_train.shape == (50, 32, 32, 3)


def test_missing_batches_are_named(tmp_path):
    archive = make_cifar_archive(tmp_path / "cifar-10-python.tar.gz", ["data_batch_1", "test_batch"])
    with pytest.raises(DataError, match="batches missing: data_batch_2"):
        images.load(archive, image_size=32, channels=3)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_a_pickle_that_names_code_is_refused_not_run(tmp_path, capsys):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}))
    with pytest.raises(DataError, match="refusing to unpickle builtins.print"):
        images.load(folder, image_size=32, channels=3)
    assert "must never run" not in capsys.readouterr().out


# ---------------------------------------------------------------- damaged and hostile files


def cifar_folder(root, **batch):
    """An extracted CIFAR-10 folder whose batches hold `batch` (data, labels) instead of the real thing."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    for seed, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        content = {**cifar_batch(20, seed), **{k.encode(): v for k, v in batch.items()}}
        (folder / name).write_bytes(pickle.dumps(content))
    return folder


@pytest.mark.parametrize("batch, message", [
    ({"labels": list(range(10)) * 2 + [1]}, "21 labels for 20 images"),
    ({"labels": [10] * 20}, "label 10 is outside 0..9"),
    ({"labels": [-1] * 20}, "label -1 is outside 0..9"),
    ({"labels": ["cat"] * 20}, "labels must be a list of integers"),
    ({"labels": [0.5] * 20}, "labels must be a list of integers"),
    ({"data": np.zeros((20, 3071), dtype=np.uint8)}, "shape (20, 3071); a CIFAR-10 batch holds"),
    ({"data": np.zeros((20, 3072), dtype=np.float32)}, "float32 array"),
    ({"data": [[0] * 3072] * 20}, "data is a list"),
    ({"labels": np.array([1, "x"] * 10, dtype=object)}, "refusing arrays of object"),
])
def test_cifar_batches_that_do_not_hold_cifar_are_named(tmp_path, batch, message):
    with pytest.raises(DataError, match=re.escape(message)) as error:
        images.load(cifar_folder(tmp_path, **batch), image_size=32, channels=3)
    assert "data_batch_1" in str(error.value)


class DeclaresHugeArray:
    """Pickles as NumPy's own array constructor asked for 3 GB: what a few hundred bytes can declare."""

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct
        return (_reconstruct, (np.ndarray, (3_000_000_000,), b"b"))


def test_a_pickle_declaring_a_huge_array_is_refused_before_allocating_it(tmp_path):
    folder = cifar_folder(tmp_path, data=DeclaresHugeArray())
    assert (folder / "data_batch_1").stat().st_size < 1000
    with pytest.raises(DataError, match="declares an array of shape \\(3000000000,\\)"):
        images.load(folder, image_size=32, channels=3)


def test_a_nested_tuple_bomb_is_refused_without_expanding_it(tmp_path):
    bomb = ()
    for _ in range(40):          # 2**40 leaves if expanded; a few hundred bytes as a pickle (shared references)
        bomb = (bomb, bomb)
    folder = cifar_folder(tmp_path, data=bomb, labels=bomb)
    assert (folder / "data_batch_1").stat().st_size < 2000
    with pytest.raises(DataError, match="data is a tuple"):
        images.load(folder, image_size=32, channels=3)


def test_a_gzip_archive_with_a_bad_checksum_is_refused(tmp_path):
    archive = make_tar(make_tree(tmp_path / "t"), tmp_path / "data.tar.gz")
    content = bytearray(archive.read_bytes())
    content[-8] ^= 0xFF          # gzip's trailer: CRC-32, then the length
    archive.write_bytes(bytes(content))
    with pytest.raises(DataError, match="damaged archive"):
        images.load(archive, image_size=8, channels=3)


def test_a_truncated_tarball_is_named_not_a_traceback(tmp_path):
    tree = make_tree(tmp_path / "t", size=(64, 64))
    for i in range(4):   # incompressible images, so that the cut falls inside a member's data
        noise = np.random.default_rng(i).integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(noise).save(tree / "train" / "cat" / f"noise{i}.png")
    data = make_tar(tree, tmp_path / "data.tar.gz").read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[:len(data) * 2 // 3])
    with pytest.raises(DataError, match=r"cut.tar.gz: unreadable or damaged archive \(Compressed file ended"):
        images.load(cut, image_size=8, channels=3)


def test_a_tar_member_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 10_000)
    tree = make_tree(tmp_path / "t")
    (tree / "train" / "cat" / "huge.png").write_bytes(b"\0" * 20_000)
    with pytest.raises(DataError, match="huge.png' holds 20,000 bytes; at most 10,000"):
        images.load(make_tar(tree, tmp_path / "data.tar.gz"), image_size=8, channels=3)
    with pytest.raises(DataError, match="huge.png: holds 20,000 bytes"):
        images.load(tree, image_size=8, channels=3)


def png_declaring(width, height):
    """A real 1x1 PNG whose header is rewritten to declare width x height (a decompression bomb's header)."""
    import struct
    import zlib
    data = bytearray(png((1, 2, 3), size=(1, 1)))
    ihdr = 8 + 8                                 # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4:ihdr + 13])))
    return bytes(data)


@pytest.mark.parametrize("width, message", [
    (12000, "declares 12000x12000 pixels, more than the 100,000,000 read"),   # over ours, under PIL's limit
    (20000, "declares too many pixels, a decompression bomb?"),              # over PIL's own limit too
])
def test_an_image_declaring_too_many_pixels_is_skipped_and_counted(tmp_path, width, message):
    tree = make_tree(tmp_path / "t")
    (tree / "train" / "dog" / "bomb.png").write_bytes(png_declaring(width, width))
    for source in (tree, make_tar(tree, tmp_path / "data.tar.gz")):
        splits = images.load(source, image_size=8, channels=3)
        assert len(splits.y_train) == 9
        assert len(splits.skipped) == 1 and message in splits.skipped[0]


# ---------------------------------------------------------------- what Pillow's decoders do with damaged files


def saved(image_format, mode="L", size=(6, 4)):
    buffer = io.BytesIO()
    Image.new(mode, size, 90).save(buffer, format=image_format)
    return bytearray(buffer.getvalue())


def dds_of_unknown_pixel_format():
    """A DDS file whose pixel format flags are 0: Pillow raises NotImplementedError (found by fuzzing)."""
    data = saved("DDS", "RGB")
    data[80:84] = b"\0\0\0\0"
    return bytes(data)


def spider_inside_a_stack():
    """A SPIDER file claiming to be image 1 of a stack: Pillow raises AttributeError (found by fuzzing)."""
    import struct
    data = saved("SPIDER")
    data[104:108] = struct.pack("<f", 1.0)
    return bytes(data)


def tiff_with_damaged_deflate_data():
    """A deflate-compressed TIFF with its strip damaged: libtiff writes "ZIPDecode: ..." to stderr itself."""
    array = (np.arange(16 * 16 * 3) * 7 % 256).astype(np.uint8).reshape(16, 16, 3)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="TIFF", compression="tiff_deflate")
    data = bytearray(buffer.getvalue())
    data[10:20] = b"\xff" * 10
    return bytes(data)


@pytest.mark.parametrize("make, error", [(dds_of_unknown_pixel_format, NotImplementedError),
                                         (spider_inside_a_stack, AttributeError)])
def test_files_on_which_pillow_raises_unexpected_errors_are_unreadable_images(make, error):
    data = make()
    with pytest.raises(error):                    # what the red team found: Pillow's own error, not a ValueError
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    with pytest.raises(images.UnreadableImage, match=rf"^not a readable image \({error.__name__}\)$"):
        images.decode(data, 8, 3)


@pytest.mark.parametrize("error", [NotImplementedError("x"), AttributeError("x"), SyntaxError("x"),
                                   __import__("struct").error("x"), EOFError(), IndexError("x"), TypeError("x"),
                                   OSError("x"), RuntimeError("x"), ZeroDivisionError(), KeyError("x")])
def test_any_error_a_decoder_raises_becomes_an_unreadable_image(monkeypatch, error):
    def broken(*args, **kwargs):
        raise error
    monkeypatch.setattr(Image, "open", broken)
    with pytest.raises(images.UnreadableImage, match=rf"not a readable image \({type(error).__name__}\)"):
        images.decode(png((1, 2, 3)), 8, 3)


def test_files_that_crash_pillow_are_skipped_and_counted_in_a_tree_and_a_tarball(tmp_path):
    tree = make_tree(tmp_path / "t")
    (tree / "train" / "cat" / "odd.dds").write_bytes(dds_of_unknown_pixel_format())
    (tree / "test" / "dog" / "odd.spi").write_bytes(spider_inside_a_stack())
    for source in (tree, make_tar(tree, tmp_path / "data.tar.gz")):
        splits = images.load(source, image_size=8, channels=3)
        assert len(splits.y_train) == len(splits.y_test) == 9
        assert sorted(splits.skipped) == ["test/dog/odd.spi: not a readable image (AttributeError)",
                                          "train/cat/odd.dds: not a readable image (NotImplementedError)"]


def test_pillow_warnings_and_libtiff_messages_stay_off_stderr(capfd):
    import warnings
    truncated = bytes(saved("PNG", "RGB", (64, 64))[:-40])          # Pillow: "Truncated File Read" and friends
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for data in (tiff_with_damaged_deflate_data(), truncated, png_declaring(12000, 12000)):
            with pytest.raises(images.UnreadableImage):
                images.decode(data, 8, 3)
    assert caught == []
    assert capfd.readouterr().err == ""


def sixteen_bit_ramp():
    """A 16-bit grey ramp over the whole range, 0 to 65535."""
    return np.linspace(0, 65535, 16 * 16).round().astype(np.uint16).reshape(16, 16)


@pytest.mark.parametrize("image_format, array, mode", [
    ("PNG", sixteen_bit_ramp(), "I;16"),
    ("TIFF", sixteen_bit_ramp(), "I;16"),
    ("TIFF", sixteen_bit_ramp().astype(">u2"), "I;16B"),
    ("PPM", sixteen_bit_ramp(), "I"),                        # Pillow opens a 16-bit PGM as a 32-bit "I" image
])
def test_sixteen_bit_images_are_scaled_to_eight_bits_not_clipped(image_format, array, mode):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=image_format)
    assert Image.open(io.BytesIO(buffer.getvalue())).mode == mode
    expected = np.round(sixteen_bit_ramp() / 257).astype(np.uint8)
    grey = images.decode(buffer.getvalue(), None, 1)
    assert np.array_equal(grey[..., 0], expected)             # clipped, half the ramp would be 255
    rgb = images.decode(buffer.getvalue(), None, 3)
    assert all(np.array_equal(rgb[..., c], expected) for c in range(3))


def test_a_32_bit_image_beyond_16_bits_is_scaled_by_the_modes_maximum():
    array = np.array([[-5, 0, 2**30, 2**31 - 1]], dtype=np.int32)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="TIFF")
    assert images.decode(buffer.getvalue(), None, 1)[0, :, 0].tolist() == [0, 0, 128, 255]
