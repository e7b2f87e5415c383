"""A user's own pictures: a train/ and a test/ folder of class folders, or a tarball of them."""

from __future__ import annotations

from . import images
from .source import Source
from .splits import Splits


def _read(seed: int, path: str, options: dict) -> Splits:
    return images.load(path, image_size=options["image_size"], channels=options["channels"])


IMAGES = Source(
    "images:PATH", "images",
    "your own pictures: PATH/train/<class>/*, PATH/test/<class>/* (or a .tar/.tar.gz of that), any class names, "
    "resized to [data] image_size; `images` alone reads --data PATH",
    _read, options=("image_size", "channels"), reads_path=True, fingerprint=images.content_digest,
    example="images:~/pictures/flowers")
