from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from report_runs import Q1, UTC, make_run, quarter_runs

from wattprint.errors import ConfigError
from wattprint.model import Run
from wattprint.report import queries as q
from wattprint.store.ledger import Ledger

Q2 = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/ledger.db"
    with Ledger(url) as opened:
        for run in quarter_runs():
            opened.save_run(run)
        yield opened


def _in_q1(runs: list[Run]) -> list[Run]:
    return [r for r in runs if Q1 <= r.started_utc < Q2]


def test_totals_sum_the_window_and_count_failed_and_interrupted(ledger: Ledger) -> None:
    inside = _in_q1(quarter_runs())
    with ledger.reading() as conn:
        t = q.totals(conn, Q1, Q2)
    assert t.runs == len(inside) == 7
    assert t.energy_kwh == pytest.approx(sum(r.energy_kwh for r in inside))
    assert t.co2e_kg == pytest.approx(sum(r.co2e_kg for r in inside))
    assert t.embodied_co2e_kg == pytest.approx(0.1 * 6)
    assert t.water_l == pytest.approx(2.0 * 6)
    assert t.duration_s == pytest.approx(1800.0 * 7)
    failed = [r for r in inside if r.id in ("r03", "r05")]
    assert t.failed_runs == 2
    assert t.failed_energy_kwh == pytest.approx(sum(r.energy_kwh for r in failed))


def test_totals_of_one_project_and_of_an_empty_window(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        nlp = q.totals(conn, Q1, Q2, project="nlp")
        empty = q.totals(conn, Q2, Q2 + timedelta(days=1))
    assert (nlp.runs, nlp.failed_runs) == (2, 1)
    assert nlp.co2e_kg == pytest.approx(sum(r.co2e_kg for r in quarter_runs()
                                            if r.project == "nlp"))
    assert empty == q.Totals(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0.0)


def test_daily_buckets_are_utc_days_per_project(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        points = q.daily(conn, Q1, Q2)
    keys = [(p.day, p.project, p.runs) for p in points]
    assert keys == [
        (date(2026, 1, 1), "vision", 2),   # 09:00 and 23:59:59 on Jan 1
        (date(2026, 1, 2), "vision", 2),   # 00:00 (failed) and 01:30+02:00 = 23:30 UTC
        (date(2026, 1, 6), "nlp", 1),
        (date(2026, 2, 10), "nlp", 1),
        (date(2026, 3, 22), "speech", 1),
    ]
    by_id = {r.id: r for r in quarter_runs()}
    jan2 = points[1]
    assert jan2.energy_kwh == pytest.approx(by_id["r03"].energy_kwh + by_id["r04"].energy_kwh)
    assert jan2.co2e_kg == pytest.approx(by_id["r03"].co2e_kg + by_id["r04"].co2e_kg)


def test_daily_of_one_project(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        points = q.daily(conn, Q1, Q2, project="nlp")
    assert [p.day for p in points] == [date(2026, 1, 6), date(2026, 2, 10)]


def test_by_project_sorted_by_emissions(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        rows = q.by_project(conn, Q1, Q2)
    assert [r.project for r in rows] == ["vision", "nlp", "speech"]
    vision = rows[0]
    expected = [r for r in _in_q1(quarter_runs()) if r.project == "vision"]
    assert vision.runs == 4 and vision.failed_runs == 1
    assert vision.co2e_kg == pytest.approx(sum(r.co2e_kg for r in expected))
    assert vision.failed_energy_kwh == pytest.approx(
        next(r.energy_kwh for r in expected if r.id == "r03"))
    assert vision.duration_s == pytest.approx(4 * 1800.0)


def test_by_model_means_metrics_and_energy_per_unit(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        rows = q.by_model(conn, Q1, Q2)
    keyed = {(r.model, r.project): r for r in rows}
    assert list(keyed) == [("resnet50", "vision"), ("vit-b16", "vision"),
                           ("bert-base", "nlp"), ("", "speech")]
    co2e = [r.co2e_kg for r in rows]
    assert co2e == sorted(co2e, reverse=True)
    by_id = {r.id: r for r in quarter_runs()}
    resnet = keyed[("resnet50", "vision")]
    assert (resnet.runs, resnet.failed_runs) == (3, 1)
    assert resnet.metrics["accuracy"] == pytest.approx((0.90 + 0.94) / 2)
    assert resnet.metrics["f1"] == pytest.approx(0.8)
    with_accuracy = by_id["r01"].energy_kwh + by_id["r02"].energy_kwh
    assert resnet.kwh_per_metric["accuracy"] == pytest.approx(with_accuracy / (0.90 + 0.94))
    assert resnet.kwh_per_metric["f1"] == pytest.approx(by_id["r02"].energy_kwh / 0.8)
    speech = keyed[("", "speech")]
    assert speech.metrics == {} and speech.kwh_per_metric == {}


def test_by_model_skips_energy_per_unit_of_a_zero_metric(tmp_path: Path) -> None:
    with Ledger(f"sqlite:///{tmp_path}/z.db") as ledger:
        ledger.save_run(make_run("z1", started=Q1, metrics={"loss": 0.0}))
        with ledger.reading() as conn:
            (row,) = q.by_model(conn, Q1, Q2)
    assert row.metrics == {"loss": 0.0} and row.kwh_per_metric == {}


def test_by_zone_with_mean_intensity(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        rows = q.by_zone(conn, Q1, Q2)
    assert [r.zone for r in rows] == ["DE", "FR"]
    assert rows[0].intensity_g_per_kwh == pytest.approx(380.0)
    assert rows[1].intensity_g_per_kwh == pytest.approx(56.0)


def test_top_runs_by_emissions_with_method_and_tags(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        top = q.top_runs(conn, Q1, Q2, limit=3)
    assert [r.id for r in top] == ["r04", "r02", "r01"]
    r04 = top[0]
    assert r04.method == "modelled" and r04.model == "vit-b16"
    assert r04.started_utc == datetime(2026, 1, 2, 23, 30, tzinfo=UTC)
    assert top[1].tags == ("baseline", "sweep") and top[1].method == "measured"


def test_runs_page_default_sort_is_newest_first_with_a_total(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        page, count = q.runs_page(conn, q.RunFilter(), limit=3)
        second, _ = q.runs_page(conn, q.RunFilter(), offset=3, limit=3)
    assert count == 8
    assert [r.id for r in page] == ["r07", "r06", "r05"]
    assert [r.id for r in second] == ["r04", "r03", "r02"]


@pytest.mark.parametrize(("sort", "descending", "first"), [
    ("energy", True, "r00"), ("energy", False, "r07"), ("co2e", True, "r00"),
    ("duration", False, "r00"), ("project", False, "r05"), ("started", False, "r00"),
])
def test_runs_page_sorts(ledger: Ledger, sort: str, descending: bool, first: str) -> None:
    with ledger.reading() as conn:
        page, _ = q.runs_page(conn, q.RunFilter(), sort=sort, descending=descending)
    assert page[0].id == first
    assert len(page) == 8


@pytest.mark.parametrize(("filters", "expected"), [
    (q.RunFilter(project="nlp"), {"r05", "r06"}),
    (q.RunFilter(tags=("baseline",)), {"r00", "r01", "r02", "r04"}),
    (q.RunFilter(tags=("baseline", "sweep")), {"r02"}),
    (q.RunFilter(tags=("ablation", "nope")), set()),
    (q.RunFilter(status="failed"), {"r03"}),
    (q.RunFilter(since=Q1 + timedelta(days=1), until=Q1 + timedelta(days=6)),
     {"r03", "r04", "r05"}),
    (q.RunFilter(zone="FR"), {"r05", "r06"}),
    (q.RunFilter(method="modelled"), {"r04", "r06"}),
    (q.RunFilter(method="measured", project="nlp"), {"r05"}),
])
def test_runs_page_filters(ledger: Ledger, filters: q.RunFilter, expected: set[str]) -> None:
    with ledger.reading() as conn:
        page, count = q.runs_page(conn, filters)
    assert {r.id for r in page} == expected
    assert count == len(expected)


def test_projects_and_zones(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        assert q.projects(conn) == ["nlp", "speech", "vision"]
        assert q.zones(conn) == ["DE", "FR"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sort": "id"}, "invalid sort 'id': expected one of started, energy"),
    ({"limit": 0}, "invalid limit 0"),
    ({"limit": 5000}, "invalid limit 5000"),
    ({"offset": -1}, "invalid offset -1"),
])
def test_runs_page_rejects_bad_arguments(
    ledger: Ledger, kwargs: dict[str, object], message: str
) -> None:
    with ledger.reading() as conn, pytest.raises(ConfigError, match=message):
        q.runs_page(conn, q.RunFilter(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"status": "done"}, "invalid status 'done'"),
    ({"method": "guessed"}, "invalid method 'guessed'"),
    ({"since": datetime(2026, 1, 1)}, "since must be an aware UTC datetime"),
])
def test_run_filter_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        q.RunFilter(**kwargs)  # type: ignore[arg-type]


def test_windows_must_be_aware_and_non_empty(ledger: Ledger) -> None:
    with ledger.reading() as conn:
        with pytest.raises(ConfigError, match="start_utc must be an aware"):
            q.totals(conn, datetime(2026, 1, 1), Q2)
        with pytest.raises(ConfigError, match="must be after start_utc"):
            q.daily(conn, Q2, Q1)
