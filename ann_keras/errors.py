"""Errors a user can fix: each message names the bad value and the valid choices.

The CLI turns every AnnKerasError into one line on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""


class AnnKerasError(Exception):
    """A mistake in the user's input, explained in one line."""


class SpecError(AnnKerasError):
    """An experiment spec (TOML file, profile or --set override) is invalid."""


class DataError(AnnKerasError):
    """A data set cannot be found, read or used with the chosen model."""


class ResultsError(AnnKerasError):
    """A run folder or results.json is missing or unreadable."""


class PathError(AnnKerasError):
    """A path ann-keras would write leads out of the folder it owns, or through a symbolic link."""


def choices(values):
    """Return `values` as a short, sorted, comma-separated list for messages."""
    return ", ".join(sorted(str(v) for v in values))


def shorten(text: str, limit: int = 80) -> str:
    """Return `text` cut to `limit` characters, so a message about a huge or nested value stays one line."""
    return text if len(text) <= limit else text[:limit - 3] + "..."
