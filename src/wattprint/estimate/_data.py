"""Read the CSV tables shipped in ``wattprint/estimate/data``.

Every row of every table names its source (and, where it has one, its year).
Reading uses the ``csv`` module only, so loading all tables takes milliseconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from wattprint.tables import packaged_rows


def read_table(name: str) -> list[dict[str, str]]:
    """Return the rows of one embedded table as dictionaries.

    Args:
        name: File name inside the data folder, e.g. ``"instances.csv"``.

    Returns:
        One ``{column: value}`` mapping per row, values as strings.
    """
    return packaged_rows("wattprint.estimate", name)


@dataclass(frozen=True)
class Default:
    """One documented default: its value, unit and where it comes from."""

    value: float
    unit: str
    source: str


@functools.lru_cache(maxsize=1)
def defaults() -> dict[str, Default]:
    """Return ``{key: Default}`` from ``defaults.csv``, loaded once."""
    return {
        row["key"]: Default(float(row["value"]), row["unit"], row["source"])
        for row in read_table("defaults.csv")
    }
