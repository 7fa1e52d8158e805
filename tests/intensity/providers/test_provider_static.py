from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from wattprint.errors import UnknownZoneError
from wattprint.intensity.providers.static import HourlyProfile, StaticProvider, load_profiles
from wattprint.intensity.providers.ukgrid import PARENT_ZONES
from wattprint.intensity.zones import load_catalog

ROOT = Path(__file__).resolve().parents[3]
SOURCE = "Electricity Maps {} hourly data (ODbL 1.0), mean by month and UTC hour"


def test_embedded_profiles_shape_and_zones() -> None:
    profiles = load_profiles()
    catalog_ids = {z.id for z in load_catalog().zones}
    assert {"DE", "FR", "GB", "US-CAL-CISO", "ZA"} <= set(profiles) <= catalog_ids
    assert not {"IN-WE", "JP-TK"} & set(profiles)  # 100 % estimated: left out
    for zone, profile in profiles.items():
        assert profile.values_g_per_kwh.shape == (12, 24), zone
        assert np.all(profile.values_g_per_kwh > 0)
        assert profile.source == SOURCE.format(profile.years)
    assert profiles["DE"].years == "2023-2024" and profiles["FR"].years == "2023"
    # Solar noon in a German June is cleaner than a January evening.
    assert profiles["DE"].values_g_per_kwh[5, 11] < profiles["DE"].values_g_per_kwh[0, 17]


def test_profile_table_carries_its_licence() -> None:
    data = resources.files("wattprint.intensity").joinpath("data")
    head = data.joinpath("profiles.csv").read_text("utf-8").splitlines()[:6]
    assert any("ODbL 1.0" in line for line in head if line.startswith("#"))
    assert "zone,month,hour_utc,carbon_intensity_g_per_kwh,source,years" in head
    assert "ODbL" in (ROOT / "src/wattprint/intensity/data/profiles.LICENSE.md").read_text()


def _profile(zone: str) -> HourlyProfile:
    # value = 100 * month + hour: every cell says where it was read from.
    grid = np.array([[100.0 * m + h for h in range(24)] for m in range(1, 13)])
    return HourlyProfile(zone, grid, "test profile", "2023")


def test_forecast_reads_profile_by_utc_month_and_hour() -> None:
    provider = StaticProvider(profiles={"DE": _profile("DE")})
    start = datetime(2024, 1, 31, 22, 30, tzinfo=timezone.utc)
    series = provider.forecast("Germany", start, start + timedelta(hours=3))
    assert series.zone == "DE" and series.kind == "profile" and series.step_s == 3600
    assert series.start_utc == datetime(2024, 1, 31, 22, tzinfo=timezone.utc)
    assert list(series.values_g_per_kwh) == [122, 123, 200, 201]  # into February
    assert series.source == "test profile" and "typical hour of DE" in series.notes[0]
    # An aware non-UTC start means the same instant.
    cet = timezone(timedelta(hours=1))
    local = start.astimezone(cet)
    same = provider.forecast("DE", local, local + timedelta(hours=1))
    assert same.values_g_per_kwh[0] == 122


def test_without_profile_the_annual_constant() -> None:
    provider = StaticProvider(profiles={})
    start = datetime(2024, 7, 1, tzinfo=timezone.utc)
    series = provider.forecast("PL", start, start + timedelta(hours=5))
    annual = load_catalog().intensity("PL")
    assert series.kind == "static" and len(series) == 5
    assert np.all(series.values_g_per_kwh == annual.g_per_kwh)
    assert series.source.startswith("annual average: ")
    assert "no hourly profile for PL" in series.notes[0]
    assert provider.history("PL", start, start + timedelta(hours=2)).kind == "static"


def test_cloud_region_uses_grid_zone_profile_and_current_is_annual() -> None:
    provider = StaticProvider()
    start = datetime(2024, 7, 1, tzinfo=timezone.utc)
    series = provider.forecast("aws:eu-central-1", start, start + timedelta(hours=2))
    assert series.kind == "profile" and "via grid zone DE" in series.notes[0]
    current = provider.current("germany")
    assert current.zone == "DE" and current.resolution == "annual"
    assert current.g_per_kwh == load_catalog().intensity("DE").g_per_kwh


def test_gb_region_stands_in_with_gb() -> None:
    provider = StaticProvider(parent_zones=PARENT_ZONES)
    value = provider.current("GB-REGION-13")
    assert value.zone == "GB-REGION-13" and "standing in for GB-REGION-13" in value.source
    start = datetime(2024, 7, 1, tzinfo=timezone.utc)
    series = provider.forecast("GB-REGION-13", start, start + timedelta(hours=1))
    assert series.zone == "GB-REGION-13" and series.kind == "profile"


def test_unknown_zone_is_an_input_error() -> None:
    with pytest.raises(UnknownZoneError):
        StaticProvider().forecast("Germny", datetime(2024, 1, 1, tzinfo=timezone.utc),
                                  datetime(2024, 1, 2, tzinfo=timezone.utc))
    assert StaticProvider().probe().available


def _tool() -> ModuleType:
    path = ROOT / "tools" / "build_profiles.py"
    spec = importlib.util.spec_from_file_location("build_profiles", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _year_file(folder: Path, zone: str, year: int, value: float, name: str = "") -> None:
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    hours = int((datetime(year + 1, 1, 1, tzinfo=timezone.utc) - start).total_seconds() // 3600)
    lines = ["timestamp,zone,carbon_intensity_lifecycle_g_per_kwh,"
             "carbon_intensity_direct_g_per_kwh,low_carbon_pct,renewable_pct,is_estimated,"
             "estimation_method"]
    for i in range(hours):
        when = start + timedelta(hours=i)
        lines.append(f"{when:%Y-%m-%dT%H:%M:%SZ},{zone},{value + when.hour},1,1,1,false,")
    (folder / (name or f"carbon_intensity_{zone}_{year}.csv")).write_text("\n".join(lines) + "\n")


def test_build_tool_averages_years_and_skips_estimated_zones(tmp_path: Path) -> None:
    tool = _tool()
    _year_file(tmp_path, "DE", 2023, 100.0)
    _year_file(tmp_path, "DE", 2024, 200.0)
    _year_file(tmp_path, "IN-WE", 2023, 700.0)
    _year_file(tmp_path, "FR", 2020, 50.0, name="carbon_intensity_FR_2020_lwa.csv")
    rows = tool.build(tmp_path, {"DE", "IN-WE", "FR"})
    assert {row[0] for row in rows} == {"DE"} and len(rows) == 12 * 24
    jan_3h = next(r for r in rows if r[1] == "1" and r[2] == "3")
    assert jan_3h[3] == "153.0"  # (103 + 203) / 2, both years have the same hours in January
    assert jan_3h[4] == SOURCE.format("2023-2024") and jan_3h[5] == "2023-2024"
