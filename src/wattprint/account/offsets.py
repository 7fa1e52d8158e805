"""The offsets register and the reduce → shift → offset summary.

Offsets are reported next to emissions, never netted silently:
:func:`ledger_summary` gives, in this order,

1. ``gross_co2e_kg`` — location-based emissions of the period's runs (what
   was emitted, after any reduction);
2. ``avoided_by_shifting_co2e_kg`` — Σ (baseline − achieved) of carbon-aware
   runs: what running at once in the home zone would have emitted, minus what
   the run emitted. Shown, not subtracted: gross already is what the shifted
   runs emitted;
3. ``offset_co2e_kg`` — credits *retired* in the period (of the project, when
   one is given); credits held but not retired do not count;
4. ``net_co2e_kg`` — gross − offset.

Pure: the ledger supplies the figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from wattprint.account.periods import Period
from wattprint.errors import ConfigError
from wattprint.model import CarbonAwareRecord, Offset

KG_PER_TONNE = 1000.0


def check_offset(offset: Offset) -> Offset:
    """Validate an offset before it enters the register.

    Raises:
        ConfigError: Tonnes not > 0, no registry, no serial, or an implausible
            vintage or retirement date.
    """
    if not (math.isfinite(offset.tonnes) and offset.tonnes > 0):
        raise ConfigError(f"invalid --tonnes {offset.tonnes:g}: must be > 0 t CO2e")
    if not offset.registry.strip():
        raise ConfigError("an offset needs its --registry (e.g. \"Gold Standard\", \"Verra\")")
    if not offset.serial.strip():
        raise ConfigError("an offset needs its --serial (the credits' serial number or range)")
    if not 1990 <= offset.vintage <= 2100:
        raise ConfigError(f"invalid --vintage {offset.vintage}: expected a year like 2026")
    if offset.retired_on is not None and offset.retired_on.year < offset.vintage:
        raise ConfigError(f"--retired-on {offset.retired_on} is before the vintage "
                          f"{offset.vintage}")
    return offset


def offset_to_dict(offset: Offset) -> dict[str, Any]:
    """Stable JSON keys of an offset (``wattprint offset list --json``)."""
    return {
        "id": offset.id, "tonnes": offset.tonnes, "registry": offset.registry,
        "serial": offset.serial, "vintage": offset.vintage, "project": offset.project or None,
        "retired_on": _iso(offset.retired_on),
        "created_utc": offset.created_utc.isoformat() if offset.created_utc else None,
    }


def ledger_summary(
    period: Period, project: str | None, *, gross_co2e_kg: float,
    shifts: Sequence[tuple[CarbonAwareRecord, float]], offsets: Sequence[Offset],
) -> dict[str, Any]:
    """Gross, avoided by shifting, offset and net CO2e of a period (in that order).

    Args:
        period: The reporting period.
        project: Only this project (None: every project).
        gross_co2e_kg: Location-based emissions of the period's runs.
        shifts: Carbon-aware records of the period's runs, each with the
            run's achieved emissions (kg CO2e).
        offsets: The register (filtered here by project and retirement date).
    """
    avoided = sum(rec.baseline_co2e_kg - achieved for rec, achieved in shifts)
    mine = [o for o in offsets if project is None or o.project == project]
    retired = [o for o in mine if o.retired_on is not None and period.contains(o.retired_on)]
    held = [o for o in mine if o.retired_on is None]
    offset_kg = sum(o.tonnes for o in retired) * KG_PER_TONNE
    return {
        "period": period.label,
        "project": project,
        "gross_co2e_kg": gross_co2e_kg,
        "avoided_by_shifting_co2e_kg": avoided,
        "offset_co2e_kg": offset_kg,
        "net_co2e_kg": gross_co2e_kg - offset_kg,
        "shifted_runs": len(shifts),
        "offsets_retired": [offset_to_dict(o) for o in retired],
        "offsets_held_not_retired_t": sum(o.tonnes for o in held),
        "notes": [
            "avoided_by_shifting is shown, not subtracted: gross is what the shifted runs "
            "emitted",
            "net = gross - offsets retired in the period; offsets are never netted silently",
        ],
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
