from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from helpers import run

from wattprint.account.targets import make_target, parse_reduce_pct, target_progress
from wattprint.errors import ConfigError
from wattprint.model import Run


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def monthly_runs(kg_by_month: dict[str, float]) -> list[Run]:
    """One run per month on the 10th, emitting the given kg CO2e (3 kWh facility)."""
    out = []
    for month, kg in kg_by_month.items():
        year, mon = (int(x) for x in month.split("-"))
        out.append(run(f"r{month}", started=utc(year, mon, 10), annual=kg / 3.0 * 1000))
    return out


def test_progress_projection_and_required_value() -> None:
    # 100 kg/month in Q1, then falling 10 kg a month.
    runs = monthly_runs({"2026-01": 100, "2026-02": 100, "2026-03": 100, "2026-04": 90,
                         "2026-05": 80})
    target = make_target("vision", "co2e", "2026Q1", "30%", date(2026, 6, 30))
    p = target_progress(target, runs, utc(2026, 6, 1))
    assert p.baseline_value == pytest.approx(300.0)
    assert p.required_value == pytest.approx(210.0)
    # Q2 so far (Apr 1 - Jun 1, 61 of 91 days): 170 kg at run rate.
    assert p.current_period == "2026Q2"
    assert p.current_value == pytest.approx(170 * 91 / 61)
    assert p.progress_pct == pytest.approx(100 * (300 - 170 * 91 / 61) / 90)
    # Linear fit through Jan..May, read at June, times 3 months.
    x, y = [0, 1, 2, 3, 4], [100, 100, 100, 90, 80]
    import numpy as np

    slope, intercept = np.polyfit(x, y, 1)
    assert p.projected_value == pytest.approx((slope * 5 + intercept) * 3)
    assert p.on_track is (p.projected_value <= 210.0)
    assert [m for m, _ in p.monthly] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert any("linear trend of 5 monthly values" in n for n in p.notes)


def test_energy_and_per_run_metrics() -> None:
    runs = monthly_runs({"2026-01": 30, "2026-02": 30, "2026-04": 15})
    energy = target_progress(make_target(None, "energy", "2026Q1", "10", date(2026, 12, 31)),
                             runs, utc(2026, 5, 1))
    assert energy.baseline_value == pytest.approx(6.0) and energy.unit == "kWh"
    assert energy.target.project == "*"
    per_run = target_progress(make_target(None, "co2e_per_run", "2026Q1", "50%",
                                          date(2026, 12, 31)), runs, utc(2026, 5, 1))
    assert per_run.baseline_value == pytest.approx(30.0)
    assert per_run.current_value == pytest.approx(15.0)  # not scaled by elapsed time
    assert per_run.progress_pct == pytest.approx(100.0)
    assert [m for m, _ in per_run.monthly] == ["2026-01", "2026-02", "2026-04"]


def test_projection_with_one_month_is_flat_and_never_negative() -> None:
    runs = monthly_runs({"2026-01": 100})
    p = target_progress(make_target(None, "co2e", "2026-01", "20%", date(2026, 6, 30)), runs,
                        utc(2026, 1, 31))
    assert p.projected_value == pytest.approx(p.current_value)
    assert "projected flat" in p.notes[0]
    steep = monthly_runs({"2026-01": 100, "2026-02": 10})
    q = target_progress(make_target(None, "co2e", "2026-01", "20%", date(2026, 12, 31)), steep,
                        utc(2026, 3, 1))
    assert q.projected_value == 0.0 and any("clipped" in n for n in q.notes)


def test_baseline_without_data_is_an_error() -> None:
    runs = monthly_runs({"2026-04": 100})
    target = make_target("vision", "co2e", "2026Q1", "30%", date(2026, 6, 30))
    with pytest.raises(ConfigError, match="target baseline 2026Q1 has no runs for project vision"):
        target_progress(target, runs, utc(2026, 5, 1))


@pytest.mark.parametrize("text", ["0%", "100%", "130%", "-5", "abc", "nan"])
def test_reduce_outside_range(text: str) -> None:
    with pytest.raises(ConfigError, match="--reduce"):
        parse_reduce_pct(text)


def test_make_target_validates() -> None:
    assert parse_reduce_pct(" 30 % ") == 30.0
    with pytest.raises(ConfigError, match="--metric"):
        make_target(None, "watts", "2026Q1", "30%", date(2026, 6, 30))
    with pytest.raises(ConfigError, match="invalid --baseline '2026Q5'"):
        make_target(None, "co2e", "2026Q5", "30%", date(2026, 6, 30))
    with pytest.raises(ConfigError, match="--by 2026-03-01 must be after"):
        make_target(None, "co2e", "2026Q1", "30%", date(2026, 3, 1))
