"""Benchmark: carbon-aware planning on real hourly grid data.

1. Saving of the planner vs "start now" for a 4 h job with a 24 h window,
   submitted at every hour of the year, per zone (non-interruptible and
   interruptible), on the Electricity Maps hourly files in ../shared/data
   (life-cycle intensity).
2. Speed: 10,000 such jobs (random submit hours) against one year of hourly
   data for 20 zones, vectorised (``plan_batch``), and the one-job-at-a-time
   ``plan()`` for comparison.

    python bench/planner.py [--data ../shared/data] [--out bench/out/planner.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from wattprint.intensity.series import IntensitySeries, from_epoch_s
from wattprint.schedule.batch import plan_batch
from wattprint.schedule.job import Job
from wattprint.schedule.planner import plan

HERE = Path(__file__).resolve().parent
COLUMN = "carbon_intensity_lifecycle_g_per_kwh"
H = 3600


def load(path: Path) -> IntensitySeries:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    times = [datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")) for r in rows]
    return IntensitySeries.from_points(rows[0]["zone"], times, [float(r[COLUMN]) for r in rows],
                                       source=path.name)


def yearly(data: Path, year: int) -> dict[str, IntensitySeries]:
    out = {}
    for path in sorted(data.glob(f"carbon_intensity_*_{year}.csv")):
        s = load(path)
        out[s.zone] = s
    return out


def savings(series: dict[str, IntensitySeries]) -> dict[str, dict[str, float]]:
    result = {}
    for zone, s in series.items():
        origin = s.start_epoch_s
        submits = origin + H * np.arange(len(s) - 24)
        dur = np.full(submits.size, 4 * H)
        deadline = submits + 24 * H
        energy = np.ones(submits.size)
        row = {}
        for label, inter in (("contiguous", False), ("interruptible", True)):
            r = plan_batch(submits, dur, deadline, energy, {zone: s}, interruptible=inter)
            row[f"{label}_mean_saving_pct"] = float(r.saving_pct.mean())
            row[f"{label}_total_saving_pct"] = float(
                100 * (1 - r.co2e_kg.sum() / r.baseline_co2e_kg.sum()))
        row["jobs"] = int(submits.size)
        row["mean_g_per_kwh"] = s.mean()
        result[zone] = row
    return result


def speed(series: dict[str, IntensitySeries], jobs: int, reps: int) -> dict[str, float]:
    rng = np.random.default_rng(2023)
    first = next(iter(series.values()))
    origin = first.start_epoch_s
    submits = origin + H * rng.integers(0, len(first) - 24, jobs)
    dur = np.full(jobs, 4 * H)
    deadline = submits + 24 * H
    energy = rng.uniform(1, 100, jobs)
    out: dict[str, float] = {"jobs": jobs, "zones": len(series), "hours": len(first)}
    for label, inter in (("contiguous", False), ("interruptible", True)):
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            plan_batch(submits, dur, deadline, energy, series, interruptible=inter)
            times.append(time.perf_counter() - t0)
        out[f"batch_{label}_s"] = statistics.median(times)
    zones = tuple(series)
    sample = 200
    t0 = time.perf_counter()
    for i in range(sample):
        job = Job(duration_s=4 * H, zones=zones, energy_kwh=float(energy[i]),
                  deadline_utc=from_epoch_s(deadline[i]))
        plan(job, series, from_epoch_s(submits[i]))
    per_job = (time.perf_counter() - t0) / sample
    out["single_plan_per_job_ms"] = per_job * 1e3
    out["single_plan_10k_extrapolated_s"] = per_job * jobs
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent / ".." / "shared" / "data")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "planner.json")
    args = parser.parse_args()
    y2023, y2024 = yearly(args.data, 2023), yearly(args.data, 2024)
    report: dict[str, object] = {"savings_2023": savings(y2023), "savings_2024": savings(y2024)}
    # 20 zones on one 2023 grid: the 19 zones of 2023 plus DE's 2024 values on 2023 hours.
    grid = dict(y2023)
    de24 = y2024["DE"]
    grid["DE-2024"] = IntensitySeries("DE-2024", y2023["DE"].start_utc, H,
                                      de24.values_g_per_kwh[: len(y2023["DE"])])
    report["speed"] = speed(grid, args.jobs, args.reps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
