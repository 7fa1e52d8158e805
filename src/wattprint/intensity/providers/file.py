"""``FileProvider``: carbon intensity from the user's own CSV or Parquet files.

A file holds one row per interval with the columns ``timestamp`` (ISO 8601;
``Z`` or an offset; naive times are UTC), ``zone`` and an intensity column in
g CO2e/kWh (``carbon_intensity_g_per_kwh`` unless ``column`` names another,
e.g. ``carbon_intensity_lifecycle_g_per_kwh``). Any regular resolution works;
irregular or mixed resolutions (15/30-minute data) are placed on the finest
grid by :meth:`IntensitySeries.from_points`. Several files (two years of one
zone, or several zones) merge into one series per zone; where two rows give
the same interval, the later one (in file order) wins.

Gaps of at most ``max_gap_s`` (3 h) are filled by linear interpolation and
the series says so in its ``notes``; longer gaps stay NaN so a planner never
trusts invented hours. Empty cells count as missing.

Files are read on first use, not in the constructor. ``forecast`` answers
with the recorded values (perfect foresight, for what-if planning and
backtests) and marks the series ``kind="forecast"`` with a note saying so.

Example::

    provider = FileProvider(["DE_2023.csv", "DE_2024.csv"],
                            column="carbon_intensity_lifecycle_g_per_kwh")
    series = provider.history("DE", start_utc, end_utc)
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from wattprint.clock import Clock, SystemClock
from wattprint.errors import ConfigError, MissingExtraError, ProviderError
from wattprint.intensity.providers.base import ProviderStatus
from wattprint.intensity.series import IntensitySeries
from wattprint.model import Intensity

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Intensity column read unless another is named.
DEFAULT_COLUMN = "carbon_intensity_g_per_kwh"
#: Gaps up to this long are interpolated; longer ones stay missing.
DEFAULT_MAX_GAP_S = 3 * 3600

_Row = tuple[str, Any, Any, Any]  # (where, timestamp, zone, value)


class FileProvider:
    """Carbon intensity read from CSV or Parquet files.

    Args:
        paths: One file or several; ``.parquet``/``.pq`` files are read with
            pyarrow (the ``parquet`` extra), anything else as CSV.
        column: Intensity column (g CO2e/kWh).
        clock: Source of "now" for :meth:`current` (default: the system clock).
        max_gap_s: Longest gap filled by interpolation.

    Errors name the file and line: a missing file or column, a bad timestamp,
    a non-numeric or negative value raise :class:`ConfigError`; a zone the
    files do not hold raises :class:`ProviderError` listing the zones present.
    """

    name = "file"

    def __init__(
        self,
        paths: str | Path | Sequence[str | Path],
        column: str = DEFAULT_COLUMN,
        *,
        clock: Clock | None = None,
        max_gap_s: int = DEFAULT_MAX_GAP_S,
    ) -> None:
        items = [paths] if isinstance(paths, (str, Path)) else list(paths)
        if not items:
            raise ConfigError("file provider: give at least one CSV or Parquet file")
        if max_gap_s < 0:
            raise ConfigError(f"file provider: max_gap_s must be >= 0, got {max_gap_s}")
        self.paths = tuple(Path(p) for p in items)
        self.column = column
        self.max_gap_s = max_gap_s
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._series: dict[str, IntensitySeries] | None = None

    # -- loading ------------------------------------------------------------------------

    def load(self) -> dict[str, IntensitySeries]:
        """Read every file (once) and return one series per zone, in file order."""
        if self._series is None:
            points: dict[str, tuple[list[int], list[float]]] = {}
            for path in self.paths:
                for where, stamp, zone, value in _read_rows(path, self.column):
                    name = str(zone).strip() if zone is not None else ""
                    if not name:
                        raise ConfigError(f"{where}: empty zone")
                    times, values = points.setdefault(name, ([], []))
                    times.append(_parse_timestamp(stamp, where))
                    values.append(_parse_value(value, where, self.column))
            self._series = {zone: self._build(zone, t, v) for zone, (t, v) in points.items()}
        return self._series

    def _build(self, zone: str, times: list[int], values: list[float]) -> IntensitySeries:
        source = "file " + ", ".join(p.name for p in self.paths)
        series = IntensitySeries.from_points(
            zone, _as_array(times), values, kind="actual", source=source,
            signal=_signal(self.column),
        ).interpolate(self.max_gap_s)
        if series.missing:
            note = (f"{series.missing} interval(s) of {zone} missing (gaps longer than "
                    f"{self.max_gap_s / 3600:g} h are not filled)")
            series = replace(series, notes=(*series.notes, note))
        for note in series.notes:
            logger.info("%s", note)
        return series

    def zones(self) -> tuple[str, ...]:
        """Zones present in the files."""
        return tuple(self.load())

    def series(self, zone: str) -> IntensitySeries:
        """The whole series of ``zone``."""
        found = self.load()
        if zone not in found:
            names = ", ".join(p.name for p in self.paths)
            raise ProviderError(
                f"zone {zone} is not in {names}; zones present: {', '.join(found) or 'none'}"
            )
        return found[zone]

    # -- the provider protocol --------------------------------------------------------

    def current(self, zone: str) -> Intensity:
        """The recorded value of the interval containing the clock's now."""
        series = self.series(zone)
        now = self._clock.now()
        value = series.value_at(now)
        if math.isnan(value):
            raise ProviderError(
                f"file data for {zone} covers {_iso(series.start_utc)} to "
                f"{_iso(series.end_utc)}, not now ({_iso(now)})"
            )
        return Intensity(zone, value, series.source, now.year, _resolution(series.step_s))

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """The recorded intervals overlapping ``[start_utc, end_utc)``."""
        return self._slice(zone, start_utc, end_utc)

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """The recorded values as a perfect-foresight forecast."""
        part = self._slice(zone, start_utc, end_utc)
        note = "forecast = recorded values from the file (perfect foresight)"
        return replace(part, kind="forecast", notes=(*part.notes, note))

    def probe(self) -> ProviderStatus:
        """Available when every file exists and reads cleanly; never raises."""
        try:
            missing = [str(p) for p in self.paths if not p.is_file()]
            if missing:
                return ProviderStatus(self.name, False, f"no such file: {', '.join(missing)}",
                                      "check the --series path")
            self.load()
        except (MissingExtraError, ConfigError) as exc:
            return ProviderStatus(self.name, False, str(exc), "fix the file or the column name")
        except Exception as exc:  # noqa: BLE001 — probe() must never raise
            return ProviderStatus(self.name, False, f"{type(exc).__name__}: {exc}")
        return ProviderStatus(self.name, True)

    def _slice(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        series = self.series(zone)
        part = series.between(start_utc, end_utc)
        if len(part) == 0:
            raise ProviderError(
                f"file data for {zone} covers {_iso(series.start_utc)} to "
                f"{_iso(series.end_utc)}, not {_iso(start_utc)} to {_iso(end_utc)}"
            )
        return part


# -- reading rows (the I/O edge) -----------------------------------------------------------


def _read_rows(path: Path, column: str) -> Iterator[_Row]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        yield from _parquet_rows(path, column)
    else:
        yield from _csv_rows(path, column)


def _csv_rows(path: Path, column: str) -> Iterator[_Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            index = [header.index(n) for n in _required(path, header, column)]
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                where = f"{path} line {reader.line_num}"
                if len(row) < len(header):
                    raise ConfigError(f"{where}: expected {len(header)} columns, got {len(row)}")
                yield where, row[index[0]], row[index[1]], row[index[2]]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read CSV: {exc}") from exc


def _parquet_rows(path: Path, column: str) -> Iterator[_Row]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
    except ImportError as exc:
        raise MissingExtraError("pyarrow", "parquet") from exc
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
        raise ConfigError(f"{path}: cannot read Parquet: {exc}") from exc
    names = _required(path, list(table.column_names), column)
    cols = [table.column(n).to_pylist() for n in names]
    for number, (stamp, zone, value) in enumerate(zip(*cols, strict=True), start=1):
        yield f"{path} row {number}", stamp, zone, value


def _required(path: Path, header: Sequence[str], column: str) -> tuple[str, str, str]:
    for name in ("timestamp", "zone", column):
        if name in header:
            continue
        message = f"{path}: no column {name!r} (columns: {', '.join(header) or 'none'})"
        if name == column:
            others = [h for h in header if h.startswith("carbon_intensity_")]
            if len(others) == 1:
                message += f"; the one intensity column is {others[0]!r}: pass --column {others[0]}"
            elif others:
                message += f"; choose one with --column: {', '.join(others)}"
        raise ConfigError(message)
    return "timestamp", "zone", column


# -- parsing cells (pure) ------------------------------------------------------------------


def _parse_timestamp(stamp: Any, where: str) -> int:
    """Epoch seconds of an ISO 8601 string or datetime; naive = UTC."""
    if isinstance(stamp, datetime):
        when = stamp
    else:
        text = str(stamp).strip() if stamp is not None else ""
        try:
            when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z"))
                                          else text)
        except ValueError:
            raise ConfigError(
                f"{where}: bad timestamp {text!r} (expected ISO 8601, e.g. 2023-01-01T00:00:00Z)"
            ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def _parse_value(value: Any, where: str, column: str) -> float:
    """g/kWh as float; empty means missing (NaN)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {column} is not a number: {value!r}") from None
    if number < 0:
        raise ConfigError(f"{where}: {column} cannot be negative: {value!r}")
    return number


def _as_array(times: list[int]) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.asarray(times, dtype=np.int64)


def _signal(column: str) -> str:
    for word in ("lifecycle", "direct", "marginal"):
        if word in column:
            return word
    return ""


def _resolution(step_s: int) -> str:
    if step_s % 3600 == 0:
        return "hourly" if step_s == 3600 else f"{step_s // 3600}h"
    return f"{step_s // 60}min" if step_s % 60 == 0 else f"{step_s}s"


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


__all__ = ["DEFAULT_COLUMN", "DEFAULT_MAX_GAP_S", "FileProvider"]
