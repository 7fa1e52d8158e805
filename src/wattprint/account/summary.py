"""Every figure of one run, and the figures of many runs added up.

:func:`account_run` computes the five figures stored per run: location
(annual mean), location-hourly, market, embodied and water.
:func:`aggregate` adds stored figures over a period's runs: the gross
location-based figure takes each run's hourly figure where it is truly
hourly, else its location figure, else the footprint stored with the run
(not yet accounted); market, embodied and water add what is stored and count
the runs that have none. "Truly hourly" means method ``"hourly"``: a figure
computed from a typical profile, a partial history or a forecast
(:data:`~wattprint.account.hourly.METHODS`) is stored and shown, but the
gross uses that run's annual-mean location figure. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.account.embodied import DeviceLookup, embodied_co2e, water_l
from wattprint.account.hourly import SeriesOrigin, hourly_co2e, location_co2e
from wattprint.account.market import market_co2e
from wattprint.intensity.series import IntensitySeries
from wattprint.model import AccountedFigure, Instrument, Run

KINDS = ("location", "location-hourly", "market", "embodied", "water")


def account_run(
    run: Run, *, series: IntensitySeries | None = None,
    series_origin: SeriesOrigin | None = None,
    instruments: Sequence[Instrument] = (), earlier_runs: Sequence[Run] = (),
    embodied_lookup: DeviceLookup | None = None,
) -> list[AccountedFigure]:
    """The five figures of ``run``, in :data:`KINDS` order.

    Args:
        run: The run, with its trace and devices.
        series: Intensity of the run's zone over the run, for the hourly figure.
        series_origin: Where ``series`` was asked for (stored with the figure).
        instruments: Contractual instruments of the run's zone (market figure).
        earlier_runs: Runs before this one that may have used up volumes.
        embodied_lookup: Per-device embodied figure (a hardware catalog).
    """
    return [
        location_co2e(run),
        hourly_co2e(run, series, series_origin),
        market_co2e(run, instruments, earlier_runs=earlier_runs),
        embodied_co2e(run, lookup=embodied_lookup),
        water_l(run),
    ]


def aggregate(
    runs: Sequence[Run], figures: Mapping[str, Mapping[str, AccountedFigure]]
) -> dict[str, Any]:
    """Totals of the stored figures of ``runs`` (``figures``: run id → kind → figure)."""
    gross = 0.0
    basis = {"hourly": 0, "location": 0, "not_accounted": 0}
    totals = {"market": 0.0, "embodied": 0.0, "water": 0.0}
    missing = {"market": 0, "embodied": 0, "water": 0}
    for run in runs:
        mine = figures.get(run.id, {})
        hourly = mine.get("location-hourly")
        if hourly is not None and hourly.method == "hourly":
            gross += hourly.value
            basis["hourly"] += 1
        elif "location" in mine:
            gross += mine["location"].value
            basis["location"] += 1
        else:
            gross += run.co2e_kg
            basis["not_accounted"] += 1
        for kind in totals:
            if kind in mine:
                totals[kind] += mine[kind].value
            else:
                missing[kind] += 1
    return {
        "runs": len(runs),
        "energy_kwh": float(sum(r.energy_kwh for r in runs)),
        "gross_location_co2e_kg": gross,
        "location_basis_runs": basis,
        "market_co2e_kg": totals["market"],
        "embodied_co2e_kg": totals["embodied"],
        "water_l": totals["water"],
        "runs_without": missing,
    }


def figure_to_dict(fig: AccountedFigure) -> dict[str, Any]:
    """Stable JSON keys of a figure (``wattprint account RUN_ID --json``)."""
    return {
        "run_id": fig.run_id, "kind": fig.kind, "value": fig.value, "unit": fig.unit,
        "method": fig.method, "inputs": dict(fig.inputs),
        "computed_utc": fig.computed_utc.isoformat() if fig.computed_utc else None,
    }


def figure_note(fig: AccountedFigure) -> str:
    """The one input a reader most needs to see next to a figure."""
    inputs = fig.inputs
    for key in ("fallback_reason", "note"):
        if inputs.get(key):
            return str(inputs[key])
    if fig.kind == "location-hourly":
        n = inputs.get('intervals')
        text = (f"{n} interval{'' if n == 1 else 's'} of {inputs.get('series_step_s')} s, "
                f"{inputs.get('energy_weighted_intensity_g_per_kwh', 0):.1f} g/kWh, "
                f"{inputs.get('series_source')}")
        if inputs.get("not_hourly_reason"):
            text += f"; {inputs['not_hourly_reason']}"
        return text
    if fig.kind == "location":
        return f"{inputs.get('annual_intensity_g_per_kwh')} g/kWh, {inputs.get('intensity_source')}"
    if fig.kind == "market":
        return (f"{inputs.get('covered_kwh', 0):.4g} kWh covered by instruments, rest at "
                f"{inputs.get('uncovered_factor_g_per_kwh')} g/kWh "
                f"({inputs.get('uncovered_basis')})")
    if fig.kind == "embodied":
        return f"{inputs.get('lifetime_years')} y lifetime, use rate {inputs.get('use_rate')}"
    return (f"WUE {inputs.get('wue_l_per_kwh')} L/kWh ({_short(inputs.get('wue_source'))}) "
            f"× IT + {inputs.get('water_intensity_l_per_kwh')} L/kWh off-site "
            f"({_short(inputs.get('water_intensity_source'))}) × facility energy")


def _short(source: Any) -> str:
    """The part of a source before its citation (``"zone IE"``, ``"default (...)"``).

    A source marked unverified keeps the mark.
    """
    head, _, rest = str(source).partition(":")
    return head + (", UNVERIFIED" if rest.strip().startswith("UNVERIFIED") else "")
