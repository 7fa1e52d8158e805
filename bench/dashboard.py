"""Benchmark: dashboard answers on a large ledger (100,000 runs, 10 million trace samples).

1. Builds a SQLite ledger of ``--runs`` runs and ``--samples`` trace points
   with bulk inserts through the schema tables (``_dashboard_ledger.py``), or
   reuses ``--db`` when it already holds that many runs.
2. Times the overview and runs pages and their JSON API (and a run detail
   page): the median, 90th percentile and maximum of ``--repeat`` requests
   after two warm-up ones, through FastAPI's TestClient (in process) and
   through a real uvicorn server on 127.0.0.1 (httpx, keep-alive).
3. Prints SQLite's query plan of every statement one overview and one runs
   request execute, to show which index serves each.

    python bench/dashboard.py [--runs 100000] [--samples 10000000] [--repeat 21]
                              [--db /tmp/wattprint-bench/ledger.db] [--out bench/out/dashboard.json]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_ledger import NOW, build  # noqa: E402

from wattprint.intensity.providers.static import StaticProvider  # noqa: E402
from wattprint.report.web import create_app  # noqa: E402
from wattprint.store.ledger import Ledger  # noqa: E402
from wattprint.store.schema import runs, trace_points  # noqa: E402
from wattprint.testing import FakeClock  # noqa: E402

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

LIMIT_MS = 300.0
ENDPOINTS = (
    ("overview API, 30 d", "/api/v1/overview?period=30d"),
    ("overview API, year", "/api/v1/overview?period=year"),
    ("overview API, year, one project", "/api/v1/overview?period=year&project=project-03"),
    ("overview page, 30 d", "/?period=30d"),
    ("overview page, year", "/?period=year"),
    ("runs API, newest 50", "/api/v1/runs"),
    ("runs API, by energy", "/api/v1/runs?sort=energy"),
    ("runs API, project + tag", "/api/v1/runs?project=project-02&tag=sweep"),
    ("runs API, modelled, offset 5000", "/api/v1/runs?method=modelled&offset=5000"),
    ("runs API, zone + status + dates",
     "/api/v1/runs?zone=FR&status=failed&since=2025-10-01&until=2025-12-31"),
    ("runs page, newest 50", "/runs"),
    ("runs page, by CO2e, project", "/runs?sort=co2e&project=project-05"),
    ("run detail page", "/runs/{run_id}"),
)


def ensure_ledger(path: Path, n_runs: int, samples: int) -> None:
    url = f"sqlite:///{path}"
    if path.exists():
        engine = create_engine(url)
        with engine.connect() as conn:
            have = conn.execute(select(func.count()).select_from(runs)).scalar_one()
            points = conn.execute(select(func.count()).select_from(trace_points)).scalar_one()
        engine.dispose()
        if have == n_runs and points == samples:
            print(f"reusing {path}: {have:,} runs, {points:,} trace points")
            return
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {path}: {n_runs:,} runs, {samples:,} trace points")
    seconds = build(url, n_runs, samples, progress=lambda _: None)
    size_mb = path.stat().st_size / 1e6
    print(f"built in {seconds:.1f} s ({size_mb:,.0f} MB)")


def timed(get: Callable[[str], Any], url: str, repeat: int) -> dict[str, float]:
    for _ in range(2):
        response = get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = get(url)
        ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    ms.sort()
    return {"median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))],
            "max_ms": ms[-1], "bytes": len(response.content)}


def run_all(get: Callable[[str], Any], run_id: str, repeat: int) -> dict[str, dict[str, float]]:
    return {label: timed(get, url.format(run_id=run_id), repeat) for label, url in ENDPOINTS}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_uvicorn(app: Any, job: Callable[[str], Any]) -> Any:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        return job(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def explain(path: Path, app: Any, urls: list[str]) -> list[tuple[str, str, list[str]]]:
    """The query plan of each statement the requests to ``urls`` execute."""
    seen: list[tuple[str, str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((current[0], statement, params))

    current = [""]
    event.listen(Engine, "before_cursor_execute", capture)
    try:
        client = TestClient(app, base_url="http://127.0.0.1")
        for url in urls:
            current[0] = url
            client.get(url)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    engine = create_engine(f"sqlite:///{path}")
    out = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for url, statement, params in seen:
            plan = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            out.append((url, " ".join(statement.split())[:110], [row[-1] for row in plan]))
    engine.dispose()
    return out


def report(title: str, results: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'request':<36}{'median':>10}{'p90':>10}{'max':>10}{'size':>10}")
    for label, r in results.items():
        flag = "" if r["median_ms"] < LIMIT_MS else "  OVER 300 ms"
        print(f"  {label:<36}{r['median_ms']:>8.1f}ms{r['p90_ms']:>8.1f}ms"
              f"{r['max_ms']:>8.1f}ms{r['bytes'] / 1000:>8.1f}kB{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--db", type=Path, default=Path("/tmp/wattprint-bench/ledger.db"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()
    ensure_ledger(args.db, args.runs, args.samples)
    with Ledger(f"sqlite:///{args.db}") as ledger:
        app = create_app(ledger, clock=FakeClock(now=NOW), provider=StaticProvider())
        run_id = ledger.list_runs(limit=1)[0].id
        client = TestClient(app, base_url="http://127.0.0.1")
        in_process = run_all(client.get, run_id, args.repeat)
        report("TestClient (in process)", in_process)

        def over_http(base: str) -> dict[str, dict[str, float]]:
            with httpx.Client(base_url=base) as http:
                return run_all(http.get, run_id, args.repeat)

        served = with_uvicorn(app, over_http)
        report("uvicorn on 127.0.0.1 (httpx, keep-alive)", served)
        if not args.no_explain:
            print("\nSQLite query plans")
            for url, statement, plan in explain(args.db, app, ["/api/v1/overview?period=year",
                                                               "/api/v1/runs?sort=energy"]):
                print(f"  {url}: {statement}\n      " + "\n      ".join(plan))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"runs": args.runs, "samples": args.samples,
                                        "repeat": args.repeat, "testclient": in_process,
                                        "uvicorn": served}, indent=2))


if __name__ == "__main__":
    main()
