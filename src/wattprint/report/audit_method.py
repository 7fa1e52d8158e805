"""The methodology and data-quality sections of the audit report. Pure.

Built from the aggregates of :mod:`wattprint.report.audit_queries`: how the
period's energy was measured (shares of IT energy by counter, sampled power
and model), the PUE values, intensity figures and zones its runs used, the
methods and data sources of the stored accounting figures, and the counts of
runs whose figures rest on a model, an assumption or nothing yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wattprint.report.audit_queries import ASSUMED_ZONE_HOWS, MethodUse, Usage, UsageTables
from wattprint.report.audit_queries import Quality as QualityCounts
from wattprint.report.audit_text import Code, Inline

#: Measurement methods in the order a reader should trust them.
METHOD_ORDER = ("counter", "sampled-power", "modelled", "not itemised")
METHOD_TEXT = {
    "counter": "hardware energy counter (RAPL, NVML total energy, amdsmi), integrated exactly",
    "sampled-power": "instantaneous power samples integrated with the trapezoid rule",
    "modelled": "model: CPU utilisation × TDP, W per GB of RAM, or a failed sensor's mean",
    "not itemised": "IT energy of runs stored without per-device rows (imports)",
}
ENERGY_TEXT = ("Facility energy = IT energy measured at the devices × PUE. Each device "
               "says how it was measured; a modelled figure is never shown as measured.")
EMBODIED_TEXT = ("Embodied: each device's manufacturing emissions × device-hours ÷ "
                 "(lifetime hours × use rate), as stored by wattprint account.")
WATER_TEXT = ("Water: on-site WUE (L/kWh) × IT energy + off-site water intensity of "
              "electricity (L/kWh) × facility energy, as stored by wattprint account.")
LOCATION_TEXT = ("Location-based CO2e: each run's hourly figure where a history of its own "
                 "hours was used (method hourly), else facility energy × the intensity "
                 "stored with the run (annual mean).")
MARKET_TEXT = ("Market-based CO2e (GHG Protocol Scope 2): energy covered by contractual "
               "instruments × their factor, the rest × the residual mix (or the "
               "location-based factor where none is published).")


@dataclass(frozen=True)
class Share:
    """A part of the period's IT energy and how it was measured."""

    method: str
    energy_kwh: float
    share_pct: float
    text: str


@dataclass(frozen=True)
class Methodology:
    """How the period's figures were obtained, and from which data."""

    measurement: tuple[Share, ...]
    effective_pue: float | None
    pue: tuple[Usage, ...]
    intensity: tuple[Usage, ...]
    location_basis: Mapping[str, int]
    accounting_methods: tuple[MethodUse, ...]
    sources: Mapping[str, tuple[str, ...]]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    """What the reader should discount: modelled, assumed or unaccounted figures."""

    runs: int
    modelled_runs: int
    modelled_energy_kwh: float
    all_modelled_runs: int
    no_device_runs: int
    unaccounted_runs: int
    runs_without: Mapping[str, int]
    running_runs: int
    no_model_runs: int
    assumed_zones: tuple[Usage, ...]
    findings: tuple[Inline, ...]


def methodology(
    energy_kwh: float, method_energy_kwh: Mapping[str, float], usage: UsageTables,
    accounting_methods: Sequence[MethodUse], sources: Mapping[str, Sequence[str]],
    location_basis: Mapping[str, int],
) -> Methodology:
    """The methodology section of the period.

    Args:
        energy_kwh: Facility energy of the period's runs.
        method_energy_kwh: Their IT energy by measurement method.
        usage: PUE, intensity and zone tables.
        accounting_methods: Stored figures by kind and method.
        sources: Data sources named in the stored figures, by kind.
        location_basis: Runs on each basis of the location-based total.
    """
    it_kwh = sum(method_energy_kwh.values())
    order = [m for m in METHOD_ORDER if m in method_energy_kwh]
    order += sorted(set(method_energy_kwh) - set(order))
    shares = tuple(Share(m, method_energy_kwh[m],
                         100.0 * method_energy_kwh[m] / it_kwh if it_kwh > 0 else 0.0,
                         METHOD_TEXT.get(m, m)) for m in order)
    return Methodology(
        measurement=shares, effective_pue=energy_kwh / it_kwh if it_kwh > 0 else None,
        pue=usage.pue,
        intensity=usage.intensity, location_basis=dict(location_basis),
        accounting_methods=tuple(accounting_methods),
        sources={k: tuple(v) for k, v in sources.items()},
        texts=(ENERGY_TEXT, LOCATION_TEXT, MARKET_TEXT, EMBODIED_TEXT, WATER_TEXT),
    )


def quality(counts: QualityCounts, usage: UsageTables,
            runs_without: Mapping[str, int]) -> Quality:
    """The data-quality section of the period."""
    assumed = tuple(u for u in usage.zones if u.key[1] in ASSUMED_ZONE_HOWS)
    return Quality(
        runs=counts.runs, modelled_runs=counts.modelled_runs,
        modelled_energy_kwh=counts.modelled_energy_kwh,
        all_modelled_runs=counts.all_modelled_runs, no_device_runs=counts.no_device_runs,
        unaccounted_runs=counts.unaccounted_runs, runs_without=dict(runs_without),
        running_runs=counts.running_runs, no_model_runs=counts.no_model_runs,
        assumed_zones=assumed, findings=_findings(counts, assumed),
    )


def _findings(c: QualityCounts, assumed: Sequence[Usage]) -> tuple[Inline, ...]:
    """One sentence per problem, with the command that fixes it."""
    out: list[Inline] = []
    if c.modelled_runs:
        out.append((f"Runs with a modelled device: {c.modelled_runs} of {c.runs} "
                    f"({c.all_modelled_runs} fully modelled). Enable the energy counters on "
                    "their hosts: ", Code("wattprint doctor"), "."))
    if c.unaccounted_runs:
        out.append((f"Runs without stored accounting (hourly, market, embodied, water): "
                    f"{c.unaccounted_runs} of {c.runs}. Account them: ",
                    Code("wattprint account RUN_ID"), "."))
    zone_runs = sum(u.runs for u in assumed)
    if zone_runs:
        zones = ", ".join(f"{u.key[0]} ({u.key[1]})" for u in assumed)
        out.append((f"Runs accounted in an assumed zone: {zone_runs} ({zones}). Correct them: ",
                    Code("wattprint recompute RUN_ID --zone Z"), "."))
    if c.running_runs:
        out.append((f"Runs still marked running: {c.running_runs}; their figures are those of "
                    "the last flush.",))
    if c.no_model_runs:
        out.append((f"Runs that name no model: {c.no_model_runs}. Pass ", Code("model="),
                    " to the tracker.",))
    if c.no_device_runs:
        out.append((f"Runs that list no devices (imported): {c.no_device_runs}; their "
                    "measurement method is unknown and they carry no embodied share.",))
    return tuple(out)
