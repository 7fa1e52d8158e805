from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from report_runs import UTC, make_run

from wattprint.errors import ConfigError
from wattprint.intensity.series import IntensitySeries
from wattprint.intensity.zones import load_catalog
from wattprint.report.grid import heatmap, ranking
from wattprint.report.progress import budget_progress
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeProvider

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)


def _provider() -> FakeProvider:
    hours = 24 * 10
    values = np.arange(hours, dtype=np.float64) % 24 * 10.0 + 100.0  # 100 at 00 UTC ... 330
    values[30] = np.nan  # day 1, 06:00 missing
    return FakeProvider({"XX": IntensitySeries("XX", DAY0, 3600, values, kind="actual",
                                               source="test grid")})


def test_heatmap_rows_are_utc_hours_and_columns_days() -> None:
    provider = _provider()
    h = heatmap(provider, "XX", date(2026, 3, 1), 3, DAY0 + timedelta(days=10))
    assert h.days == (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3))
    assert len(h.values_g_per_kwh) == 24
    assert h.values_g_per_kwh[0] == (100.0, 100.0, 100.0)
    assert h.values_g_per_kwh[23] == (330.0, 330.0, 330.0)
    assert h.values_g_per_kwh[6] == (160.0, None, 160.0)
    assert h.kind == "actual" and h.source == "test grid"
    assert provider.calls == [("history", "XX")]


def test_heatmap_joins_history_and_forecast_at_the_current_hour() -> None:
    provider = _provider()
    now = DAY0 + timedelta(days=1, hours=12, minutes=40)
    h = heatmap(provider, "XX", date(2026, 3, 1), 3, now)
    assert provider.calls == [("history", "XX"), ("forecast", "XX")]
    assert h.kind == "mixed"
    assert h.values_g_per_kwh[12][1] == 220.0 and h.values_g_per_kwh[13][2] == 230.0


@pytest.mark.parametrize("days", [0, 93])
def test_heatmap_day_count_is_bounded(days: int) -> None:
    with pytest.raises(ConfigError, match=f"invalid days {days}"):
        heatmap(_provider(), "XX", date(2026, 3, 1), days, DAY0)


def test_ranking_cleanest_first_keeps_used_zones() -> None:
    catalog = load_catalog()
    zones = ranking(catalog, kind="country", limit=3, used=["PL", "aws:us-east-1"])
    values = [z.intensity_g_per_kwh for z in zones]
    assert values == sorted(values) and len(zones) == 4 and zones[-1].id == "PL"
    assert {z.kind for z in ranking(catalog, kind="cloud", query="aws", limit=5)} == {"cloud"}
    with pytest.raises(ConfigError, match="invalid kind 'planet'"):
        ranking(catalog, kind="planet")
    with pytest.raises(ConfigError, match="invalid limit 0"):
        ranking(catalog, limit=0)


def test_budget_projection_by_month(tmp_path: Path) -> None:
    with Ledger(f"sqlite:///{tmp_path}/b.db") as ledger:
        run = make_run("b1", started=datetime(2026, 3, 2, tzinfo=UTC), project="p")
        ledger.save_run(run)
        ledger.set_budget("p", 10.0)
        ledger.set_budget("q", 1.0, month="2026-04")
        as_of = datetime(2026, 3, 11, tzinfo=UTC)  # 10 of 31 days gone
        with ledger.reading() as conn:
            (march,) = budget_progress(conn, "2026-03", as_of)
            past = budget_progress(conn, "2026-02", as_of)
            april = budget_progress(conn, "2026-04", as_of)
    assert march.elapsed_fraction == pytest.approx(10 / 31)
    assert march.projected_co2e_kg == pytest.approx(run.co2e_kg * 31 / 10)
    assert march.on_track == (run.co2e_kg * 3.1 <= 10.0)
    assert past[0].projected_co2e_kg == 0.0 and past[0].elapsed_fraction == 1.0
    assert [b.state.project for b in april] == ["p", "q"]
    assert all(b.projected_co2e_kg == 0.0 for b in april)
