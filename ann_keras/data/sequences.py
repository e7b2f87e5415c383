"""Sequences of any length made ready for a recurrent network: scaling and padding.

Sequences become float32 arrays (examples, time steps, channels). Shorter
sequences are padded at the end with MASK_VALUE, which the recurrent
builder's Masking layer skips, so padding never reaches the cells.

Each channel is standardised with the training split's mean and std. With
per-sequence scaling, each sequence is first z-normalised on its own, as the
UCR archive's univariate sets are: a set of heavy-tailed counts (aeon's
Covid3Month_disc, deaths per day from 0 to 20,341 with a median of 0) would
otherwise reach the network as one value for nearly every step.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError, shorten

# Far outside anything a standardised value reaches, so a real time step is never masked.
MASK_VALUE = -1000.0


def per_sequence(scaling: str, channels: int) -> bool:
    """Return whether [data] sequence_scaling means z-normalising each sequence first ('auto': univariate data)."""
    return scaling == "sequence" or (scaling == "auto" and channels == 1)


def prepare(x_train: list, x_test: list, scaling: str = "channel") -> tuple[np.ndarray, np.ndarray, dict]:
    """Return both splits scaled and padded, and the scaling that did it.

    `scaling` is [data] sequence_scaling: auto, channel or sequence. Padding goes at the end,
    to the longest sequence of either split, with MASK_VALUE. The scaling
    returned ({"mean", "std", "steps", "per_sequence"}) is what `standardise`
    needs to prepare a new sequence exactly as these were (results.json keeps it).
    """
    _check_padding(list(x_train) + list(x_test))
    each = per_sequence(scaling, x_train[0].shape[1])
    if each:   # once here; the per-channel statistics below are those of the z-normalised sequences
        x_train = [_z_normalised(sequence) for sequence in x_train]
    steps = np.concatenate(x_train, axis=0)
    mean, std = steps.mean(axis=0), usable_std(steps.std(axis=0))
    length = max(len(s) for s in list(x_train) + list(x_test))

    scaling = {"mean": mean.tolist(), "std": std.tolist(), "steps": int(length), "per_sequence": each}
    return _per_channel(x_train, scaling), standardise(x_test, scaling), scaling


def describe(scaling: dict) -> str:
    """Return how `scaling` prepared the sequences, for the report's data line."""
    first = "each sequence z-normalised on its own, then " if scaling.get("per_sequence") else ""
    return f"{first}standardised per channel on the training split"


def standardise(sequences: list, scaling: dict) -> np.ndarray:
    """Return `sequences` (each steps x channels) standardised with `scaling` and padded to its steps."""
    # results.json written before per_sequence existed: per channel only
    return _per_channel(sequences, scaling, each=scaling.get("per_sequence", False))


def usable_std(std: np.ndarray) -> np.ndarray:
    """Return per-channel std with 0 (a constant channel) read as 1: training's rule, and predict's."""
    return np.where(std == 0, 1.0, std)


def check_scaling(scaling: dict, steps: int, channels: int) -> str | None:
    """Return what is wrong with `scaling` for a model reading (steps, channels), or None when it fits.

    results.json's schema says only that mean and std are lists of numbers
    and steps a positive integer; before they size an array or divide, they
    must match the model: one mean and one std per channel, the model's
    steps, finite numbers, no negative std (0 is read as 1, as training does).
    """
    mean, std = scaling["mean"], scaling["std"]
    if len(mean) != channels or len(std) != channels:
        return (f"holds {len(mean)} mean(s) and {len(std)} std(s); the model reads {channels} channel(s), one of "
                "each per channel")
    if scaling["steps"] != steps:
        return f"pads to {shorten(str(scaling['steps']))} steps; the model reads {steps}"
    for name, values in (("mean", mean), ("std", std)):
        bad = next((v for v in values if not _finite(v) or (name == "std" and v < 0)), None)
        if bad is not None:
            valid = "finite numbers >= 0 (0 is read as 1, as in training)" if name == "std" else "finite numbers"
            return f"{name} holds {shorten(str(bad), 40)}; valid: {valid}"
    return None


def _finite(value) -> bool:
    """Whether a number from JSON is finite as a float (an integer of 400 digits is not: it overflows)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _per_channel(sequences: list, scaling: dict, each: bool = False) -> np.ndarray:
    """Return `sequences` standardised with the scaling's per-channel mean and std, padded to its steps.

    With `each`, every sequence is first z-normalised on its own, one at a
    time, so no second copy of them all is made.
    """
    mean, std = np.asarray(scaling["mean"]), usable_std(np.asarray(scaling["std"]))
    out = np.full((len(sequences), scaling["steps"], len(mean)), MASK_VALUE, dtype=np.float32)
    for i, sequence in enumerate(sequences):
        out[i, :len(sequence)] = ((_z_normalised(sequence) if each else sequence) - mean) / std
    return out


def _z_normalised(sequence: np.ndarray) -> np.ndarray:
    """Return `sequence` with each channel at mean 0 and std 1 over its own steps (a constant channel: 0)."""
    sequence = np.asarray(sequence, dtype=np.float64)
    std = sequence.std(axis=0)
    return ((sequence - sequence.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)


# Padding may multiply the memory the sequences really need; allow it up to this factor (or this many bytes).
PADDING_FACTOR, PADDING_ALLOWANCE = 8, 256 << 20


def _check_padding(sequences: list) -> None:
    """Refuse a set whose padded array would be far larger than its sequences: one long outlier among short ones."""
    lengths = np.array([len(s) for s in sequences])
    channels = sequences[0].shape[1]
    padded = len(lengths) * int(lengths.max()) * channels * 4
    real = int(lengths.sum()) * channels * 4
    if padded > max(PADDING_FACTOR * real, PADDING_ALLOWANCE):
        raise DataError(f"sequences from {lengths.min()} to {lengths.max()} time steps (median "
                        f"{int(np.median(lengths))}): padding all {len(lengths)} to the longest would take "
                        f"{padded / 2**30:.1f} GiB for {real / 2**30:.2f} GiB of data; valid: lengths within "
                        f"{PADDING_FACTOR}x of each other on average (cut or split the longest sequences)")


def natural_order(label) -> tuple:
    """Sort key for class labels: numbers by value ("2" before "10"), then words alphabetically."""
    text = str(label)
    return (0, int(text), text) if text.lstrip("-").isdigit() else (1, 0, text)
