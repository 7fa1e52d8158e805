"""Unit conversions, in one place.

Names carry their unit (``energy_j``, ``energy_kwh``, ``power_w``); these
helpers are the only place the conversion factors live.
"""

from __future__ import annotations

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
