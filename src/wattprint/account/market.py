"""Market-based CO2e (GHG Protocol Scope 2): contractual instruments, then residual mix.

Users record contractual instruments per zone and period (:class:`Instrument`):
PPAs, renewable energy certificates (RECs), guarantees of origin (GOs) and
supplier-specific factors. The market-based figure of a run is

    covered energy × instrument factor + uncovered energy × residual mix

on the run's facility energy (IT energy × PUE: the electricity bought).

Allocation rule (documented, deterministic):

* An instrument applies to a run when its zone is the run's grid zone and the
  run's UTC start date lies in ``[start_date, end_date]``.
* Instruments are applied in GHG Protocol quality order — PPAs, then
  certificates (GOs, RECs), then supplier-specific factors — and, within a
  type, by start date then id.
* A ``share`` instrument covers that share of each run's energy (capped by
  what is still uncovered). A ``volume`` instrument is consumed
  chronologically: runs take from it in start order (then run id) until it is
  used up; later runs see only what earlier ones left.
* Without a factor, PPAs, RECs and GOs count 0 g/kWh (renewable); a
  ``supplier`` instrument must give its factor.
* Uncovered energy uses the AIB European residual mix of the zone
  (``data/residual_mix.csv``, one source per row). Where there is none (a
  non-EU zone, or AIB prints NA), the location-based factor is used, as the
  GHG Protocol allows, and the figure says so.

Pure: the ledger supplies the instruments and the earlier runs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from wattprint.errors import ConfigError
from wattprint.model import AccountedFigure, Instrument, Run
from wattprint.tables import packaged_rows

INSTRUMENT_TYPES = ("ppa", "rec", "go", "supplier")
_ORDER = {"ppa": 0, "go": 1, "rec": 1, "supplier": 2}
NO_RESIDUAL = "no residual mix available: location-based factor used, as the GHG Protocol allows"
ALLOCATION_RULE = (
    "instruments of the run's zone valid on its start date, PPAs then GOs/RECs then supplier "
    "factors; shares cover that share of each run; volumes are consumed by runs in start order"
)


@dataclass(frozen=True)
class ResidualMix:
    """A residual-mix factor of one zone (None where the source prints none)."""

    zone: str
    year: int
    g_per_kwh: float | None
    source: str
    note: str = ""


@functools.lru_cache(maxsize=1)
def residual_mix_table() -> dict[str, ResidualMix]:
    """The embedded residual mixes, by zone (``data/residual_mix.csv``)."""
    out = {}
    for row in packaged_rows("wattprint.account", "residual_mix.csv"):
        value = row["residual_g_per_kwh"].strip()
        source = f"{row['source']}, {row['url']}" if row["url"] else row["source"]
        out[row["zone"]] = ResidualMix(row["zone"], int(row["year"]),
                                       float(value) if value else None, source, row["note"])
    return out


def check_instrument(inst: Instrument) -> Instrument:
    """Validate one instrument on its own.

    Raises:
        ConfigError: Unknown type, end before start, not exactly one of volume
            and share, a volume <= 0, a share outside (0, 100] %, a negative
            factor, or a supplier instrument without a factor.
    """
    if inst.type not in INSTRUMENT_TYPES:
        raise ConfigError(f"instrument type must be one of {', '.join(INSTRUMENT_TYPES)}, "
                          f"got {inst.type!r}")
    if inst.end_date < inst.start_date:
        raise ConfigError(f"instrument period ends ({inst.end_date}) before it starts "
                          f"({inst.start_date})")
    if (inst.volume_mwh is None) == (inst.share is None):
        raise ConfigError("give exactly one of --mwh (a volume) and --share (a percentage)")
    if inst.volume_mwh is not None and not (math.isfinite(inst.volume_mwh)
                                            and inst.volume_mwh > 0):
        raise ConfigError(f"--mwh must be > 0, got {inst.volume_mwh:g}")
    if inst.share is not None and not 0 < inst.share <= 1:
        raise ConfigError(f"--share must be in (0, 100] %, got {inst.share * 100:g} %")
    factor = inst.factor_g_per_kwh
    if factor is not None and not (math.isfinite(factor) and factor >= 0):
        raise ConfigError(f"--factor must be >= 0 g/kWh, got {factor:g}")
    if inst.type == "supplier" and factor is None:
        raise ConfigError("a supplier instrument needs its emission factor: --factor G_PER_KWH")
    return inst


def check_overlap(new: Instrument, existing: Iterable[Instrument]) -> None:
    """Refuse an instrument that would claim energy already claimed.

    The same certificate may not be recorded twice; the same zone, type,
    period and volume twice looks like a duplicate; and in any overlapping
    period of a zone, shares may not add up to more than 100 % (a volume
    cannot be used where shares already cover everything).

    Raises:
        ConfigError: Naming the instrument it overlaps.
    """
    overlapping = [e for e in existing if e.zone.lower() == new.zone.lower()
                   and e.start_date <= new.end_date and new.start_date <= e.end_date]
    for old in existing:
        if new.certificate and old.certificate == new.certificate:
            raise ConfigError(f"certificate {new.certificate!r} is already recorded "
                              f"(instrument {old.id}); a certificate can be claimed once")
    for old in overlapping:
        if (old.type, old.volume_mwh, old.share, old.start_date, old.end_date) == (
                new.type, new.volume_mwh, new.share, new.start_date, new.end_date):
            raise ConfigError(f"overlapping instruments: {_describe(new)} duplicates "
                              f"instrument {old.id}")
    segments = _share_coverage(new, overlapping)
    first, last, peak, ids = max(segments, key=lambda seg: seg[2])
    if new.share is not None and peak + new.share > 1 + 1e-9:
        raise ConfigError(
            f"overlapping instruments: {_describe(new)} would bring {new.zone} to "
            f"{(peak + new.share) * 100:g} % covered between {first} and {last} "
            f"(already {peak * 100:g} % by {', '.join(ids)})")
    if new.volume_mwh is not None and all(seg[2] >= 1 - 1e-9 for seg in segments):
        raise ConfigError(f"overlapping instruments: {new.zone} is already 100 % covered "
                          f"between {new.start_date} and {new.end_date}; {_describe(new)} "
                          "could never be used")


def _share_coverage(new: Instrument, overlapping: Sequence[Instrument]
                    ) -> list[tuple[date, date, float, list[str]]]:
    """Within ``new``'s period: (first day, last day, share covered, instrument ids) pieces.

    Shares of instruments that do not overlap each other do not add up: 60 % in
    H1 and 60 % in H2 leave room for 40 % over the whole year.
    """
    one_day = timedelta(days=1)
    shared = [o for o in overlapping if o.share is not None]
    cuts = {new.start_date, new.end_date + one_day}
    for o in shared:
        cuts.update((max(o.start_date, new.start_date), min(o.end_date, new.end_date) + one_day))
    edges = sorted(cuts)
    pieces = []
    for begin, end in zip(edges, edges[1:], strict=False):
        cover = [o for o in shared if o.start_date <= begin <= o.end_date]
        pieces.append((begin, end - one_day, sum(o.share or 0.0 for o in cover),
                       [o.id for o in cover]))
    return pieces


def market_co2e(
    run: Run, instruments: Sequence[Instrument], *, earlier_runs: Sequence[Run] = (),
    residual: dict[str, ResidualMix] | None = None,
) -> AccountedFigure:
    """Market-based CO2e of ``run`` (GHG Protocol Scope 2).

    Args:
        run: The run.
        instruments: Recorded instruments (any zone; those that do not apply
            are ignored).
        earlier_runs: Runs that may have consumed volume instruments before
            this one (any order; those that start after ``run`` are ignored).
        residual: Residual-mix table; default :func:`residual_mix_table`.
    """
    table = residual_mix_table() if residual is None else residual
    remaining = {i.id: (i.volume_mwh or 0.0) * 1000.0 for i in instruments}
    key = (run.started_utc, run.id)
    for earlier in sorted(earlier_runs, key=lambda r: (r.started_utc, r.id)):
        if (earlier.started_utc, earlier.id) < key:
            _allocate(earlier, instruments, remaining)
    energy_kwh = run.footprint.energy_kwh
    parts = _allocate(run, instruments, remaining)
    uncovered_kwh = max(0.0, energy_kwh - sum(kwh for _, kwh in parts))
    factor_g_per_kwh, source, basis = _residual_factor(run, table)
    covered_g = sum(kwh * _factor(inst) for inst, kwh in parts)
    value = (covered_g + uncovered_kwh * factor_g_per_kwh) / 1000.0
    inputs: dict[str, Any] = {
        "energy_kwh": energy_kwh, "zone": run.footprint.intensity.zone,
        "allocation_rule": ALLOCATION_RULE,
        "instruments": [_part_inputs(inst, kwh) for inst, kwh in parts],
        "covered_kwh": energy_kwh - uncovered_kwh, "uncovered_kwh": uncovered_kwh,
        "uncovered_factor_g_per_kwh": factor_g_per_kwh, "uncovered_basis": basis,
        "uncovered_source": source,
    }
    if basis == "location-based":
        inputs["note"] = NO_RESIDUAL
    return AccountedFigure(run.id, "market", value, "kg CO2e", "ghg-scope2-market", inputs)


def applies(inst: Instrument, run: Run) -> bool:
    """True when ``inst`` covers the run's zone on its UTC start date."""
    day = run.started_utc.date()
    zone = run.footprint.intensity.zone.lower()
    return inst.zone.lower() == zone and inst.start_date <= day <= inst.end_date


def _allocate(
    run: Run, instruments: Sequence[Instrument], remaining: dict[str, float]
) -> list[tuple[Instrument, float]]:
    energy_kwh = run.footprint.energy_kwh
    uncovered = energy_kwh
    parts = []
    for inst in sorted((i for i in instruments if applies(i, run)),
                       key=lambda i: (_ORDER[i.type], i.start_date, i.id)):
        if uncovered <= 0:
            break
        if inst.share is not None:
            take = min(uncovered, inst.share * energy_kwh)
        else:
            take = min(uncovered, remaining[inst.id])
            remaining[inst.id] -= take
        if take > 0:
            parts.append((inst, take))
            uncovered -= take
    return parts


def _factor(inst: Instrument) -> float:
    return 0.0 if inst.factor_g_per_kwh is None else inst.factor_g_per_kwh


def _part_inputs(inst: Instrument, kwh: float) -> dict[str, Any]:
    given = inst.factor_g_per_kwh is not None
    return {
        "id": inst.id, "type": inst.type, "covered_kwh": kwh,
        "factor_g_per_kwh": _factor(inst),
        "factor_basis": "given" if given else "renewable instrument without a factor: 0 g/kWh",
        "certificate": inst.certificate, "supplier": inst.supplier,
    }


def _residual_factor(run: Run, table: dict[str, ResidualMix]) -> tuple[float, str, str]:
    """Factor (g/kWh), source and basis of the run's uncovered energy."""
    zone = run.footprint.intensity.zone.upper()
    row = table.get(zone) or table.get(zone.split("-")[0])
    if row is not None and row.g_per_kwh is not None:
        return row.g_per_kwh, row.source, "residual-mix"
    location = run.footprint.intensity
    return location.g_per_kwh, location.source, "location-based"


def _describe(inst: Instrument) -> str:
    amount = (f"{inst.volume_mwh:g} MWh" if inst.volume_mwh is not None
              else f"{(inst.share or 0) * 100:g} %")
    return f"{inst.type} {amount} for {inst.zone} {inst.start_date}..{inst.end_date}"
