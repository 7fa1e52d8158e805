from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wattprint.cli.main import main

PY = sys.executable
WATTPRINT = [PY, "-m", "wattprint.cli.main"]


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


def _json_tail(text: str):  # type: ignore[no-untyped-def]
    start = text.index("{\n")
    return json.loads(text[start:])


def test_run_streams_output_and_records(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--zone", "FR", "--tag", "t1", "--", PY, "-c", "print('hello from child')"])
    out, err = capfd.readouterr()
    assert code == 0
    assert "hello from child" in out
    assert "wattprint run" in err and "FR" in err and "CO2e" in err
    assert main(["runs", "--json"]) == 0
    runs = json.loads(capfd.readouterr().out)
    assert len(runs) == 1 and runs[0]["status"] == "finished" and runs[0]["tags"] == ["t1"]
    assert runs[0]["zone"]["zone"] == "FR" and runs[0]["zone"]["how"] == "argument"
    assert "hello from child" in runs[0]["command"]


def test_run_returns_child_exit_code_and_marks_failed(db: str, capfd) -> None:  # type: ignore[no-untyped-def]
    code = main(["run", "--zone", "DE", "--json", "--", PY, "-c", "import sys; sys.exit(3)"])
    run = _json_tail(capfd.readouterr().out)
    assert code == 3
    assert run["status"] == "failed" and "exited with 3" in run["error"]
    for key in ("id", "footprint", "devices", "duration_s", "zone"):
        assert key in run
    assert run["footprint"]["intensity"]["zone"] == "DE"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--zone", "Germny", "--", "true"], "unknown zone 'Germny'"),
        (["run", "--interval", "0", "--", "true"], "invalid interval_s from argument: must be > 0"),
        (["run", "--interval", "-1", "--", "true"], "invalid interval_s"),
        (["run", "--pue", "-1", "--", "true"], "invalid pue from argument"),
        (["run", "--", "definitely-not-a-command-xyz"], "command not found"),
        (["intensity", "XX-NOPE"], "unknown zone"),
        (["runs", "--since", "yesterday"], "--since: expected a date"),
        (["show", "ffffffffffff"], "no run"),
    ],
)
def test_bad_input_exits_2_with_one_line(db: str, capfd, args, message) -> None:  # type: ignore[no-untyped-def]
    assert main(args) == 2
    err = capfd.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unknown_zone_lists_close_matches(db: str, capfd) -> None:  # type: ignore[no-untyped-def]
    main(["intensity", "Germny"])
    assert "DE" in capfd.readouterr().err


def test_usage_error_exits_2(capfd) -> None:  # type: ignore[no-untyped-def]
    assert main(["run"]) == 2
    assert main(["no-such-command"]) == 2


def test_show_export_recompute(db: str, tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    main(["run", "--zone", "PL", "--json", "--", PY, "-c", "pass"])
    run = _json_tail(capfd.readouterr().out)
    prefix = run["id"][:8]
    assert main(["show", prefix]) == 0
    out = capfd.readouterr().out
    assert "devices" in out and run["id"][:8] in out
    assert main(["show", prefix, "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["id"] == run["id"]
    assert main(["recompute", prefix, "--zone", "FR", "--json"]) == 0
    fixed = json.loads(capfd.readouterr().out)
    assert fixed["zone"]["how"] == "recomputed" and fixed["footprint"]["intensity"]["zone"] == "FR"
    assert fixed["footprint"]["it_energy_kwh"] == pytest.approx(run["footprint"]["it_energy_kwh"])
    assert fixed["footprint"]["co2e_kg"] < run["footprint"]["co2e_kg"]
    out_csv = tmp_path / "runs.csv"
    assert main(["export", "--format", "csv", "-o", str(out_csv)]) == 0
    text = out_csv.read_text()
    assert run["id"] in text
    assert main(["export", "--format", "parquet"]) == 2


def test_zones_and_intensity(capfd) -> None:  # type: ignore[no-untyped-def]
    assert main(["zones", "germany", "--json"]) == 0
    zones = json.loads(capfd.readouterr().out)
    assert any(z["id"] == "DE" for z in zones)
    assert main(["intensity", "DE", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["zone"] == "DE" and data["g_per_kwh"] > 100 and data["source"]
    assert main(["intensity", "DEU"]) == 0
    assert "source:" in capfd.readouterr().out


def test_doctor_lists_sensors(capfd) -> None:  # type: ignore[no-untyped-def]
    assert main(["doctor", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    names = {s["sensor"] for s in data["sensors"]}
    assert {"rapl", "nvml", "cpu-model", "ram-model"} <= names
    assert all(s["available"] or s["fix"] or s["detail"] for s in data["sensors"])


def test_import_codecarbon_csv(db: str, tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "emissions.csv"
    csv.write_text(
        "timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
        "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,"
        "country_iso_code,region,cloud_provider,cloud_region,os,python_version,"
        "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,"
        "ram_total_size,tracking_mode,on_cloud,pue\n"
        "2024-05-01T10:00:00,cc,5b0fa12a-3dd7-45bb-9766-cc326314d9f1,120.5,0.0123,0.0001,42.5,0,"
        "3,0.0014,0,0.0001,0.0306,France,FRA,,,,Linux,3.11.7,2.8.0,8,Intel,0,,,,16,machine,N,1.0\n"
    )
    assert main(["import", "codecarbon", str(csv)]) == 0
    assert "imported 1" in capfd.readouterr().out
    assert main(["import", "codecarbon", str(csv)]) == 0
    capfd.readouterr()
    main(["runs", "--project", "cc", "--json"])
    assert len(json.loads(capfd.readouterr().out)) == 1


def test_unwritable_ledger_prints_fallback_path(tmp_path: Path, monkeypatch, capfd) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.setenv("WATTPRINT_DB", f"sqlite:///{blocker}/ledger.db")
    assert main(["run", "--zone", "DE", "--", PY, "-c", "pass"]) == 0
    err = capfd.readouterr().err
    assert "ledger not written" in err and "run saved to" in err


_TRAP = """
import signal, sys, time, pathlib
def handler(signum, frame):
    pathlib.Path(sys.argv[1]).write_text(signal.Signals(signum).name)
    sys.exit(0)
signal.signal(signal.SIGTERM, handler)
signal.signal(signal.SIGINT, handler)
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_is_forwarded_and_run_saved_interrupted(db: str, tmp_path: Path, sig) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "got"
    env = {**os.environ, "WATTPRINT_DB": db}
    proc = subprocess.Popen(
        [*WATTPRINT, "run", "--zone", "DE", "--json", "--", PY, "-c", _TRAP, str(marker)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert marker.read_text() == sig.name
    run = _json_tail(out)
    assert run["status"] == "interrupted", err
    assert sig.name in run["error"]


def test_short_busy_child_is_counted_up_to_its_exit(db: str, capfd) -> None:  # type: ignore[no-untyped-def]
    # The child ends long before the first 1 s tick: only the final reading,
    # taken before the child is reaped, can see its CPU time.
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    assert main(["run", "--zone", "DE", "--json", "--", PY, "-c", busy]) == 0
    run = _json_tail(capfd.readouterr().out)
    cpu = next(d for d in run["devices"] if d["kind"] == "cpu")
    assert cpu["energy_j"] > 0.5, cpu
