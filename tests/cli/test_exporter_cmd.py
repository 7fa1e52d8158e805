from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from wattprint.cli.main import main
from wattprint.model import Footprint, Intensity, Run, RunStatus, ZoneChoice
from wattprint.store.ledger import Ledger


def test_non_loopback_host_needs_allow_remote(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["exporter", "--host", "0.0.0.0"]) == 2
    err = capfd.readouterr().err
    assert "--host 0.0.0.0 makes /metrics reachable from the network" in err
    assert "no authentication" in err and "--allow-remote" in err


def test_unknown_zone_is_refused_before_binding(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["exporter", "--port", "0", "--zone", "Germny"]) == 2
    assert "unknown zone 'Germny'" in capfd.readouterr().err


def test_bad_window_is_refused(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["exporter", "--port", "0", "--zone", "DE", "--window", "soon"]) == 2
    assert "--window" in capfd.readouterr().err


def _running_run() -> Run:
    started = datetime.now(timezone.utc) - timedelta(minutes=5)
    return Run(
        id="run-exported", project="cli", status=RunStatus.RUNNING, started_utc=started,
        ended_utc=None, duration_s=300.0, host="here",
        footprint=Footprint({"cpu": 0.002}, 1.0, "on premise",
                            Intensity("DE", 380.0, "test figure", 2024)),
        zone_choice=ZoneChoice("DE", "argument"), model="mlp",
    )


def test_serves_metrics_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    with Ledger(str(db)) as ledger:
        ledger.save_run(_running_run())
    with subprocess.Popen(
        [sys.executable, "-m", "wattprint.cli.main", "exporter", "--port", "0", "--db", str(db),
         "--zone", "DE", "--interval", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            first = proc.stdout.readline()  # printed once the port is bound
            assert first.startswith("wattprint exporter: serving http://127.0.0.1:"), first
            url = first.split()[-1]
            with httpx.Client(trust_env=False, timeout=10.0) as client:
                text = client.get(url).text
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
            err = proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {"wattprint_build_info", "wattprint_device_power_watts",
            "wattprint_device_energy_joules", "wattprint_run_energy_kwh",
            "wattprint_run_co2e_kg", "wattprint_runs_up",
            "wattprint_grid_intensity_g_per_kwh"} <= set(families)
    kinds = {s.labels["kind"] for s in families["wattprint_device_energy_joules"].samples}
    assert "cpu" in kinds  # the CPU model runs on any machine
    (run,) = families["wattprint_run_energy_kwh"].samples
    assert run.labels == {"run_id": "run-exported", "project": "cli", "model": "mlp",
                          "status": "running"}
    assert run.value == pytest.approx(0.002)
    (grid,) = families["wattprint_grid_intensity_g_per_kwh"].samples
    assert grid.labels["zone"] == "DE" and grid.value > 0
    assert "zone DE:" in err and "Ctrl-C stops" in err
    assert err.rstrip().endswith("wattprint exporter: stopped")
    assert "Traceback" not in err
