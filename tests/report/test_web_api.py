from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from web_fixtures import EVIL, EVIL_COMMAND, EVIL_TAG, NOW, TestClient, client, fill

from wattprint.account.targets import make_target, target_progress
from wattprint.errors import MissingExtraError
from wattprint.model import Run
from wattprint.report.web._deps import require_extras
from wattprint.report.web.security import COOKIE, cookie_value
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeProvider

TOKEN = "s3cret-token-0123456789"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{tmp_path}/ledger.db") as opened:
        yield opened


@pytest.fixture
def runs(ledger: Ledger) -> dict[str, Run]:
    return fill(ledger)


@pytest.fixture
def web(ledger: Ledger, runs: dict[str, Run]) -> TestClient:
    return client(ledger)


def _in_window(runs: dict[str, Run], first: date, last: date) -> list[Run]:
    return [r for r in runs.values() if first <= r.started_utc.date() <= last]


# -- overview ------------------------------------------------------------------------------


def test_overview_totals_match_the_runs_of_the_window(web: TestClient, runs: dict[str, Run]
                                                      ) -> None:
    body = web.get("/api/v1/overview", params={"period": "quarter"}).json()
    assert body["window"]["first_day"] == "2025-12-30" and body["window"]["days"] == 91
    assert body["previous_window"]["last_day"] == "2025-12-29"
    inside = _in_window(runs, date(2025, 12, 30), date(2026, 3, 30))
    assert body["totals"]["runs"] == len(inside) == 10
    assert body["totals"]["co2e_kg"] == pytest.approx(sum(r.co2e_kg for r in inside))
    assert body["totals"]["energy_kwh"] == pytest.approx(sum(r.energy_kwh for r in inside))
    before = runs["r00"]  # the only run of the previous 91 days
    assert body["previous_totals"]["runs"] == 1
    assert body["change_pct"]["co2e_kg"] == pytest.approx(
        100 * (body["totals"]["co2e_kg"] - before.co2e_kg) / before.co2e_kg)
    assert body["change_pct"]["failed_runs"] is None  # none before: no percentage
    assert sum(p["runs"] for p in body["daily"]) == 10
    assert body["top_runs"][0]["id"] == max(inside, key=lambda r: r.co2e_kg).id


def test_a_total_that_is_zero_in_both_periods_says_so_not_plus_zero(web: TestClient) -> None:
    body = web.get("/api/v1/overview", params={"period": "7d"}).json()
    html = web.get("/", params={"period": "7d"}).text
    shown = dict(re.findall(r'id="change-(\w+)">([^<]*)</div>', html))
    assert len(shown) == 6
    for key, text in shown.items():
        if not body["totals"][key] and not body["previous_totals"][key]:
            assert text == "none in either period", key
        else:
            assert text.endswith(" vs previous") and "none" not in text, key
    assert "none in either period" in shown.values()  # the 7 days hold no embodied figure


def test_overview_custom_period_and_project(web: TestClient) -> None:
    body = web.get("/api/v1/overview", params={
        "period": "custom", "start": "2026-01-01", "end": "2026-01-02", "project": "vision",
    }).json()
    assert body["window"]["days"] == 2 and body["project"] == "vision"
    assert body["totals"]["runs"] == 4 and body["totals"]["failed_runs"] == 1
    assert [p["day"] for p in body["daily"]] == ["2026-01-01", "2026-01-02"]
    assert body["previous_window"] == {**body["previous_window"], "first_day": "2025-12-30",
                                       "last_day": "2025-12-31"}


def test_overview_page_embeds_a_two_axis_stacked_figure(web: TestClient) -> None:
    html = web.get("/", params={"period": "7d"}).text
    assert 'id="overview-chart"' in html and 'id="overview-totals"' in html
    figure = _figure(html, "overview-chart")
    bars = [t for t in figure["data"] if t["type"] == "bar"]
    assert {t["name"] for t in bars} == {"tracked", "&lt;script&gt;alert(1)&lt;/script&gt;"}
    assert figure["layout"]["barmode"] == "stack"
    assert figure["layout"]["yaxis2"]["overlaying"] == "y"
    assert len(figure["data"][0]["x"]) == 7


# -- runs ----------------------------------------------------------------------------------


def test_runs_api_pages_with_a_total(web: TestClient) -> None:
    first = web.get("/api/v1/runs", params={"limit": 5}).json()
    second = web.get("/api/v1/runs", params={"limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] == 11
    ids = [r["id"] for r in first["runs"] + second["runs"]]
    assert len(set(ids)) == 10 and ids[0] == "evil"
    row = first["runs"][0]
    assert set(row) == {"id", "project", "model", "status", "started_utc", "duration_s", "zone",
                        "energy_kwh", "co2e_kg", "method", "tags"}


@pytest.mark.parametrize(("params", "expected"), [
    ({"project": "nlp"}, {"r05", "r06"}),
    ({"tag": ["baseline", "sweep"]}, {"r02"}),
    ({"tag": "baseline,sweep"}, {"r02"}),
    ({"status": "failed"}, {"r03"}),
    ({"zone": "FR", "method": "modelled"}, {"r06"}),
    ({"since": "2026-01-02", "until": "2026-01-02"}, {"r03", "r04"}),
    ({"since": "2026-01-01T12:00Z", "until": "2026-01-02T00:00:00Z"}, {"r02"}),
    ({"project": "", "status": ""}, None),  # blank form fields filter nothing
])
def test_runs_api_filters(web: TestClient, params: dict[str, object],
                          expected: set[str] | None) -> None:
    body = web.get("/api/v1/runs", params=params).json()  # type: ignore[arg-type]
    found = {r["id"] for r in body["runs"]}
    assert found == expected if expected is not None else body["total"] == 11


def test_runs_api_sorts(web: TestClient, runs: dict[str, Run]) -> None:
    body = web.get("/api/v1/runs", params={"sort": "co2e", "order": "asc"}).json()
    co2e = [r["co2e_kg"] for r in body["runs"]]
    assert co2e == sorted(co2e)
    assert body["runs"][-1]["id"] == max(runs.values(), key=lambda r: r.co2e_kg).id


def test_runs_page_has_table_sort_links_and_pager(web: TestClient) -> None:
    html = web.get("/runs", params={"limit": 4, "sort": "energy"}).text
    assert 'id="runs-table"' in html and html.count('id="run-row-') == 4
    assert 'href="/runs?limit=4&amp;sort=energy&amp;order=asc"' in html  # toggles the order
    assert 'id="page-next"' in html and 'id="page-prev"' not in html
    assert "Runs 1–4 of 11" in html


def test_tracked_run_detail(web: TestClient, runs: dict[str, Run]) -> None:
    tracked = next(r for r in runs.values() if r.model == "mlp-large")
    body = web.get(f"/api/v1/runs/{tracked.id[:10]}").json()
    assert body["run"]["id"] == tracked.id and body["run"]["metrics"] == {"accuracy": 0.93}
    assert [p["name"] for p in body["phases"]] == ["data_loading", "train"]
    assert {d["id"] for d in body["devices"]} == {"cpu:0", "gpu:0"}
    assert set(body["trace"]) == {"cpu:0", "gpu:0"} and body["trace"]["cpu:0"]["power_w"]
    assert body["intensity"]["zone"] == "FR" and body["intensity"]["source"]
    assert body["footprint"]["co2e_kg"] == pytest.approx(tracked.co2e_kg)
    assert {e["key"] for e in body["equivalents"]} >= {"car_km", "smartphone_charges"}
    assert body["carbon_aware"] is None


def test_run_detail_page_shows_phases_and_planned_vs_achieved(web: TestClient) -> None:
    body = web.get("/api/v1/runs/r06").json()
    assert body["carbon_aware"]["planned_intensity_g_per_kwh"] == 52.0
    assert body["carbon_aware"]["achieved_intensity_g_per_kwh"] == 58.5
    html = web.get("/runs/r06").text
    assert 'id="planned-intensity">52.00 g/kWh' in html
    assert 'id="achieved-intensity">58.50 g/kWh' in html
    figure = _figure(html, "run-trace-chart")
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["data_loading", "train"]
    assert len(figure["layout"]["shapes"]) == 2
    assert {t["name"] for t in figure["data"]} == {
        "cpu:0 AMD EPYC 9654 (counter)", "gpu:0 NVIDIA H100 (sampled-power)"}


def test_a_run_without_phases_says_how_to_record_them_instead_of_empty_axes(
        web: TestClient, ledger: Ledger, runs: dict[str, Run]) -> None:
    ledger.save_run(replace(runs["r06"], id="no-phases", phases=()))
    html = web.get("/runs/no-phases").text
    assert 'id="run-phases-chart"' not in html
    assert 'id="run-phases-none"' in html and "tracker.phase(" in html
    assert 'id="run-phases-chart"' in web.get("/runs/r06").text


def test_a_run_of_several_hosts_lists_them(web: TestClient, ledger: Ledger,
                                           runs: dict[str, Run]) -> None:
    import dataclasses

    base = runs["r06"]
    for host in ("gpu-node-1", "gpu-node-2"):
        ledger.save_part(dataclasses.replace(base, id="ddp-job", host=host))
    body = web.get("/api/v1/runs/ddp-job").json()
    assert [(p["host"], p["status"], p["stale"]) for p in body["parts"]] == [
        ("gpu-node-1", "finished", False), ("gpu-node-2", "finished", False)]
    assert body["footprint"]["co2e_kg"] == pytest.approx(2 * base.co2e_kg)
    assert sum(p["co2e_kg"] for p in body["parts"]) == pytest.approx(2 * base.co2e_kg)
    html = web.get("/runs/ddp-job").text
    assert 'id="run-parts"' in html and "gpu-node-2" in html
    assert 'id="run-parts"' not in web.get("/runs/r06").text
    assert web.get("/api/v1/runs/r06").json()["parts"] == []


def test_unknown_run_is_404(web: TestClient) -> None:
    response = web.get("/api/v1/runs/nope")
    assert response.status_code == 404
    assert "no run with id or id prefix 'nope'" in response.json()["error"]
    assert web.get("/runs/nope").status_code == 404


# -- models, targets, grid, meta -------------------------------------------------------------


def test_models_api_puts_energy_per_unit_of_metric(web: TestClient, runs: dict[str, Run]
                                                    ) -> None:
    body = web.get("/api/v1/models", params={"period": "year"}).json()
    rows = {(m["model"], m["project"]): m for m in body["models"]}
    small = rows[("mlp-small", "tracked")]
    run = next(r for r in runs.values() if r.model == "mlp-small")
    assert small["kwh_per_metric"]["accuracy"] == pytest.approx(run.energy_kwh / 0.91)
    best = body["best_kwh_per_metric"]["accuracy"]
    assert best == min(m["kwh_per_metric"].get("accuracy", best) for m in body["models"])
    vit = rows[("vit-b16", "vision")]
    assert vit["kwh_per_metric_vs_best"]["accuracy"] > 2 and vit["inefficient"]
    assert [p["project"] for p in body["projects"]][0] == "vision"


def test_models_page_charts(web: TestClient) -> None:
    html = web.get("/models", params={"period": "year"}).text
    for ident in ("projects-chart", "models-chart", "efficiency-chart", "models-table"):
        assert f'id="{ident}"' in html
    assert 'class="inefficient"' in html


def test_targets_and_budgets_match_the_pure_target_arithmetic(
    ledger: Ledger, web: TestClient, runs: dict[str, Run]
) -> None:
    target = ledger.set_target(make_target("vision", "co2e", "2026-01", "30%", date(2026, 6, 30)))
    ledger.set_target(make_target(None, "co2e_per_run", "2026Q1", "10", date(2026, 12, 31)))
    ledger.set_target(make_target("speech", "energy", "2025-01", "20", date(2026, 12, 31)))
    spent = sum(r.co2e_kg for r in runs.values() if r.project == "tracked")
    ledger.set_budget("tracked", spent * 1.02)  # within budget, but not at this rate
    body = web.get("/api/v1/targets").json()
    assert body["month"] == "2026-03"
    by_key = {(t["project"], t["metric"]): t for t in body["targets"]}
    expected = target_progress(target, ledger.list_runs(project="vision"), NOW)
    vision = by_key[("vision", "co2e")]
    assert vision["baseline_value"] == pytest.approx(expected.baseline_value)
    assert vision["projected_value"] == pytest.approx(expected.projected_value)
    every = target_progress(ledger.targets("*")[0], ledger.list_runs(), NOW)
    assert by_key[("*", "co2e_per_run")]["current_value"] == pytest.approx(every.current_value)
    assert "has no runs" in by_key[("speech", "energy")]["problem"]
    (budget,) = body["budgets"]
    assert budget["project"] == "tracked" and budget["on_track"] is False
    assert budget["spent_co2e_kg"] == pytest.approx(spent) and budget["used_pct"] < 100
    assert budget["projected_co2e_kg"] == pytest.approx(spent / budget["elapsed_fraction"])
    html = web.get("/targets").text
    assert 'id="target-1-bar"' in html and 'id="budget-1-bar"' in html


def test_grid_heatmap_is_hours_by_days(web: TestClient) -> None:
    body = web.get("/api/v1/grid/heatmap", params={"zone": "DE", "days": 3}).json()
    assert body["days"] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert len(body["values_g_per_kwh"]) == 24 and {len(r) for r in body["values_g_per_kwh"]} == {3}
    assert body["kind"] == "profile" and "not a forecast" in body["notes"][0]
    html = web.get("/grid", params={"zone": "FR", "days": 2}).text
    assert _figure(html, "grid-heatmap")["data"][0]["type"] == "heatmap"


def test_grid_default_zone_is_the_ledgers_main_one(web: TestClient) -> None:
    assert web.get("/api/v1/grid/heatmap").json()["zone"] == "DE"


def test_zone_ranking_is_cleanest_first_with_ledger_zones(web: TestClient) -> None:
    body = web.get("/api/v1/grid/zones", params={"kind": "country", "limit": 5}).json()
    values = [z["intensity_g_per_kwh"] for z in body["zones"]]
    assert values == sorted(values) and {z["kind"] for z in body["zones"]} == {"country"}
    used = {z["id"] for z in body["zones"] if z["used_by_runs"]}
    assert used == {"DE", "FR"} and len(body["zones"]) == 7


def test_meta_openapi_and_docs(web: TestClient) -> None:
    meta = web.get("/api/v1/meta").json()
    assert meta["projects"] == sorted(["nlp", "speech", "vision", "tracked", EVIL])
    assert meta["sort_keys"] == ["started", "energy", "co2e", "duration", "project"]
    schema = web.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/overview", "/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/models",
            "/api/v1/targets", "/api/v1/grid/heatmap", "/api/v1/grid/zones"} <= paths
    assert not any(p.startswith("/runs") or p == "/" for p in paths)
    docs = web.get("/docs").text
    assert "<code>/api/v1/runs</code>" in docs and "cdn" not in docs.lower()


def test_plotly_bundle_is_served_locally(web: TestClient) -> None:
    response = web.get("/static/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1_000_000 and b"plotly" in response.content[:2000].lower()
    assert web.get("/static/app.js").status_code == 200
    html = web.get("/").text
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing from elsewhere


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "message"), [
    ("/api/v1/runs?limit=abc", "invalid limit 'abc'"),
    ("/api/v1/runs?limit=0", "invalid limit 0"),
    ("/api/v1/runs?offset=-1", "invalid offset -1"),
    ("/api/v1/runs?sort=bogus", "invalid sort 'bogus'"),
    ("/api/v1/runs?order=up", "invalid order 'up'"),
    ("/api/v1/runs?status=done", "invalid status 'done'"),
    ("/api/v1/runs?method=guessed", "invalid method 'guessed'"),
    ("/api/v1/runs?since=yesterday", "invalid since 'yesterday'"),
    ("/api/v1/runs?until=2026-02-30", "invalid until '2026-02-30'"),
    ("/api/v1/overview?period=week", "invalid period 'week'"),
    ("/api/v1/overview?period=custom", "invalid start"),
    ("/api/v1/overview?start=2026-03-01&end=2026-02-01", "invalid end 2026-02-01"),
    ("/api/v1/models?start=2026-13-01", "invalid start '2026-13-01'"),
    ("/api/v1/targets?month=2026-13", "invalid month '2026-13'"),
    ("/api/v1/grid/heatmap?days=0", "invalid days 0"),
    ("/api/v1/grid/heatmap?days=many", "invalid days 'many'"),
    ("/api/v1/grid/heatmap?zone=Germny", "invalid zone: unknown zone 'Germny'"),
    ("/api/v1/grid/heatmap?end=31.12.2026", "invalid end '31.12.2026'"),
    ("/api/v1/grid/zones?kind=planet", "invalid kind 'planet'"),
    ("/api/v1/grid/zones?limit=x", "invalid limit 'x'"),
])
def test_bad_parameters_are_400_naming_the_parameter(web: TestClient, url: str, message: str
                                                     ) -> None:
    response = web.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["error"].startswith(message)


def test_bad_parameters_on_pages_are_400_pages(web: TestClient) -> None:
    response = web.get("/runs", params={"sort": EVIL})
    assert response.status_code == 400 and "text/html" in response.headers["content-type"]
    assert "invalid sort" in response.text and EVIL not in response.text


def test_provider_and_ledger_failures_are_502_and_503(ledger: Ledger, runs: dict[str, Run]
                                                      ) -> None:
    web = client(ledger, provider=FakeProvider({}))
    failed = web.get("/api/v1/grid/heatmap", params={"zone": "DE"})
    assert failed.status_code == 502 and "no data for zone DE" in failed.json()["error"]
    ledger.close()
    closed = web.get("/api/v1/runs")
    assert closed.status_code == 503 and "is not open" in closed.json()["error"]


def test_unknown_api_path_is_json_404(web: TestClient) -> None:
    response = web.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json()["error"] == "no page at /api/v1/nothing"


# -- security --------------------------------------------------------------------------------


def test_user_text_is_escaped_in_every_page(web: TestClient, runs: dict[str, Run]) -> None:
    for url in ("/?period=7d", "/runs", "/runs/evil", "/models?period=7d", "/runs?tag=x"):
        html = web.get(url).text
        for raw in (EVIL, EVIL_TAG, "alert(3)</script>"):
            assert raw not in html, (url, raw)
        # Every </script> closes one of the page's own script elements.
        assert html.count("</script>") == html.count("<script")
    detail = web.get("/runs/evil").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(2)&gt;" in detail
    assert "&lt;/script&gt;&lt;script&gt;alert(3)" in detail
    assert web.get("/api/v1/runs/evil").json()["run"]["command"] == EVIL_COMMAND


def test_security_headers(web: TestClient) -> None:
    headers = web.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_without_token_only_loopback_hosts_are_answered(ledger: Ledger, runs: dict[str, Run]
                                                        ) -> None:
    web = client(ledger)
    assert web.get("/api/v1/meta", headers={"host": "localhost:8050"}).status_code == 200
    refused = web.get("/api/v1/meta", headers={"host": "evil.example:8050"})
    assert refused.status_code == 400 and "host 'evil.example' is not allowed" in (
        refused.json()["error"])


def test_token_is_required_when_set(ledger: Ledger, runs: dict[str, Run]) -> None:
    web = client(ledger, token=TOKEN)
    response = web.get("/api/v1/overview")
    assert response.status_code == 401 and "a token is required" in response.json()["error"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    page = web.get("/runs")
    assert page.status_code == 401 and "text/html" in page.headers["content-type"]
    assert web.get("/openapi.json").status_code == 401
    assert web.get("/static/app.css").status_code == 200  # assets carry no data


def test_bearer_token_accepted_and_wrong_one_rejected(ledger: Ledger, runs: dict[str, Run]
                                                      ) -> None:
    web = client(ledger, token=TOKEN)
    ok = web.get("/api/v1/meta", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    for wrong in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", "Bearer tøken".encode()):
        assert web.get("/api/v1/meta", headers={"Authorization": wrong}).status_code == 401


def test_query_token_once_sets_an_httponly_cookie(ledger: Ledger, runs: dict[str, Run]) -> None:
    web = client(ledger, token=TOKEN)
    first = web.get("/runs", params={"token": TOKEN, "project": "nlp"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/runs?project=nlp"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert TOKEN not in cookie and cookie_value(TOKEN) in cookie
    followed = web.get("/runs", params={"project": "nlp"})  # the client kept the cookie
    assert followed.status_code == 200 and 'id="runs-table"' in followed.text
    assert web.get("/api/v1/meta").status_code == 200


def test_wrong_query_token_or_cookie_rejected(ledger: Ledger, runs: dict[str, Run]) -> None:
    web = client(ledger, token=TOKEN)
    assert web.get("/", params={"token": "guess"}).status_code == 401
    web.cookies.set(COOKIE, cookie_value("another-token-0123456789"))
    assert web.get("/").status_code == 401


def test_missing_extra_names_the_pip_line() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'wattprint\[dashboard\]'"):
        require_extras("wattprint_no_such_module")


def _figure(html: str, ident: str) -> dict[str, object]:
    match = re.search(rf'<script type="application/json" id="{ident}-figure">(.*?)</script>',
                      html, re.S)
    assert match, ident
    figure: dict[str, object] = json.loads(match.group(1))
    return figure
