"""Which Keras backend trains: TensorFlow, JAX or PyTorch, chosen once, here, before Keras is imported.

Keras 3 reads KERAS_BACKEND when it is first imported and cannot switch
afterwards, so the choice is made here and nowhere else: from `--backend`,
else KERAS_BACKEND, else the default. Everything else asks `name()` (as
Keras Tuner asks `keras.config.backend()`), and TensorFlow is imported only
where it is the backend (its fused kernels, tf.data, SavedModel export).

The default is TensorFlow where it is installed: on 2 CPU cores it trained
the paper's CNN fastest (`make bench`, section backends). Without it, JAX,
then PyTorch: on a current GPU machine (CUDA 13) those are what install.
No TensorFlow, JAX or PyTorch is imported by this module.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from .errors import AnnKerasError

BACKENDS = ("tensorflow", "jax", "torch")
ENV = "KERAS_BACKEND"
# The extra of ann-keras that installs each backend, for the message when it is missing.
EXTRAS = {"tensorflow": "cpu] or [gpu", "jax": "jax] or [jax-cuda", "torch": "torch"}


def installed(backend: str) -> bool:
    """Whether `backend`'s framework can be imported here (without importing it)."""
    return importlib.util.find_spec(backend) is not None


def default() -> str:
    """The backend used when neither --backend nor KERAS_BACKEND names one: the first installed of BACKENDS."""
    return next((backend for backend in BACKENDS if installed(backend)), "tensorflow")


def choose(requested: str | None = None, environ=os.environ) -> str:
    """Settle the backend before Keras starts: `requested` (--backend), else KERAS_BACKEND, else the default.

    Sets KERAS_BACKEND for this process and the ones it starts (workers).
    Raises AnnKerasError, one line naming the value and the choices, for
    an unknown backend, one not installed, or one other than what an
    already-imported Keras runs on.
    """
    wanted = requested or environ.get(ENV) or default()
    source = "--backend" if requested else (ENV if environ.get(ENV) else "the default backend")
    if wanted not in BACKENDS:
        raise AnnKerasError(f"{source} {wanted!r}: valid choices: {', '.join(BACKENDS)}")
    if not installed(wanted):
        present = [backend for backend in BACKENDS if installed(backend)]
        raise AnnKerasError(f"{source} {wanted!r} is not installed (pip install 'ann-keras[{EXTRAS[wanted]}]'); "
                            f"installed here: {', '.join(present) or 'none'}")
    running = _running()
    if running is not None and running != wanted:
        raise AnnKerasError(f"{source} {wanted!r}: Keras already started on {running} in this process; valid "
                            f"here: {running} (a new process can take another)")
    environ[ENV] = wanted
    return wanted


def name() -> str:
    """The backend Keras runs on (Keras imported if it was not)."""
    import keras
    return keras.config.backend()


def is_tensorflow() -> bool:
    """Whether TensorFlow is the backend: its fused kernels, tf.data and tf.summary may then be used."""
    return name() == "tensorflow"


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, Keras and the backend: keras.utils.set_random_seed without starting TensorFlow.

    Keras's own function also seeds TensorFlow wherever TensorFlow is
    installed, which imports it (seconds, and gigabytes of address space) in
    a JAX or PyTorch run; here TensorFlow is seeded only as the backend.
    """
    import keras
    if is_tensorflow():
        keras.utils.set_random_seed(seed)
        return
    import random

    import numpy as np
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
    except ImportError:   # a Keras that moved its internals: its own function, TensorFlow and all
        keras.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute("global_random_seed", seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)   # remade from the seed
    random.seed(seed)
    np.random.seed(seed)
    if name() == "torch":
        import torch
        torch.manual_seed(seed)


FAST_PATHS_ENV = "ANN_KERAS_FAST_PATHS"


def fast_paths() -> bool:
    """Whether TensorFlow's own fast paths are used: tf.data feeding, the fused batch norm and GELU kernels.

    They exist on TensorFlow only, where each measured faster than the
    portable code beside it; ANN_KERAS_FAST_PATHS=0 switches all of them off
    (the portable path on TensorFlow, to compare or to rule them out).
    """
    return is_tensorflow() and os.environ.get(FAST_PATHS_ENV, "1") != "0"


def gpus() -> list[str]:
    """The GPUs the backend can train on, by name (empty on a CPU-only machine)."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf
        return [device.name for device in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax
        try:
            return [f"{device.platform}:{device.id} {getattr(device, 'device_kind', '')}".strip()
                    for device in jax.devices("gpu")]
        except RuntimeError:   # no GPU platform in this jaxlib
            return []
    import torch
    return [f"cuda:{index} {torch.cuda.get_device_name(index)}" for index in range(torch.cuda.device_count())]


def _running() -> str | None:
    """The backend of a Keras already imported in this process, else None."""
    if "keras" not in sys.modules:
        return None
    try:
        return sys.modules["keras"].config.backend()
    except AttributeError:   # a half-imported Keras
        return None
