from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from wattprint.errors import ConfigError, PlanError
from wattprint.intensity.series import IntensitySeries
from wattprint.schedule.backtest import PastJob, backtest_jobs, parse_jobs_csv

UTC = timezone.utc
T0 = datetime(2023, 3, 1, tzinfo=UTC)
HEADER = "job_id,submit_utc,duration_h,energy_kwh,deadline_h,zone,interruptible"


def _zones() -> dict[str, IntensitySeries]:
    a = IntensitySeries("A", T0, 3600, np.array([100, 5, 50, 10, 100, 100, 100, 100.0]))
    b = IntensitySeries("B", T0, 3600, np.full(8, 40.0))
    return {"A": a, "B": b}


def test_hand_computed_totals() -> None:
    jobs = parse_jobs_csv("\n".join([
        HEADER,
        "j1,2023-03-01T00:00:00Z,1,2,4,A,false",
        "j2,2023-03-01T01:00:00Z,2,4,3,B,true",
    ]), "jobs.csv")
    report = backtest_jobs(jobs, _zones(), ("A", "B"))
    j1, j2 = report.jobs
    # j1: as run A[0]=100; best hour in A before 04:00 is 01:00 (5); now in B is 40
    assert j1.as_run_co2e_kg == pytest.approx(0.2)
    assert j1.time_shift_co2e_kg == pytest.approx(0.01)
    assert j1.time_shift_start_utc == T0 + timedelta(hours=1)
    assert j1.region_shift_co2e_kg == pytest.approx(0.08) and j1.region_shift_zone == "B"
    assert j1.both_co2e_kg == pytest.approx(0.01) and j1.both_zone == "A"
    # j2 (home B, flat 40): moving now to A runs 01-03 at (5+50)/2; interruptible in A
    # takes the 5 and the 10 hours
    assert j2.as_run_co2e_kg == pytest.approx(0.16)
    assert j2.time_shift_co2e_kg == pytest.approx(0.16)
    assert j2.region_shift_co2e_kg == pytest.approx(0.11) and j2.region_shift_zone == "A"
    assert j2.both_co2e_kg == pytest.approx(0.03) and j2.both_zone == "A"
    total = report.to_dict()["total"]
    assert isinstance(total, dict)
    assert total["as_run_co2e_kg"] == pytest.approx(0.36)
    assert total["time_shift_co2e_kg"] == pytest.approx(0.17)
    assert total["region_shift_co2e_kg"] == pytest.approx(0.19)
    assert total["both_co2e_kg"] == pytest.approx(0.04)
    assert total["time_shift_saving_pct"] == pytest.approx(100 * 0.19 / 0.36, abs=1e-3)
    assert total["region_shift_saving_pct"] == pytest.approx(100 * 0.17 / 0.36, abs=1e-3)
    assert total["both_saving_pct"] == pytest.approx(100 * 0.32 / 0.36, abs=1e-3)
    assert total["both_saving_kg"] == pytest.approx(0.32)
    row = j1.to_dict()
    for key in ("job_id", "zone", "as_run_co2e_kg", "time_shift_co2e_kg",
                "region_shift_co2e_kg", "both_co2e_kg", "both_saving_pct"):
        assert key in row


def test_defaults_home_zone_ids_and_deadline_utc() -> None:
    jobs = parse_jobs_csv("submit_utc,duration_h,energy_kwh,deadline_utc\n"
                          "2023-03-01T00:00:00,1,2,2023-03-01T04:00:00+00:00\n", "log.csv")
    assert jobs[0].job_id == "1" and jobs[0].zone is None and not jobs[0].interruptible
    assert jobs[0].deadline_utc == T0 + timedelta(hours=4)
    report = backtest_jobs(jobs, _zones(), ("B", "A"))
    assert report.jobs[0].zone == "B"
    assert report.jobs[0].as_run_co2e_kg == pytest.approx(0.08)
    assert report.jobs[0].both_co2e_kg == pytest.approx(0.01)


def test_planning_errors_name_the_job() -> None:
    job = PastJob("x", T0 + timedelta(hours=7), 7200.0, 1.0, T0 + timedelta(hours=12), "A",
                  where="jobs.csv line 9")
    with pytest.raises(PlanError, match=r"jobs\.csv line 9 \(job x\): no intensity data for "
                                        r"the home zone A"):
        backtest_jobs([job], _zones(), ("A",))
    with pytest.raises(ConfigError, match="at least one zone"):
        backtest_jobs([job], _zones(), ())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,yesterday,1,2,4,A,", r"log\.csv line 2, column submit_utc: expected an ISO 8601 time"),
        ("1,2023-03-01T00:00Z,abc,2,4,A,", r"line 2, column duration_h: expected a number > 0, "
                                            r"got 'abc'"),
        ("1,2023-03-01T00:00Z,0,2,4,A,", r"column duration_h: expected a number > 0, got '0'"),
        ("1,2023-03-01T00:00Z,1,-2,4,A,", r"column energy_kwh: expected a number >= 0"),
        ("1,2023-03-01T00:00Z,1,2,,A,", r"column deadline_h: expected a number > 0, got ''"),
        ("1,2023-03-01T00:00Z,5,2,4,A,", r"line 2, column deadline_h: the deadline leaves 4 h "
                                          r"after submission but the job ran 5 h"),
        ("1,2023-03-01T00:00Z,1,2,4,A,maybe", r"column interruptible: expected true or false, "
                                               r"got 'maybe'"),
    ],
)
def test_bad_rows(row: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_jobs_csv(f"{HEADER}\n{row}\n", "log.csv")


def test_bad_headers() -> None:
    with pytest.raises(ConfigError, match=r"log\.csv: missing column energy_kwh, deadline_h "
                                          r"\(or deadline_utc\)"):
        parse_jobs_csv("submit_utc,duration_h\n", "log.csv")
    with pytest.raises(ConfigError, match="no jobs"):
        parse_jobs_csv(HEADER + "\n\n", "log.csv")
