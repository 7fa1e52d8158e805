"""``IntensitySeries``: a regular UTC time series of grid carbon intensity.

Every provider answers with one of these and the planner consumes them, so
the shape is deliberately simple: a zone, the UTC start of the first
interval, a fixed step in seconds and one value (g CO2e/kWh) per interval,
valid from its timestamp to the next one. Missing intervals are NaN.

Irregular input (mixed 15/30-minute data, an API that skips hours) goes
through :meth:`IntensitySeries.from_points`, which places points on a regular
grid at the finest step seen; :meth:`IntensitySeries.interpolate` then fills
short gaps linearly and says how many it filled.

Example::

    s = IntensitySeries.from_points("DE", times_utc, values)
    s.mean_between(start_utc, end_utc)        # time-weighted mean, g/kWh
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from wattprint.errors import ConfigError

#: What a series holds: measured history, a forecast, a typical profile or a constant.
KINDS = ("actual", "forecast", "profile", "static", "mixed")


def to_epoch_s(when: datetime) -> int:
    """Whole seconds since the Unix epoch of an aware datetime (naive = UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def from_epoch_s(seconds: float) -> datetime:
    """Aware UTC datetime from seconds since the Unix epoch."""
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc)


@dataclass(frozen=True, eq=False)
class IntensitySeries:
    """Carbon intensity of one zone on a regular UTC grid.

    Attributes:
        zone: Grid zone id.
        start_utc: Start of the first interval (aware, UTC).
        step_s: Length of every interval in seconds.
        values_g_per_kwh: One value per interval (float64, read-only); NaN = missing.
        kind: ``"actual"``, ``"forecast"``, ``"profile"``, ``"static"`` or ``"mixed"``.
        source: Where the numbers come from, in words (provider, file, year).
        signal: What is measured, e.g. ``"lifecycle"``, ``"direct"``, ``"marginal (MOER)"``.
        uncertainty_g_per_kwh: Typical absolute error of the values when known
            (a forecaster's backtest MAE), else ``None``.
    """

    zone: str
    start_utc: datetime
    step_s: int
    values_g_per_kwh: np.ndarray[Any, np.dtype[np.float64]]
    kind: str = "actual"
    source: str = ""
    signal: str = ""
    uncertainty_g_per_kwh: float | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.step_s <= 0:
            raise ConfigError(f"series step must be > 0 s, got {self.step_s}")
        if self.kind not in KINDS:
            raise ConfigError(f"series kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        start = self.start_utc
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        object.__setattr__(self, "start_utc", start.astimezone(timezone.utc))
        values = np.array(self.values_g_per_kwh, dtype=np.float64).reshape(-1)
        if np.any(values[~np.isnan(values)] < 0):
            raise ConfigError(f"series for {self.zone}: carbon intensity cannot be negative")
        values.setflags(write=False)
        object.__setattr__(self, "values_g_per_kwh", values)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_points(
        cls,
        zone: str,
        times_utc: Sequence[datetime] | np.ndarray[Any, Any],
        values_g_per_kwh: Sequence[float] | np.ndarray[Any, Any],
        *,
        step_s: int | None = None,
        **meta: Any,
    ) -> IntensitySeries:
        """Place (time, value) points on a regular grid.

        Args:
            zone: Grid zone id.
            times_utc: Interval start times (datetimes, or epoch seconds).
            values_g_per_kwh: One value per time.
            step_s: Grid step; default: the smallest positive spacing of ``times_utc``.
            **meta: ``kind``, ``source``, ``signal``, ``uncertainty_g_per_kwh``.

        Points that fall inside a coarser interval fill every grid step of it
        (a 30-minute value repeated on a 15-minute grid); duplicates keep the
        last value. Steps with no point are NaN.
        """
        epoch = _as_epoch(times_utc)
        values = np.asarray(values_g_per_kwh, dtype=np.float64).reshape(-1)
        if epoch.size != values.size:
            raise ConfigError(f"series for {zone}: {epoch.size} times but {values.size} values")
        if epoch.size == 0:
            raise ConfigError(f"series for {zone} has no data points")
        order = np.argsort(epoch, kind="stable")
        epoch, values = epoch[order], values[order]
        diffs = np.diff(np.unique(epoch))
        if step_s is None:
            step_s = int(diffs.min()) if diffs.size else 3600
        # A point holds until the next one, but no longer than the largest
        # spacing that is common in the data (>= 5 % of intervals): a 30-minute
        # value covers two 15-minute steps, while a skipped hour stays missing.
        hold = step_s
        if diffs.size:
            spacings, counts = np.unique(diffs, return_counts=True)
            hold = max(step_s, int(spacings[counts >= max(1, 0.05 * diffs.size)].max()))
        start = int(epoch[0])
        slots = (epoch - start) // step_s
        length = int(slots[-1]) + 1
        grid = np.full(length, np.nan)
        ends = np.minimum(np.append(slots[1:], slots[-1] + 1), slots + max(1, hold // step_s))
        for begin, end, value in zip(slots, ends, values, strict=True):
            grid[int(begin) : max(int(end), int(begin) + 1)] = value
        return cls(zone, from_epoch_s(start), int(step_s), grid, **meta)

    @classmethod
    def constant(
        cls, zone: str, g_per_kwh: float, start_utc: datetime, end_utc: datetime,
        step_s: int = 3600, **meta: Any,
    ) -> IntensitySeries:
        """A flat series (e.g. an annual average) covering ``[start_utc, end_utc)``."""
        n = max(1, -(-(to_epoch_s(end_utc) - to_epoch_s(start_utc)) // step_s))
        meta.setdefault("kind", "static")
        return cls(zone, start_utc, step_s, np.full(n, float(g_per_kwh)), **meta)

    # -- shape ------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.values_g_per_kwh.size)

    @property
    def start_epoch_s(self) -> int:
        """Start of the first interval, seconds since the epoch."""
        return to_epoch_s(self.start_utc)

    @property
    def end_utc(self) -> datetime:
        """End of the last interval (exclusive)."""
        return self.start_utc + timedelta(seconds=self.step_s * len(self))

    def times_epoch_s(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Interval start times as epoch seconds."""
        return self.start_epoch_s + self.step_s * np.arange(len(self), dtype=np.int64)

    def times_utc(self) -> list[datetime]:
        """Interval start times as aware UTC datetimes."""
        return [from_epoch_s(t) for t in self.times_epoch_s()]

    def covers(self, start_utc: datetime, end_utc: datetime) -> bool:
        """True when ``[start_utc, end_utc)`` lies inside the series."""
        return self.start_utc <= start_utc and end_utc <= self.end_utc

    @property
    def missing(self) -> int:
        """Number of NaN intervals."""
        return int(np.isnan(self.values_g_per_kwh).sum())

    # -- reading ----------------------------------------------------------------------

    def value_at(self, when: datetime) -> float:
        """Value of the interval containing ``when`` (NaN outside the series)."""
        index = (to_epoch_s(when) - self.start_epoch_s) // self.step_s
        if index < 0 or index >= len(self):
            return float("nan")
        return float(self.values_g_per_kwh[index])

    def mean_between(self, start_utc: datetime, end_utc: datetime) -> float:
        """Time-weighted mean over ``[start_utc, end_utc)``; NaN if not covered or missing."""
        a, b = to_epoch_s(start_utc), to_epoch_s(end_utc)
        if b <= a:
            return self.value_at(start_utc)
        if not self.covers(start_utc, end_utc):
            return float("nan")
        return float(window_means(self, np.array([a]), np.array([b]))[0])

    def cumulative(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Running integral at interval boundaries (g/kWh · s), length ``len + 1``.

        Missing intervals count as zero here; :func:`window_means` uses a
        running count of them to report NaN for any window that touches one.
        """
        out = np.zeros(len(self) + 1)
        np.cumsum(np.nan_to_num(self.values_g_per_kwh, nan=0.0) * self.step_s, out=out[1:])
        return out

    def between(self, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """The intervals that overlap ``[start_utc, end_utc)``."""
        first = max(0, (to_epoch_s(start_utc) - self.start_epoch_s) // self.step_s)
        last = min(len(self), -(-(to_epoch_s(end_utc) - self.start_epoch_s) // self.step_s))
        last = max(last, first)
        return replace(
            self,
            start_utc=from_epoch_s(self.start_epoch_s + first * self.step_s),
            values_g_per_kwh=self.values_g_per_kwh[first:last],
        )

    def mean(self) -> float:
        """Mean of the non-missing values (NaN when all are missing)."""
        values = self.values_g_per_kwh
        return float(np.nanmean(values)) if np.any(~np.isnan(values)) else float("nan")

    # -- transforming -----------------------------------------------------------------

    def interpolate(self, max_gap_s: int = 3 * 3600) -> IntensitySeries:
        """Fill gaps of at most ``max_gap_s`` linearly between their neighbours.

        Longer gaps and gaps at either end stay NaN, so a planner never trusts
        invented hours; the number of filled intervals is added to ``notes``.
        """
        values = self.values_g_per_kwh.copy()
        nan = np.isnan(values)
        if not nan.any() or nan.all():
            return self
        filled = 0
        index = np.arange(values.size)
        for begin, end in _runs(nan):
            if begin == 0 or end == values.size or (end - begin) * self.step_s > max_gap_s:
                continue
            values[begin:end] = np.interp(index[begin:end], [begin - 1, end],
                                          [values[begin - 1], values[end]])
            filled += end - begin
        if not filled:
            return self
        note = f"{filled} missing interval(s) of {self.zone} filled by linear interpolation"
        return replace(self, values_g_per_kwh=values, notes=(*self.notes, note))

    def resample(self, step_s: int) -> IntensitySeries:
        """The same series on another step (time-weighted mean; finer steps repeat)."""
        if step_s == self.step_s:
            return self
        start = self.start_epoch_s
        end = start + self.step_s * len(self)
        n = -(-(end - start) // step_s)
        edges = start + step_s * np.arange(n + 1, dtype=np.float64)
        edges[-1] = min(edges[-1], end)
        values = window_means(self, edges[:-1], edges[1:])
        return replace(self, step_s=int(step_s), values_g_per_kwh=values)

    def extend(self, later: IntensitySeries) -> IntensitySeries:
        """This series followed by ``later`` (e.g. history + forecast), on this step.

        Where both cover an interval this series wins; the kind becomes
        ``"mixed"`` when the kinds differ.
        """
        other = later.resample(self.step_s)
        start = min(self.start_epoch_s, other.start_epoch_s)
        end = max(self.start_epoch_s + self.step_s * len(self),
                  other.start_epoch_s + self.step_s * len(other))
        n = -(-(end - start) // self.step_s)
        grid = np.full(n, np.nan)
        for part in (other, self):
            offset = (part.start_epoch_s - start) // self.step_s
            block = part.values_g_per_kwh
            target = grid[offset : offset + block.size]
            keep = ~np.isnan(block[: target.size])
            target[keep] = block[: target.size][keep]
        kind = self.kind if self.kind == other.kind else "mixed"
        source = self.source if self.source == other.source else f"{self.source}; {other.source}"
        return replace(self, start_utc=from_epoch_s(start), values_g_per_kwh=grid, kind=kind,
                       source=source)


def _as_epoch(times: Sequence[datetime] | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if isinstance(times, np.ndarray) and times.dtype.kind in "iuf":
        return times.astype(np.int64)
    if isinstance(times, np.ndarray) and times.dtype.kind == "M":
        return times.astype("datetime64[s]").astype(np.int64)
    return np.array([t if isinstance(t, (int, float)) else to_epoch_s(t) for t in times],
                    dtype=np.int64)


def _runs(mask: np.ndarray[Any, Any]) -> list[tuple[int, int]]:
    """``[begin, end)`` index ranges where ``mask`` is True."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(change[::2], change[1::2], strict=True)]


def window_means(
    series: IntensitySeries, starts: np.ndarray[Any, Any], ends: np.ndarray[Any, Any]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Time-weighted means of ``series`` over many ``[start, end)`` epoch windows."""
    cum = series.cumulative()
    gaps = np.zeros(cum.size)
    np.cumsum(np.isnan(series.values_g_per_kwh), out=gaps[1:])
    grid = np.arange(cum.size)
    x0 = (np.asarray(starts, dtype=np.float64) - series.start_epoch_s) / series.step_s
    x1 = (np.asarray(ends, dtype=np.float64) - series.start_epoch_s) / series.step_s
    width = np.maximum(x1 - x0, 1e-12) * series.step_s
    means: np.ndarray[Any, np.dtype[np.float64]] = (
        np.interp(x1, grid, cum) - np.interp(x0, grid, cum)
    ) / width
    # A window touches a missing interval when the gap count rises inside it.
    touched = np.interp(x1, grid, gaps, ) - np.interp(x0, grid, gaps) > 1e-12
    means[touched] = np.nan
    return means
