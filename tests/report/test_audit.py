"""The audit report's figures against figures computed here from what went into the ledger."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from audit_ledger import NOW, Q2, Q3, Q4, UTC, Filled, fill, filled_ledger

from wattprint.account.periods import parse_period
from wattprint.account.targets import target_progress
from wattprint.errors import ConfigError
from wattprint.model import AccountedFigure, Run, RunStatus
from wattprint.report.audit import AuditReport, build, previous_period
from wattprint.report.audit_data import collect
from wattprint.store.ledger import Ledger


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Filled]:
    return filled_ledger(tmp_path_factory)


@pytest.fixture
def ledger(quarter: tuple[str, Filled]) -> Iterator[Ledger]:
    with Ledger(quarter[0]) as opened:
        yield opened


@pytest.fixture
def filled(quarter: tuple[str, Filled]) -> Filled:
    return quarter[1]


def _report(ledger: Ledger, period: str = "2026Q3", project: str | None = None,
            now: datetime = NOW) -> AuditReport:
    return build(collect(ledger, parse_period(period), project, now=now))


def _gross(runs: list[Run], figures: dict[str, list[AccountedFigure]]) -> float:
    """Hourly where truly hourly, else the annual-mean figure, else the stored footprint."""
    total = 0.0
    for run in runs:
        mine = {f.kind: f for f in figures.get(run.id, [])}
        hourly = mine.get("location-hourly")
        if hourly is not None and hourly.method == "hourly":
            total += hourly.value
        elif "location" in mine:
            total += mine["location"].value
        else:
            total += run.co2e_kg
    return total


def _stored(figures: dict[str, list[AccountedFigure]], runs: list[Run], kind: str) -> float:
    ids = {r.id for r in runs}
    return sum(f.value for rid, figs in figures.items() if rid in ids
               for f in figs if f.kind == kind)


def test_totals_equal_figures_computed_from_the_runs(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    q3 = filled.between(Q3, Q4)
    assert len(q3) == 7
    assert report.figure("runs").current == 7
    assert report.figure("energy_kwh").current == pytest.approx(sum(r.energy_kwh for r in q3))
    assert report.figure("location_co2e_kg").current == pytest.approx(_gross(q3, filled.figures))
    for key, kind in (("market_co2e_kg", "market"), ("embodied_co2e_kg", "embodied"),
                      ("water_l", "water")):
        assert report.figure(key).current == pytest.approx(_stored(filled.figures, q3, kind))
        assert report.figure(key).note == "2 of 7 runs accounted"
    assert report.figure("duration_h").current == pytest.approx(
        sum(r.duration_s for r in q3) / 3600)
    assert report.accounting_basis == {"hourly": 1, "location": 1, "not_accounted": 5}


def test_the_hourly_run_counts_at_its_hours_intensity(ledger: Ledger, filled: Filled) -> None:
    # The tracked resnet50 run: (100 W + 300 W) × 1 h × PUE 1.2 = 0.48 kWh in the 250 g hour.
    report = _report(ledger)
    q3 = filled.between(Q3, Q4)
    t1 = next(r for r in q3 if r.model == "resnet50")
    assert t1.energy_kwh == pytest.approx(0.48)
    others = sum(r.co2e_kg for r in q3 if r is not t1)
    assert report.figure("location_co2e_kg").current == pytest.approx(0.48 * 0.250 + others)
    assert "hourly" in report.breakdown_note
    assert f"{0.12 - t1.co2e_kg:+,.3f}" in report.breakdown_note


def test_change_against_the_previous_quarter(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    q2 = filled.between(Q2, Q3)
    energy = report.figure("energy_kwh")
    assert report.previous_period == "2026Q2"
    assert energy.previous == pytest.approx(sum(r.energy_kwh for r in q2))
    assert energy.delta == pytest.approx(energy.current - energy.previous)  # type: ignore[operator]
    assert energy.pct == pytest.approx(100 * (energy.current / energy.previous - 1))  # type: ignore[operator]
    assert report.figure("location_co2e_kg").previous == pytest.approx(
        _gross(q2, filled.figures))
    assert report.figure("runs").previous == 2


def test_trend_has_the_three_months_of_the_quarter(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    assert [b.label for b in report.trend] == ["2026-07", "2026-08", "2026-09"]
    for bucket, month in zip(report.trend, (7, 8, 9), strict=True):
        runs = [r for r in filled.between(Q3, Q4) if r.started_utc.month == month]
        assert bucket.runs == len(runs)
        assert bucket.energy_kwh == pytest.approx(sum(r.energy_kwh for r in runs))
        assert bucket.co2e_kg == pytest.approx(sum(r.co2e_kg for r in runs))


def test_a_month_is_reported_per_week_cut_at_the_month(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger, "2026-09")
    # 2026-09-01 is a Tuesday: weeks run Monday to Sunday, the first and last cut short.
    assert [(b.start.day, b.end.day) for b in report.trend] == [
        (1, 7), (7, 14), (14, 21), (21, 28), (28, 1)]
    september = filled.between(datetime(2026, 9, 1, tzinfo=UTC), Q4)
    assert sum(b.runs for b in report.trend) == len(september) == 3
    # The failed run (Sunday 20th), the interrupted one (21st), the speech run (30th).
    assert [b.runs for b in report.trend] == [0, 0, 1, 1, 1]
    assert report.trend[0].label == "01 Sep–06 Sep"
    assert report.previous_period == "2026-08"


def test_top_emitters_are_ordered_and_share_the_stored_total(ledger: Ledger,
                                                             filled: Filled) -> None:
    report = _report(ledger)
    q3 = filled.between(Q3, Q4)
    by_project: dict[str, float] = {}
    for run in q3:
        by_project[run.project] = by_project.get(run.project, 0.0) + run.co2e_kg
    assert [e.name for e in report.top_projects] == sorted(by_project, key=lambda p:
                                                           -by_project[p])
    assert sum(e.share_pct for e in report.top_projects) == pytest.approx(100.0)
    assert report.top_runs[0].co2e_kg == pytest.approx(max(r.co2e_kg for r in q3))
    assert len(report.top_runs[0].name) == 8
    models = {(e.name, e.project) for e in report.top_models}
    assert {("resnet50", "vision"), ("vit-b16", "vision"), ("bert-base", "nlp")} <= models


def test_inefficient_models_are_flagged_per_metric(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    accuracy = {(e.model, e.project): e for e in report.efficiency if e.metric == "accuracy"}
    resnet, vit = accuracy[("resnet50", "vision")], accuracy[("vit-b16", "vision")]
    assert resnet.kwh_per_unit == pytest.approx(0.48 / 0.9)
    assert vit.kwh_per_unit == pytest.approx(1.68 / 0.6)
    assert resnet.ratio_to_best == pytest.approx(1.0) and not resnet.flagged
    assert vit.ratio_to_best == pytest.approx((1.68 / 0.6) / (0.48 / 0.9)) and vit.flagged
    ranks = [e.kwh_per_unit for e in report.efficiency if e.metric == "accuracy"]
    assert ranks == sorted(ranks, reverse=True)


def test_failed_and_interrupted_runs_show_the_energy_wasted(ledger: Ledger,
                                                            filled: Filled) -> None:
    report = _report(ledger)
    wasted = [r for r in filled.between(Q3, Q4)
              if r.status in (RunStatus.FAILED, RunStatus.INTERRUPTED)]
    assert len(wasted) == 2
    w = report.waste
    assert w.runs == 2
    assert w.energy_kwh == pytest.approx(sum(r.energy_kwh for r in wasted))
    assert w.energy_kwh == pytest.approx((100 + 400) * 0.75 * 1.2 / 1000)
    assert [x.status for x in w.worst_runs] == ["failed", "interrupted"]
    assert w.worst_runs[0].error == "RuntimeError: CUDA out of memory"
    assert [(m.name, m.project, m.runs) for m in w.by_model] == [("bert-base", "nlp", 2)]


def test_targets_progress_as_of_the_end_of_the_period(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    lines = {(t.scope, t.metric): t for t in report.targets}
    vision = lines[("vision", "co2e")]
    assert vision.progress is not None
    target = vision.progress.target
    expected = target_progress(target, filled.between(Q2, Q4, "vision"),
                               Q4 - timedelta(microseconds=1))
    assert vision.progress.current_period == "2026Q3"
    assert vision.progress.current_value == pytest.approx(expected.current_value)
    assert vision.progress.baseline_value == pytest.approx(
        sum(r.co2e_kg for r in filled.between(Q2, Q3, "vision")))
    assert vision.progress.on_track is expected.on_track is False
    unmeasured = lines[("all projects", "energy")]
    assert unmeasured.progress is None and "2025Q1 has no runs" in unmeasured.error


def test_budgets_per_month_with_overruns(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    lines = {(b.project, b.month): b for b in report.budgets}
    assert set(lines) == {("vision", "2026-07"), ("vision", "2026-08"), ("vision", "2026-09"),
                          ("nlp", "2026-08")}
    july = [r for r in filled.between(Q3, Q4, "vision") if r.started_utc.month == 7]
    assert lines[("vision", "2026-07")].spent_co2e_kg == pytest.approx(
        sum(r.co2e_kg for r in july))
    assert lines[("vision", "2026-07")].over and lines[("vision", "2026-08")].over
    assert not lines[("vision", "2026-09")].over and not lines[("nlp", "2026-08")].over
    assert lines[("vision", "2026-08")].overruns == 1
    assert lines[("vision", "2026-08")].overrun_co2e_kg == pytest.approx(0.3)


def test_reduce_shift_offset_keeps_offsets_apart(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    s = report.reduce_shift_offset
    gross = _gross(filled.between(Q3, Q4), filled.figures)
    assert s.gross_co2e_kg == pytest.approx(gross)
    assert s.avoided_by_shifting_co2e_kg == pytest.approx(filled.avoided_kg) == pytest.approx(
        0.25)
    assert s.shifted_runs == 1
    assert s.offset_co2e_kg == pytest.approx(filled.retired_q3_t * 1000)
    assert s.net_co2e_kg == pytest.approx(gross - filled.retired_q3_t * 1000)
    assert s.offsets_held_not_retired_t == pytest.approx(1.0)
    assert sorted(o["serial"] for o in s.offsets_retired) == ["GS-Q3-1", "GS-Q3-2"]
    assert s.change_vs_previous_co2e_kg == pytest.approx(
        gross - _gross(filled.between(Q2, Q3), filled.figures))


def test_methodology_shares_pue_and_intensity(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger)
    q3 = filled.between(Q3, Q4)
    by_method: dict[str, float] = {}
    for run in q3:
        for dev in run.devices:
            by_method[dev.device.method.value] = (by_method.get(dev.device.method.value, 0.0)
                                                  + dev.energy_j / 3.6e6)
    m = report.methodology
    shares = {s.method: s for s in m.measurement}
    assert set(shares) == set(by_method) == {"counter", "sampled-power", "modelled"}
    for method, kwh in by_method.items():
        assert shares[method].energy_kwh == pytest.approx(kwh)
    assert sum(s.share_pct for s in m.measurement) == pytest.approx(100.0)
    assert m.effective_pue == pytest.approx(
        sum(r.energy_kwh for r in q3) / sum(r.footprint.it_energy_kwh for r in q3))
    assert {u.key[0] for u in m.pue} == {"1.2", "1.58"}
    assert {(u.key[0], u.key[2]) for u in m.intensity} == {("annual", "2023")}
    assert sum(u.runs for u in m.intensity) == 7
    methods = {(u.kind, u.method): u.runs for u in m.accounting_methods}
    assert methods[("location-hourly", "hourly")] == 1
    assert "test series" in m.sources["location-hourly"]
    assert any("AIB" in s for s in m.sources["market"])
    assert any("Luccioni" in s for s in m.sources["embodied"])


def test_data_quality_counts(ledger: Ledger, filled: Filled) -> None:
    q = _report(ledger).quality
    q3 = filled.between(Q3, Q4)
    modelled = [r for r in q3 if any(d.device.method.value == "modelled" for d in r.devices)]
    assert q.modelled_runs == len(modelled) == 3
    assert q.modelled_energy_kwh == pytest.approx(sum(r.energy_kwh for r in modelled))
    assert q.unaccounted_runs == 5
    assert [(u.key, u.runs) for u in q.assumed_zones] == [(("DE", "timezone"), 1)]
    text = " ".join(str(p) for f in q.findings for p in f)
    assert "assumed zone" in text and "modelled device" in text


def test_one_project(ledger: Ledger, filled: Filled) -> None:
    report = _report(ledger, project="vision")
    vision = filled.between(Q3, Q4, "vision")
    assert report.figure("runs").current == len(vision) == 3
    assert [e.name for e in report.top_projects] == ["vision"]
    assert report.reduce_shift_offset.offset_co2e_kg == pytest.approx(0.5)
    assert {b.project for b in report.budgets} == {"vision"}
    assert [(t.scope, t.metric) for t in report.targets] == [("vision", "co2e")]
    assert report.title.endswith("(project vision)")


def test_unknown_project_names_close_matches(ledger: Ledger) -> None:
    with pytest.raises(ConfigError, match=r"unknown --project 'visoin'.*did you mean vision"):
        _report(ledger, project="visoin")
    with pytest.raises(ConfigError, match=r"projects in the ledger: nlp, speech, vision"):
        _report(ledger, project="zzzzzz")


def test_a_period_without_runs_is_a_report_that_says_so(ledger: Ledger) -> None:
    report = _report(ledger, "2025Q1")
    assert report.empty
    assert "No runs were recorded in 2025Q1" in report.notes[0]
    assert report.figure("runs").current == 0
    assert report.figure("energy_kwh").current == 0
    assert report.figure("market_co2e_kg").current == 0  # nothing to account, not "missing"
    assert [b.runs for b in report.trend] == [0, 0, 0]
    assert report.top_projects == () and report.efficiency == ()
    assert report.methodology.measurement == ()
    assert len(report.targets) == 2  # targets still apply


def test_unaccounted_figures_are_missing_not_zero(ledger: Ledger) -> None:
    report = _report(ledger, "2026Q4")  # one run, never accounted
    assert report.figure("market_co2e_kg").current is None
    assert report.figure("market_co2e_kg").delta is None
    assert report.figure("market_co2e_kg").pct is None


def test_an_open_period_is_reported_as_of_now(ledger: Ledger) -> None:
    now = datetime(2026, 8, 15, tzinfo=UTC)
    report = _report(ledger, now=now)
    assert report.as_of_utc == now
    assert any("not over" in n for n in report.notes)
    assert {b.month for b in report.budgets} == {"2026-07", "2026-08"}


@pytest.mark.parametrize(("label", "previous"), [
    ("2026Q3", "2026Q2"), ("2026Q1", "2025Q4"), ("2026-01", "2025-12"), ("2026", "2025")])
def test_previous_period(label: str, previous: str) -> None:
    assert previous_period(parse_period(label)).label == previous


@pytest.mark.postgres
def test_postgresql_gives_the_same_report(postgres_url: str, ledger: Ledger, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Ledger(postgres_url) as pg:
        fill(pg)
        on_pg = _report(pg)
    on_sqlite = _report(ledger)
    for field in ("totals", "trend", "efficiency", "top_projects", "budgets",
                  "methodology", "quality"):
        assert _rounded(getattr(on_pg, field)) == _rounded(getattr(on_sqlite, field)), field
    for field in ("gross_co2e_kg", "avoided_by_shifting_co2e_kg", "offset_co2e_kg",
                  "net_co2e_kg"):
        assert getattr(on_pg.reduce_shift_offset, field) == pytest.approx(
            getattr(on_sqlite.reduce_shift_offset, field))
    assert on_pg.waste.energy_kwh == pytest.approx(on_sqlite.waste.energy_kwh)


def _rounded(value: object) -> object:
    """Values to compare across backends: floats to 9 significant digits."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(_rounded(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_rounded(v) for v in value)
    return value
