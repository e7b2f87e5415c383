"""Experiments: a spec from tuning/ resolved against the model families this package has.

specs/ reads and checks TOML but imports nothing downstream of it; the
schemas that live beside their code (each model family's parameters, the
augmentation's table, the search algorithms' names, the aeon classifiers' options) meet it here, in the
package's one `Catalog`, and a spec's data set is checked against its model
family. The CLI, the benchmarks and the tests load experiments through this
module.
"""

from __future__ import annotations

from . import models, specs
from .models import PARAMS, aeon_classifiers, augment
from .search.tuners import TUNERS

CATALOG = specs.Catalog(families=PARAMS, augment=augment.FIELDS, tuners=tuple(TUNERS),
                        baselines=aeon_classifiers.OPTIONS)


def load(experiment: str, profile: str | None = None, overrides: tuple[str, ...] = (), *,
         data_path: str | None = None, data_fallbacks=None, dataset: str | None = None) -> specs.Spec:
    """Read, resolve and check an experiment spec (a name in tuning/ or a path to a TOML file).

    `dataset` is --dataset, `data_path` is --data; `data_fallbacks` maps data
    set names to paths from the environment (see data.path_fallbacks). A data
    set its model cannot read (images into an RNN) is refused here, from what
    the source declares, before anything is loaded or trained.
    """
    return _checked(specs.load(experiment, profile, overrides, catalog=CATALOG, data_path=data_path,
                               data_fallbacks=data_fallbacks, dataset=dataset))


def resolve(raw: dict, path: str, profile: str | None = None, overrides: tuple[str, ...] = ()) -> specs.Spec:
    """Resolve and check spec data already read from TOML."""
    return _checked(specs.resolve(raw, path, profile, overrides, catalog=CATALOG))


def _checked(spec: specs.Spec) -> specs.Spec:
    """Return `spec` once its data set is known to feed its model family (DataError otherwise)."""
    models.check_data(spec.model, spec.dataset)
    return spec
