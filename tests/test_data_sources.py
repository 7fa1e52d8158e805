"""Every row of every embedded data table names its source.

The tables are found by walking the installed package, so a CSV added under
any ``data/`` folder is checked without touching this file. A table whose
sources sit in a column other than ``source``, or that has more than one
source column, is described below; a source column that is not described
fails the test rather than going unchecked.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

#: The column holding each row's source, where it is not ``source``.
ROW_SOURCE = {"estimate/data/accelerators.csv": "power_source"}

#: Figures with a source of their own, checked on the rows that carry the
#: figure: ``(figure column, its source column)``. The figure is optional (an
#: accelerator without a published embodied figure, a cloud region without
#: its own intensity), so an empty figure may have an empty source.
FIGURE_SOURCES = {
    "estimate/data/accelerators.csv": (("embodied_kg", "embodied_source"),),
    "intensity/data/cloud_regions.csv": (("intensity_g_per_kwh", "intensity_source"),),
}

#: CSVs that hold no data rows of their own, each with the reason.
NOT_DATA = {
    "intensity/data/timezones.csv": (
        "a lookup from IANA time-zone name to the zone id of its country, taken whole from "
        "tzdata's zone.tab (see wattprint.intensity.resolve); it carries no figure, only "
        "which zone a time zone lies in"),
}

#: Source cells that say nothing.
PLACEHOLDERS = {"", "-", "—", "?", "n/a", "na", "none", "unknown", "tbd", "todo", "source"}


def _walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _walk(entry, f"{name}/")
        elif entry.name.endswith(".csv") and "/data/" in f"/{name}":
            yield name, entry


def _tables() -> dict[str, Traversable]:
    return dict(sorted(_walk(resources.files("wattprint"))))


def _rows(table: Traversable) -> list[dict[str, str]]:
    """Rows of one table; ``#`` lines (a licence notice) are not rows."""
    lines = [line for line in io.StringIO(table.read_text("utf-8")) if not line.startswith("#")]
    return list(csv.DictReader(lines))


TABLES = _tables()
DATA_TABLES = [name for name in TABLES if name not in NOT_DATA]


def test_discovery_finds_every_data_folder() -> None:
    folders = {name.rsplit("/", 1)[0] for name in TABLES}
    assert {"intensity/data", "measure/data", "estimate/data", "account/data"} <= folders
    assert {"estimate/data/accelerators.csv", "measure/data/cpu_tdp.csv",
            "intensity/data/profiles.csv", "account/data/residual_mix.csv"} <= set(TABLES)


def test_exclusions_and_descriptions_name_existing_tables() -> None:
    for name, reason in NOT_DATA.items():
        assert name in TABLES, f"{name} is excluded but no longer shipped"
        assert len(reason) > 40, f"{name}: say why it holds no data rows"
    for name in {*ROW_SOURCE, *FIGURE_SOURCES}:
        assert name in DATA_TABLES, f"{name} is described but not a shipped data table"


@pytest.mark.parametrize("name", DATA_TABLES)
def test_every_row_has_a_source(name: str) -> None:
    rows = _rows(TABLES[name])
    assert rows, f"{name} has no rows"
    column = ROW_SOURCE.get(name, "source")
    assert column in rows[0], f"{name} has no {column!r} column: name its source column here"
    for number, row in enumerate(rows, start=2):
        source = (row[column] or "").strip()
        assert source.lower() not in PLACEHOLDERS and len(source) >= 10, (
            f"{name} row {number} has no source in {column!r}: {row}")


@pytest.mark.parametrize("name", DATA_TABLES)
def test_every_figure_with_its_own_source_column_has_one(name: str) -> None:
    rows = _rows(TABLES[name])
    pairs = FIGURE_SOURCES.get(name, ())
    described = {ROW_SOURCE.get(name, "source"), *(source for _, source in pairs)}
    undescribed = [c for c in rows[0] if c.endswith("source") and c not in described]
    assert not undescribed, f"{name}: describe source column(s) {undescribed} in FIGURE_SOURCES"
    for figure, source_column in pairs:
        for number, row in enumerate(rows, start=2):
            if row[figure].strip():
                assert row[source_column].strip(), (
                    f"{name} row {number}: {figure}={row[figure]} has no {source_column}")


def test_profiles_rows_attribute_electricity_maps_as_their_licence_requires() -> None:
    rows = _rows(TABLES["intensity/data/profiles.csv"])
    assert rows and all("Electricity Maps" in row["source"] for row in rows)
