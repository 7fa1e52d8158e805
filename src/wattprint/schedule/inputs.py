"""Gather the intensity series a plan needs, from a provider and optionally a forecaster.

This is the thin I/O shell in front of the pure planner: it asks the
provider for each allowed zone, turns provider failures into notes (the
planner then skips the zone, or refuses when it is the home zone) and, when
a forecaster is named, feeds it only the history before "now" — so a what-if
plan as of a past instant cannot peek at the future it is judged against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from wattprint.errors import ProviderError
from wattprint.intensity.providers.base import IntensityProvider
from wattprint.intensity.series import IntensitySeries


class Forecaster(Protocol):
    """Anything that turns history into a forecast series."""

    def forecast(
        self, history: IntensitySeries, start_utc: datetime, end_utc: datetime
    ) -> IntensitySeries:
        """Expected intensity over ``[start_utc, end_utc)`` from ``history`` only."""
        ...


def gather_series(
    provider: IntensityProvider,
    zones: Sequence[str],
    start_utc: datetime,
    end_utc: datetime,
    *,
    forecaster: Forecaster | None = None,
    lookback: timedelta = timedelta(days=28),
) -> tuple[dict[str, IntensitySeries], list[str]]:
    """Series per zone covering ``[start_utc, end_utc)`` and notes on what was missing.

    Args:
        provider: Where the numbers come from (file, live API chain, static).
        zones: Zones to fetch.
        start_utc: Planning "now".
        end_utc: Deadline.
        forecaster: When given, the forecast is computed from the provider's
            history over ``lookback`` before ``start_utc`` instead of asking
            the provider for a forecast.
        lookback: History given to the forecaster.
    """
    found: dict[str, IntensitySeries] = {}
    notes: list[str] = []
    for zone in zones:
        try:
            if forecaster is None:
                found[zone] = provider.forecast(zone, start_utc, end_utc)
            else:
                history = provider.history(zone, start_utc - lookback, start_utc)
                fitted = forecaster.fit(history) if hasattr(forecaster, "fit") else forecaster
                found[zone] = fitted.forecast(history, start_utc, end_utc)
        except ProviderError as exc:
            notes.append(f"{zone}: {exc}")
    return found, notes


def describe(series: dict[str, IntensitySeries]) -> dict[str, Any]:
    """Short per-zone description for JSON output: kind, source, step, coverage."""
    return {
        zone: {"kind": s.kind, "source": s.source, "signal": s.signal, "step_s": s.step_s,
               "start": s.start_utc.isoformat(), "end": s.end_utc.isoformat(),
               "uncertainty_g_per_kwh": s.uncertainty_g_per_kwh}
        for zone, s in series.items()
    }
