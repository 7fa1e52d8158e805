"""Benchmark: the Prometheus exporter's run query on 100,000 runs, without and with ix_runs_ended.

1. Builds a SQLite ledger of ``--runs`` runs (no trace points) with the bulk
   inserts of ``bench/dashboard.py`` (``_dashboard_ledger.py``), or reuses
   ``--db`` when it holds that many; the timings run on a fresh copy of it.
2. Two ledgers: "as built" (2 % of the runs ``running`` and written now, so
   about 2,000 runs pass the running half of the query) and "reaped" (running
   runs started more than a day before ``NOW`` marked ``interrupted``, as the
   heartbeat reaper would have: a handful stay running).
3. For each, with ``ix_runs_ended`` dropped ("before", the 0006 schema) and
   created again ("after", 0007): the median, 90th percentile and maximum of
   ``--repeat`` calls, after two warm-up ones, of ``LedgerRuns.runs()`` (what a
   scrape asks the ledger: the stale-run reaper and the query) and of a whole
   scrape (``generate_latest`` of a registry holding the collector), plus
   SQLite's query plan.

    python bench/exporter.py [--runs 100000] [--repeat 51]
                             [--db /tmp/wattprint-bench/exporter.db] [--out bench/out/exporter.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_ledger import NOW, build  # noqa: E402

from wattprint.integrations.prometheus import LedgerRuns, WattprintCollector  # noqa: E402
from wattprint.store.ledger import Ledger  # noqa: E402
from wattprint.store.schema import runs  # noqa: E402
from wattprint.testing import FakeClock  # noqa: E402

INDEX = next(ix for ix in runs.indexes if ix.name == "ix_runs_ended")


def ensure_ledger(path: Path, n_runs: int) -> None:
    url = f"sqlite:///{path}"
    if path.exists():
        engine = create_engine(url)
        with engine.connect() as conn:
            have = conn.execute(select(func.count()).select_from(runs)).scalar_one()
        engine.dispose()
        if have == n_runs:
            print(f"reusing {path}: {have:,} runs")
            return
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {path}: {n_runs:,} runs")
    seconds = build(url, n_runs, 0, progress=lambda _: None)
    print(f"built in {seconds:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)")


def reap_old_running(url: str) -> None:
    """Mark running runs started over a day before NOW interrupted, ended at their start."""
    engine = create_engine(url)
    old = (runs.c.status == "running") & (runs.c.started_utc < NOW - timedelta(days=1))
    with engine.begin() as conn:
        conn.execute(update(runs).where(old).values(
            status="interrupted", ended_utc=runs.c.started_utc))
    engine.dispose()


def set_index(url: str, present: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if present:
            INDEX.create(conn, checkfirst=True)
        else:
            INDEX.drop(conn, checkfirst=True)
    engine.dispose()


def timed(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    for _ in range(2):
        call()
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))],
            "max_ms": ms[-1]}


def plan(url: str, source: LedgerRuns) -> list[str]:
    """SQLite's plan of the exporter's query (the reaper's statements left out)."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "runs.ended_utc >=" in statement:
            seen.append((statement, params))

    event.listen(Engine, "before_cursor_execute", capture)
    try:
        source.runs()
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    ((statement, params),) = seen
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    engine.dispose()
    return [row[-1] for row in rows]


def measure(url: str, repeat: int) -> dict[str, Any]:
    with Ledger(url) as ledger:
        source = LedgerRuns(ledger, clock=FakeClock(now=NOW))
        registry = CollectorRegistry()
        registry.register(WattprintCollector(runs=source, version="bench"))
        shown = len(source.runs())
        return {"runs_shown": shown, "query": timed(source.runs, repeat),
                "scrape": timed(lambda: generate_latest(registry), repeat),
                "plan": plan(url, source)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=51)
    parser.add_argument("--db", type=Path, default=Path("/tmp/wattprint-bench/exporter.db"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    ensure_ledger(args.db, args.runs)
    work = args.db.with_name(args.db.stem + "-work.db")
    shutil.copyfile(args.db, work)
    url = f"sqlite:///{work}"
    results: dict[str, dict[str, Any]] = {}
    for ledger_kind in ("as built", "reaped"):
        if ledger_kind == "reaped":
            reap_old_running(url)
        for label, present in (("before (no ix_runs_ended)", False), ("after", True)):
            set_index(url, present)
            r = results[f"{ledger_kind}, {label}"] = measure(url, args.repeat)
            print(f"\n{ledger_kind}, {label}: {r['runs_shown']} runs shown")
            for what in ("query", "scrape"):
                t = r[what]
                print(f"  {what:<8}{t['median_ms']:>8.2f} ms median{t['p90_ms']:>8.2f} ms p90"
                      f"{t['max_ms']:>8.2f} ms max")
            print("  plan: " + " | ".join(r["plan"]))
    work.unlink()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"runs": args.runs, "repeat": args.repeat,
                                        "results": results}, indent=2))


if __name__ == "__main__":
    main()
