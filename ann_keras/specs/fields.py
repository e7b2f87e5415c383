"""The building block of every schema: `Field`, one allowed key with its type, bounds and meaning.

Specs are checked against tables of Fields. The tables that belong to the
spec itself ([data], [tuner], [paper], [[notes]]) are here; a model family's
parameters sit beside its builder (models/) and the augmentation's beside
its layers (models/augment.py), and reach the spec loader in a `specs.Catalog`.
No TensorFlow here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SpecError, choices, shorten


@dataclass(frozen=True)
class Field:
    """One allowed key: its type, bounds or choices, and what it means."""

    kind: type
    help: str
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    nullable: bool = False
    default: object = None  # used when the key is absent; None means the key is required

    def check(self, value, where: str):
        """Return `value` normalised to this field's type, or raise SpecError."""
        if value is None and self.nullable:
            return None
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.kind is list:
            if not isinstance(value, list) or not value:
                raise SpecError(f"{where}: expected a non-empty list, got {short_repr(value)}")
            return [_check_list_item(v, where) for v in value]
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise SpecError(f"{where}: expected {self.kind.__name__}, got {short_repr(value)} ({type(value).__name__})")
        if self.kind is float and not math.isfinite(value):
            raise SpecError(f"{where}: {value!r} is not a finite number")
        if self.choices and value not in self.choices:
            raise SpecError(f"{where}: {short_repr(value)} is not one of: {choices(self.choices)}")
        low_ok = (
            self.minimum is None
            or value > self.minimum
            or (value == self.minimum and not self.exclusive_minimum)
        )
        if not low_ok or (self.maximum is not None and value > self.maximum):
            bound = ">" if self.exclusive_minimum else ">="
            limits = f"{bound} {self.minimum}" if self.minimum is not None else ""
            if self.maximum is not None:
                limits += f"{' and ' if limits else ''}<= {self.maximum}"
            raise SpecError(f"{where}: {value!r} is out of range; expected {limits}")
        return value


# The largest list item: kernels per convolution, widths, stage numbers.
LIST_ITEM_MAXIMUM = 4096


def _check_list_item(value, where):
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= LIST_ITEM_MAXIMUM:
        raise SpecError(f"{where}: list items must be integers from 1 to {LIST_ITEM_MAXIMUM}, got {short_repr(value)}")
    return value


def short_repr(value) -> str:
    return shorten(repr(value))


POSITIVE = dict(minimum=0, exclusive_minimum=True)
FRACTION = dict(minimum=0, exclusive_minimum=True, maximum=0.9)

# Every [data] key, with the default a spec leaves it at; data.load fills the same defaults.
DATA_FIELDS = {
    "test_size": Field(float, "fraction held out for testing when the data set has no test split", **FRACTION,
                       default=0.2),
    "validation_size": Field(float, "fraction of the training split held out as the tuner's objective", **FRACTION,
                             default=0.2),
    "limit": Field(int, "keep this many training examples, stratified (0 = all); for quick runs", minimum=0,
                   maximum=1_000_000_000, default=0),
    "test_limit": Field(int, "keep this many test examples, stratified (0 = all)", minimum=0,
                        maximum=1_000_000_000, default=0),
    "path": Field(str, "where a file-based data set is read from ('' = its default; cifar10: Keras's download)",
                  default=""),
    "image_size": Field(int, "images are resized to image_size x image_size", minimum=4, maximum=1024, default=32),
    "channels": Field(int, "1 (grayscale) or 3 (RGB)", choices=(1, 3), default=3),
    "sequence_scaling": Field(str, "sequences: 'channel' standardises each channel with the training split's mean "
                                   "and std; 'sequence' first z-normalises each sequence on its own (the UCR "
                                   "archive's convention); 'auto': sequence for univariate data, channel otherwise",
                              choices=("auto", "channel", "sequence"), default="channel"),
}
DATA_DEFAULTS = {key: field.default for key, field in DATA_FIELDS.items()}

TUNER_FIELDS = {
    "name": Field(str, "search algorithm: a name in the catalog's tuners (search/tuners.py)"),
    "executions": Field(int, "seeds per trial; every execution's numbers are kept", minimum=1, maximum=1000),
    "max_trials": Field(int, "stop after this many trials (0 = the whole grid)", minimum=0, maximum=100_000),
    "objective": Field(str, "what the search optimises: validation accuracy (maximised) or loss (minimised; "
                            "it still ranks trials when a small validation split is classified perfectly)",
                       choices=("val_accuracy", "val_loss")),
    "paper_runs": Field(bool, "also train the paper's settings that the search does not cover"),
    "folds": Field(int, "cross-validate the search (tune): the objective is the mean over this many stratified "
                        "folds of the training data, and the search never sees the test split (0 = one validation "
                        "split)", minimum=0,
                   maximum=50, default=0),
    "refit": Field(str, "with folds, which trials are trained again on the whole training split, once per seed, "
                        "and tested after the search: the best, or all (to compare every trial on test)",
                   choices=("best", "all"), default="best"),
}
# Values of [tuner] that a run folder's name leaves out, so folders of runs made before they existed still resume.
TUNER_DEFAULTS = {key: field.default for key, field in TUNER_FIELDS.items() if field.default is not None}

PAPER_RUN_FIELDS = {
    "name": Field(str, "what the paper calls this setting"),
    "params": Field(dict, "overrides of [params] for this setting"),
    "baseline": Field(bool, "the setting other runs are compared with"),
    "test_accuracy": Field(float, "test accuracy the paper reports", minimum=0, maximum=1),
    "expect": Field(str, "the paper's finding relative to the baseline", choices=("above", "below", "inconclusive")),
    "first_epoch_test_accuracy": Field(float, "test accuracy after the first epoch", minimum=0, maximum=1),
    "best_epoch_test_accuracy": Field(float, "the highest test accuracy over the epochs", minimum=0, maximum=1),
    "best_epoch": Field(int, "the epoch of that highest test accuracy", minimum=1, maximum=10_000),
}
REFERENCE_FIELDS = {
    "name": Field(str, "the published method"),
    "dataset": Field(str, "the data set it was measured on; a report shows it only beside a run on that data set"),
    "test_accuracy": Field(float, "its reported test accuracy", minimum=0, maximum=1),
    "source": Field(str, "where it was published"),
}
PAPER_FINAL_FIELDS = {
    "test_accuracy": Field(float, "test accuracy of the paper's final model", minimum=0, maximum=1),
    "test_loss": Field(float, "test loss of the paper's final model", minimum=0, maximum=1e6),
}

TOP_LEVEL = ("name", "title", "description", "dataset", "model", "default_profile",
             "data", "params", "augment", "search", "tuner", "final", "baselines", "paper", "notes", "profiles")
NOTE_FIELDS = {
    "title": Field(str, "what differs from the paper, or what a reader would otherwise take for a bug"),
    "text": Field(str, "why, from evidence: the measurements and the commands that made them"),
    "profiles": Field(list, "the profiles the note is about (default: every profile)"),
}
# The type of each top-level value and of a profile's own values; the tables' contents are checked field by field.
TOP_LEVEL_TYPES = {"name": str, "title": str, "description": str, "dataset": str, "model": str,
                   "default_profile": str, "data": dict, "params": dict, "augment": dict, "search": dict,
                   "tuner": dict, "final": dict, "baselines": dict, "paper": dict, "notes": list,
                   "profiles": dict}
PROFILE_TYPES = {"description": str, "title": str, "dataset": str, "report_name": str, "data": dict, "params": dict,
                 "augment": dict, "search": dict, "tuner": dict, "final": dict, "baselines": dict}
PROFILE_TABLES = ("data", "params", "augment", "search", "tuner", "final", "baselines")
SET_TABLES = ("data", "params", "augment", "search", "tuner", "final", "baselines")
