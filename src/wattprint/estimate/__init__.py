"""Estimate energy, carbon and water of AI work before it runs.

``estimate()`` combines the embedded hardware catalog (:mod:`.catalog`), the
zone tables of :mod:`wattprint.intensity`, documented defaults
(``data/defaults.csv``), water figures (:mod:`.water`) and equivalents
(:mod:`.equivalents`). Every figure of the result names its basis.

Names load lazily; nothing here imports numpy or pandas.

Example:
    >>> from wattprint.estimate import estimate
    >>> est = estimate(device="P100", count=8, hours=84, total_power_w=1515.43,
    ...                pue=1.58, intensity_g_per_kwh=432.7)
    >>> round(est.energy_kwh)
    201
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattprint.estimate.calculator import compute, estimate
    from wattprint.estimate.catalog import Hardware, HardwareCatalog, Instance, load_hardware
    from wattprint.estimate.equivalents import Equivalent
    from wattprint.estimate.result import Estimate, EstimateInput

__all__ = [
    "Equivalent", "Estimate", "EstimateInput", "Hardware", "HardwareCatalog", "Instance",
    "compute", "estimate", "load_hardware",
]

_HOMES = {
    "compute": "calculator", "estimate": "calculator", "Hardware": "catalog",
    "HardwareCatalog": "catalog", "Instance": "catalog", "load_hardware": "catalog",
    "Equivalent": "equivalents", "Estimate": "result", "EstimateInput": "result",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
