"""The one protocol every carbon-intensity provider implements.

A provider answers three questions about a grid zone, always in UTC and
g CO2e/kWh: what is the intensity now (:meth:`IntensityProvider.current`),
what was it (:meth:`IntensityProvider.history`) and what will it be
(:meth:`IntensityProvider.forecast`). A provider that cannot answer one of
them raises :class:`~wattprint.errors.ProviderError` with the reason; the
fallback chain then asks the next source and warns once.

``probe()`` never raises: it says whether the provider can be used here and,
if not, why and how to fix it (``wattprint doctor`` prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from wattprint.intensity.series import IntensitySeries
from wattprint.model import Intensity


@dataclass(frozen=True)
class ProviderStatus:
    """Result of a backend's ``probe()``: usable or not, why, and the fix.

    Intensity providers and executors both answer with it.
    """

    name: str
    available: bool
    reason: str = ""
    fix: str = ""

    def __str__(self) -> str:
        if self.available:
            return f"{self.name}: available" + (f" ({self.reason})" if self.reason else "")
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{self.name}: unavailable: {self.reason}{fix}"


@runtime_checkable
class IntensityProvider(Protocol):
    """A source of grid carbon intensity for zones."""

    #: Short name used in config and messages (``"electricitymaps"``, ``"file"``).
    name: str

    def current(self, zone: str) -> Intensity:
        """The latest intensity of ``zone``."""
        ...

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Measured intensity of ``zone`` over ``[start_utc, end_utc)``."""
        ...

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Expected intensity of ``zone`` over ``[start_utc, end_utc)``."""
        ...

    def probe(self) -> ProviderStatus:
        """Whether this provider can be used here; never raises."""
        ...
