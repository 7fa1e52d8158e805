"""Benchmark: what one host's ``save_part`` costs as a distributed run grows.

Each save of a part rebuilds the merged run from every stored part (see
``store/writes.write_part``), so its cost grows with hosts × trace length.
For each (hosts, trace points per device) case this fills a fresh ledger
with one part per host (3 devices each), then times ``--saves`` further
saves of random hosts' parts, as their periodic flushes would write them.

    python bench/parts.py [--backend sqlite|postgres|both] [--hosts 2,8,32]
        [--points 60,600,2000] [--saves 7] [--out bench/out/parts.json]

PostgreSQL comes from ``WATTPRINT_TEST_POSTGRES_URL`` (``eval "$(bash
.ci/postgres.sh)"``), a fresh schema per case; SQLite a fresh file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ledger_load import make_run  # noqa: E402

from wattprint.model import TracePoint  # noqa: E402
from wattprint.store.ledger import Ledger  # noqa: E402


def part(host: int, points: int, version: int) -> Any:
    """Host ``host``'s part of run ``ddp``: 3 devices, ``points`` trace points per device."""
    base = make_run(0, version, 0)
    trace = tuple(TracePoint(dev, k * 1.0, 100.0 + k % 50, 80.0)
                  for k in range(points) for dev in ("cpu:0", "gpu:0", "ram"))
    return replace(base, id="ddp", host=f"node-{host:03d}", trace=trace)


def sqlite_url(folder: str, name: str) -> str:
    return f"sqlite:///{folder}/{name}.db"


def postgres_url(base: str, schema: str) -> str:
    with create_engine(base).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def case(url: str, hosts: int, points: int, saves: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with Ledger(url) as ledger:
        fill_start = time.perf_counter()
        for h in range(hosts):
            ledger.save_part(part(h, points, 0))
        fill_s = time.perf_counter() - fill_start
        times = []
        for n in range(saves):
            one = part(rng.randrange(hosts), points, n + 1)
            start = time.perf_counter()
            merged = ledger.save_part(one)
            times.append(time.perf_counter() - start)
        assert len(merged.trace) == hosts * points * 3, len(merged.trace)
    return {"hosts": hosts, "points_per_device": points, "merged_trace_points": len(merged.trace),
            "fill_s": fill_s, "save_ms": [t * 1000 for t in times],
            "save_ms_median": statistics.median(times) * 1000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--hosts", default="2,8,32")
    ap.add_argument("--points", default="60,600,2000")
    ap.add_argument("--saves", type=int, default=7)
    ap.add_argument("--out", default="bench/out/parts.json")
    args = ap.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    pg = os.environ.get("WATTPRINT_TEST_POSTGRES_URL")
    if "postgres" in backends and not pg:
        sys.exit("WATTPRINT_TEST_POSTGRES_URL not set: eval \"$(bash .ci/postgres.sh)\"")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for hosts in map(int, args.hosts.split(",")):
                for points in map(int, args.points.split(",")):
                    name = f"p{uuid.uuid4().hex[:8]}"
                    url = sqlite_url(tmp, name) if backend == "sqlite" else postgres_url(pg, name)
                    row = {"backend": backend, **case(url, hosts, points, args.saves, hosts)}
                    results.append(row)
                    print(f"{backend:8} hosts {hosts:3} points/device {points:5}: merged "
                          f"{row['merged_trace_points']:7} points, save_part median "
                          f"{row['save_ms_median']:8.1f} ms (fill {row['fill_s']:.1f} s)",
                          flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
