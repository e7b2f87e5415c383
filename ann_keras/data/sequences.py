"""Sequences of any length made ready for a recurrent network: per-channel scaling and padding.

Sequences become float32 arrays (examples, time steps, channels). Shorter
sequences are padded at the end with MASK_VALUE, which the recurrent
builder's Masking layer skips, so padding never reaches the cells.
"""

from __future__ import annotations

import numpy as np

# Far outside anything a standardised value reaches, so a real time step is never masked.
MASK_VALUE = -1000.0


def prepare(x_train: list, x_test: list) -> tuple[np.ndarray, np.ndarray]:
    """Return both splits standardised per channel (statistics of the training split) and padded.

    Padding goes at the end, to the longest sequence of either split, with MASK_VALUE.
    """
    steps = np.concatenate(x_train, axis=0)
    mean, std = steps.mean(axis=0), steps.std(axis=0)
    std[std == 0] = 1.0
    length = max(len(s) for s in list(x_train) + list(x_test))
    channels = steps.shape[1]

    def pad(sequences):
        out = np.full((len(sequences), length, channels), MASK_VALUE, dtype=np.float32)
        for i, sequence in enumerate(sequences):
            out[i, :len(sequence)] = (sequence - mean) / std
        return out

    return pad(x_train), pad(x_test)
