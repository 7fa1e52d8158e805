"""The offline provider: embedded annual averages and typical hourly profiles.

It never touches the network, so it is the last link of every fallback chain.

* :meth:`StaticProvider.current` — the zone's annual average from the zone
  catalogue (:func:`~wattprint.intensity.zones.load_catalog`).
* :meth:`StaticProvider.forecast` and :meth:`StaticProvider.history` — the
  typical hourly profile where the package has one (kind ``"profile"``: the
  mean by zone × month × UTC hour of Electricity Maps 2023–2024 hourly data,
  ``data/profiles.csv``, ODbL 1.0), else the annual average as a flat series
  (kind ``"static"``). ``source`` and ``notes`` say which.

A cloud region uses its grid zone's profile. Zones outside the catalogue that
stand for part of a catalogue zone (``GB-REGION-13`` → ``GB``) are answered
with the parent's figures when ``parent_zones`` maps them.

Example::

    provider = StaticProvider()
    provider.forecast("DE", start, start + timedelta(hours=24)).kind   # "profile"
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import numpy as np

from wattprint.intensity.providers.base import ProviderStatus
from wattprint.intensity.series import IntensitySeries, from_epoch_s, to_epoch_s
from wattprint.intensity.zones import ZoneCatalog, load_catalog
from wattprint.model import Intensity, Zone

_HOUR_S = 3600


@dataclass(frozen=True, eq=False)
class HourlyProfile:
    """Typical intensity of one zone by month and UTC hour.

    Attributes:
        zone: Zone id.
        values_g_per_kwh: Shape ``(12, 24)``: ``[month - 1, hour_utc]``.
        source: Where the numbers come from (with licence).
        years: Years averaged, e.g. ``"2023-2024"``.
    """

    zone: str
    values_g_per_kwh: np.ndarray[Any, np.dtype[np.float64]]
    source: str
    years: str

    def at(self, times_epoch_s: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Profile values at the given epoch seconds (by their UTC month and hour)."""
        stamps = np.asarray(times_epoch_s, dtype="datetime64[s]")
        month = stamps.astype("datetime64[M]").astype(np.int64) % 12
        hour = (stamps.astype("datetime64[h]") - stamps.astype("datetime64[D]")).astype(np.int64)
        values: np.ndarray[Any, np.dtype[np.float64]] = self.values_g_per_kwh[month, hour]
        return values


def parse_profiles(rows: Iterable[Mapping[str, str]]) -> dict[str, HourlyProfile]:
    """Profiles from ``profiles.csv`` rows (zone, month, hour_utc, value, source, years).

    Raises:
        ValueError: A zone lacks some month × hour cell (a packaging bug).
    """
    grids: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    meta: dict[str, tuple[str, str]] = {}
    for row in rows:
        zone = row["zone"]
        grid = grids.setdefault(zone, np.full((12, 24), np.nan))
        grid[int(row["month"]) - 1, int(row["hour_utc"])] = float(row["carbon_intensity_g_per_kwh"])
        meta[zone] = (row["source"], row["years"])
    for zone, grid in grids.items():
        if np.isnan(grid).any():
            raise ValueError(f"profile of {zone} misses {int(np.isnan(grid).sum())} cells")
    return {zone: HourlyProfile(zone, grid, *meta[zone]) for zone, grid in grids.items()}


def load_profiles() -> dict[str, HourlyProfile]:
    """The embedded profiles (``data/profiles.csv``; ``#`` lines are its licence notice)."""
    text = (resources.files("wattprint.intensity").joinpath("data")
            .joinpath("profiles.csv").read_text("utf-8"))
    lines = (line for line in io.StringIO(text) if not line.startswith("#"))
    return parse_profiles(csv.DictReader(lines))


class StaticProvider:
    """Annual averages and typical hourly profiles from the package's own tables.

    Args:
        catalog: Zone catalogue (default: the embedded one, loaded on first use).
        profiles: Zone -> hourly profile (default: the embedded ``profiles.csv``).
        parent_zones: Zone ids outside the catalogue -> the catalogue zone that
            stands in for them (e.g. ``{"GB-REGION-13": "GB"}``).

    Unknown zones raise :class:`~wattprint.errors.UnknownZoneError` with close
    matches: that is a mistake in the input, not a provider failure.
    """

    name = "static"

    def __init__(
        self,
        catalog: ZoneCatalog | None = None,
        profiles: Mapping[str, HourlyProfile] | None = None,
        parent_zones: Mapping[str, str] | None = None,
    ) -> None:
        self._catalog = catalog
        self._profiles = dict(profiles) if profiles is not None else None
        self._parents = {k.upper(): v for k, v in (parent_zones or {}).items()}

    def probe(self) -> ProviderStatus:
        """Always available (embedded data)."""
        return ProviderStatus(self.name, True, "embedded annual averages and hourly profiles")

    def profile_for(self, zone: str) -> HourlyProfile | None:
        """The hourly profile used for ``zone`` (its own, or its grid zone's), if any."""
        z, _ = self._zone(zone)
        profiles = self._load_profiles()
        return profiles.get(z.id) or (profiles.get(z.grid_zone) if z.grid_zone else None)

    def current(self, zone: str) -> Intensity:
        """The annual average of ``zone`` (there is no live value offline)."""
        z, note = self._zone(zone)
        value = self._catalog_or_default().intensity(z.id)
        return Intensity(zone if note else z.id, value.g_per_kwh, value.source + note,
                         value.year, value.resolution)

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """The typical profile (or annual average) over the window: no measured history offline."""
        return self._series(zone, start_utc, end_utc)

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """The typical profile over the window when there is one, else the annual average."""
        return self._series(zone, start_utc, end_utc)

    # -- internals --------------------------------------------------------------------

    def _catalog_or_default(self) -> ZoneCatalog:
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog

    def _load_profiles(self) -> dict[str, HourlyProfile]:
        if self._profiles is None:
            self._profiles = load_profiles()
        return self._profiles

    def _zone(self, zone: str) -> tuple[Zone, str]:
        catalog = self._catalog_or_default()
        parent = self._parents.get(zone.strip().upper())
        if parent is not None and catalog.find(zone) is None:
            return catalog.get(parent), f" (figure of {parent}, standing in for {zone})"
        return catalog.get(zone), ""

    def _series(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        z, stand_in = self._zone(zone)
        zone = zone if stand_in else z.id
        profile = self.profile_for(zone)
        start_s = to_epoch_s(start_utc) // _HOUR_S * _HOUR_S
        count = max(1, -(-(to_epoch_s(end_utc) - start_s) // _HOUR_S))
        if profile is None:
            annual = self._catalog_or_default().intensity(z.id)
            note = (f"no hourly profile for {z.id}; flat annual average "
                    f"{annual.g_per_kwh:.0f} g/kWh ({annual.year}){stand_in}")
            end = from_epoch_s(start_s + count * _HOUR_S)
            return IntensitySeries.constant(
                zone, annual.g_per_kwh, from_epoch_s(start_s), end, kind="static",
                source=f"annual average: {annual.source}", notes=(note,),
            )
        times = start_s + _HOUR_S * np.arange(count, dtype=np.int64)
        via = f" via grid zone {profile.zone}" if profile.zone != z.id else ""
        note = (f"typical hour of {profile.zone} (mean by month and UTC hour, "
                f"{profile.years}){via}{stand_in}; not a forecast of this day")
        return IntensitySeries(zone, from_epoch_s(start_s), _HOUR_S, profile.at(times),
                               kind="profile", source=profile.source, signal="lifecycle",
                               notes=(note,))
