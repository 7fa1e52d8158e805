"""Grid carbon intensity: embedded offline tables, zones, zone resolution, PUEs.

``load_catalog()`` gives every country, sub-national grid region and cloud
region with its annual average intensity; ``resolve_zone()`` picks the zone of
a run (argument > ``WATTPRINT_ZONE`` > config > cloud metadata if opted in >
time zone > world average); ``default_pue()`` gives a provider's published PUE.

Names load lazily, so importing one submodule does not pull in the others
(``urllib`` is imported only for the opt-in metadata call).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattprint.intensity.pue import check_pue, default_pue
    from wattprint.intensity.resolve import resolve_zone
    from wattprint.intensity.zones import ZoneCatalog, load_catalog

__all__ = ["ZoneCatalog", "check_pue", "default_pue", "load_catalog", "resolve_zone"]

_HOMES = {
    "ZoneCatalog": "zones", "load_catalog": "zones", "resolve_zone": "resolve",
    "check_pue": "pue", "default_pue": "pue",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
