"""The embedded tables: coverage, provenance on every row, plausible figures."""

from __future__ import annotations

import re

import pytest

from wattprint.intensity._data import read_table
from wattprint.intensity.zones import load_catalog

TABLES = ["countries.csv", "regions.csv", "cloud_regions.csv", "pue.csv"]


def _year_ok(text: str) -> bool:
    return text.isdigit() and 2000 <= int(text) <= 2026


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_year_and_source(name: str) -> None:
    rows = read_table(name)
    assert rows
    for row in rows:
        if row.get("provider") == "on-premise":  # a convention, not a measurement
            assert row["source"]
            continue
        assert _year_ok(row["year"]), row
        assert row["source"].strip(), row
        assert row["url"].startswith("https://"), row


def test_countries_cover_the_world_with_both_iso_codes() -> None:
    rows = [r for r in read_table("countries.csv") if r["alpha2"] != "WORLD"]
    assert len(rows) >= 200
    catalog = load_catalog()
    for row in rows:
        assert re.fullmatch(r"[A-Z]{2}", row["alpha2"]), row
        assert re.fullmatch(r"[A-Z]{3}", row["alpha3"]), row
        by_a2 = catalog.get(row["alpha2"])
        assert by_a2.kind == "country"
        assert catalog.get(row["alpha3"]) == by_a2
        assert catalog.get(row["alpha3"].lower()) == by_a2
        assert catalog.get(row["name"]) == by_a2
    assert len({r["alpha2"] for r in rows}) == len(rows)
    assert len({r["alpha3"] for r in rows}) == len(rows)


@pytest.mark.parametrize(
    ("zone", "low", "high"),
    [("DE", 250, 500), ("FR", 20, 120), ("US", 300, 450), ("IN", 600, 800),
     ("CN", 500, 650), ("NO", 5, 60), ("PL", 550, 800), ("WORLD", 420, 520),
     ("US-CA", 150, 350), ("US-WV", 800, 1000), ("CA-QC", 0, 20), ("AU-VIC", 600, 900),
     ("IN-GRID", 650, 780), ("US-CAL-CISO", 150, 350)],
)
def test_figures_are_plausible(zone: str, low: float, high: float) -> None:
    assert low <= load_catalog().get(zone).intensity_g_per_kwh <= high


def test_every_cloud_region_maps_to_a_grid_zone() -> None:
    catalog = load_catalog()
    rows = read_table("cloud_regions.csv")
    counts: dict[str, int] = {}
    for row in rows:
        assert row["id"] == f"{row['provider']}:{row['region']}"
        grid = catalog.get(row["grid_zone"])
        assert grid.kind in ("country", "region")
        assert grid.country == row["country"]
        if row["intensity_g_per_kwh"]:
            assert _year_ok(row["intensity_year"]) and row["intensity_source"]
        counts[row["provider"]] = counts.get(row["provider"], 0) + 1
    assert counts["aws"] >= 30 and counts["gcp"] >= 40 and counts["azure"] >= 55
    assert len({r["id"] for r in rows}) == len(rows)


def test_regions_name_a_known_country() -> None:
    catalog = load_catalog()
    for row in read_table("regions.csv"):
        assert catalog.get(row["country"]).kind == "country", row


@pytest.mark.parametrize(
    "zone",
    ["AU-NSW", "AU-VIC", "BR-CS", "CA-ON", "CL-SEN", "DE", "ES", "FR", "GB", "IN-WE", "JP-TK",
     "KR", "NO", "SG", "US-CAL-CISO", "US-MIDA-PJM", "US-NY-NYIS", "US-TEX-ERCO", "ZA"],
)
def test_electricity_maps_zone_ids_resolve(zone: str) -> None:
    assert load_catalog().get(zone).id == zone


def test_timezone_table_points_at_known_zones() -> None:
    catalog = load_catalog()
    rows = read_table("timezones.csv")
    assert len(rows) >= 400
    for row in rows:
        assert catalog.find(row["zone"]) is not None, row
