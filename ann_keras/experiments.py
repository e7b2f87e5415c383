"""Experiments: a spec from tuning/ resolved against the model families this package has.

specs/ reads and checks TOML but imports nothing downstream of it; the
schemas that live beside their code (each model family's parameters, the
augmentation's table) meet it here, in the package's one `Catalog`. The CLI,
the benchmarks and the tests load experiments through this module.
"""

from __future__ import annotations

from . import specs
from .models import PARAMS, augment

CATALOG = specs.Catalog(families=PARAMS, augment=augment.FIELDS)


def load(experiment: str, profile: str | None = None, overrides: tuple[str, ...] = (), *,
         data_path: str | None = None, data_fallbacks=None) -> specs.Spec:
    """Read, resolve and check an experiment spec (a name in tuning/ or a path to a TOML file).

    `data_path` is --data; `data_fallbacks` maps data set names to paths from
    the environment (see data.path_fallbacks).
    """
    return specs.load(experiment, profile, overrides, catalog=CATALOG, data_path=data_path,
                      data_fallbacks=data_fallbacks)


def resolve(raw: dict, path: str, profile: str | None = None, overrides: tuple[str, ...] = ()) -> specs.Spec:
    """Resolve and check spec data already read from TOML."""
    return specs.resolve(raw, path, profile, overrides, catalog=CATALOG)
