"""Ledgers for the dashboard's browser tests and README pictures (a top-level module:
pytest puts this directory on sys.path; ``tools/screenshots.py`` adds it too).

:func:`record_real_runs` fills a ledger the way a user does: ``wattprint.Tracker``
with the machine's real sensors around short real workloads (scikit-learn fits
on its bundled digits data, numpy linear algebra), phases and ``log_metric``,
one run that fails, and one carbon-aware run through ``wattprint run --when
green`` in a subprocess. Copies of real runs with earlier start times give the
period selector something to tell apart. :func:`history_runs` builds weeks of
plausible GPU runs (as ``tests/store/sample_runs.py`` does) for the pictures:
real short runs cannot span days.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from wattprint.account.periods import period_of
from wattprint.account.targets import make_target
from wattprint.measure.tracker import Tracker
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

UTC = timezone.utc
#: Sampling interval of the real runs: short runs still get several readings.
INTERVAL_S = 0.05
#: Error message of the run that fails.
FAILURE = "loss diverged to NaN at epoch 3"
#: Days before now of the re-dated copies of real runs (7d, 30d and quarter differ).
COPY_AGE_DAYS = (3, 12, 45)


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_real_runs` put in the ledger."""

    runs: tuple[Run, ...]
    detail: Run
    failed: Run
    green: Run

    @property
    def projects(self) -> list[str]:
        """Project names, sorted."""
        return sorted({r.project for r in self.runs})


def isolated_env(db_url: str, home: Path) -> dict[str, str]:
    """The environment of a ``wattprint`` subprocess: no WATTPRINT_* leaks, this ledger."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               WATTPRINT_CONFIG=str(home / "no-user-config.toml"), WATTPRINT_DB=db_url)
    return env


# -- real workloads -------------------------------------------------------------------------


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, random_state=0)
    return x_train, x_test, y_train, y_test


def _fit_quietly(model: object, x: np.ndarray, y: np.ndarray) -> object:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # Short, fixed iteration budgets keep the runs at a fraction of a second.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(x, y)


def track_digits(ledger: Ledger, *, project: str, model: str, tags: tuple[str, ...],
                 make: Callable[[], object], rounds: int = 1, fail: bool = False,
                 zone: str = "DE", interval_s: float = INTERVAL_S) -> Run:
    """Fit ``make()`` on digits under a real Tracker: load, train, evaluate phases."""
    tracker = Tracker(project=project, model=model, tags=tags, zone=zone,
                      interval_s=interval_s, ledger=ledger,
                      command=f"python train.py --model {model}")
    try:
        with tracker as t:
            with t.phase("data_loading"):
                x_train, x_test, y_train, y_test = _digits()
            with t.phase("train"):
                for _ in range(rounds):
                    fitted = _fit_quietly(make(), x_train, y_train)
                if fail:
                    raise FloatingPointError(FAILURE)
            with t.phase("evaluate"):
                t.log_metric("accuracy", float(fitted.score(x_test, y_test)))
    except FloatingPointError:
        pass  # recorded as failed by the Tracker; the test looks at that record
    assert tracker.run is not None
    return tracker.run


def track_numpy(ledger: Ledger, *, project: str, model: str, tags: tuple[str, ...],
                size: int, zone: str) -> Run:
    """A truncated SVD of a random matrix (an embedding) under a real Tracker."""
    rng = np.random.default_rng(size)
    with Tracker(project=project, model=model, tags=tags, zone=zone, interval_s=INTERVAL_S,
                 ledger=ledger, command=f"python embed.py --dim {size}") as t:
        with t.phase("data_loading"):
            matrix = rng.standard_normal((size, size))
        with t.phase("train"):
            s = np.linalg.svd(matrix @ matrix.T, compute_uv=False, hermitian=True)
        t.log_metric("explained_variance", float(s[:32].sum() / s.sum()))
    assert t.run is not None
    return t.run


GREEN_SCRIPT = """\
import numpy as np
import wattprint
a = np.random.default_rng(0).standard_normal((300, 300))
for _ in range(40):
    a = np.tanh(a @ a.T / 300)
wattprint.log_metric("explained_variance", 0.5)
"""


def run_green(db_url: str, home: Path) -> str:
    """``wattprint run --when green`` on a short numpy job; returns the new run's id.

    The threshold is above any grid's intensity, so the plan starts at once and
    the run is recorded with its carbon-aware plan (planned vs achieved).
    """
    script = home / "green_job.py"
    script.write_text(GREEN_SCRIPT)
    wattprint = Path(sys.executable).with_name("wattprint")
    done = subprocess.run(
        [str(wattprint), "run", "--json", "--when", "green", "--max-intensity", "100000",
         "--duration", "5s", "--deadline", "1h", "--zone", "FR", "--project", "nlp",
         "--model", "svd-embed", "--tag", "green", "--interval", str(INTERVAL_S), "--",
         sys.executable, str(script)],
        env=isolated_env(db_url, home), capture_output=True, text=True, timeout=120,
        check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wattprint run --when green failed ({done.returncode}): "
                           f"{done.stderr[-2000:]}")
    import json

    return str(json.loads(done.stdout)["id"])


def redated(run: Run, age: timedelta) -> Run:
    """A copy of a real run, under a new id, that started ``age`` earlier."""
    return replace(
        run, id=str(uuid.uuid4()), started_utc=run.started_utc - age,
        ended_utc=None if run.ended_utc is None else run.ended_utc - age,
        phases=tuple(replace(p, started_utc=p.started_utc - age, ended_utc=p.ended_utc - age)
                     for p in run.phases))


def record_real_runs(ledger: Ledger, home: Path) -> Recorded:
    """Fill ``ledger`` with real tracked runs, copies of some in the past, goals."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    def mlp() -> object:
        return MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0)

    runs = [
        track_digits(ledger, project="vision", model="logreg-digits", tags=("baseline",),
                     make=lambda: LogisticRegression(max_iter=300)),
        track_digits(ledger, project="vision", model="logreg-digits", tags=("sweep",),
                     make=lambda: LogisticRegression(C=0.1, max_iter=300)),
        track_numpy(ledger, project="nlp", model="svd-embed", tags=("numpy", "baseline"),
                    size=600, zone="FR"),
        track_numpy(ledger, project="nlp", model="svd-embed", tags=("numpy", "sweep"),
                    size=800, zone="FR"),
        track_numpy(ledger, project="tabular", model="pca-features", tags=("numpy",),
                    size=400, zone="US-CAL-CISO"),
    ]
    failed = track_digits(ledger, project="vision", model="mlp-digits", tags=("sweep",),
                          make=mlp, fail=True)
    # The longest run (about 2 s): its power trace has several points per device.
    detail = track_digits(ledger, project="vision", model="mlp-digits",
                          tags=("baseline", "mlp"), make=mlp, rounds=7)
    green = ledger.get_run(run_green(ledger.url, home))
    runs += [failed, detail, green]
    for age_days, original in zip(COPY_AGE_DAYS, (runs[0], runs[2], detail), strict=True):
        copy = redated(original, timedelta(days=age_days))
        ledger.save_run(copy)
        runs.append(copy)
    set_goals(ledger, datetime.now(UTC))
    return Recorded(tuple(ledger.get_run(r.id) for r in runs), detail, failed, green)


def set_goals(ledger: Ledger, now: datetime) -> None:
    """Budgets (one on track, one over) and a reduction target against a past month."""
    month = now.strftime("%Y-%m")
    vision = ledger.spent_co2e_kg("vision", month)
    nlp = ledger.spent_co2e_kg("nlp", month)
    ledger.set_budget("vision", max(vision * 4, 1e-6), month)
    ledger.set_budget("nlp", max(nlp / 2, 1e-9))
    baseline = period_of("month", now - timedelta(days=max(COPY_AGE_DAYS)))
    ledger.set_target(make_target(None, "co2e", baseline.label, "30%",
                                  (now + timedelta(days=365)).date()))


# -- weeks of history for the pictures -------------------------------------------------------

#: Project -> (model, GPU, GPUs, zone, grid intensity g/kWh, mean kWh per GPU, accuracy).
PROJECTS: Mapping[str, tuple[str, str, int, str, float, float, float]] = {
    "vision": ("resnet50", "NVIDIA A100-SXM4-80GB", 4, "DE", 381.0, 2.2, 0.76),
    "nlp": ("bert-base", "NVIDIA H100 80GB HBM3", 8, "FR", 56.0, 3.5, 0.88),
    "speech": ("whisper-small", "NVIDIA L4", 2, "US-CAL-CISO", 220.0, 0.6, 0.81),
    "recsys": ("two-tower", "NVIDIA A10G", 1, "aws:us-east-1", 390.0, 0.9, 0.64),
}


def history_runs(now: datetime, days: int = 60, seed: int = 7) -> list[Run]:
    """Plausible GPU runs over the ``days`` before ``now`` and today, a few a day.

    The same ``seed`` gives the same runs (ids included) for the same ``now``.
    """
    rnd = random.Random(seed)
    out: list[Run] = []
    for day in range(days, -1, -1):
        for project, spec in PROJECTS.items():
            for _ in range(rnd.choice((0, 1, 1, 2))):
                start = (now - timedelta(days=day)).replace(
                    hour=rnd.randrange(0, 24), minute=rnd.randrange(60), second=0,
                    microsecond=0)
                if start + timedelta(hours=3) > now:
                    continue  # today: only runs that have finished by now
                status = rnd.choices(list(RunStatus)[1:], weights=(85, 10, 5))[0]
                out.append(_history_run(rnd, project, spec, start, status))
    return out


def _history_run(rnd: random.Random, project: str,
                 spec: tuple[str, str, int, str, float, float, float], started: datetime,
                 status: RunStatus) -> Run:
    model, gpu_name, gpus, zone, intensity, gpu_kwh, accuracy = spec
    hours = rnd.uniform(0.5, 3.0) * (0.4 if status is not RunStatus.FINISHED else 1.0)
    duration_s = hours * 3600
    gpu_w = gpu_kwh * 1000 / 2.0 * rnd.uniform(0.8, 1.1)  # per GPU, at a 2 h mean run
    devices = [DeviceEnergy(Device(f"gpu:{i}", DeviceKind.GPU, i, gpu_name, Method.COUNTER,
                                   "nvml"), gpu_w * duration_s, gpu_w * 1.2, int(duration_s))
               for i in range(gpus)]
    cpu_w, ram_w = 180.0, 35.0
    devices.append(DeviceEnergy(Device("cpu:0", DeviceKind.CPU, 0, "AMD EPYC 7763",
                                       Method.COUNTER, "rapl"), cpu_w * duration_s, 260.0,
                                int(duration_s)))
    devices.append(DeviceEnergy(Device("ram", DeviceKind.RAM, 0, "DRAM", Method.COUNTER,
                                       "rapl", note="package-0 dram"),
                                ram_w * duration_s, ram_w * 1.1, int(duration_s)))
    kwh = {"gpu": sum(d.energy_j for d in devices[:gpus]) / 3.6e6,
           "cpu": cpu_w * duration_s / 3.6e6, "ram": ram_w * duration_s / 3.6e6}
    ended = started + timedelta(seconds=duration_s)
    split = started + timedelta(seconds=duration_s * 0.1)
    return Run(
        id=str(uuid.UUID(int=rnd.getrandbits(128), version=4)), project=project,
        status=status, started_utc=started, ended_utc=ended, duration_s=duration_s,
        host=f"gpu-node-{rnd.randrange(1, 9)}",
        footprint=Footprint(kwh, 1.2, "operator figure",
                            Intensity(zone, intensity, "embedded annual average", 2024,
                                      "annual")),
        zone_choice=ZoneChoice(zone, "config"), devices=tuple(devices),
        phases=(Phase("data_loading", started, split, duration_s * 0.1),
                Phase("train", split, ended, duration_s * 0.9)),
        trace=tuple(TracePoint(f"gpu:{i}", t * duration_s / 20, gpu_w * rnd.uniform(0.85, 1.1))
                    for t in range(21) for i in range(gpus)),
        tags=(rnd.choice(("baseline", "sweep", "ablation")),),
        command=f"python train.py --config {model}.yaml",
        exit_code=0 if status is RunStatus.FINISHED else 1, model=model,
        error="CUDA out of memory" if status is RunStatus.FAILED else "",
        metrics={"accuracy": round(accuracy + rnd.uniform(-0.03, 0.03), 3)}
        if status is RunStatus.FINISHED else {},
    )
