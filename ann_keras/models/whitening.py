"""A first layer that whitens image patches, set from the training images before training; and Dirac initialisation.

Each k x k patch of the input (k = 2 here: 12 numbers for RGB) is projected
on the eigenvectors of the patches' covariance, each scaled by one over the
square root of its eigenvalue, with both signs (24 channels): what follows
sees decorrelated, equally scaled inputs from the first step. The kernel is
fixed (not trained); its bias is trained. This is the first layer of Keller
Jordan's airbench ("94% on CIFAR-10 in 3.29 seconds on a single GPU", 2024),
after the patch whitening of the hlb-CIFAR10 and ResNet-9 speed runs.

Unlike airbench, the patches are centred first (the layer's bias starts at
minus the projected mean patch), so the layer is a true whitening of images
on any scale, not only of images already normalised to zero mean.
"""

from __future__ import annotations

import keras
import numpy as np

# Patches from this many training images set the whitening (airbench uses 5,000).
ADAPT_IMAGES = 5000
# Added to each eigenvalue, as a fraction of the mean one: the few near-empty directions are not blown up into
# noise. airbench's 5e-4 is absolute, on images standardised per channel, where the mean eigenvalue is about 1.
EPSILON = 5e-4


@keras.saving.register_keras_serializable(package="ann_keras")
class PatchWhitening(keras.layers.Layer):
    """A k x k 'valid' convolution whose 2 * k * k * channels kernels whiten the input's patches."""

    def __init__(self, kernel_size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = int(kernel_size)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        size = self.kernel_size * self.kernel_size * channels
        self.filters = 2 * size
        shape = (self.kernel_size, self.kernel_size, channels, self.filters)
        self.kernel = self.add_weight(name="kernel", shape=shape, initializer="glorot_uniform", trainable=False)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros", trainable=True)

    def call(self, inputs):
        kernel = keras.ops.cast(self.kernel, self.compute_dtype)
        outputs = keras.ops.conv(inputs, kernel, strides=1, padding="valid")
        return outputs + keras.ops.cast(self.bias, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        k = self.kernel_size
        spatial = [None if s is None else s - k + 1 for s in input_shape[1:-1]]
        return (input_shape[0], *spatial, 2 * k * k * input_shape[-1])

    def set_from_patches(self, inputs: np.ndarray) -> None:
        """Set the kernel and bias from `inputs` (N x H x W x C, what this layer sees)."""
        k = self.kernel_size
        windows = np.lib.stride_tricks.sliding_window_view(np.asarray(inputs, np.float32), (k, k), axis=(1, 2))
        # Each patch flattened as (row, column, channel): the order of a Conv2D kernel's first three axes.
        flat = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * windows.shape[3]).astype(np.float64)
        mean = flat.mean(axis=0)
        covariance = np.cov(flat, rowvar=False)
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1]          # strongest direction first, as airbench orders them
        scaled = eigenvectors[:, order] / np.sqrt(eigenvalues[order] + EPSILON * eigenvalues.mean())
        kernel = np.concatenate([scaled, -scaled], axis=1)              # (k*k*C, 2*k*k*C)
        self.kernel.assign(kernel.reshape(self.kernel.shape).astype("float32"))
        self.bias.assign((-mean @ kernel).astype("float32"))

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="ann_keras")
class PartialDirac(keras.initializers.Initializer):
    """PyTorch's default convolution initialisation, then the identity on the first input channels.

    Output channel i < input channels copies input channel i at the
    kernel's centre (torch.nn.init.dirac_ on the first filters, as in
    airbench), so an untrained convolution passes its input through; the
    other filters are uniform in +-1/sqrt(fan_in).
    """

    def __call__(self, shape, dtype=None):
        height, width, channels_in, channels_out = shape
        bound = 1 / np.sqrt(height * width * channels_in)
        kernel = keras.ops.convert_to_numpy(keras.random.uniform(shape, -bound, bound, dtype="float32"))
        identity = min(channels_in, channels_out)
        kernel[:, :, :, :identity] = 0.0
        kernel[height // 2, width // 2, np.arange(identity), np.arange(identity)] = 1.0
        return keras.ops.convert_to_tensor(kernel, dtype=dtype)


def adapt(model: keras.Model, images: np.ndarray, seed: int = 0) -> int:
    """Set every PatchWhitening layer of `model` from (a seeded sample of) `images`; return how many.

    Each layer is set from what it sees: the images passed through the
    layers before it, in inference mode (no augmentation).
    """
    layers = [layer for layer in model.layers if isinstance(layer, PatchWhitening)]
    if not layers:
        return 0
    rows = np.random.default_rng(seed).permutation(len(images))[:ADAPT_IMAGES]
    sample = images[np.sort(rows)]
    for layer in layers:
        probe = keras.Model(model.input, layer.input)
        layer.set_from_patches(keras.ops.convert_to_numpy(probe(sample, training=False)))
    return len(layers)


def freeze(model: keras.Model) -> list[PatchWhitening]:
    """Make every trainable PatchWhitening layer of `model` untrainable (only its bias trains); return them."""
    layers = [layer for layer in model.layers if isinstance(layer, PatchWhitening) and layer.trainable]
    for layer in layers:
        layer.trainable = False
    return layers


class FreezeBias(keras.callbacks.Callback):
    """Trains the whitening layers' bias for the first `epochs` epochs only, then freezes it (airbench: 3).

    With nothing trainable in front of the first convolution, the backward
    pass stops there: its gradient with respect to its input, and the first
    GELU's, are no longer computed, about a tenth of a cnn-fast step on two
    cores (`make bench`, section cnn_kernels). Keras traces the training step
    once, so the step is traced again when the bias freezes. A run resumed
    after that epoch freezes it at once. The layer is trainable again when
    training ends, so that the saved model is the network as built.
    """

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs
        self.frozen: list[PatchWhitening] = []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch < self.epochs or self.frozen:
            return
        self.frozen = freeze(self.model)
        if self.frozen:
            self.model.make_train_function(force=True)   # the next step is traced without the bias

    def on_train_end(self, logs=None):
        for layer in self.frozen:
            layer.trainable = True
        self.frozen = []
