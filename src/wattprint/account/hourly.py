"""Location-based CO2e of a run: annual mean, or time-resolved from its power trace.

:func:`location_co2e` is facility energy × the run's stored (usually annual)
grid intensity. :func:`hourly_co2e` weights each interval of an intensity
series by the energy the run used in it:

    CO2e = Σ_k (facility energy in interval k) × intensity_k

How the energy is placed in time:

* Each device's power trace (``TracePoint``: ``t_s`` from run start) is taken
  as piecewise linear between its points; before its first point and after
  its last, power is held at that point's value, so the trace spans the whole
  run. Energy between any two instants is then exact (trapezoids split at the
  interval boundaries).
* The trace is down-sampled, so its integral is not the measured energy. Each
  device's profile is scaled to that device's measured energy; a device with
  no trace points is spread evenly over the run. Finally the distribution is
  scaled to the run's measured IT energy × PUE, so the total energy of the
  hourly figure is exactly the measured one and only its timing comes from
  the trace.

What the series is decides the figure's method (:data:`METHODS`), because
only a history of the run's own hours makes a time-resolved figure:

* ``"actual"`` (a file, Electricity Maps, WattTime, NESO national history) →
  ``"hourly"``, the only method the period summary counts as hourly.
* ``"profile"``: the static provider's *typical* hourly profile (the mean by
  month × UTC hour of past years) is not a history of these hours. The figure
  is still computed, since it keeps the daily and seasonal shape, but its
  method is ``"typical-profile"`` and ``inputs["not_hourly_reason"]`` says
  why; the period summary uses the annual mean for such runs. We keep it
  rather than dropping to the annual mean so the reader sees how much the
  timing might matter, without it ever passing for a measured figure.
* ``"mixed"`` (live history completed by the profile where the live provider
  had no value) → ``"hourly-partial"``; ``"forecast"`` (NESO regional
  figures are published as forecasts only) → ``"hourly-forecast"``. Neither
  counts as hourly in the period summary.
* ``"static"``: a flat annual average is no time resolution at all, so the
  figure falls back to the annual mean with the reason stored.

When the series does not cover the whole run (or has missing intervals in it),
the run has no trace, or no series could be had (``origin.error``: a provider
failure), the figure falls back to the annual mean and its inputs say why.
Where the series came from (:class:`SeriesOrigin`) is stored with the figure.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from wattprint.intensity.series import IntensitySeries
from wattprint.model import AccountedFigure, Run, TracePoint
from wattprint.units import co2e_kg

_FloatArray = np.ndarray[Any, np.dtype[np.float64]]

_FALLBACK = "annual-mean (fallback)"

#: Method of the ``location-hourly`` figure by the kind of its series, and why it
#: is not a measured hourly figure (None: it is). A ``"static"`` series falls back.
METHODS: Mapping[str, tuple[str, str | None]] = {
    "actual": ("hourly", None),
    "profile": ("typical-profile",
                "the series is a typical hourly profile (mean by month and UTC hour of past "
                "years), not a history of the run's hours: the period summary uses the annual "
                "mean for this run"),
    "mixed": ("hourly-partial",
              "the series is a measured history completed by typical or annual values where "
              "it had none: the period summary uses the annual mean for this run"),
    "forecast": ("hourly-forecast",
                 "the series is a forecast of the run's hours, not a measured history: the "
                 "period summary uses the annual mean for this run"),
}


@dataclass(frozen=True)
class SeriesOrigin:
    """Where the series of an hourly figure was asked for, and what came of it.

    Attributes:
        provider: What was asked, in words (``"file de.csv"``,
            ``"provider chain: electricitymaps, static"``).
        zone: The zone asked for (a cloud region's grid zone, say).
        warnings: Fallbacks the provider chain reported on the way.
        error: Why no series came back (empty when one did).
    """

    provider: str
    zone: str = ""
    warnings: tuple[str, ...] = ()
    error: str = ""


def location_co2e(run: Run) -> AccountedFigure:
    """Location-based CO2e at the run's stored intensity (facility energy × g/kWh)."""
    fp = run.footprint
    return AccountedFigure(
        run_id=run.id, kind="location", value=fp.co2e_kg, unit="kg CO2e",
        method=f"{fp.intensity.resolution}-mean",
        inputs=_base_inputs(run),
    )


def hourly_co2e(
    run: Run, series: IntensitySeries | None, origin: SeriesOrigin | None = None
) -> AccountedFigure:
    """Location-based CO2e from interval energy × interval intensity.

    Args:
        run: A run with its trace (``Ledger.get_run`` loads it).
        series: Intensity of the run's zone over (at least) the run; None
            when there is none, which falls back to the annual mean.
        origin: Where the series was asked for; stored with the figure.

    Returns:
        A ``"location-hourly"`` figure; ``method`` is one of :data:`METHODS`
        or ``"annual-mean (fallback)"`` with ``inputs["fallback_reason"]``.
    """
    inputs = _base_inputs(run)
    if origin is not None:
        inputs.update(series_provider=origin.provider, series_asked_zone=origin.zone,
                      provider_warnings=list(origin.warnings))
    reason = _fallback_reason(run, series, origin)
    if series is not None:
        inputs.update(series_zone=series.zone, series_source=series.source,
                      series_kind=series.kind, series_step_s=series.step_s,
                      series_notes=list(series.notes), coverage=_coverage(run, series))
        zones = {run.footprint.intensity.zone.lower(), (origin.zone if origin else "").lower()}
        if series.zone.lower() not in zones:
            inputs["note"] = (f"series zone {series.zone} differs from the run's zone "
                              f"{run.footprint.intensity.zone}")
    if reason is not None or series is None:
        inputs["fallback_reason"] = reason
        return AccountedFigure(run.id, "location-hourly", run.footprint.co2e_kg, "kg CO2e",
                               _FALLBACK, inputs)
    method, not_hourly = METHODS[series.kind]
    if not_hourly is not None:
        inputs["not_hourly_reason"] = not_hourly
    weights, values, scale = _interval_weights(run, series)
    energy_kwh = run.footprint.energy_kwh
    mean_g_per_kwh = float(np.dot(weights, values)) if weights.size else 0.0
    inputs.update(intervals=int(weights.size), trace_points=len(run.trace),
                  trace_to_measured_scale=scale,
                  energy_weighted_intensity_g_per_kwh=mean_g_per_kwh)
    return AccountedFigure(run.id, "location-hourly", co2e_kg(energy_kwh, mean_g_per_kwh),
                           "kg CO2e", method, inputs)


def _base_inputs(run: Run) -> dict[str, Any]:
    fp = run.footprint
    return {
        "it_energy_kwh": fp.it_energy_kwh, "pue": fp.pue, "pue_source": fp.pue_source,
        "energy_kwh": fp.energy_kwh, "zone": fp.intensity.zone,
        "annual_intensity_g_per_kwh": fp.intensity.g_per_kwh,
        "intensity_source": fp.intensity.source, "intensity_year": fp.intensity.year,
        "intensity_resolution": fp.intensity.resolution,
    }


def _end_s(run: Run) -> float:
    last = max((p.t_s for p in run.trace), default=0.0)
    return max(run.duration_s, last)


def _fallback_reason(
    run: Run, series: IntensitySeries | None, origin: SeriesOrigin | None
) -> str | None:
    if series is None:
        if origin is not None and origin.error:
            return f"{origin.error}: annual mean used"
        return "no intensity series given: annual mean used"
    if not run.trace:
        return "the run has no power trace: annual mean used"
    if run.footprint.energy_kwh <= 0 or _end_s(run) <= 0:
        return "the run used no energy or took no time: annual mean used"
    coverage = _coverage(run, series)
    if coverage < 1.0 - 1e-9:
        return (f"the series ({series.start_utc.isoformat()} to {series.end_utc.isoformat()}, "
                f"{series.missing} missing intervals) covers {math.floor(coverage * 1e4) / 100:g} "
                "% of the run: annual mean used")
    if series.kind not in METHODS:  # "static": one flat annual average, no time resolution
        return (f"only a flat annual average is available for {series.zone} ({series.source}), "
                "no history or hourly profile: annual mean used")
    return None


def _coverage(run: Run, series: IntensitySeries) -> float:
    """Share of the run's time inside the series on intervals with a value."""
    start = run.started_utc.timestamp()
    end = start + _end_s(run)
    if end <= start:
        return 0.0 if math.isnan(series.value_at(run.started_utc)) else 1.0
    edges, values = _intervals(series, start, end)
    lo, hi = np.maximum(edges[:-1], start), np.minimum(edges[1:], end)
    ok = ~np.isnan(values)
    return float(np.clip(hi - lo, 0, None)[ok].sum() / (end - start))


def _intervals(
    series: IntensitySeries, start: float, end: float
) -> tuple[_FloatArray, _FloatArray]:
    """Epoch edges of the series intervals overlapping ``[start, end)``, and their values.

    Intervals outside the series get NaN.
    """
    first = math.floor((start - series.start_epoch_s) / series.step_s)
    last = max(first + 1, math.ceil((end - series.start_epoch_s) / series.step_s))
    index = np.arange(first, last)
    edges = series.start_epoch_s + series.step_s * np.arange(first, last + 1, dtype=np.float64)
    inside = (index >= 0) & (index < len(series))
    values = np.full(index.size, np.nan)
    values[inside] = series.values_g_per_kwh[index[inside]]
    return edges, values


def _interval_weights(
    run: Run, series: IntensitySeries
) -> tuple[_FloatArray, _FloatArray, float]:
    """Share of the run's energy in each interval, and the intervals' values.

    Also returns the trace-to-measured scale (measured IT energy ÷ trace integral).
    """
    start = run.started_utc.timestamp()
    end_s = _end_s(run)
    edges, values = _intervals(series, start, start + end_s)
    rel = np.clip(edges - start, 0.0, end_s)
    measured = {d.device.id: d.energy_j for d in run.devices}
    by_device: dict[str, list[TracePoint]] = defaultdict(list)
    for point in run.trace:
        by_device[point.device_id].append(point)
    energy = np.zeros(values.size)
    trace_j = 0.0
    for device_id, points in by_device.items():
        cum = _cumulative_j(points, rel, end_s)
        part = np.diff(cum)
        trace_j += float(cum[-1] - cum[0])
        target = measured.get(device_id)
        total = float(part.sum())
        if target is not None and total > 0:
            part = part * (target / total)
        energy += part
    for device_id, energy_j in measured.items():
        if device_id not in by_device and end_s > 0:  # no trace: spread evenly
            energy += np.diff(rel) / end_s * energy_j
    total_j = float(energy.sum())
    weights = energy / total_j if total_j > 0 else np.diff(rel) / max(end_s, 1e-12)
    it_j = run.footprint.it_energy_kwh * 3.6e6
    scale = it_j / trace_j if trace_j > 0 else float("nan")
    return weights, values, scale


def _cumulative_j(points: Sequence[TracePoint], at_s: _FloatArray, end_s: float) -> _FloatArray:
    """Energy (J) of one device from run start to each time in ``at_s``.

    Power is linear between points and held flat before the first and after
    the last, so the integral is exact for that shape.
    """
    pts = sorted(points, key=lambda p: p.t_s)
    t = [min(max(p.t_s, 0.0), end_s) for p in pts]
    p = [p.power_w for p in pts]
    if t[0] > 0:
        t, p = [0.0, *t], [p[0], *p]
    if t[-1] < end_s:
        t, p = [*t, end_s], [*p, p[-1]]
    knots, power = np.asarray(t), np.asarray(p)
    dt = np.diff(knots)
    seg_j = 0.5 * (power[:-1] + power[1:]) * dt
    cum_knots = np.concatenate(([0.0], np.cumsum(seg_j)))
    i = np.clip(np.searchsorted(knots, at_s, side="right") - 1, 0, knots.size - 2)
    x = at_s - knots[i]
    slope = np.divide(power[i + 1] - power[i], dt[i], out=np.zeros(i.size), where=dt[i] > 0)
    out: _FloatArray = cum_knots[i] + power[i] * x + 0.5 * slope * x * x
    return out


def run_window(run: Run) -> tuple[datetime, datetime]:
    """UTC start and end a series must cover for :func:`hourly_co2e`.

    Widened to whole seconds (start down, end up), as series slices work in
    whole epoch seconds.
    """
    start = run.started_utc.replace(microsecond=0)
    end = run.started_utc + timedelta(seconds=_end_s(run))
    if end.microsecond:
        end = end.replace(microsecond=0) + timedelta(seconds=1)
    return start, end
