"""Measuring a trained model: loss and accuracy on every split, and class scores with test-time augmentation."""

from __future__ import annotations

import keras
import numpy as np

from .. import data
from ..data import Dataset
from .optimizers import emits_logits, loss_function, targets

TRAIN_EVALUATION = 10_000


def evaluate(model: keras.Model, params: dict, dataset: Dataset) -> tuple[dict, np.ndarray]:
    """Return loss and accuracy on train, validation and test, and the test predictions.

    Training accuracy is measured on at most TRAIN_EVALUATION examples (a
    fixed stratified subset), without test-time augmentation: enough to see
    over-fitting, without predicting all 45,000 CIFAR-10 training images
    (six times over with tta_translate) after every run. An empty split (the
    test split of a cross-validation fold) is not measured.
    """
    loss = loss_function(params, emits_logits(model))
    metrics = {}
    test_predictions = np.zeros(0, dtype=np.int64)
    x_train, y_train = data.subset(dataset.x_train, dataset.y_train, TRAIN_EVALUATION, 0)
    # The training images are seen as they were trained on, without test-time augmentation (up to 6 passes each).
    plain = dict(params, tta_flip=False, tta_translate=0)
    for split, x, y in (("train", x_train, y_train), ("val", dataset.x_val, dataset.y_val),
                        ("test", dataset.x_test, dataset.y_test)):
        if len(y) == 0:
            continue
        scores = predict(model, x, plain if split == "train" else params)
        predicted = scores.argmax(axis=1)
        metrics[f"{split}_accuracy"] = float(np.mean(predicted == y))
        metrics[f"{split}_loss"] = float(loss(targets(y, params, dataset.num_classes), scores))
        if split == "test":
            test_predictions = predicted
    return metrics, test_predictions


def predict(model: keras.Model, x: np.ndarray, params: dict) -> np.ndarray:
    """Return class scores, averaged over test-time augmentations of images.

    With `tta_flip`, the mean over each image and its mirror image; with
    `tta_translate` = n, half of that plus half the mean of the same over
    the image shifted n pixels up-left and n down-right (mirror-padded):
    airbench's test-time augmentation.
    """
    def mirrored(images):
        scores = model.predict(images, batch_size=1024, verbose=0)
        if params["tta_flip"] and images.ndim == 4:
            scores = (scores + model.predict(images[:, :, ::-1], batch_size=1024, verbose=0)) / 2
        return scores

    scores = mirrored(x)
    shift = params["tta_translate"]
    if shift and x.ndim == 4:
        height, width = x.shape[1:3]
        padded = np.pad(x, ((0, 0), (shift, shift), (shift, shift), (0, 0)), mode="reflect")
        shifted = (mirrored(padded[:, :height, :width]) + mirrored(padded[:, 2 * shift:, 2 * shift:])) / 2
        scores = (scores + shifted) / 2
    return scores
