"""Image data sets from disk: CIFAR-10's official archive, image-folder trees and tarballs of them.

Everything returns uint8 arrays (N, height, width, channels) and integer
labels; scaling to [0, 1] happens inside the model. Decoded arrays are cached
under a key made of the source's content, so the second load skips decoding.

Bad data policy: a file inside a class folder that cannot be decoded as an
image (corrupt, or not an image at all, whatever error Pillow's decoder
raises on it) or cannot be read is skipped and counted, and the count
and the first names appear in the report; everything else that is wrong (an
empty class folder, a missing split, class folders that differ between the
splits, an unreadable or damaged archive, a tar member that would land
outside the target folder, a pickle that asks for code or declares arrays
CIFAR-10 does not hold, labels that do not match the images) stops the load
with a message naming the file.

Memory stays bounded by what the data really holds, whatever a header
declares: an image file or tar member over MAX_FILE_BYTES is refused before
it is read, an image whose header declares more than MAX_IMAGE_PIXELS is
skipped like any unreadable image (a decompression bomb), a tar's images are
decoded (and resized) one member at a time, and a CIFAR-10 pickle may only
rebuild arrays of CIFAR-10's own sizes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import math
import os
import pickle
import tarfile
import warnings
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from ..errors import DataError, PathError
from ..files import write_bytes
from .splits import Splits

# 2: 16-bit greys scaled to 8 bits instead of clipped (decode), so arrays cached before are stale.
CACHE_VERSION = 2
# Far above any photograph or CIFAR-10 batch (about 30 MB), far below what would strain memory.
MAX_FILE_BYTES = 256 * 2**20
# A 100-megapixel camera's picture is read; PIL's own bomb limit (about 179 megapixels) is never reached.
MAX_IMAGE_PIXELS = 100_000_000
# A CIFAR-10 batch: 10,000 rows of 3,072 bytes (a 32x32 RGB image, channel by channel) and 10,000 labels.
CIFAR_ROW_BYTES = 3 * 32 * 32
CIFAR_BATCH_ROWS = 10_000
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def cache_dir() -> Path:
    """Return the folder for decoded arrays ($ANN_KERAS_CACHE, else ~/.cache/ann-keras); safe to delete."""
    return Path(os.environ.get("ANN_KERAS_CACHE") or Path.home() / ".cache" / "ann-keras")


# ---------------------------------------------------------------- entry point


def load(path: str | Path, *, image_size: int | None, channels: int) -> Splits:
    """Read an image data set from `path`: a CIFAR-10 python archive or folder, an image tree, or its tar."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"data path {str(path)!r} does not exist")
    key = _cache_key(path, image_size, channels)
    cached = _read_cache(key)
    if cached is not None:
        return cached
    if _is_cifar_python(path):
        splits = _read_cifar_python(path)
    elif path.is_dir():
        splits = _read_tree(_FolderTree(path), path, image_size, channels)
    elif _is_tar(path):
        splits = _read_tar(path, image_size, channels)
    else:
        raise DataError(f"{path}: not a folder, a .tar/.tar.gz archive or CIFAR-10's cifar-10-python.tar.gz; "
                        "valid choices: cifar-10-python.tar.gz, cifar-10-batches-py/, "
                        "a tree train/<class>/*, test/<class>/*, or a .tar/.tar.gz of such a tree")
    _write_cache(key, splits)
    return splits


# ---------------------------------------------------------------- CIFAR-10 python pickles


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and plain containers, and refuses anything else.

    CIFAR-10's batches are pickles; a pickle can name any Python callable, so
    a file from someone else could run code on load. Only the few NumPy
    internals an array needs are allowed.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def __init__(self, stream, where: str):
        super().__init__(stream, encoding="bytes")
        self.where = where

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise DataError(f"{self.where}: refusing to unpickle {module}.{name}; a CIFAR-10 batch holds only "
                            "arrays, lists and numbers")
        found = super().find_class(module, name)
        if name == "_reconstruct":
            return self._bounded_reconstruct(found)
        if name == "dtype":
            return self._plain_dtype(found)
        return found

    def _bounded_reconstruct(self, reconstruct):
        """Wrap NumPy's array constructor: it allocates the declared shape before any data is read."""
        limit = CIFAR_BATCH_ROWS * CIFAR_ROW_BYTES

        def bounded(subtype, shape, dtype):
            if not (isinstance(shape, tuple) and len(shape) <= 2
                    and all(type(n) is int and 0 <= n <= limit for n in shape) and math.prod(shape) <= limit):
                raise DataError(f"{self.where}: declares an array of shape {str(shape)[:60]}; a CIFAR-10 batch "
                                f"holds at most {CIFAR_BATCH_ROWS} x {CIFAR_ROW_BYTES} bytes")
            return reconstruct(subtype, shape, dtype)
        return bounded

    def _plain_dtype(self, dtype):
        """Wrap np.dtype: only fixed-size numbers (no Python objects inside arrays, no giant records)."""
        def plain(*args, **kwargs):
            made = dtype(*args, **kwargs)
            if made.kind not in "biuf" or made.itemsize > 8:
                raise DataError(f"{self.where}: refusing arrays of {made}; a CIFAR-10 batch holds bytes and "
                                "integer labels")
            return made
        return plain


def _is_cifar_python(path: Path) -> bool:
    if path.is_dir():
        return (path / "data_batch_1").exists() or (path / "cifar-10-batches-py" / "data_batch_1").exists()
    return path.name.startswith("cifar-10-python") and path.name.endswith((".tar.gz", ".tgz", ".tar"))


def _unpickle(data: bytes, where: str) -> dict:
    try:
        batch = _ArraysOnly(io.BytesIO(data), where).load()
    except DataError:
        raise
    except Exception as error:   # a damaged pickle raises many kinds of error
        raise DataError(f"{where}: not a readable CIFAR-10 batch ({error})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"{where}: not a CIFAR-10 batch (no data and labels)")
    data, labels = batch[b"data"], batch[b"labels"]
    # Checked before any conversion: np.asarray of nested lists that share their items would expand them.
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == CIFAR_ROW_BYTES and 0 < len(data) <= CIFAR_BATCH_ROWS):
        shape = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{where}: data is a {shape}; a CIFAR-10 batch holds a uint8 array of rows of "
                        f"{CIFAR_ROW_BYTES} bytes (32x32 RGB), at most {CIFAR_BATCH_ROWS} rows")
    if isinstance(labels, np.ndarray):
        labels = labels.tolist() if labels.ndim == 1 and labels.dtype.kind in "iu" else None
    if not isinstance(labels, list) or not all(type(label) is int for label in labels):
        raise DataError(f"{where}: labels must be a list of integers, one per image")
    if len(labels) != len(data):
        raise DataError(f"{where}: {len(labels)} labels for {len(data)} images; a batch needs one label per image")
    y = np.asarray(labels, dtype=np.int64)
    outside = y[(y < 0) | (y >= len(CIFAR10_CLASSES))]
    if outside.size:
        raise DataError(f"{where}: label {outside[0]} is outside 0..{len(CIFAR10_CLASSES) - 1} "
                        f"({', '.join(CIFAR10_CLASSES)})")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return {"x": np.ascontiguousarray(images), "y": y}


def _read_cifar_python(path: Path) -> Splits:
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    found = {}
    if path.is_dir():
        folder = path / "cifar-10-batches-py" if (path / "cifar-10-batches-py").is_dir() else path
        for name in names:
            if (folder / name).exists():
                found[name] = _unpickle(_read_file(folder / name), str(folder / name))
    else:
        with _open_tar(path) as archive:
            for member in _members(archive, path):
                base = PurePosixPath(member.name).name
                if member.isfile() and base in names:
                    found[base] = _unpickle(_read_member(archive, member, path), f"{path}:{member.name}")
    missing = [name for name in names if name not in found]
    if missing:
        raise DataError(f"{path}: CIFAR-10 batches missing: {', '.join(missing)}")
    train = [found[name] for name in names[:5]]
    return Splits(
        np.concatenate([b["x"] for b in train]), np.concatenate([b["y"] for b in train]),
        found["test_batch"]["x"], found["test_batch"]["y"], CIFAR10_CLASSES,
        f"CIFAR-10 python batches at {path}")


# ---------------------------------------------------------------- image trees


class _FolderTree:
    """Files of an image tree on disk, as (relative posix path, reader) pairs."""

    def __init__(self, root: Path):
        self.root = root

    def files(self):
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                yield path.relative_to(self.root).as_posix(), lambda path=path: _read_image_file(path)

    def folders(self):
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_dir()}


class _DecodedTree:
    """Files of a tar archive, decoded in one sequential pass (seeking in a .tar.gz restarts decompression).

    Each member is decoded (and resized) as it is read, so memory holds the
    decoded images and one member at a time, never the whole archive.
    """

    def __init__(self, decoded: dict, folders: set[str]):
        self.decoded, self._folders = decoded, folders   # name -> image array, or the ValueError saying why not

    def files(self):
        for name in sorted(self.decoded):
            yield name, (lambda name=name: self.decoded[name])

    def folders(self):
        return self._folders


def _read_tar(path: Path, image_size, channels) -> Splits:
    decoded, folders = {}, set()
    with _open_tar(path) as archive:
        for member in _members(archive, path):
            parts = PurePosixPath(member.name.removeprefix("./")).parts
            upto = len(parts) if member.isdir() else len(parts) - 1
            folders.update("/".join(parts[:i]) for i in range(1, upto + 1))
            if member.isfile() and len(parts) >= 3:   # split/class/image, perhaps under one top folder
                try:
                    decoded["/".join(parts)] = decode(_read_member(archive, member, path), image_size, channels)
                except ValueError as error:
                    decoded["/".join(parts)] = error
    return _read_tree(_DecodedTree(decoded, folders), path, image_size, channels)


def _members(archive: tarfile.TarFile, path: Path):
    """Yield the archive's members, each checked; then read on to the end, so a damaged gzip stream is noticed.

    Tar stops at its end-of-archive blocks, before gzip's trailer, whose
    checksum is what tells a damaged file: reading to the end checks it.
    """
    try:
        for member in archive:
            _check_member(member, path)
            yield member
        while archive.fileobj.read(1 << 20):
            pass
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: unreadable or damaged archive ({error})") from None


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> bytes:
    """Return a regular member's bytes, refusing one larger than MAX_FILE_BYTES before reading it."""
    if member.size > MAX_FILE_BYTES:
        raise DataError(f"{path}: member {member.name!r} holds {member.size:,} bytes; at most "
                        f"{MAX_FILE_BYTES:,} are read per file")
    try:
        return archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:   # a truncated or damaged stream
        raise DataError(f"{path}: unreadable or damaged archive ({error})") from None


def _read_file(path: Path) -> bytes:
    """Return a file's bytes, refusing one larger than MAX_FILE_BYTES before reading it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(f"{path}: holds {size:,} bytes; at most {MAX_FILE_BYTES:,} are read per file")
    return path.read_bytes()


def _read_image_file(path: Path) -> bytes:
    """Return an image file's bytes; one that cannot be read (no permission) is unreadable like a corrupt one."""
    try:
        return _read_file(path)
    except OSError as error:
        raise UnreadableImage(f"cannot be read ({error.strerror or type(error).__name__})") from None


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (OSError, EOFError, tarfile.TarError) as error:
        raise DataError(f"{path}: unreadable archive ({error})") from None


def _open_tar(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"{path}: unreadable archive ({error})") from None


def _check_member(member: tarfile.TarInfo, archive: Path) -> None:
    """Refuse members that would land outside the target folder, or that are links or devices."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise DataError(f"{archive}: member {member.name!r} would land outside the target folder; refused")
    if member.issym() or member.islnk() or member.isdev():
        raise DataError(f"{archive}: member {member.name!r} is a link or device; refused")


def _read_tree(tree, where: Path, image_size, channels) -> Splits:
    folders = tree.folders()
    root = _split_root(folders, where)
    classes = {}
    for split in ("train", "test"):
        prefix = f"{root}{split}/"
        classes[split] = sorted(f.removeprefix(prefix) for f in folders
                                if f.startswith(prefix) and "/" not in f.removeprefix(prefix))
        if not classes[split]:
            raise DataError(f"{where}: no class folders in {prefix!r}; expected {prefix}<class>/<image>")
    if classes["train"] != classes["test"]:
        only_train = sorted(set(classes["train"]) - set(classes["test"]))
        only_test = sorted(set(classes["test"]) - set(classes["train"]))
        raise DataError(f"{where}: class folders differ between splits: only in train: "
                        f"{', '.join(only_train) or '-'}; only in test: {', '.join(only_test) or '-'}")
    names = classes["train"]
    index = {name: i for i, name in enumerate(names)}
    images = {"train": [], "test": []}
    labels = {"train": [], "test": []}
    skipped = []
    for relative, read in tree.files():
        parts = relative.removeprefix(root).split("/")
        if len(parts) != 3 or parts[0] not in images:
            continue   # files beside the splits (a README, say) are not data
        split, name, _ = parts
        try:
            image = read()   # bytes from a folder; from a tar, the decoded image or why it could not be
            if isinstance(image, ValueError):
                raise image
            if isinstance(image, bytes):
                image = decode(image, image_size, channels)
        except ValueError as error:
            skipped.append(f"{relative}: {error}")
            continue
        images[split].append(image)
        labels[split].append(index[name])
    for split in ("train", "test"):
        counts = np.bincount(np.asarray(labels[split], dtype=np.int64), minlength=len(names))
        empty = [names[i] for i in np.flatnonzero(counts == 0)]
        if empty:
            raise DataError(f"{where}: no readable images in {root}{split}/{empty[0]}/"
                            + (f" (and {len(empty) - 1} more class folders)" if len(empty) > 1 else ""))
    shapes = {img.shape for split in images.values() for img in split}
    if len(shapes) > 1:
        raise DataError(f"{where}: images differ in size ({', '.join(map(str, sorted(shapes))[:3])}); "
                        "set [data] image_size to resize them")
    return Splits(np.stack(images["train"]), np.asarray(labels["train"], dtype=np.int64),
                  np.stack(images["test"]), np.asarray(labels["test"], dtype=np.int64),
                  tuple(names), f"image folders in {where}", skipped)


def _split_root(folders: set[str], where: Path) -> str:
    """Return the prefix under which train/ and test/ sit: the top, or one folder down."""
    if "train" in folders and "test" in folders:
        return ""
    for folder in sorted(folders):
        if "/" not in folder and f"{folder}/train" in folders and f"{folder}/test" in folders:
            return f"{folder}/"
    missing = "test" if "train" in folders or any(f.endswith("/train") for f in folders) else "train"
    raise DataError(f"{where}: no {missing!r} split; expected train/<class>/* and test/<class>/*")


def decode(data: bytes, image_size, channels) -> np.ndarray:
    """Return one image as uint8 (height, width, channels), or raise UnreadableImage (a ValueError) saying why not.

    Whatever the bytes hold, this returns an image or raises UnreadableImage:
    Pillow's decoders raise many kinds of error on a damaged file
    (NotImplementedError, AttributeError, struct.error, IndexError,
    SyntaxError, EOFError, OSError...), and callers skip and count an
    unreadable image rather than stop. Pillow's Python warnings and
    libtiff's messages on stderr are silenced: the one line the caller
    prints is what a user sees. 16-bit greys are scaled to 8 bits, not
    clipped (see _eight_bits).
    """
    from PIL import Image
    _silence_libtiff()
    try:
        with _quiet(), Image.open(io.BytesIO(data), formats=_formats()) as image:
            width, height = image.size   # from the header, before any pixel is decoded
            if width * height > MAX_IMAGE_PIXELS:
                raise UnreadableImage(f"declares {width}x{height} pixels, more than the {MAX_IMAGE_PIXELS:,} "
                                      "read; a decompression bomb?")
            image = _eight_bits(image).convert("L" if channels == 1 else "RGB")
            if image_size and image.size != (image_size, image_size):
                image = image.resize((image_size, image_size), Image.BILINEAR)
            array = np.asarray(image, dtype=np.uint8)
    except UnreadableImage:
        raise
    except Image.DecompressionBombError as error:   # PIL's own limit, checked when the header is read
        raise UnreadableImage(f"declares too many pixels, a decompression bomb? ({error})") from None
    except Exception as error:   # a damaged file: any decoder's error, never a traceback
        raise UnreadableImage(f"not a readable image ({type(error).__name__})") from None
    return array[..., None] if array.ndim == 2 else array


@functools.cache
def _formats() -> tuple[str, ...]:
    """The formats Pillow may try: every one it opens but EPS, which it renders by running Ghostscript on the file."""
    from PIL import Image
    Image.init()
    return tuple(sorted(set(Image.OPEN) - {"EPS"}))


@contextlib.contextmanager
def _quiet():
    """Keep Pillow's complaints about a damaged file off stderr while it is decoded.

    Pillow says them as Python warnings ("Truncated File Read", "Tag data
    larger than file") and as log records (TiffImagePlugin logs "More
    samples per pixel than can be decoded" as an error, which Python's
    last-resort handler prints when nothing configured logging).
    """
    pil = logging.getLogger("PIL")
    level = pil.level
    pil.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        pil.setLevel(level)


class UnreadableImage(ValueError):
    """An image file that cannot be decoded; the message says why (the caller names the file)."""


# Modes whose values reach past 255: 16-bit greys (PNG, TIFF), and 32-bit integers (16-bit PGM/PPM open as "I").
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


def _eight_bits(image):
    """Return `image` with 16-bit or 32-bit integer greys scaled to 8 bits; other modes unchanged.

    Pillow's convert("L") clips such values at 255, so a 16-bit photograph
    arrives almost white. A 16-bit value v becomes round(v / 257) (65535 ->
    255). A mode "I" image holds 16-bit data (Pillow opens 16-bit PGM and
    PPM so) when every value lies in 0..65535, and is scaled the same way;
    otherwise by the mode's own maximum, 2**31 - 1, negatives as 0.
    """
    from PIL import Image
    if image.mode not in _SIXTEEN_BIT and image.mode != "I":
        return image
    values = np.asarray(image)
    if image.mode in _SIXTEEN_BIT or (values.size and 0 <= values.min() and values.max() <= 65535):
        eight = (values.astype(np.uint32) + 128) // 257
    else:
        eight = np.clip(values, 0, None).astype(np.float64) * (255 / (2**31 - 1)) + 0.5
    return Image.fromarray(eight.astype(np.uint8), "L")


@functools.cache
def _silence_libtiff() -> None:
    """Stop libtiff printing its warnings and errors on stderr (once per process).

    Pillow decodes compressed TIFFs with libtiff, whose default handlers
    write each complaint about a damaged file ("ZIPDecode: Decoding error at
    scanline 0...") straight to the process's stderr, below Python, where
    no warnings filter reaches them. Pillow itself clears the warning
    handler while it decodes but offers no way to clear the error handler,
    so both are cleared here, in the libtiff that Pillow's own module is
    linked to (found through that module, whichever libtiff it is). The
    failure still reaches Python as Pillow's OSError, which `decode` turns
    into its one line. Where the library cannot be reached (another
    platform, a Pillow built without libtiff) nothing changes.
    """
    import ctypes

    from PIL import _imaging
    try:
        library = ctypes.CDLL(_imaging.__file__)
        for name in ("TIFFSetErrorHandler", "TIFFSetErrorHandlerExt", "TIFFSetWarningHandler",
                     "TIFFSetWarningHandlerExt"):
            setter = getattr(library, name)
            setter.restype, setter.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
            setter(None)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------- cache


def content_digest(path: str | Path) -> str:
    """Return a digest of the bytes (and, in a folder, the relative names) of every file at `path`.

    It names the data by what it holds, wherever it lies: the decode cache
    and the run folder (see search/run.py) are keyed by it, so a moved or
    copied CIFAR-10 archive finds both again, and a file changed in place
    finds neither. Computed once per process for unchanged files.
    """
    path = Path(path).expanduser().resolve()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    signature = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _digest_files(path, signature)


@functools.lru_cache(maxsize=16)
def _digest_files(path: Path, signature: tuple) -> str:
    digest = hashlib.sha256()
    for name, _, _ in signature:
        file = Path(name)
        digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
        with open(file, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:24]


def _cache_key(path: Path, image_size, channels) -> str:
    text = f"v{CACHE_VERSION}|{image_size}|{channels}|{content_digest(path)}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read_cache(key: str) -> Splits | None:
    path = cache_dir() / f"images-{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            return Splits(stored["x_train"], stored["y_train"], stored["x_test"], stored["y_test"],
                          tuple(str(n) for n in stored["class_names"]), str(stored["source"]),
                          [str(s) for s in stored["skipped"]])
    except (OSError, ValueError, KeyError):
        return None   # a damaged cache is rebuilt, never trusted


def _write_cache(key: str, splits: Splits) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, x_train=splits.x_train, y_train=splits.y_train, x_test=splits.x_test, y_test=splits.y_test,
             class_names=np.asarray(splits.class_names), source=np.asarray(splits.source),
             skipped=np.asarray(splits.skipped, dtype=str))
    try:
        write_bytes(cache_dir() / f"images-{key}.npz", buffer.getvalue(), within=cache_dir())
    except (OSError, PathError):
        pass   # an unwritable cache (or a link planted in it) costs time on the next load, nothing else
