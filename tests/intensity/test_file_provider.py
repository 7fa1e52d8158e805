from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from wattprint.errors import ConfigError, ProviderError
from wattprint.intensity.providers.base import IntensityProvider
from wattprint.intensity.providers.file import FileProvider
from wattprint.testing import FakeClock

UTC = timezone.utc
T0 = datetime(2023, 3, 1, tzinfo=UTC)
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data"


def _write(path: Path, rows: list[str], header: str = "timestamp,zone,carbon_intensity_g_per_kwh"
           ) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _hourly(zone: str, start: datetime, values: list[float]) -> list[str]:
    return [f"{(start + timedelta(hours=i)).isoformat().replace('+00:00', 'Z')},{zone},{v}"
            for i, v in enumerate(values)]


def test_regular_hourly_csv(tmp_path: Path) -> None:
    path = _write(tmp_path / "de.csv", _hourly("DE", T0, [100, 200, 300, 400]))
    provider = FileProvider(path)
    assert isinstance(provider, IntensityProvider)
    series = provider.series("DE")
    assert series.step_s == 3600 and series.start_utc == T0
    assert series.values_g_per_kwh.tolist() == [100, 200, 300, 400]
    assert series.kind == "actual" and "de.csv" in series.source


def test_timestamp_forms_offsets_and_naive_are_utc(tmp_path: Path) -> None:
    rows = ["2023-03-01T00:00:00Z,DE,1", "2023-03-01T02:00:00+01:00,DE,2",
            "2023-03-01 02:00:00,DE,3", "2023-03-01T03:00:00.000+00:00,DE,4"]
    series = FileProvider(_write(tmp_path / "a.csv", rows)).series("DE")
    assert series.start_utc == T0
    assert series.values_g_per_kwh.tolist() == [1, 2, 3, 4]


def test_local_offsets_across_dst_changes_give_a_regular_utc_grid(tmp_path: Path) -> None:
    # Europe/Berlin: 02:00 local does not exist on 2023-03-26 and happens twice on 2023-10-29
    spring = ["2023-03-26T01:00:00+01:00,DE,1", "2023-03-26T03:00:00+02:00,DE,2",
              "2023-03-26T04:00:00+02:00,DE,3"]
    autumn = ["2023-10-29T02:00:00+02:00,FR,1", "2023-10-29T02:00:00+01:00,FR,2",
              "2023-10-29T03:00:00+01:00,FR,3"]
    provider = FileProvider(_write(tmp_path / "dst.csv", spring + autumn))
    de, fr = provider.series("DE"), provider.series("FR")
    assert de.start_utc == datetime(2023, 3, 26, 0, tzinfo=UTC) and de.step_s == 3600
    assert de.values_g_per_kwh.tolist() == [1, 2, 3] and de.missing == 0
    assert fr.start_utc == datetime(2023, 10, 29, 0, tzinfo=UTC)
    assert fr.values_g_per_kwh.tolist() == [1, 2, 3] and fr.missing == 0


def test_mixed_15_30_minute_resolution(tmp_path: Path) -> None:
    times = [T0 + timedelta(minutes=m) for m in (0, 30, 60, 75, 90, 105, 120)]
    rows = [f"{t.isoformat()},GB,{10 * (i + 1)}" for i, t in enumerate(times)]
    series = FileProvider(_write(tmp_path / "gb.csv", rows)).series("GB")
    assert series.step_s == 900
    # a 30-minute value covers both of its 15-minute steps
    assert series.values_g_per_kwh.tolist() == [10, 10, 20, 20, 30, 40, 50, 60, 70]


def test_short_gap_interpolated_with_note_long_gap_stays_nan(tmp_path: Path) -> None:
    values = [100.0] * 48
    for i in (5, 6):  # 2 h gap -> filled
        values[i] = math.nan
    for i in range(20, 25):  # 5 h gap -> kept
        values[i] = math.nan
    rows = [r for r, v in zip(_hourly("DE", T0, values), values, strict=True)
            if not math.isnan(v)]
    series = FileProvider(_write(tmp_path / "g.csv", rows)).series("DE")
    got = series.values_g_per_kwh
    assert len(series) == 48
    assert got[5] == 100 and got[6] == 100
    assert np.isnan(got[20:25]).all()
    assert any("2 missing interval(s) of DE filled" in n for n in series.notes)
    assert any("5 interval(s) of DE missing" in n for n in series.notes)


def test_empty_cells_are_missing_and_interpolated(tmp_path: Path) -> None:
    rows = _hourly("DE", T0, [100, 0, 300])
    rows[1] = rows[1].rsplit(",", 1)[0] + ","
    series = FileProvider(_write(tmp_path / "e.csv", rows)).series("DE")
    assert series.values_g_per_kwh.tolist() == [100, 200, 300]


def test_several_files_and_zones_merge(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", _hourly("DE", T0, [1, 2]) + _hourly("FR", T0, [5, 6]))
    b = _write(tmp_path / "b.csv", _hourly("DE", T0 + timedelta(hours=2), [3, 4]))
    provider = FileProvider([a, b])
    assert provider.zones() == ("DE", "FR")
    assert provider.series("DE").values_g_per_kwh.tolist() == [1, 2, 3, 4]
    assert provider.series("FR").values_g_per_kwh.tolist() == [5, 6]


def test_chosen_column_and_signal(tmp_path: Path) -> None:
    header = "timestamp,zone,carbon_intensity_lifecycle_g_per_kwh,carbon_intensity_direct_g_per_kwh"
    path = _write(tmp_path / "x.csv", ["2023-03-01T00:00:00Z,DE,300,250"], header)
    series = FileProvider(path, column="carbon_intensity_direct_g_per_kwh").series("DE")
    assert series.values_g_per_kwh.tolist() == [250] and series.signal == "direct"


def test_history_forecast_current_probe(tmp_path: Path) -> None:
    path = _write(tmp_path / "de.csv", _hourly("DE", T0, [float(v) for v in range(24)]))
    clock = FakeClock(now=T0 + timedelta(hours=5, minutes=30))
    provider = FileProvider(path, clock=clock)
    history = provider.history("DE", T0 + timedelta(hours=2), T0 + timedelta(hours=4))
    assert history.values_g_per_kwh.tolist() == [2, 3] and history.kind == "actual"
    forecast = provider.forecast("DE", T0 + timedelta(hours=6), T0 + timedelta(hours=9))
    assert forecast.kind == "forecast" and forecast.values_g_per_kwh.tolist() == [6, 7, 8]
    assert any("perfect foresight" in n for n in forecast.notes)
    now = provider.current("DE")
    assert now.g_per_kwh == 5 and now.zone == "DE" and now.resolution == "hourly"
    assert provider.probe().available
    with pytest.raises(ProviderError, match="covers 2023-03-01T00:00:00Z to 2023-03-02"):
        provider.history("DE", T0 + timedelta(days=5), T0 + timedelta(days=6))
    clock.advance(86400 * 3)
    with pytest.raises(ProviderError, match="not now"):
        provider.current("DE")


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    times = [T0 + timedelta(minutes=30 * i) for i in range(4)]
    table = pa.table({"timestamp": pa.array(times, pa.timestamp("s", tz="UTC")),
                      "zone": ["FR"] * 4, "carbon_intensity_g_per_kwh": [40.0, 41.0, None, 43.0]})
    pq.write_table(table, tmp_path / "fr.parquet")
    series = FileProvider(tmp_path / "fr.parquet").series("FR")
    assert series.step_s == 1800 and series.start_utc == T0
    assert series.values_g_per_kwh.tolist() == [40, 41, 42, 43]
    strings = pa.table({"timestamp": ["2023-03-01T00:00:00Z", "yesterday"], "zone": ["FR"] * 2,
                        "carbon_intensity_g_per_kwh": [1.0, 2.0]})
    pq.write_table(strings, tmp_path / "bad.parquet")
    with pytest.raises(ConfigError, match=r"bad\.parquet row 2: bad timestamp 'yesterday'"):
        FileProvider(tmp_path / "bad.parquet").load()
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(ConfigError, match="cannot read Parquet"):
        FileProvider(tmp_path / "junk.parquet").load()


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (None, ["2023-03-01T00:00:00Z,DE,1", "2023-03-01T01:00,DE,abc"],
         r"b\.csv line 3: carbon_intensity_g_per_kwh is not a number: 'abc'"),
        (None, ["2023-03-01T00:00:00Z,DE,-5"],
         r"b\.csv line 2: carbon_intensity_g_per_kwh cannot be negative: '-5'"),
        (None, ["01/03/2023 00:00,DE,5"],
         r"b\.csv line 2: bad timestamp '01/03/2023 00:00' \(expected ISO 8601"),
        (None, ["2023-03-01T00:00:00Z,DE"], r"b\.csv line 2: expected 3 columns, got 2"),
        (None, ["2023-03-01T00:00:00Z,,5"], r"b\.csv line 2: empty zone"),
        (None, [",DE,5"], r"b\.csv line 2: bad timestamp ''"),
        ("timestamp,carbon_intensity_g_per_kwh", ["2023-03-01T00:00:00Z,1"],
         r"b\.csv: no column 'zone'"),
        ("timestamp,zone,carbon_intensity_lifecycle_g_per_kwh", ["2023-03-01T00:00:00Z,DE,1"],
         r"no column 'carbon_intensity_g_per_kwh'.*the one intensity column is "
         r"'carbon_intensity_lifecycle_g_per_kwh': pass --column "
         r"carbon_intensity_lifecycle_g_per_kwh"),
        ("timestamp,zone,carbon_intensity_lifecycle_g_per_kwh,carbon_intensity_direct_g_per_kwh",
         ["2023-03-01T00:00:00Z,DE,1,2"],
         r"choose one with --column: carbon_intensity_lifecycle_g_per_kwh, "
         r"carbon_intensity_direct_g_per_kwh"),
    ],
)
def test_bad_input_messages_name_file_and_line(
    tmp_path: Path, header: str | None, rows: list[str], message: str
) -> None:
    path = _write(tmp_path / "b.csv", rows, header or "timestamp,zone,carbon_intensity_g_per_kwh")
    with pytest.raises(ConfigError, match=message) as info:
        FileProvider(path).load()
    assert "\n" not in str(info.value)
    status = FileProvider(path).probe()
    assert not status.available and "b.csv" in status.reason


def test_missing_file_and_unknown_zone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.csv: no such file"):
        FileProvider(tmp_path / "nope.csv").load()
    assert "no such file" in FileProvider(tmp_path / "nope.csv").probe().reason
    path = _write(tmp_path / "z.csv", _hourly("DE", T0, [1]) + _hourly("FR", T0, [2]))
    with pytest.raises(ProviderError, match=r"zone GB is not in z\.csv; zones present: DE, FR"):
        FileProvider(path).history("GB", T0, T0 + timedelta(hours=1))
    with pytest.raises(ConfigError, match="at least one"):
        FileProvider([])


def test_shared_data_two_years_merge() -> None:
    files = [SHARED / f"carbon_intensity_DE_{y}.csv" for y in (2023, 2024)]
    if not all(f.is_file() for f in files):
        pytest.skip(f"shared data not found at {SHARED} (run inside the project workspace)")
    series = FileProvider(files, column="carbon_intensity_lifecycle_g_per_kwh").series("DE")
    assert len(series) == 8760 + 8784 and series.missing == 0 and series.step_s == 3600
    assert series.signal == "lifecycle"


def test_shared_data_15_minute_lwa() -> None:
    path = SHARED / "carbon_intensity_DE_2020_lwa.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found at {SHARED} (run inside the project workspace)")
    series = FileProvider(path, column="carbon_intensity_lifecycle_g_per_kwh").series("DE")
    assert series.step_s == 900 and series.missing == 0
    assert any("filled by linear interpolation" in n for n in series.notes)
    year = series.between(datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
    assert year.mean() == pytest.approx(313.4, abs=1.0)  # the paper notebook's 2020 mean
