"""The dashboard end to end: uvicorn on 127.0.0.1, a ledger of real runs, headless Chromium.

Every page must load with no console error, no uncaught exception and no
failed request, draw its Plotly charts, and react to its controls as a person
would use them. Each page leaves a full-page screenshot in
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import CliServer, Dashboard, Tab
from dashboard_data import FAILURE, isolated_env

from wattprint.model import Run, RunStatus

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails in CI, saying what to install
    expect = None
TOKEN = "browser-test-token-0123456789"


def _pages(d: Dashboard) -> dict[str, str]:
    rec = d.recorded
    return {"overview": "/", "runs": "/runs", "run-detail": f"/runs/{rec.detail.id}",
            "run-failed": f"/runs/{rec.failed.id}", "run-carbon-aware": f"/runs/{rec.green.id}",
            "models": "/models", "targets": "/targets", "grid": "/grid", "api-docs": "/docs"}


#: Charts each page must draw (by element id).
CHARTS = {
    "overview": {"overview-chart"},
    "run-detail": {"run-trace-chart", "run-components-chart", "run-phases-chart"},
    "run-failed": {"run-trace-chart", "run-components-chart", "run-phases-chart"},
    # A run without phases: a line on how to record them instead of empty phase axes.
    "run-carbon-aware": {"run-trace-chart", "run-components-chart"},
    "models": {"projects-chart", "models-chart", "efficiency-chart"},
    "grid": {"grid-heatmap", "zone-ranking-chart"},
}


@pytest.mark.parametrize("name", ["overview", "runs", "run-detail", "run-failed",
                                  "run-carbon-aware", "models", "targets", "grid", "api-docs"])
def test_every_page_loads_cleanly_and_draws_its_charts(
    name: str, dashboard: Dashboard, tab: Tab
) -> None:
    tab.open(_pages(dashboard)[name])
    charts = {c["id"]: c for c in tab.charts()}
    assert set(charts) == CHARTS.get(name, set())
    for ident, chart in charts.items():
        assert chart["rendered"], ident
        assert chart["svgs"] >= 1, f"{ident}: no Plotly SVG"
        assert chart["traces"], f"{ident}: no trace"
        assert all(t["points"] > 0 for t in chart["traces"]), f"{ident}: an empty trace"
        assert chart["drawn"] >= len(chart["traces"]), f"{ident}: traces not drawn"
    if name == "run-carbon-aware":  # `wattprint run` records no phases
        expect(tab.page.locator("#run-phases-none")).to_contain_text("No phases recorded")
    expect(tab.page.locator("#nav a[aria-current=page]")).to_have_count(1)
    tab.screenshot(name)


# -- runs table ------------------------------------------------------------------------------


def _row_ids(tab: Tab) -> list[str]:
    return list(tab.page.locator("#runs-table tbody tr[data-run-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.runId)"))


def _apply_filter(tab: Tab, select: str, value: str) -> None:
    tab.page.select_option(select, value)
    with tab.page.expect_navigation():
        tab.page.click("#filter-apply")
    tab.settle()


def test_project_filter_narrows_the_runs_table(dashboard: Dashboard, tab: Tab) -> None:
    runs = dashboard.recorded.runs
    tab.open("/runs")
    expect(tab.page.locator("#runs-count")).to_have_text(f"Runs 1–{len(runs)} of {len(runs)}")
    _apply_filter(tab, "#filter-project", "nlp")
    nlp = {r.id for r in runs if r.project == "nlp"}
    assert tab.page.url.endswith("project=nlp") or "project=nlp&" in tab.page.url
    assert set(_row_ids(tab)) == nlp
    expect(tab.page.locator("#runs-table tbody tr td:nth-child(2)")).to_have_text(
        ["nlp"] * len(nlp))
    expect(tab.page.locator("#filter-project")).to_have_value("nlp")
    tab.screenshot("runs-project-nlp")


def test_tag_filter_keeps_runs_carrying_every_tag_given(dashboard: Dashboard, tab: Tab) -> None:
    runs = dashboard.recorded.runs
    tab.open("/runs")
    for text, tags in (("sweep", {"sweep"}), ("numpy, sweep", {"numpy", "sweep"})):
        tab.page.fill("#filter-tag", text)
        with tab.page.expect_navigation():
            tab.page.press("#filter-tag", "Enter")  # submits the form, as a person would
        tab.settle()
        expected = {r.id for r in runs if tags <= set(r.tags)}
        assert expected and set(_row_ids(tab)) == expected, text
        expect(tab.page.locator("#filter-tag")).to_have_value(text)


def test_status_filter_shows_the_failed_run(dashboard: Dashboard, tab: Tab) -> None:
    tab.open("/runs")
    _apply_filter(tab, "#filter-status", "failed")
    failed = [r.id for r in dashboard.recorded.runs if r.status is RunStatus.FAILED]
    assert _row_ids(tab) == failed == [dashboard.recorded.failed.id]
    expect(tab.page.locator("#runs-table tbody td.status-failed")).to_have_text(["failed"])
    tab.page.click("#runs-table tbody a.run-link")
    tab.settle()
    expect(tab.page.locator("#run-status .value")).to_have_text("failed")
    expect(tab.page.locator("#run-facts td.error")).to_contain_text(FAILURE)


def test_sorting_by_energy_orders_the_runs(dashboard: Dashboard, tab: Tab) -> None:
    runs = dashboard.recorded.runs
    tab.open("/runs")
    with tab.page.expect_navigation():
        tab.page.click("#sort-energy")
    tab.settle()
    energy = {r.id: r.energy_kwh for r in runs}
    expect(tab.page.locator("th[aria-sort=descending] #sort-energy")).to_have_count(1)
    shown = [energy[i] for i in _row_ids(tab)]  # copies of a run tie: compare the values
    assert len(shown) == len(runs) and shown == sorted(energy.values(), reverse=True)
    with tab.page.expect_navigation():  # a second click reverses the order
        tab.page.click("#sort-energy")
    tab.settle()
    expect(tab.page.locator("th[aria-sort=ascending] #sort-energy")).to_have_count(1)
    assert [energy[i] for i in _row_ids(tab)] == sorted(energy.values())
    tab.screenshot("runs-by-energy-ascending")


def test_next_page_shows_the_following_runs(dashboard: Dashboard, tab: Tab) -> None:
    runs = sorted(dashboard.recorded.runs, key=lambda r: r.started_utc, reverse=True)
    total = len(runs)
    tab.open("/runs?limit=4")
    first = _row_ids(tab)
    assert first == [r.id for r in runs[:4]]
    expect(tab.page.locator("#page-prev")).to_have_count(0)
    with tab.page.expect_navigation():
        tab.page.click("#page-next")
    tab.settle()
    expect(tab.page.locator("#runs-count")).to_have_text(f"Runs 5–8 of {total}")
    assert _row_ids(tab) == [r.id for r in runs[4:8]]
    expect(tab.page.locator("#page-prev")).to_have_count(1)
    with tab.page.expect_navigation():
        tab.page.click("#page-last")
    tab.settle()
    assert _row_ids(tab) == [r.id for r in runs[(total - 1) // 4 * 4:]]
    expect(tab.page.locator("#page-next")).to_have_count(0)


# -- run detail ------------------------------------------------------------------------------


def test_run_detail_shows_the_power_trace_of_each_device_and_the_phases(
    dashboard: Dashboard, tab: Tab
) -> None:
    run = dashboard.recorded.detail
    tab.open(f"/runs/{run.id}")
    charts = {c["id"]: c for c in tab.charts()}
    trace = charts["run-trace-chart"]
    devices = sorted(d.device.id for d in run.devices)
    assert [t["name"].split(" ")[0] for t in trace["traces"]] == devices
    assert all(t["type"] == "scatter" and t["points"] >= 2 for t in trace["traces"])
    for t in trace["traces"]:  # the watts the tracker recorded for that device
        device = t["name"].split(" ")[0]
        points = [p for p in run.trace if p.device_id == device]
        assert t["x"] == pytest.approx([p.t_s for p in points])
        assert t["y"] == pytest.approx([p.power_w for p in points])
    svg_lines = tab.page.locator("#run-trace-chart g.trace.scatter")
    expect(svg_lines).to_have_count(len(devices))
    phases = [p.name for p in run.phases]
    assert phases == ["data_loading", "train", "evaluate"]
    assert trace["shapes"] == len(phases) and trace["annotations"] == phases
    expect(tab.page.locator("#run-trace-chart .annotation-text")).to_have_text(phases)
    assert charts["run-phases-chart"]["traces"][0]["x"] == phases
    expect(tab.page.locator("#run-devices tbody tr")).to_have_count(len(devices))
    expect(tab.page.locator("#run-metrics")).to_contain_text("accuracy = 0.9")
    tab.screenshot("run-detail-trace")


#: Marks Plotly drew for each line of a chart: line segments and markers.
MARKS_JS = """ident => Array.from(
  document.querySelectorAll(`#${ident} g.trace.scatter`)).map(g => ({
  segments: Array.from(g.querySelectorAll('path.js-line'))
    .filter(p => /[LHVCQ]/i.test(p.getAttribute('d') || '')).length,
  markers: g.querySelectorAll('path.point').length}))"""


def test_power_chart_shows_every_device_of_a_run_shorter_than_a_trace_bucket(
    dashboard: Dashboard, tab: Tab
) -> None:
    # The trace keeps one point per device and second: a run under a second (here the
    # carbon-aware one) has a single point per device, which a plain line does not draw.
    run = dashboard.recorded.green
    per_device = {d.device.id: sum(p.device_id == d.device.id for p in run.trace)
                  for d in run.devices}
    assert set(per_device.values()) == {1}
    tab.open(f"/runs/{run.id}")
    marks = tab.page.evaluate(MARKS_JS, "run-trace-chart")
    assert len(marks) == len(per_device)
    assert all(m["segments"] or m["markers"] for m in marks), marks


def test_carbon_aware_run_shows_planned_and_achieved_intensity(
    dashboard: Dashboard, tab: Tab
) -> None:
    run = dashboard.recorded.green
    plan = dashboard.ledger.carbon_aware(run.id)
    assert plan is not None and plan.achieved_intensity_g_per_kwh is not None
    tab.open(f"/runs/{run.id}")
    expect(tab.page.locator("#run-carbon-aware")).to_contain_text("FR")
    for ident, value in (("planned-intensity", plan.planned_intensity_g_per_kwh),
                         ("achieved-intensity", plan.achieved_intensity_g_per_kwh)):
        shown = tab.page.locator(f"#{ident}").inner_text()
        assert shown.endswith(" g/kWh"), shown
        assert float(shown.split()[0].replace(",", "")) == pytest.approx(value, rel=5e-3)


# -- targets and budgets ---------------------------------------------------------------------


def test_targets_page_shows_the_budgets_and_the_target(dashboard: Dashboard, tab: Tab) -> None:
    tab.open("/targets")
    budgets = tab.page.locator("#budgets-list article")
    expect(budgets).to_have_count(2)
    nlp, vision = budgets.nth(0), budgets.nth(1)
    expect(nlp.locator("h3")).to_contain_text("nlp")
    expect(nlp.locator("h3")).to_contain_text("every-month budget")
    expect(nlp).to_contain_text("200.0 % used")  # its limit is half of what it spent
    expect(vision).to_contain_text("25.0 % used")
    assert float(vision.locator("progress").get_attribute("value") or "nan") == pytest.approx(25)
    target = tab.page.locator("#targets-list article")
    expect(target).to_have_count(1)
    expect(target.locator("h3")).to_contain_text("co2e of all projects: −30.0 %")


# -- overview --------------------------------------------------------------------------------


def _window(tab: Tab) -> tuple[date, date]:
    text = tab.page.locator("#overview-window").inner_text()
    first, last = re.match(r"(\S+) to (\S+) ", text).groups()
    return date.fromisoformat(first), date.fromisoformat(last)


def _runs_between(runs: tuple[Run, ...], first: date, last: date) -> list[Run]:
    return [r for r in runs if first <= r.started_utc.date() <= last]


def _choose_period(tab: Tab, period: str) -> None:
    tab.page.select_option("#overview-filters-period", period)
    with tab.page.expect_navigation():
        tab.page.click("#overview-filters-apply")
    tab.settle()


def test_period_selector_changes_the_overview(dashboard: Dashboard, tab: Tab) -> None:
    runs = dashboard.recorded.runs
    tab.open("/")
    seen: dict[str, int] = {}
    for period, days in (("7d", 7), ("30d", 30), ("quarter", 91)):
        _choose_period(tab, period)
        first, last = _window(tab)
        assert (last - first).days + 1 == days
        inside = _runs_between(runs, first, last)
        expect(tab.page.locator("#total-runs .value")).to_have_text(str(len(inside)))
        chart = next(c for c in tab.charts() if c["id"] == "overview-chart")
        assert all(t["points"] == days for t in chart["traces"])
        assert {t["name"] for t in chart["traces"] if t["type"] == "bar"} == {
            r.project for r in inside}
        co2e_kg = sum(sum(t["y"]) for t in chart["traces"] if t["type"] == "bar")
        assert co2e_kg == pytest.approx(sum(r.co2e_kg for r in inside), rel=1e-9)
        seen[period] = len(inside)
        tab.screenshot(f"overview-{period}")
    assert seen["7d"] < seen["30d"] < seen["quarter"]  # the copies 3, 12 and 45 days back


def test_custom_period_without_runs_says_so(dashboard: Dashboard, tab: Tab) -> None:
    oldest = min(r.started_utc.date() for r in dashboard.recorded.runs)
    start, end = oldest - timedelta(days=20), oldest - timedelta(days=10)
    tab.open("/")
    tab.page.fill("#overview-filters-start", start.isoformat())
    tab.page.fill("#overview-filters-end", end.isoformat())
    tab.page.dispatch_event("#overview-filters-start", "change")
    expect(tab.page.locator("#overview-filters-period")).to_have_value("custom")
    with tab.page.expect_navigation():
        tab.page.click("#overview-filters-apply")
    tab.settle()
    assert _window(tab) == (start, end)
    expect(tab.page.locator("#total-runs .value")).to_have_text("0")
    expect(tab.page.locator("#top-runs-table td.empty")).to_have_text("No runs in this period.")


# -- token mode ------------------------------------------------------------------------------


@pytest.fixture
def token_dashboard(dashboard: Dashboard, tmp_path: Path) -> Any:
    env = isolated_env(dashboard.db_url, dashboard.home)
    with CliServer(["--db", dashboard.db_url, "--token", TOKEN], env,
                   tmp_path / "dashboard.log") as server:
        yield server


def test_with_a_token_pages_are_refused_without_it_and_open_with_it(
    token_dashboard: CliServer, new_tab: Callable[[str], Tab]
) -> None:
    server = token_dashboard
    assert server.printed_url == f"{server.url}/?token={TOKEN}"
    stranger = new_tab(server.url)
    refused = stranger.page.goto(f"{server.url}/runs")
    assert refused is not None and refused.status == 401
    expect(stranger.page.locator("body")).to_contain_text("token is required")
    expect(stranger.page.locator("#runs-table")).to_have_count(0)

    user = new_tab(server.url)
    opened = user.page.goto(server.printed_url)
    assert opened is not None and opened.status == 200
    assert user.page.url == f"{server.url}/"  # redirected: the token leaves the address bar
    user.settle()
    expect(user.page.locator("#overview-chart .main-svg").first).to_be_visible()
    cookies = user.page.context.cookies()
    assert [(c["name"], c["httpOnly"]) for c in cookies] == [("wattprint_dashboard", True)]
    assert all(TOKEN not in c["value"] for c in cookies)
    with user.page.expect_navigation():  # the session cookie carries on to other pages
        user.page.click("#nav-runs")
    user.settle()
    expect(user.page.locator("#runs-table tbody tr[data-run-id]").first).to_be_visible()
    assert user.problems == []
    user.screenshot("token-runs")
