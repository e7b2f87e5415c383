"""CIFAR-10: a local copy in any form images.py reads, or Keras's download where none is given."""

from __future__ import annotations

import numpy as np

from . import images
from ..errors import DataError
from .source import Source
from .splits import Splits

# Where `make reproduce` and users without --data point at a local copy.
ENV = "ANN_KERAS_CIFAR10"


def _read(seed: int, path: str, options: dict) -> Splits:
    if path:
        return images.load(path, image_size=options["image_size"], channels=3)
    import keras
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as error:   # no network, a proxy, a damaged download: all end here
        raise DataError(f"cannot download CIFAR-10 with Keras ({type(error).__name__}: {error}); give a local "
                        f"copy with --data PATH or {ENV}=PATH") from None
    return Splits(x_train, y_train.ravel().astype(np.int64), x_test, y_test.ravel().astype(np.int64),
                  images.CIFAR10_CLASSES, "keras.datasets.cifar10 (the official cifar-10-python.tar.gz, "
                  "downloaded and cached by Keras)")


CIFAR10 = Source(
    "cifar10", "images",
    "CIFAR-10, 60,000 32x32 colour images in 10 classes: from --data PATH (cifar-10-python.tar.gz, its folder, "
    f"or an image tree or tarball), ${ENV}, or Keras's download",
    _read, options=("image_size",), reads_path=True, env=ENV,
    fingerprint=images.content_digest)   # Keras's download, with no path, is the one official file
