"""Benchmark: the ledger under many concurrent writer processes.

``--writers`` processes (default 50) start at one common instant and each
saves ``--runs`` realistic runs (default 200: three devices, two phases, a
``--trace``-point power trace, tags and metrics), each in its own
transaction, into one ledger; every writer then re-sends ``--retry-pct`` of
its runs (default 10 %) unchanged, as a tracker retrying a write whose
answer it never saw. Afterwards the ledger must hold exactly
``writers × runs`` runs, every expected id once, and for each run exactly
its own devices, phases, trace points, tags and metrics (none lost, none
doubled). Throughput is runs per second of wall time from the common start
to the last writer's end, retries included in the work but not in the count.

    python bench/ledger_load.py [--backend sqlite|postgres|both] [--reps 3]
        [--writers 50] [--runs 200] [--trace 20] [--retry-pct 10]
        [--out bench/out/ledger_load.json]

PostgreSQL comes from ``WATTPRINT_TEST_POSTGRES_URL`` (``eval "$(bash
.ci/postgres.sh)"``); each repetition writes into a fresh schema, and SQLite
into a fresh file in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Phase,
    Run,
    RunStatus,
    TracePoint,
    ZoneChoice,
)
from wattprint.store.ledger import Ledger
from wattprint.store.schema import devices, phases, run_metrics, run_tags, runs, trace_points

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def make_run(writer: int, n: int, trace: int) -> Run:
    """A run as a GPU training job's tracker records it."""
    started = T0 + timedelta(minutes=writer * 1000 + n)
    cpu = Device("cpu:0", DeviceKind.CPU, 0, "AMD EPYC 9654", Method.COUNTER, "rapl")
    gpu = Device("gpu:0", DeviceKind.GPU, 0, "NVIDIA H100", Method.COUNTER, "nvml")
    ram = Device("ram", DeviceKind.RAM, 0, "RAM 512 GB", Method.MODELLED, "ram-model",
                 source="0.3725 W/GB (Green Algorithms)")
    duration_s = 600.0 + n
    return Run(
        id=f"w{writer:02d}-r{n:04d}-{uuid.uuid5(uuid.NAMESPACE_URL, f'{writer}/{n}').hex[:8]}",
        project=f"project-{writer % 5}", status=RunStatus.FINISHED, started_utc=started,
        ended_utc=started + timedelta(seconds=duration_s), duration_s=duration_s,
        host=f"node-{writer}",
        footprint=Footprint(
            energy_kwh_by_kind={"cpu": 0.02, "gpu": 0.1 + n / 1e4, "ram": 0.005}, pue=1.1,
            pue_source="argument", intensity=Intensity("DE", 381.0, "embedded", 2023, "annual"),
        ),
        zone_choice=ZoneChoice("DE", "argument", ""),
        devices=(DeviceEnergy(cpu, 72_000.0, 150.0, 600),
                 DeviceEnergy(gpu, 360_000.0 + n, 700.0, 600),
                 DeviceEnergy(ram, 18_000.0, 30.0, 0)),
        phases=(
            Phase("data_loading", started, started + timedelta(seconds=60), 60.0,
                  {"cpu:0": 9000.0, "gpu:0": 6000.0}),
            Phase("train", started + timedelta(seconds=60), started + timedelta(seconds=duration_s),
                  duration_s - 60, {"cpu:0": 63_000.0, "gpu:0": 354_000.0 + n}),
        ),
        trace=tuple(TracePoint("gpu:0" if k % 2 else "cpu:0", k * 30.0, 150.0 + k, 90.0)
                    for k in range(trace)),
        tags=("load", f"writer-{writer}"), model="bert-base",
        metrics={"accuracy": 0.9, "loss": 0.3 - n / 1e4},
    )


def writer(url: str, index: int, runs_n: int, trace: int, retry_every: int, go: Any,
           out: Any) -> None:
    """One writer process: open, wait for the common start, save, re-send, report."""
    made = [make_run(index, n, trace) for n in range(runs_n)]
    with Ledger(url) as ledger:
        ledger.list_runs(limit=1)  # connected: only the writes are timed
        out.put(("ready", index, 0))
        go.wait()
        for run in made:
            ledger.save_run(run)
        resent = made[::retry_every] if retry_every else []
        for run in resent:
            ledger.save_run(run)
    out.put(("done", time.time(), len(resent)))


def run_once(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One repetition against ``url`` (a fresh, empty ledger); verifies and times it."""
    Ledger(url).open().close()  # migrate once, outside the timed part
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    retry_every = round(100 / args.retry_pct) if args.retry_pct else 0
    go = ctx.Event()
    procs = [ctx.Process(target=writer, args=(url, i, args.runs, args.trace, retry_every,
                                              go, queue)) for i in range(args.writers)]
    for p in procs:
        p.start()
    for _ in procs:  # every writer has imported, built its runs and connected
        queue.get(timeout=600)
    start_at = time.time()
    go.set()
    done = [queue.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a writer failed (exit code {p.exitcode})")
    wall_s = max(t for _, t, _ in done) - start_at
    expected = args.writers * args.runs
    check = verify(url, args)
    resent = sum(r for _, _, r in done)
    return {"wall_s": round(wall_s, 2), "runs": expected, "resent": resent,
            "runs_per_s": round(expected / wall_s, 1),
            "saves_per_s": round((expected + resent) / wall_s, 1), **check}


def verify(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Exactly the expected runs, each with exactly its own children."""
    want_ids = {make_run(w, n, 0).id for w in range(args.writers) for n in range(args.runs)}
    total = len(want_ids)
    per_run = {"run_tags": 2, "devices": 3, "phases": 2, "trace_points": args.trace,
               "run_metrics": 2}
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = list(conn.execute(select(runs.c.id)).scalars())
        counts: dict[str, Any] = {}
        for table in (run_tags, devices, phases, trace_points, run_metrics):
            grouped = conn.execute(
                select(table.c.run_id, func.count()).group_by(table.c.run_id)
            ).all()
            bad = [rid for rid, c in grouped if c != per_run[table.name]]
            counts[table.name] = {"rows": sum(c for _, c in grouped), "runs": len(grouped),
                                  "wrong": len(bad)}
    engine.dispose()
    lost, extra = want_ids - set(ids), set(ids) - want_ids
    ok = (len(ids) == total == len(set(ids)) and not lost and not extra
          and all(c["runs"] == total and c["wrong"] == 0 for c in counts.values()))
    return {"stored": len(ids), "distinct": len(set(ids)), "lost": len(lost),
            "unexpected": len(extra), "children": counts, "ok": ok}


def postgres_schema(base: str) -> tuple[str, Any]:
    """A fresh schema on the test server: (its URL, a function that drops it)."""
    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every repetition on one backend, and their median throughput."""
    reps = []
    for rep in range(args.reps):
        if backend == "postgres":
            base = os.environ.get("WATTPRINT_TEST_POSTGRES_URL")
            if not base:
                raise SystemExit(
                    'WATTPRINT_TEST_POSTGRES_URL not set: eval "$(bash .ci/postgres.sh)"'
                )
            url, cleanup = postgres_schema(base)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="wattprint-load-")
            url, cleanup = f"sqlite:///{tmp.name}/ledger.db", tmp.cleanup
        try:
            result = run_once(url, args)
        finally:
            cleanup()
        print(f"{backend} rep {rep + 1}: {result['runs_per_s']} runs/s, "
              f"{result['wall_s']} s, ok={result['ok']}", file=sys.stderr)
        reps.append(result)
    return {"reps": reps, "median_runs_per_s": statistics.median(r["runs_per_s"] for r in reps),
            "median_saves_per_s": statistics.median(r["saves_per_s"] for r in reps),
            "all_ok": all(r["ok"] for r in reps)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its JSON; exit 1 if any check failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--trace", type=int, default=20)
    parser.add_argument("--retry-pct", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench/out/ledger_load.json"))
    args = parser.parse_args(argv)
    backends = ("postgres", "sqlite") if args.backend == "both" else (args.backend,)
    results = {b: bench_backend(b, args) for b in backends}
    report = {"writers": args.writers, "runs_per_writer": args.runs, "trace_points": args.trace,
              "retry_pct": args.retry_pct, "cpus": os.cpu_count(), "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({b: {k: v for k, v in r.items() if k != "reps"} for b, r in results.items()}))
    return 0 if all(r["all_ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
