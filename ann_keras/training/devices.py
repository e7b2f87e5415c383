"""Which devices training runs on: the GPUs, and one trial across several of them.

`--strategy mirrored` trains each model with tf.distribute.MirroredStrategy:
every batch is split over the GPUs and the gradients summed, so one trial
uses all of them. Without GPUs it uses the CPU's logical devices; setting
ANN_KERAS_CPU_REPLICAS=N splits the CPU into N of them, so the strategy can
be tried (and is tested) on a machine without a GPU. Both are TensorFlow's:
on JAX and PyTorch a model trains on one device (the first GPU, else the
CPU), and `--workers` gives each worker process a GPU of its own.
"""

from __future__ import annotations

import os

from .. import backend
from ..errors import AnnKerasError

STRATEGIES = ("default", "mirrored")
CPU_REPLICAS_ENV = "ANN_KERAS_CPU_REPLICAS"


def gpus() -> list[str]:
    """Return the names of the GPUs the backend can use."""
    return backend.gpus()


def gpu_ids() -> list[str]:
    """Return the GPUs as CUDA_VISIBLE_DEVICES names them, for giving each worker process its own."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [name.strip() for name in visible.split(",") if name.strip() and name.strip() != "-1"]
    return [str(index) for index in range(len(gpus()))]


def configure(environ=os.environ) -> None:
    """Apply ANN_KERAS_CPU_REPLICAS; must run before TensorFlow first touches a device."""
    text = environ.get(CPU_REPLICAS_ENV)
    if not text or not backend.is_tensorflow():
        return
    import tensorflow as tf

    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise AnnKerasError(f"{CPU_REPLICAS_ENV}={text!r}: expected a whole number of CPU devices from 1 to 64")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * int(text))
    except RuntimeError:
        pass   # devices already initialised in this process (a test calling twice): keep what is there


def share_gpus() -> None:
    """Let this process take GPU memory as it needs it, not all at once (workers share GPUs)."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")   # JAX's equivalent, read when JAX starts
    if not backend.is_tensorflow():
        return
    import tensorflow as tf
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass   # already initialised: too late to change, and then nothing else has taken memory yet


def make_strategy(name: str):
    """Return the tf.distribute strategy `name` stands for (None: the backend's default placement)."""
    if name not in STRATEGIES:
        raise AnnKerasError(f"strategy {name!r}: choose one of {', '.join(STRATEGIES)}")
    if name == "default":
        return None
    if not backend.is_tensorflow():
        raise AnnKerasError(f"--strategy {name}: tf.distribute needs the tensorflow backend, not {backend.name()}; "
                            "valid here: --strategy default (or --workers N, one device each)")
    import tensorflow as tf
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])


def describe(strategy) -> dict:
    """Return what results.json records of the strategy."""
    if strategy is None:
        return {"strategy": "default", "replicas": 1}
    return {"strategy": "mirrored", "replicas": strategy.num_replicas_in_sync,
            "devices": list(strategy.extended.worker_devices)}
