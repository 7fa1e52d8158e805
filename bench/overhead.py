"""Benchmark: import time, start() time, tracking overhead and RSS, vs CodeCarbon.

Every configuration runs in a fresh process (``_worker.py``), interleaved
with its baseline so machine noise hits all sides alike; medians are
reported, and ratios against the untracked baseline of the same round.

    python bench/overhead.py [--reps 3] [--seconds 20] [--out bench/out/overhead.json]

It creates ``bench/.venv-bench`` with wattprint (editable), numpy and
CodeCarbon 3.3.2 from PyPI, so both tools run on the same interpreter.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv-bench"
PY = VENV / "bin" / "python"
CODECARBON = "codecarbon==3.3.2"


def ensure_venv() -> None:
    if PY.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", str(ROOT), "numpy", CODECARBON],
                   check=True)


def time_import(statement: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([str(PY), "-c", statement], check=True)
        out.append(time.perf_counter() - t0)
    return out


def import_times(n: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {"bare": [], "wattprint": [], "codecarbon": []}
    for _ in range(n):  # interleave so drift affects all three
        samples["bare"] += time_import("pass", 1)
        samples["wattprint"] += time_import("import wattprint", 1)
        samples["codecarbon"] += time_import("import codecarbon", 1)
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "bare_ms": med["bare"] * 1e3,
        "wattprint_over_bare_ms": (med["wattprint"] - med["bare"]) * 1e3,
        "codecarbon_over_bare_ms": (med["codecarbon"] - med["bare"]) * 1e3,
    }


def worker(mode: str, workload: str, units: int, interval_s: float) -> dict[str, float]:
    proc = subprocess.run(
        [str(PY), str(HERE / "_worker.py"), mode, workload, str(units), str(interval_s)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def calibrate(workload: str, seconds: float) -> int:
    probe_units = 400 if workload == "python" else 4000  # about 2 s each
    r = worker("none", workload, probe_units, 1.0)
    return max(1, int(probe_units * seconds / r["work_wall_s"]))


CONFIGS = [
    ("none", 1.0), ("wattprint", 1.0), ("codecarbon", 1.0),
    ("wattprint", 0.1), ("codecarbon", 0.1),
]


def overhead(workload: str, seconds: float, reps: int) -> dict[str, dict[str, float]]:
    units = calibrate(workload, seconds)
    rows: dict[str, list[dict[str, float]]] = {f"{m}@{i:g}": [] for m, i in CONFIGS}
    for _ in range(reps):
        for mode, interval in CONFIGS:
            rows[f"{mode}@{interval:g}"].append(worker(mode, workload, units, interval))
    base = rows["none@1"]
    base_wall = statistics.median(r["work_wall_s"] for r in base)
    base_cpu = statistics.median(r["work_cpu_s"] for r in base)
    base_rss = statistics.median(r["maxrss_kb"] for r in base)
    result = {}
    for key, runs in rows.items():
        wall = statistics.median(r["work_wall_s"] for r in runs)
        cpu = statistics.median(r["work_cpu_s"] for r in runs)
        result[key] = {
            "units": units,
            "work_wall_s": wall,
            "work_cpu_s": cpu,
            "wall_overhead_pct": 100 * (wall / base_wall - 1),
            "cpu_overhead_pct": 100 * (cpu / base_cpu - 1),
            "import_and_init_ms": 1e3 * statistics.median(r["import_and_init_s"] for r in runs),
            "start_ms": 1e3 * statistics.median(r["start_s"] for r in runs),
            "stop_ms": 1e3 * statistics.median(r["stop_s"] for r in runs),
            "rss_added_mb": (statistics.median(r["maxrss_kb"] for r in runs) - base_rss) / 1024,
            "energy_kwh": statistics.median((r["energy_kwh"] or 0.0) for r in runs),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--imports", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "overhead.json")
    args = parser.parse_args()
    ensure_venv()
    report = {"imports": import_times(args.imports)}
    for workload in ("python", "numpy"):
        report[workload] = overhead(workload, args.seconds, args.reps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
