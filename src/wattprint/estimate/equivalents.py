"""Everyday equivalents of an estimate, each with its source.

Emission-based equivalents (car km, flights) divide CO2e; energy-based ones
(household-years of electricity, smartphone charges) divide facility energy,
so they do not depend on the grid's intensity.

Example:
    >>> [e.key for e in equivalents(co2e_kg=100.0, energy_kwh=50.0)]
    ['car_km', 'flight_paris_new_york', 'household_years', 'smartphone_charges']
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from wattprint.estimate._data import read_table


@dataclass(frozen=True)
class Equivalent:
    """``value`` units of ``label``; ``per_unit`` in ``unit`` per one of them."""

    key: str
    label: str
    value: float
    per_unit: float
    unit: str
    basis: str
    source: str


@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], ...]:
    return tuple(read_table("equivalents.csv"))


def equivalents(co2e_kg: float, energy_kwh: float) -> tuple[Equivalent, ...]:
    """Return every equivalent of ``co2e_kg`` (emissions) and ``energy_kwh`` (energy).

    Args:
        co2e_kg: Emissions to compare (operational plus embodied, as the caller decides).
        energy_kwh: Facility energy to compare.
    """
    out = []
    for row in _table():
        per_unit = float(row["per_unit"])
        amount = co2e_kg if row["basis"] == "co2e" else energy_kwh
        out.append(Equivalent(row["key"], row["label"], amount / per_unit, per_unit,
                              row["unit"], row["basis"], row["source"]))
    return tuple(out)
