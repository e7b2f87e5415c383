"""aeon's time-series classifiers, measured beside our recurrent networks: the spec's [baselines].

A practitioner who classifies time series would reach for MiniRocket (random
convolutional kernels and a ridge classifier) or a convolutional network
such as FCN or InceptionTime before a recurrent cell. A spec lists the ones to
measure by name, with the options below; each is trained on the same
training split our models train on (the validation split is not used), once
per seed of the run, and tested on the same test split.

Only the options declared here reach aeon: a spec cannot point a classifier
at other files or code. The deep classifiers write their checkpoint into
the run folder (aeon saves one during training) and nowhere else. aeon and
TensorFlow are imported when a classifier is made, never to check a spec.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass

import numpy as np

from ..specs.fields import Field
from ..data.sequences import MASK_VALUE

# MiniRocket's kernels have length 9: shorter sequences are padded with zeros up to it.
MIN_LENGTH = 9


@dataclass(frozen=True)
class Classifier:
    """One aeon classifier: what it is called, where it comes from, and the options a spec may set."""

    label: str                      # its name in reports
    path: str                       # module and class in aeon
    summary: str                    # what it is, for the report
    options: dict                   # name -> Field: the constructor arguments a spec may set
    fixed: dict                     # constructor arguments always passed (threads, verbosity)
    deep: bool = False              # a Keras network: writes a checkpoint while training

    def make(self, options: dict, seed: int, folder: str):
        module, _, name = self.path.rpartition(".")
        import importlib
        cls = getattr(importlib.import_module(module), name)
        extra = {"file_path": folder.rstrip("/") + "/"} if self.deep else {}
        return cls(**self.fixed, **options, random_state=seed, **extra)


CLASSIFIERS = {
    "minirocket": Classifier(
        "MiniRocket", "aeon.classification.convolution_based.MiniRocketClassifier",
        "MiniRocket (Dempster et al. 2021): random dilated convolutional kernels (n_kernels, 10,000 by default), "
        "the proportion of positive values of each, and a ridge classifier with cross-validated regularisation",
        {"n_kernels": Field(int, "number of convolutional kernels", minimum=84, maximum=100_000, default=10_000)},
        {"n_jobs": 2}),
    "multirocket-hydra": Classifier(
        "MultiRocket-Hydra", "aeon.classification.convolution_based.MultiRocketHydraClassifier",
        "MultiRocket-Hydra (Dempster et al. 2023): MultiRocket's four pooled features and Hydra's competing "
        "kernel groups, concatenated, with a ridge classifier",
        {"n_kernels": Field(int, "Hydra kernels per group", minimum=1, maximum=64, default=8),
         "n_groups": Field(int, "Hydra groups of kernels", minimum=1, maximum=1024, default=64)},
        {"n_jobs": 2}),
    "fcn": Classifier(
        "FCN", "aeon.classification.deep_learning.FCNClassifier",
        "FCN (Wang et al. 2017; aeon's Keras implementation): three convolutional blocks with batch "
        "normalisation and global average pooling, Adam, the checkpoint with the lowest training loss",
        {"n_epochs": Field(int, "training epochs (aeon's default: 2000)", minimum=1, maximum=10_000, default=2000),
         "batch_size": Field(int, "examples per step", minimum=1, maximum=4096, default=16)},
        {"verbose": False}, deep=True),
    "inceptiontime": Classifier(
        "InceptionTime", "aeon.classification.deep_learning.InceptionTimeClassifier",
        "InceptionTime (Ismail Fawaz et al. 2020; aeon's Keras implementation): an ensemble of Inception "
        "networks with residual connections",
        {"n_classifiers": Field(int, "networks in the ensemble (aeon's default: 5)", minimum=1, maximum=10,
                                default=5),
         "n_epochs": Field(int, "training epochs per network (aeon's default: 1500)", minimum=1, maximum=10_000,
                           default=1500),
         "batch_size": Field(int, "examples per step", minimum=1, maximum=4096, default=64)},
        {"verbose": False}, deep=True),
}

# What a spec's [baselines] may say: per classifier, its options.
OPTIONS = {name: classifier.options for name, classifier in CLASSIFIERS.items()}


def as_aeon(x: np.ndarray) -> np.ndarray:
    """Return our padded (examples, steps, channels) sequences as aeon's (examples, channels, steps).

    The padding (MASK_VALUE) becomes 0, the training mean after
    standardisation: these classifiers take equal lengths and no mask. Shorter
    than MIN_LENGTH steps, zeros are appended.
    """
    x = np.where(x == MASK_VALUE, 0.0, x).astype(np.float32)
    if x.shape[1] < MIN_LENGTH:
        x = np.pad(x, ((0, 0), (0, MIN_LENGTH - x.shape[1]), (0, 0)))
    return np.ascontiguousarray(x.transpose(0, 2, 1))


def fit_and_test(name: str, options: dict, dataset, seed: int, folder) -> dict:
    """Train classifier `name` on the training split with `seed`, test it; return its numbers.

    Returns {"seed", "test_accuracy", "train_accuracy", "duration_s" (fit), "predict_s", "y_pred"}.
    """
    classifier = CLASSIFIERS[name]
    folder.mkdir(parents=True, exist_ok=True)
    x_train, x_test = as_aeon(dataset.x_train), as_aeon(dataset.x_test)
    # A deep classifier's checkpoint goes to a fresh folder inside the run folder, removed afterwards.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".checkpoint-") as scratch:
        if classifier.deep:
            import keras
            keras.utils.set_random_seed(seed)
        estimator = classifier.make(options, seed, scratch)
        started = time.perf_counter()
        estimator.fit(x_train, dataset.y_train)
        fitted = time.perf_counter()
        y_pred = np.asarray(estimator.predict(x_test)).astype(np.int64)
        predicted = time.perf_counter()
        train_accuracy = float(np.mean(np.asarray(estimator.predict(x_train)) == dataset.y_train))
    if classifier.deep:
        import keras
        keras.backend.clear_session(free_memory=True)
    return {"seed": seed, "test_accuracy": float(np.mean(y_pred == dataset.y_test)),
            "train_accuracy": train_accuracy, "duration_s": round(fitted - started, 3),
            "predict_s": round(predicted - fitted, 3), "y_pred": y_pred.tolist()}
