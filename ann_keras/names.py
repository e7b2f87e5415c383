"""Names that become folders: an experiment's `name` and a report's `report_name`.

Both come from files a user may have been handed (a spec, a results.json),
and both are joined to a folder we were given (runs/, reports/). A name like
`..`, `../../X` or `/etc` would make that join point elsewhere, and a name
like `javascript:alert(1)` would become a live link in reports/index.html.
So a name must be plain: letters, digits, `.`, `_` and `-`, not starting
with `.`, at most 100 characters. Anything else is refused before anything
is written.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import AnnKerasError

_PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
RULE = "letters, digits, '.', '_' and '-', not starting with '.', at most 100 characters"


def is_plain(name) -> bool:
    """Return whether `name` may be used as one folder's name."""
    return isinstance(name, str) and _PLAIN.fullmatch(name) is not None


def check_plain(name, where: str, error: type[AnnKerasError] = AnnKerasError) -> str:
    """Return `name` if it is plain, else raise `error` naming it and the rule."""
    if not is_plain(name):
        raise error(f"{where}: {name!r} cannot name a folder; use {RULE}")
    return name


def inside(folder: Path, name: str, where: str, error: type[AnnKerasError] = AnnKerasError) -> Path:
    """Return folder/name after checking that `name` is plain, so the result stays inside `folder`."""
    return Path(folder) / check_plain(name, where, error)


def plain(text: str, limit: int = 40) -> str:
    """Return `text` made plain: every run of other characters becomes '-' (e.g. a data set's name in a folder)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:limit] or "data"
