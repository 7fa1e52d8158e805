from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from wattprint.cli.main import main
from wattprint.store.ledger import Ledger


def _runs() -> ModuleType:
    """The advise tests' recorded runs (tests/optimise/advise_runs.py)."""
    if "advise_runs" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "optimise" / "advise_runs.py"
        spec = importlib.util.spec_from_file_location("advise_runs", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["advise_runs"] = module
        spec.loader.exec_module(module)
    return sys.modules["advise_runs"]


@pytest.fixture(autouse=True)
def ledger(ledger_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    monkeypatch.chdir(tmp_path)  # no project file of the repository
    runs = _runs()
    with Ledger(ledger_url) as opened:
        opened.save_run(runs.data_bound_run(tags=("precision:fp32",)))
        opened.save_run(runs.busy_run(tags=("precision:bf16",), zone="IS",
                                      intensity_g_per_kwh=28.0))
    return ledger_url


def test_text_output_with_figures_and_evidence(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "run-data", "--zones", "DE"]) == 0
    out = capfd.readouterr().out
    assert out.startswith("run run-data (vision, resnet50, 2026-03-02 09:00 UTC, zone DE): ")
    assert "suggestions for run run-data (savings overlap: do not add them up)" in out
    assert "GPUs wait for data: 33% of the run in data_loading at 57 % GPU utilisation" in out
    assert "   saves     28.800 Wh, 10.944 g CO2e" in out  # 80 W × 1200 s × 90 % × PUE 1.2
    assert "mean GPU utilisation: 56.7 %" in out
    assert "fp32 on tensor-core GPUs (NVIDIA A100-SXM4-40GB): train with mixed precision" in out
    assert "source    PyTorch, Automatic Mixed Precision recipe" in out
    assert "not applicable:" in out and "idle-power" in out


def test_json_output(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "run-data", "--json", "--zones", "DE,NO"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["run_id"] == "run-data"
    rules = {a["rule"]: a for a in data["advice"]}
    assert set(rules) == {"data-pipeline", "mixed-precision", "cleaner-zone-time"}
    assert rules["data-pipeline"]["saving_kwh"] == pytest.approx(0.0288)
    shift = rules["cleaner-zone-time"]
    evidence = {e["label"]: e["value"] for e in shift["evidence"]}
    assert evidence["planned zone and start"].startswith("NO, ")
    assert shift["saving_kwh"] == 0.0 and shift["saving_co2e_kg"] > 0
    assert data["advice"][0]["rule"] == "cleaner-zone-time"  # the largest CO2e saving first
    assert data["notes"] == []


def test_default_zones_are_the_neighbours(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "run-data", "--json"]) == 0
    shift = {a["rule"]: a for a in json.loads(capfd.readouterr().out)["advice"]}[
        "cleaner-zone-time"]
    compared = {e["label"]: e["value"] for e in shift["evidence"]}["zones compared"]
    assert compared.startswith("DE, AT, BE, CH") and "FR" in compared


def test_no_rule_applies(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "run-busy"]) == 0
    out = capfd.readouterr().out
    assert "no rule applies to run run-busy: nothing to suggest" in out
    assert "already bf16 (tag precision:bf16)" in out
    assert main(["advise", "run-busy", "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["advice"] == []


def test_unknown_run_is_exit_2(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "nope"]) == 2
    err = capfd.readouterr().err
    assert err.startswith("wattprint: error: no run with id or id prefix 'nope'")


def test_bad_zone_or_window_is_exit_2(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "run-data", "--window", "later"]) == 2
    assert "--window" in capfd.readouterr().err
    assert main(["advise", "run-data", "--zones", "DE,Frnce", "--json"]) == 0
    notes = json.loads(capfd.readouterr().out)["notes"]
    assert notes and notes[0].startswith("Frnce left out: unknown zone 'Frnce'")
