"""Fill a ledger with a realistic quarter of AI work, for ``wattprint report``'s sample.

Records 2024Q2 and 2024Q3 for four teams (vision, nlp, speech, recsys) with
the real :class:`wattprint.Tracker`, driven by the shipped fakes
(``FakeSensor`` replays each job's power draw, ``FakeClock`` stands in for the
hours), so nothing sleeps and the figures are exact: a 650 W GPU for 5 h at
PUE 1.2 is 3.9 kWh. Some jobs fail part-way (CUDA out of memory), one is
interrupted, two come from a laptop without energy counters (saved runs with
modelled devices and an assumed zone). Every finished run is then accounted as
``wattprint account`` would: its hourly figure uses the real 2024 hourly
intensity of its zone (Electricity Maps, ODbL, from ``--data``), market-based
CO2e sees a 50 % guarantee-of-origin contract for DE, and there are budgets,
reduction targets, offsets and carbon-aware (shifted) runs.

Usage::

    python examples/make_sample_ledger.py /tmp/sample.db --data ../shared/data
    WATTPRINT_DB=/tmp/sample.db wattprint report --period 2024Q3 -o docs/sample-report.md

Without ``--data`` (or for a zone without a file) the hourly figure uses the
embedded typical profile, as ``wattprint account`` does offline. The same
seed gives the same figures (run ids are fresh UUIDs, as the tracker makes).
"""

from __future__ import annotations

import argparse
import random
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from wattprint import Tracker
from wattprint.account.hourly import SeriesOrigin
from wattprint.account.summary import account_run
from wattprint.account.targets import make_target
from wattprint.intensity.providers.file import FileProvider
from wattprint.intensity.providers.static import StaticProvider
from wattprint.model import (
    CarbonAwareRecord,
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Instrument,
    Intensity,
    Method,
    Offset,
    Run,
    RunStatus,
    ZoneChoice,
)
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor

UTC = timezone.utc
COLUMN = "carbon_intensity_lifecycle_g_per_kwh"

#: model -> (project, zone, GPU W each, GPUs, CPU W, hours, metric, metric value)
JOBS = {
    "resnet50": ("vision", "DE", 250.0, 1, 90.0, 2.0, "accuracy", 0.76),
    "vit-b16": ("vision", "DE", 650.0, 1, 110.0, 5.0, "accuracy", 0.81),
    "bert-base": ("nlp", "US-CAL-CISO", 300.0, 1, 80.0, 1.0, "f1", 0.88),
    "llama-7b-lora": ("nlp", "US-CAL-CISO", 700.0, 2, 150.0, 8.0, "f1", 0.91),
    "whisper-small": ("speech", "GB", 280.0, 1, 95.0, 3.0, "accuracy", 0.83),
    "dlrm": ("recsys", "US-TEX-ERCO", 400.0, 1, 220.0, 2.0, "auc", 0.80),
}
#: Jobs per quarter: Q2 (the baseline) ran more large vision jobs than Q3.
PLAN = {
    "2024Q2": {"resnet50": 4, "vit-b16": 7, "bert-base": 5, "llama-7b-lora": 2,
               "whisper-small": 3, "dlrm": 4},
    "2024Q3": {"resnet50": 8, "vit-b16": 4, "bert-base": 7, "llama-7b-lora": 4,
               "whisper-small": 5, "dlrm": 6},
}
QUARTER_START = {"2024Q2": datetime(2024, 4, 1, tzinfo=UTC),
                 "2024Q3": datetime(2024, 7, 1, tzinfo=UTC)}


def track(ledger: Ledger, rng: random.Random, model: str, start: datetime, *,
          interrupt: bool = False) -> Run:
    """One job under the real tracker; about 1 in 9 fails part-way."""
    project, zone, gpu_w, gpus, cpu_w, hours, metric, value = JOBS[model]
    hours *= rng.uniform(0.8, 1.25)
    fails = rng.random() < 0.11 or interrupt
    clock = FakeClock(now=start)
    sensors = [FakeSensor([(0, cpu_w * 0.6), (600, cpu_w)], kind=DeviceKind.CPU)]
    sensors += [FakeSensor([(0, gpu_w * 0.3), (600, gpu_w), (hours * 3600, gpu_w * 0.9)],
                           kind=DeviceKind.GPU, index=i, as_counter=True) for i in range(gpus)]
    tracker = Tracker(project=project, model=model, zone=zone, pue=1.2, sensors=sensors,
                      clock=clock, ledger=ledger, interval_s=60.0, tags=("sample",),
                      command=f"python train.py --model {model}")
    try:
        with tracker:
            with tracker.phase("data_loading"):
                clock.advance(600)
            with tracker.phase("train"):
                clock.advance(hours * 3600 * (0.35 if fails else 1.0))
            if interrupt:
                raise KeyboardInterrupt
            if fails:
                raise RuntimeError("CUDA out of memory")
            tracker.log_metric(metric, round(value + rng.uniform(-0.02, 0.02), 4))
    except (RuntimeError, KeyboardInterrupt):
        pass
    assert tracker.run is not None
    return tracker.run


def laptop_run(start: datetime, hours: float) -> Run:
    """A notebook run on a laptop: no counters (modelled CPU), zone from the time zone."""
    cpu = Device("cpu:0", DeviceKind.CPU, 0, "Intel Core i7-1185G7", Method.MODELLED,
                 "cpu-model", source="TDP 28 W (Intel ARK)", note="RAPL not readable")
    kwh = 0.028 * 0.7 * hours
    return Run(
        id=str(uuid.UUID(int=random.Random(start.isoformat()).getrandbits(128))),
        project="speech", status=RunStatus.FINISHED, started_utc=start,
        ended_utc=start + timedelta(hours=hours), duration_s=hours * 3600, host="laptop-17",
        footprint=Footprint({"cpu": kwh}, 1.0, "on premise: 1.0",
                            Intensity("FR", 56.0, "Ember Yearly Electricity Data", 2023)),
        zone_choice=ZoneChoice("FR", "timezone", "assumed from the system time zone "
                                                 "Europe/Paris"),
        devices=(DeviceEnergy(cpu, kwh * 3.6e6, 22.0, int(hours * 60)),),
        model="whisper-small", metrics={"accuracy": 0.79}, command="jupyter notebook",
    )


def record_jobs(ledger: Ledger, rng: random.Random) -> list[Run]:
    """Every job of both quarters, started at working hours on random days."""
    out = []
    for quarter, counts in PLAN.items():
        for model, n in counts.items():
            for _ in range(n):
                day = QUARTER_START[quarter] + timedelta(days=rng.randrange(0, 91))
                start = day.replace(hour=rng.choice((8, 9, 10, 13, 14, 16, 20)))
                out.append(track(ledger, rng, model, start))
    out.append(track(ledger, rng, "llama-7b-lora", datetime(2024, 9, 27, 15, tzinfo=UTC),
                     interrupt=True))
    laptops = [laptop_run(datetime(2024, 8, 14, 9, tzinfo=UTC), 3.0),
               laptop_run(datetime(2024, 9, 3, 10, tzinfo=UTC), 2.0)]
    for run in laptops:
        ledger.save_run(run)
    return [*out, *laptops]


def account(ledger: Ledger, runs: list[Run], data: Path | None) -> None:
    """Store the five figures of every tracked run, as ``wattprint account RUN_ID`` would.

    The laptop runs are left unaccounted, as they would be before anyone ran
    the command: the report's data-quality section lists them.
    """
    static = StaticProvider()
    go = Instrument("", "DE", "go", date(2024, 1, 1), date(2024, 12, 31), None, 0.5, None,
                    supplier="Stadtwerke", certificate="GO-DE-2024-0042")
    instruments = [ledger.add_instrument(go)]
    for run in runs:
        if run.host == "laptop-17":
            continue
        stored = ledger.get_run(run.id)
        zone = stored.footprint.intensity.zone
        path = data / f"carbon_intensity_{zone}_2024.csv" if data else None
        if path is not None and path.exists():
            provider, described = FileProvider([path], column=COLUMN), f"file {path.name}"
        else:
            provider, described = static, "provider chain: static"
        start = stored.started_utc.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(seconds=stored.duration_s + 7200)
        series = provider.history(zone, start, end)
        mine = [i for i in instruments if i.zone == zone]
        ledger.save_accounting(account_run(stored, series=series, instruments=mine,
                                           series_origin=SeriesOrigin(described, zone)))


def govern(ledger: Ledger, runs: list[Run], data: Path | None) -> None:
    """Budgets and an overrun, targets, offsets, and four runs shifted to the night."""
    ledger.set_budget("vision", 4.5)
    ledger.set_budget("nlp", 20.0, month="2024-08")
    ledger.set_target(make_target("vision", "co2e", "2024Q2", "30%", date(2024, 12, 31)))
    ledger.set_target(make_target(None, "energy", "2024Q2", "10%", date(2025, 6, 30)))
    for serial, tonnes, retired in (("GS-1-2024-0917", 0.01, date(2024, 9, 17)),
                                    ("GS-1-2024-1203", 0.5, None)):
        ledger.add_offset(Offset("", tonnes, "Gold Standard", serial, 2024, "vision", retired))
    q3_vision = [r for r in runs if r.project == "vision" and r.started_utc.month >= 7
                 and r.status is RunStatus.FINISHED]
    late = max(q3_vision, key=lambda r: r.co2e_kg)
    ledger.record_overrun(project="vision", month=f"{late.started_utc:%Y-%m}",
                          expected_co2e_kg=late.co2e_kg, overrun_kg=round(late.co2e_kg / 3, 3),
                          tier="critical", reason="paper deadline", run_id=late.id,
                          actual_co2e_kg=late.co2e_kg)
    de = data / "carbon_intensity_DE_2024.csv" if data else None
    provider = FileProvider([de], column=COLUMN) if de and de.exists() else StaticProvider()
    morning = [r for r in q3_vision if r.started_utc.hour in (8, 9, 10)][:4]
    for run in morning:
        # Submitted the evening before; the planner waited for the morning solar ramp.
        submitted = run.started_utc - timedelta(hours=15)
        span = timedelta(seconds=run.duration_s)
        ran = provider.history("DE", run.started_utc, run.started_utc + span).mean()
        would = provider.history("DE", submitted, submitted + span).mean()
        ledger.save_carbon_aware(CarbonAwareRecord(
            run_id=run.id, planned_zone="DE", planned_start_utc=run.started_utc,
            planned_end_utc=run.started_utc + span, planned_intensity_g_per_kwh=ran,
            achieved_intensity_g_per_kwh=ran, expected_co2e_kg=run.co2e_kg,
            baseline_co2e_kg=run.co2e_kg * would / ran, mode="window", tier="flexible",
            waited_s=15 * 3600.0, intensity_source=getattr(provider, "name", "static")))


def main() -> None:
    """Parse the arguments and fill the ledger."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger", type=Path, help="SQLite file to create (must not exist)")
    parser.add_argument("--data", type=Path, default=None,
                        help="folder of carbon_intensity_<ZONE>_2024.csv hourly files")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    if args.ledger.exists():
        parser.error(f"{args.ledger} exists; give a new file")
    rng = random.Random(args.seed)
    with Ledger(f"sqlite:///{args.ledger}") as ledger:
        runs = record_jobs(ledger, rng)
        account(ledger, runs, args.data)
        govern(ledger, runs, args.data)
    print(f"{len(runs)} runs in {args.ledger}")


if __name__ == "__main__":
    main()
