"""ann-keras: the experiments of "Training Artificial Neural Networks" in Keras 3, with Keras Tuner.

From Python (a notebook): `ann_keras.tune(...)`, `ann_keras.train(...)` and
`ann_keras.report(...)`, described in ann_keras/api.py. They are imported on
first use, so `import ann_keras` stays cheap and loads no TensorFlow.
"""

__version__ = "0.1.0"

_API = ("Outcome", "report", "train", "tune")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api
        value = globals()[name] = getattr(api, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
