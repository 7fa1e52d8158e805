"""Fill a ledger with many realistic runs fast: bulk inserts through the schema tables.

Used by ``bench/dashboard.py``. The ledger is created (and migrated) by
``Ledger.open()``; rows then go in with one prepared ``INSERT`` per table
(compiled from ``wattprint.store.schema``) and the driver's ``executemany``,
in run-id order so the primary-key indexes grow at their end. Runs start
uniformly over the year before ``NOW``; 20 projects, 3 models each, 12 zones,
statuses 85 % finished / 8 % failed / 5 % interrupted / 2 % running, a third
of the runs with a modelled RAM device, 0-3 tags, 2 phases, metrics for most
runs with a model, and ``samples`` trace points shared out evenly.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table, create_engine, insert

from wattprint.intensity.zones import load_catalog
from wattprint.store.ledger import Ledger
from wattprint.store.schema import devices, phases, run_metrics, run_tags, runs, trace_points

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=timezone.utc)
ZONES = ("DE", "FR", "GB", "SE", "PL", "US-CAL-CISO", "US-TEX-ERCO", "IN-WE", "JP-TK",
         "aws:us-east-1", "gcp:europe-west1", "azure:westeurope")
TAGS = ("baseline", "sweep", "ablation", "long", "prod", "debug", "fp16", "bf16", "ddp",
        "eval", "nightly", "ci")
STATUSES = (("finished", 0.85), ("failed", 0.08), ("interrupted", 0.05), ("running", 0.02))
CHUNK_RUNS = 2000


def _sql_time(when: datetime) -> str:
    # How UtcDateTime stores a time on SQLite (naive UTC text).
    return when.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ",
                                                                        timespec="microseconds")


class _Gen:
    def __init__(self, n_runs: int, samples: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_runs = n_runs
        self.per_run = max(samples // n_runs, 0)
        self.extra = samples - self.per_run * n_runs  # the first runs get one more
        catalog = load_catalog()
        self.intensity = {z: catalog.intensity(z).g_per_kwh for z in ZONES}
        self.projects = [f"project-{n:02d}" for n in range(20)]
        self.models = {p: [f"{p[-2:]}-{m}" for m in ("resnet50", "vit-b16", "bert")]
                       for p in self.projects}
        ids = sorted(f"{self.rng.getrandbits(128):032x}" for _ in range(n_runs))
        self.ids = ids

    def run_rows(self, index: int) -> dict[str, Any]:
        rng, rid = self.rng, self.ids[index]
        project = self.projects[min(int(rng.expovariate(0.25)), 19)]
        model = rng.choice(self.models[project]) if rng.random() < 0.9 else ""
        status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        started = NOW - timedelta(seconds=rng.uniform(0, 365 * 86400))
        duration = min(rng.lognormvariate(7.5, 1.2), 3 * 86400)
        gpus = rng.choice((1, 1, 2, 4, 8))
        gpu_kwh = duration * gpus * rng.uniform(250, 650) / 3.6e6
        cpu_kwh = duration * rng.uniform(60, 220) / 3.6e6
        ram_kwh = duration * rng.uniform(20, 90) / 3.6e6
        zone = rng.choice(ZONES)
        pue = round(rng.uniform(1.08, 1.6), 2)
        it = gpu_kwh + cpu_kwh + ram_kwh
        intensity = self.intensity[zone]
        return {
            "run": {
                "id": rid, "project": project, "experiment": "", "model": model,
                "status": status, "started_utc": _sql_time(started),
                "ended_utc": None if status == "running" else _sql_time(
                    started + timedelta(seconds=duration)),
                "duration_s": duration, "host": f"node-{rng.randrange(64):02d}",
                "command": f"python train.py --lr {rng.choice(('1e-3', '3e-4', '1e-4'))}",
                "exit_code": {"finished": 0, "failed": 1, "interrupted": 130}.get(status),
                "error": "CUDA out of memory" if status == "failed" else "", "flops": None,
                "zone": zone, "zone_how": "argument", "zone_note": "", "pue": pue,
                "pue_source": "operator", "intensity_g_per_kwh": intensity,
                "intensity_source": "embedded annual average", "intensity_zone": zone,
                "intensity_year": 2023, "intensity_resolution": "annual", "cpu_kwh": cpu_kwh,
                "gpu_kwh": gpu_kwh, "ram_kwh": ram_kwh, "other_kwh": None, "it_energy_kwh": it,
                "energy_kwh": it * pue, "co2e_kg": it * pue * intensity / 1000.0,
                "embodied_co2e_kg": duration * gpus * 4e-6, "water_l": it * pue * 1.8,
                "warnings": "[]", "updated_utc": _sql_time(NOW), "stale_utc": None,
            },
            "started": started, "duration": duration, "model": model,
            "kwh": (cpu_kwh, gpu_kwh, ram_kwh),
        }

    def children(self, index: int, made: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
        rng, rid = self.rng, self.ids[index]
        cpu_kwh, gpu_kwh, ram_kwh = made["kwh"]
        ram_method = "modelled" if rng.random() < 1 / 3 else "counter"
        devs = [(rid, "cpu:0", 0, "cpu", 0, "AMD EPYC 9654", "counter", "rapl", "", "",
                 cpu_kwh * 3.6e6, 280.0, 100),
                (rid, "gpu:0", 1, "gpu", 0, "NVIDIA H100", "counter", "nvml", "", "",
                 gpu_kwh * 3.6e6, 700.0, 100),
                (rid, "ram", 2, "ram", 0, "RAM 512 GB", ram_method, "rapl", "", "",
                 ram_kwh * 3.6e6, 90.0, 100)]
        tags = [(rid, t, n) for n, t in enumerate(rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3))))]
        start, dur = made["started"], made["duration"]
        half = start + timedelta(seconds=dur * 0.1)
        end = start + timedelta(seconds=dur)
        phs = [(rid, 0, "data_loading", _sql_time(start), _sql_time(half), dur * 0.1,
                json.dumps({"cpu:0": cpu_kwh * 3.6e5})),
               (rid, 1, "train", _sql_time(half), _sql_time(end), dur * 0.9,
                json.dumps({"cpu:0": cpu_kwh * 3.24e6, "gpu:0": gpu_kwh * 3.6e6}))]
        mets = []
        if made["model"] and rng.random() < 0.8:
            mets.append((rid, "accuracy", rng.uniform(0.6, 0.97)))
            if rng.random() < 0.5:
                mets.append((rid, "loss", rng.uniform(0.05, 1.5)))
        n = self.per_run + (1 if index < self.extra else 0)
        step = dur / max(n // 2, 1)
        trace = [(rid, k, "gpu:0" if k % 2 else "cpu:0", (k // 2) * step,
                  rng.uniform(550, 700) if k % 2 else rng.uniform(120, 280), None, None, None)
                 for k in range(n)]
        return {"devices": devs, "run_tags": tags, "phases": phs, "run_metrics": mets,
                "trace_points": trace}


def _statement(table: Table, dialect: Any) -> str:
    return str(insert(table).compile(dialect=dialect))


def build(url: str, n_runs: int, samples: int, *, seed: int = 7,
          progress: Callable[[str], None] = print) -> float:
    """Create the SQLite ledger at ``url`` and fill it; returns the seconds it took."""
    t0 = time.perf_counter()
    Ledger(url).open().close()  # creates and migrates the schema
    gen = _Gen(n_runs, samples, seed)
    engine = create_engine(url)
    tables = {"runs": runs, "devices": devices, "run_tags": run_tags, "phases": phases,
              "run_metrics": run_metrics, "trace_points": trace_points}
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        raw = conn.connection.driver_connection
        assert raw is not None
        sql = {name: _statement(t, engine.dialect) for name, t in tables.items()}
        cursor = raw.cursor()
        for batch in _batches(gen):
            for name, items in batch.items():
                if items and not name.startswith("_"):
                    cursor.executemany(sql[name], items)
            progress(f"  {batch['_done'][0][0]:,} runs")
    engine.dispose()
    return time.perf_counter() - t0


def _batches(gen: _Gen) -> Iterator[dict[str, Sequence[tuple[Any, ...]]]]:
    for first in range(0, gen.n_runs, CHUNK_RUNS):
        out: dict[str, list[tuple[Any, ...]]] = {
            "runs": [], "devices": [], "run_tags": [], "phases": [], "run_metrics": [],
            "trace_points": []}
        columns = [c.name for c in runs.columns]
        for index in range(first, min(first + CHUNK_RUNS, gen.n_runs)):
            made = gen.run_rows(index)
            out["runs"].append(tuple(made["run"][c] for c in columns))
            for name, items in gen.children(index, made).items():
                out[name].extend(items)
        # runs first: the children reference them.
        ordered: dict[str, Sequence[tuple[Any, ...]]] = {"runs": out.pop("runs"), **out}
        ordered["_done"] = [(min(first + CHUNK_RUNS, gen.n_runs),)]
        yield ordered
