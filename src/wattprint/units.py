"""Unit conversions, in one place.

Names carry their unit (``energy_j``, ``energy_kwh``, ``power_w``); these
helpers are the only place the conversion factors live.
"""

from __future__ import annotations

import re

J_PER_KWH = 3_600_000.0
J_PER_UJ = 1e-6
J_PER_MJ = 1e-3
G_PER_KG = 1000.0
BYTES_PER_GB = 1e9


def j_to_kwh(energy_j: float) -> float:
    """Joules to kilowatt-hours."""
    return energy_j / J_PER_KWH


def kwh_to_j(energy_kwh: float) -> float:
    """Kilowatt-hours to joules."""
    return energy_kwh * J_PER_KWH


def uj_to_j(energy_uj: float) -> float:
    """Microjoules (RAPL ``energy_uj``) to joules."""
    return energy_uj * J_PER_UJ


def mj_to_j(energy_mj: float) -> float:
    """Millijoules (NVML total-energy counter) to joules."""
    return energy_mj * J_PER_MJ


def co2e_kg(energy_kwh: float, intensity_g_per_kwh: float) -> float:
    """Emissions in kg CO2e for ``energy_kwh`` at ``intensity_g_per_kwh``."""
    return energy_kwh * intensity_g_per_kwh / G_PER_KG


#: Seconds per unit of the durations users write: ``2d``, ``4h``, ``90m`` (or ``90min``), ``45s``.
SECONDS_PER: dict[str, float] = {"d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}
_DURATION_TERM = r"(\d+(?:\.\d+)?)\s*(min|d|h|m|s)"
_DURATION = re.compile(rf"\s*(?:{_DURATION_TERM}\s*)+")


def duration_s(text: str) -> float:
    """Seconds in a duration with units, such as ``1h30m``, ``2d``, ``90 min`` or ``45s``.

    Terms add up. Plain numbers are refused here, because callers read them in
    different units (seconds or hours).

    Raises:
        ValueError: ``text`` is not a sequence of number-unit terms.
    """
    raw = text.lower()
    if not _DURATION.fullmatch(raw):
        raise ValueError(f"not a duration with units: {text!r}")
    return sum(float(n) * SECONDS_PER[unit] for n, unit in re.findall(_DURATION_TERM, raw))
