"""Damaged images of every format Pillow writes here: each is decoded or skipped with one line, never a traceback.

A seeded mutation loop (the same cases on every run): small valid images in
every format Pillow can both save and open on this machine, in several
modes and TIFF compressions, each damaged by bit flips, overwritten bytes,
truncation, inserted bytes, repeated chunks and header fields set to
extreme values. data.images.decode must return a uint8 image of the asked
size or raise UnreadableImage, the "skipped and counted" outcome, and write
nothing to stderr (libtiff writes there itself unless told not to).
"""

import io
import random
import time
import warnings

import numpy as np
import pytest
from PIL import Image

from ann_keras.data import images

SEED = 20261204
MUTANTS_PER_IMAGE = 40
MODES = ("RGB", "L", "P", "1", "RGBA", "I;16")
TIFF_COMPRESSIONS = ("tiff_lzw", "tiff_deflate", "tiff_adobe_deflate", "packbits", "jpeg", "group4", "tiff_ccitt")


def picture(mode):
    """A small 13x9 image with structure (a ramp) in `mode`, so that every codec has something to compress."""
    ramp = (np.arange(9 * 13 * 3) * 7 % 256).astype(np.uint8).reshape(9, 13, 3)
    if mode == "I;16":
        return Image.fromarray((ramp[..., 0].astype(np.uint16) * 257))
    return Image.fromarray(ramp).convert(mode)


def seeds():
    """Every (name, bytes) of a small valid image Pillow saves and opens here: the formats available decide."""
    Image.init()
    found = {}
    attempts = [(fmt, mode, {}) for fmt in sorted(set(Image.SAVE) & set(Image.OPEN)) for mode in MODES]
    attempts += [("TIFF", mode, {"compression": c}) for c in TIFF_COMPRESSIONS for mode in ("RGB", "L", "1")]
    for fmt, mode, options in attempts:
        buffer = io.BytesIO()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                picture(mode).save(buffer, format=fmt, **options)
                with Image.open(io.BytesIO(buffer.getvalue())) as image:
                    image.load()
        except Exception:   # this format cannot hold this mode, or its codec is not built in here
            continue
        found[f"{fmt}-{mode}-{options.get('compression', '')}".rstrip("-")] = buffer.getvalue()
    return found


EXTREMES = (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00",
            b"\x00\x00\x01\x00", b"\xff\xff", b"\x00\x00", b"\x01")


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Return `data` damaged one to four times, and what was done (to name a failing case)."""
    data, done = bytearray(data), []
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        kind = rng.choice(("flip", "byte", "truncate", "insert", "repeat", "header"))
        at = rng.randrange(len(data))
        if kind == "flip":
            data[at] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            data[at] = rng.randrange(256)
        elif kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == "repeat":
            data[at:at] = data[at:at + rng.randint(1, 64)]
        else:   # a header field (size, offset, count, flags) set to an extreme value
            at = rng.randrange(min(len(data), 128))
            value = rng.choice(EXTREMES)
            data[at:at + len(value)] = value
        done.append(f"{kind}@{at}")
    return bytes(data), ",".join(done)


@pytest.fixture
def small_bombs(monkeypatch):
    """Keep a damaged header that declares a big (but allowed) picture from taking the test's time."""
    monkeypatch.setattr(images, "MAX_IMAGE_PIXELS", 2_000_000)   # ICNS seeds are 1024x1024


def test_the_seed_images_cover_the_common_formats():
    names = {name.split("-")[0] for name in seeds()}
    assert {"PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM", "ICO", "TGA"} <= names


def test_every_damaged_image_is_decoded_or_unreadable_never_a_traceback(small_bombs, capfd):
    made = seeds()
    capfd.readouterr()   # libtiff's complaints while the seeds were written (a mode a codec refuses) are not decode's
    rng = random.Random(SEED)
    start, outcomes, failures = time.monotonic(), {"decoded": 0, "unreadable": 0}, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, data in sorted(made.items()):
            assert images.decode(data, 8, 3).shape == (8, 8, 3), name   # the undamaged image decodes
            for number in range(MUTANTS_PER_IMAGE):
                damaged, how = mutate(data, rng)
                try:
                    array = images.decode(damaged, 8, 3)
                except images.UnreadableImage as error:
                    message = str(error)
                    if not message or "\n" in message:
                        failures.append(f"{name} #{number} ({how}): message {message!r} is not one line")
                    outcomes["unreadable"] += 1
                except BaseException as error:   # noqa: B036 -- anything else is the bug this test is for
                    failures.append(f"{name} #{number} ({how}): {type(error).__name__}: {error}")
                else:
                    if array.shape != (8, 8, 3) or array.dtype != np.uint8:
                        failures.append(f"{name} #{number} ({how}): decoded to {array.dtype} {array.shape}")
                    outcomes["decoded"] += 1
    assert failures == []
    assert sum(outcomes.values()) >= 300 and outcomes["unreadable"] > 0 and outcomes["decoded"] > 0, outcomes
    assert caught == [], [str(w.message) for w in caught[:3]]
    assert capfd.readouterr().err == ""
    assert time.monotonic() - start < 60


def test_mutations_are_the_same_on_every_run():
    data = bytes(range(200))
    first = [mutate(data, random.Random(SEED)) for _ in range(3)]
    assert first == [mutate(data, random.Random(SEED)) for _ in range(3)]
