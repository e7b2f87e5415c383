"""Training batches for every backend: an endless, reshuffled, augmented stream cut into Keras epochs.

On TensorFlow the stream is a tf.data pipeline (training/batches.py), which
prepares the next batches on other threads while a step trains: the fast
path. Everywhere else, and on TensorFlow with the fast paths switched off
(backend.fast_paths), it is `Stream`, a keras.utils.PyDataset of NumPy
batches that Keras's JAX and PyTorch trainers read: the same shuffling
rule, the same flips and crops as NumPy index arithmetic, and the float
transform of models/augment.py compiled for the backend (jax.jit on JAX),
applied to a whole pass at a time.

Both follow one rule: the images are visited in a fresh permutation each
pass, passes follow one another without a gap, and a batch may span two
passes; everything random is a function of (seed, position in the stream).
The two pipelines draw different random numbers, so one seed gives the
same batches on every run of one backend, not across backends.
"""

from __future__ import annotations

import concurrent.futures

import numpy as np

from .. import backend
from ..models import augment as augmentation


def stream(x, y, batch_size: int, seed: int, augment: dict, steps_per_epoch: int):
    """Return what model.fit reads: batches of `batch_size` (all of x when it is larger), augmented as `augment` says.

    `steps_per_epoch` is how many batches make one Keras epoch (one logged point).
    """
    if backend.fast_paths():
        from . import batches
        if batch_size >= len(y) and not augmentation.is_on(augment):
            return batches.whole(x, y)
        return batches.augmented_batches(x, y, batch_size, seed, augment)
    return Stream(x, y, batch_size, seed, augment, steps_per_epoch)


def _keras_dataset():
    import keras
    return keras.utils.PyDataset


class Stream(_keras_dataset()):
    """NumPy batches for any backend; Keras asks for `steps_per_epoch` of them per epoch, one after another.

    Each pass over the images is prepared whole, on a thread of its own
    while the pass before it trains:
    permuted, flipped and cropped as uint8, then the float transform in
    slices of TRANSFORM_SLICE images (one compiled call each, on the GPU
    where there is one), rounded back to uint8. A batch is then a slice of
    one or two prepared passes, so a training step waits for no per-batch
    Python work. Rounding to whole pixel values costs at most half a grey
    level, far below what the augmentation itself changes, and keeps a
    prepared pass of CIFAR-10's 45,000 training images at 138 MB.
    """

    TRANSFORM_SLICE = 4096

    def __init__(self, x, y, batch_size: int, seed: int, augment: dict, steps_per_epoch: int):
        super().__init__(workers=1, use_multiprocessing=False)
        self.x, self.y, self.seed, self.augment = x, y, seed, dict(augment)
        self.count = len(y)
        self.batch_size = min(batch_size, self.count)
        self.steps_per_epoch = steps_per_epoch
        self.batches_done = 0          # batches handed out so far: the position in the stream
        self._passes = {}              # pass number -> its (images, targets), as a Future (three kept at most)
        # One thread: passes are prepared in order, each from its own seeded generator, so the stream does not
        # depend on timing.
        self._preparer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ann-keras-stream")
        images = np.ndim(x) == 4
        self._augments = images and augmentation.is_on(self.augment)
        self._bit = _halves(self.count, seed) if augment.get("alternating_flip") else None
        self._transform = _compiled_transform(self.augment) \
            if images and augmentation.needs_float(self.augment, np.shape(x)[-1]) else None

    def __len__(self):
        return self.steps_per_epoch

    def __getitem__(self, index):
        # Keras asks for indices 0..len-1 each epoch, in order (workers=1); the stream's own position decides.
        start = self.batches_done * self.batch_size
        self.batches_done += 1
        if self.batch_size == self.count and not self._augments:
            return self.x, self.y          # full batch: the same arrays every step, no copy
        parts, end = [], start + self.batch_size
        while start < end:
            number, offset = divmod(start, self.count)
            images, targets = self._pass(number)
            stop = min(self.count, offset + end - start)
            parts.append((images[offset:stop], targets[offset:stop]))
            start += stop - offset
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _pass(self, number: int):
        """Pass `number`, prepared; the next one starts preparing on another thread while this one trains."""
        for wanted in (number, number + 1):
            if wanted not in self._passes:
                self._passes[wanted] = self._preparer.submit(self._prepare, wanted)
        self._passes = {k: v for k, v in self._passes.items() if k >= number - 1}
        return self._passes[number].result()

    def close(self) -> None:
        """Stop the preparing thread and drop the prepared passes (training is over)."""
        self._preparer.shutdown(wait=True, cancel_futures=True)
        self._passes = {}

    def _prepare(self, number: int):
        """Pass `number`: the images in that pass's order, augmented as `augment` says."""
        order = np.random.default_rng([self.seed, number]).permutation(self.count)
        images, targets = self.x[order], self.y[order]
        if not self._augments:
            return images, targets
        rng = np.random.default_rng([self.seed, 1, number])
        mirrored = (self._bit[order] + number) % 2 == 1 if self._bit is not None else None
        images = augmentation.flip_and_crop(images, rng, self.augment, mirrored)
        if self._transform is not None:
            import keras
            draws = rng.random((len(images), augmentation.DRAWS), dtype=np.float32)
            done = np.empty_like(images)
            for low in range(0, len(images), self.TRANSFORM_SLICE):
                high = low + self.TRANSFORM_SLICE
                moved = self._transform(images[low:high].astype(np.float32), draws[low:high])
                done[low:high] = np.rint(keras.ops.convert_to_numpy(moved))
            images = done
        return images, targets


def _compiled_transform(augment: dict):
    """models/augment.transform for `augment`, compiled where the backend compiles functions (jax.jit on JAX)."""
    def transform(images, draws):
        return augmentation.transform(images, draws, augment)

    if backend.name() == "jax":
        import jax
        return jax.jit(transform)
    return transform


def _halves(count: int, seed: int) -> np.ndarray:
    """Which half of the images is mirrored in the first pass of alternating flips: a fixed 0 or 1 per image."""
    return np.random.default_rng([seed, 2]).integers(0, 2, size=count)
