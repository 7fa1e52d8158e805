"""wattprint: measure, predict and reduce the energy, carbon and water cost of AI work.

The public API is loaded lazily so ``import wattprint`` stays cheap::

    from wattprint import Tracker, log_metric

    with Tracker(project="demo", zone="DE", model="mlp") as t:
        accuracy = train()
        log_metric("accuracy", accuracy)
    print(f"{t.run.energy_kwh:.4f} kWh, {t.run.co2e_kg:.4f} kg CO2e")
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS = {
    "Tracker": "wattprint.measure.tracker",
    "LedgerFallbackWarning": "wattprint.measure.tracker",
    "track": "wattprint.measure.decorator",
    "log_metric": "wattprint.measure.metrics",
    "Run": "wattprint.model",
    "RunStatus": "wattprint.model",
    "Footprint": "wattprint.model",
    "Device": "wattprint.model",
    "DeviceKind": "wattprint.model",
    "Method": "wattprint.model",
    "Phase": "wattprint.model",
    "Zone": "wattprint.model",
    "Intensity": "wattprint.model",
    "Settings": "wattprint.config",
    "load_settings": "wattprint.config",
    "Ledger": "wattprint.store.ledger",
    "WattprintError": "wattprint.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from wattprint.config import Settings, load_settings
    from wattprint.errors import WattprintError
    from wattprint.measure.decorator import track
    from wattprint.measure.metrics import log_metric
    from wattprint.measure.tracker import LedgerFallbackWarning, Tracker
    from wattprint.model import (
        Device,
        DeviceKind,
        Footprint,
        Intensity,
        Method,
        Phase,
        Run,
        RunStatus,
        Zone,
    )
    from wattprint.store.ledger import Ledger


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wattprint' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
