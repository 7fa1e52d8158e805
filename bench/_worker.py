"""One benchmark measurement in a fresh process; prints one JSON line.

Usage: python _worker.py MODE WORKLOAD UNITS INTERVAL_S
  MODE      none | wattprint | codecarbon
  WORKLOAD  python | numpy
  UNITS     fixed amount of work (calibrated by overhead.py to ~20 s)
"""

from __future__ import annotations

import json
import resource
import sys
import time


def python_work(units: int) -> float:
    total = 0.0
    for i in range(units * 100_000):
        total += (i % 7) * 0.5
    return total


def numpy_work(units: int) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((300, 300))
    total = 0.0
    for _ in range(units):
        total += float((a @ a).sum())
    return total


def main() -> None:
    mode, workload = sys.argv[1], sys.argv[2]
    units, interval_s = int(sys.argv[3]), float(sys.argv[4])
    work = python_work if workload == "python" else numpy_work
    if workload == "numpy":
        import numpy  # noqa: F401 — import before timing, same for every mode
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    t_ready = t0
    tracker = None
    if mode == "wattprint":
        from wattprint import Tracker

        tracker = Tracker(project="bench", zone="DE", interval_s=interval_s, save=False)
        t_ready = time.perf_counter()
        tracker.start()
    elif mode == "codecarbon":
        import logging

        from codecarbon import OfflineEmissionsTracker

        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        tracker = OfflineEmissionsTracker(
            country_iso_code="DEU", measure_power_secs=interval_s, save_to_file=False,
            log_level="error",
        )
        t_ready = time.perf_counter()
        tracker.start()
    t1 = time.perf_counter()
    c1 = time.process_time()
    work(units)
    t2 = time.perf_counter()
    c2 = time.process_time()
    energy_kwh = None
    if mode == "wattprint":
        run = tracker.stop()
        energy_kwh = run.footprint.it_energy_kwh
    elif mode == "codecarbon":
        tracker.stop()
        energy_kwh = tracker.final_emissions_data.energy_consumed
    t3 = time.perf_counter()
    print(json.dumps({
        "mode": mode, "workload": workload, "interval_s": interval_s,
        "import_and_init_s": t_ready - t0, "start_s": t1 - t_ready,
        "work_wall_s": t2 - t1, "work_cpu_s": c2 - c1, "stop_s": t3 - t2,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_kb": rss_before_kb, "energy_kwh": energy_kwh,
    }))


if __name__ == "__main__":
    main()
