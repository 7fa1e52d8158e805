"""Carbon-intensity providers: embedded data, files and live APIs, one protocol.

=====================  ==============================================  ==================
provider               module                                          needs
=====================  ==============================================  ==================
``static``             :mod:`~.static` (annual averages, profiles)     nothing (offline)
``electricitymaps``    :mod:`~.electricitymaps` (API v3)               token
``watttime``           :mod:`~.watttime` (API v3, marginal MOER)       account + regions
``ukgrid``             :mod:`~.ukgrid` (NESO, GB and GB regions)       nothing (keyless)
=====================  ==============================================  ==================

:class:`ProviderChain` asks them in order and falls back with one
:class:`ProviderFallbackWarning`; :func:`providers_from_settings` builds it
from the settings. Names load lazily, so importing this package does not
import httpx.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "IntensityProvider": "base",
    "ProviderStatus": "base",
    "StaticProvider": "static",
    "ElectricityMapsProvider": "electricitymaps",
    "WattTimeProvider": "watttime",
    "UkGridProvider": "ukgrid",
    "ProviderChain": "chain",
    "ProviderFallbackWarning": "chain",
    "providers_from_settings": "chain",
    "HttpClient": "http",
    "JsonCache": "cache",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
