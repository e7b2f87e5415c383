"""What a data source declares about itself: its name, the examples it gives, its options, where its files are.

Each source module under data/ (digits, cifar10, image_folders, synthetic,
aeon_sets, ts_files) defines one or more `Source` records; data/__init__.py keeps
them in one registry. Everything the rest of the package asks of a data set
(is this name valid, does it read --data, which environment variable stands
in for --data, can an RNN read it) is answered from these records, so a new
source is one module and its line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .splits import Splits

# What one example is, by the rank of its array: which model families can read a source.
KINDS = {
    "vectors": (1, "vectors of features"),
    "sequences": (2, "sequences (time steps, channels)"),
    "images": (3, "images (height, width, channels)"),
}


@dataclass(frozen=True)
class Source:
    """One data source: how a spec names it, what it gives, and how it is read.

    `read(seed, argument, options)` returns the source's own train and test
    splits; `argument` is what follows the colon of the name (a path or a
    set's name), or [data] path for a source that reads its files from there,
    and `options` is the spec's [data] table.
    """

    pattern: str                        # "digits", "images:PATH", "aeon:NAME": as `ann-keras datasets` lists it
    kind: str                           # a key of KINDS
    summary: str                        # one line: what it is and where it comes from
    read: Callable[[int, str, dict], Splits]
    options: tuple[str, ...] = ()       # the [data] keys it reads besides the split's (sizes and limits)
    reads_path: bool = False            # whether [data] path (--data) says where its files are
    env: str = ""                       # environment variable read where [data] path and --data are silent
    fingerprint: Callable[[str], str] | None = None   # the digest of the content of the files at a path
    example: str = ""                   # a name a user could type, for messages

    @property
    def key(self) -> str:
        """The part of the name before the colon: "images" for images:PATH."""
        return self.pattern.partition(":")[0]

    @property
    def argument(self) -> str:
        """What follows the colon in a name ("PATH", "NAME"), or "" for a source named by its key alone."""
        return self.pattern.partition(":")[2]

    @property
    def rank(self) -> int:
        return KINDS[self.kind][0]

    @property
    def gives(self) -> str:
        return KINDS[self.kind][1]
