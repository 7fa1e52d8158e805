"""Benchmark: kill -9 of a tracked process (issue 7), wattprint vs CodeCarbon 3.3.2.

The contract: a tracker killed mid-run loses at most one flush interval of
energy, and the run reads ``interrupted`` on the next look (stale heartbeat).

Each repetition starts a victim in a fresh process (a busy CPU loop under a
tracker, run from an empty temporary directory) and SIGKILLs it at a seeded
random time between 2.5 s and 2.5 s + 3 intervals after the tracker started.
Both tools get the same kill times, interleaved, on the same interpreter.

* wattprint: ``WATTPRINT_FLUSH_INTERVAL_S`` = the interval, SQLite ledger.
  ``lost_s`` = kill time - (``started_utc`` + ``duration_s``) of the stored
  run. The run is read with a plain ``Ledger`` straight after the kill, then
  again after really sleeping until its heartbeat deadline
  (``runs.stale_utc``) + 0.5 s.
* CodeCarbon: ``measure_power_secs`` = the interval, ``output_methods`` CSV and
  LOGGER (a ``LoggerOutput`` on a file handler), ``api_call_interval=1``.
  Its CSV output is written only by ``flush()`` and ``stop()``
  (``FileOutput`` has no ``live_out``); the logger output is its one local
  output written periodically (``live_out`` every ``api_call_interval``
  measurements). ``lost_s`` is taken from the last record of each, or is the
  whole tracked time when there is none. CodeCarbon has no run status.

    python bench/kill9.py [--reps 5] [--intervals 1,5] [--seed 9] [--out bench/out/kill9.json]

It uses ``bench/.venv-bench`` (built by ``overhead.ensure_venv``: wattprint
editable and ``codecarbon==3.3.2`` from PyPI) for the victims.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import select
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import CODECARBON, PY, ensure_venv  # noqa: E402

from wattprint.store.ledger import Ledger  # noqa: E402

HERE = Path(__file__).resolve().parent
READY = "READY "

_WATTPRINT_VICTIM = textwrap.dedent(
    """
    from wattprint import Tracker
    t = Tracker(project="kill9", zone="DE").start()
    print("READY " + t.id, flush=True)
    x = 0
    while True:
        x += 1
    """
)

_CODECARBON_VICTIM = textwrap.dedent(
    """
    import json, logging, sys, time
    out_dir, interval_s = sys.argv[1], float(sys.argv[2])
    from codecarbon import OfflineEmissionsTracker, OutputMethod
    from codecarbon.output_methods.logger import LoggerOutput
    log = logging.getLogger("kill9.emissions")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(logging.FileHandler(out_dir + "/emissions.log"))
    t = OfflineEmissionsTracker(
        country_iso_code="DEU", measure_power_secs=interval_s, api_call_interval=1,
        output_methods=[OutputMethod.CSV, OutputMethod.LOGGER],
        logging_logger=LoggerOutput(log), output_dir=out_dir, log_level="error",
    )
    t.start()
    # The wall time of CodeCarbon's own start (its records carry only a duration).
    start_utc = time.time() - (time.perf_counter() - t._start_time)
    print("READY " + json.dumps({"start_utc": start_utc}), flush=True)
    x = 0
    while True:
        x += 1
    """
)


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, timezone.utc)


def _kill_after_ready(argv: list[str], env: dict[str, str], cwd: Path, offset_s: float,
                      poll: Callable[[str], None] | None = None) -> tuple[str, datetime, float]:
    """Start a victim, SIGKILL it ``offset_s`` after its READY line; (payload, kill time, start).

    ``poll(payload)``, if given, is called every 20 ms until the kill.
    """
    with (cwd / "victim.err").open("w") as err, subprocess.Popen(
        argv, env=env, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=err,
    ) as proc:
        assert proc.stdout is not None
        t0 = time.monotonic()
        line = ""
        while not line.startswith(READY):
            if not select.select([proc.stdout], [], [], 120)[0]:
                proc.kill()
                raise RuntimeError(f"victim not ready in 120 s: {argv[:2]}")
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"victim died: {(cwd / 'victim.err').read_text()[-2000:]}")
        ready = time.monotonic()
        payload = line[len(READY):].strip()
        while (left_s := ready + offset_s - time.monotonic()) > 0:
            if poll is not None:
                poll(payload)
            time.sleep(min(0.02, left_s))
        killed_utc = datetime.now(timezone.utc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.returncode
    return payload, killed_utc, ready - t0


def _column(db: Path, run_id: str, name: str) -> Any:
    """One column of the run's row, read-only (WAL: the reader never blocks the tracker)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(f"SELECT {name} FROM runs WHERE id = ?", (run_id,)).fetchone()
    return None if row is None else row[0]


def _as_utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


class _WriteLog:
    """The tracker's committed writes as seen by polling the ledger (``updated_utc`` values)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.written: list[datetime] = []

    def __call__(self, run_id: str) -> None:
        try:
            value = _column(self.db, run_id, "updated_utc")
        except sqlite3.Error:  # the first write has not created the table or row yet
            return
        if value is not None and (not self.written or _as_utc(value) != self.written[-1]):
            self.written.append(_as_utc(value))

    def gaps_s(self) -> list[float]:
        return [(b - a).total_seconds() for a, b in pairwise(self.written)]


def wattprint_rep(interval_s: float, offset_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kill9-wp-") as tmp:
        db = Path(tmp) / "ledger.db"
        url = f"sqlite:///{db}"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")},
               "WATTPRINT_DB": url, "WATTPRINT_FLUSH_INTERVAL_S": str(interval_s)}
        writes = _WriteLog(db)
        run_id, killed, start_s = _kill_after_ready(
            [str(PY), "-c", _WATTPRINT_VICTIM], env, Path(tmp), offset_s, poll=writes)
        with Ledger(url) as ledger:  # straight after the kill
            run = ledger.get_run(run_id)
        last_write = run.started_utc + timedelta(seconds=run.duration_s)
        deadline = _as_utc(_column(db, run_id, "stale_utc"))
        time.sleep(max(0.0, (deadline - datetime.now(timezone.utc)).total_seconds() + 0.5))
        looked = datetime.now(timezone.utc)
        with Ledger(url) as ledger:  # the next look, past the heartbeat deadline
            later = ledger.get_run(run_id)
    lost_s = (killed - last_write).total_seconds()
    return {
        "offset_s": offset_s, "victim_start_s": start_s,
        "tracked_s": (killed - run.started_utc).total_seconds(),
        "stored_duration_s": run.duration_s, "energy_kwh": run.energy_kwh,
        "lost_s": lost_s, "lost_fraction": lost_s / interval_s,
        "lost_kwh": run.energy_kwh / run.duration_s * lost_s if run.duration_s > 0 else None,
        "writes_seen": len(writes.written),
        "max_write_gap_s": max(writes.gaps_s(), default=None),
        "status_after_kill": run.status.value,
        "deadline_after_kill_s": (deadline - killed).total_seconds(),
        "looked_after_kill_s": (looked - killed).total_seconds(),
        "status_after_deadline": later.status.value, "error_after_deadline": later.error,
        "energy_kept": later.energy_kwh == run.energy_kwh,
    }


def _csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _cc_record(row: dict[str, Any] | None, start: datetime, killed: datetime,
               interval_s: float) -> dict[str, Any]:
    if row is None:  # nothing on disk: everything since the start is lost
        lost_s = (killed - start).total_seconds()
        return {"records": 0, "duration_s": None, "energy_kwh": None, "lost_s": lost_s,
                "lost_fraction": lost_s / interval_s}
    duration_s = float(row["duration"])
    lost_s = (killed - start).total_seconds() - duration_s
    return {"duration_s": duration_s, "energy_kwh": float(row["energy_consumed"]),
            "lost_s": lost_s, "lost_fraction": lost_s / interval_s}


def codecarbon_rep(interval_s: float, offset_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kill9-cc-") as tmp:
        out = Path(tmp)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        payload, killed, start_s = _kill_after_ready(
            [str(PY), "-c", _CODECARBON_VICTIM, tmp, str(interval_s)], env, out, offset_s)
        start = _utc(json.loads(payload)["start_utc"])
        rows = _csv_rows(out / "emissions.csv")
        log = out / "emissions.log"
        lines = [json.loads(s) for s in log.read_text().splitlines()] if log.exists() else []
        files = sorted(p.name for p in out.iterdir() if p.name != "victim.err")
    csv_rec = _cc_record(rows[-1] if rows else None, start, killed, interval_s)
    log_rec = _cc_record(lines[-1] if lines else None, start, killed, interval_s)
    csv_rec["records"], log_rec["records"] = len(rows), len(lines)
    return {"offset_s": offset_s, "victim_start_s": start_s,
            "tracked_s": (killed - start).total_seconds(), "files": files,
            "csv": csv_rec, "logger": log_rec}


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "max": max(values), "min": min(values)}


def summarise(interval_s: float, wp: list[dict[str, Any]],
              cc: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "interval_s": interval_s, "reps": len(wp),
        "wattprint": {
            "lost_s": _stats([r["lost_s"] for r in wp]),
            "lost_fraction": _stats([r["lost_fraction"] for r in wp]),
            "within_one_interval": sum(0 <= r["lost_s"] <= interval_s for r in wp),
            "running_after_kill": sum(r["status_after_kill"] == "running" for r in wp),
            "interrupted_after_deadline": sum(
                r["status_after_deadline"] == "interrupted" for r in wp),
            "looked_after_kill_s": _stats([r["looked_after_kill_s"] for r in wp]),
            "max_write_gap_s": max((r["max_write_gap_s"] or 0.0) for r in wp),
        },
        "codecarbon": {
            out: {"runs_with_records": sum(r[out]["records"] > 0 for r in cc),
                  "lost_s": _stats([r[out]["lost_s"] for r in cc]),
                  "lost_fraction": _stats([r[out]["lost_fraction"] for r in cc])}
            for out in ("csv", "logger")
        },
        "tracked_s": _stats([r["tracked_s"] for r in wp + cc]),
    }


def markdown(summaries: list[dict[str, Any]]) -> str:
    def ms(s: dict[str, float], fmt: str = "{:.2f}") -> str:
        return f"{fmt.format(s['median'])} / {fmt.format(s['max'])}"

    lines = ["| interval | tool / output | reps with a record | lost_s median / max | "
             "lost ÷ interval median / max | after the deadline |",
             "|---|---|---|---|---|---|"]
    for s in summaries:
        i, n, w = s["interval_s"], s["reps"], s["wattprint"]
        lines.append(
            f"| {i:g} s | wattprint (SQLite ledger) | {n}/{n} | {ms(w['lost_s'])} s | "
            f"{ms(w['lost_fraction'])} | `interrupted` {w['interrupted_after_deadline']}/{n} "
            f"(`running` straight after the kill {w['running_after_kill']}/{n}) |")
        for out, label in (("csv", "emissions.csv"), ("logger", "LoggerOutput file")):
            c = s["codecarbon"][out]
            lines.append(
                f"| {i:g} s | CodeCarbon 3.3.2, {label} | {c['runs_with_records']}/{n} | "
                f"{ms(c['lost_s'])} s | {ms(c['lost_fraction'])} | no status |")
    lines.append("")
    for s in summaries:
        w = s["wattprint"]
        lines.append(f"- {s['interval_s']:g} s: wattprint lost <= one interval in "
                     f"{w['within_one_interval']}/{s['reps']}; longest gap between two "
                     f"committed writes {w['max_write_gap_s']:.2f} s; later look "
                     f"{ms(w['looked_after_kill_s'])} s after the kill")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--intervals", default="1,5", help="flush intervals (s), comma-separated")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "kill9.json")
    args = parser.parse_args()
    ensure_venv()
    rng = random.Random(args.seed)
    report: dict[str, Any] = {"command": " ".join(sys.argv), "codecarbon": CODECARBON,
                              "date_utc": datetime.now(timezone.utc).isoformat(),
                              "loadavg_start": os.getloadavg(), "intervals": []}
    t0 = time.monotonic()
    for interval_s in (float(x) for x in args.intervals.split(",")):
        wp, cc = [], []
        for rep in range(args.reps):
            offset_s = rng.uniform(2.5, 2.5 + 3 * interval_s)  # same kill time for both tools
            wp.append(wattprint_rep(interval_s, offset_s))
            cc.append(codecarbon_rep(interval_s, offset_s))
            print(f"interval {interval_s:g} s rep {rep + 1}: kill at +{offset_s:.2f} s, "
                  f"wattprint lost {wp[-1]['lost_s']:.2f} s ({wp[-1]['status_after_deadline']}), "
                  f"CodeCarbon csv rows {cc[-1]['csv']['records']}, "
                  f"logger lost {cc[-1]['logger']['lost_s']:.2f} s", file=sys.stderr)
        report["intervals"].append({"summary": summarise(interval_s, wp, cc),
                                    "wattprint": wp, "codecarbon": cc})
    report["wall_s"] = time.monotonic() - t0
    report["loadavg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(markdown([x["summary"] for x in report["intervals"]]))
    print(f"\nwall {report['wall_s']:.0f} s; raw output {args.out}")


if __name__ == "__main__":
    main()
