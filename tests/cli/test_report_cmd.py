"""``wattprint report``: formats, files, and bad input (exit 2 with one line)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wattprint.cli.main import main


def _audit_ledger() -> ModuleType:
    """tests/report/audit_ledger.py, loaded by path."""
    if "audit_ledger" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "report" / "audit_ledger.py"
        spec = importlib.util.spec_from_file_location("audit_ledger", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["audit_ledger"] = module
        spec.loader.exec_module(module)
    return sys.modules["audit_ledger"]


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    return _audit_ledger().filled_ledger(tmp_path_factory)  # type: ignore[no-any-return]


@pytest.fixture
def db(quarter: tuple[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("WATTPRINT_DB", quarter[0])
    monkeypatch.chdir(tmp_path)  # no project file of the repository
    return quarter[1]


def _q3(filled: Any) -> list[Any]:
    al = _audit_ledger()
    return filled.between(al.Q3, al.Q4)  # type: ignore[no-any-return]


def test_json_to_stdout_has_the_figures_of_the_runs(db: Any,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--period", "2026Q3", "--format", "json"]) == 0
    data = json.loads(capfd.readouterr().out)
    totals = {t["key"]: t for t in data["totals"]}
    runs = _q3(db)
    assert totals["runs"]["current"] == len(runs) == 7
    assert totals["energy_kwh"]["current"] == pytest.approx(sum(r.energy_kwh for r in runs))
    assert data["reduce_shift_offset"]["offset_co2e_kg"] == pytest.approx(0.7)
    assert data["period"] == "2026Q3" and data["project"] is None


def test_markdown_is_the_default(db: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--period", "2026Q3", "--project", "nlp"]) == 0
    out = capfd.readouterr().out
    assert out.startswith("# Energy and carbon audit, 2026Q3 (project nlp)")
    assert "| nlp |" in out


@pytest.mark.parametrize(("fmt", "check"), [
    ("md", lambda b: b.startswith(b"# Energy and carbon audit")),
    ("html", lambda b: b.startswith(b"<!DOCTYPE html>") and b"data:image/svg+xml" in b),
    ("json", lambda b: json.loads(b)["schema"] == "wattprint.audit/1"),
    ("pdf", lambda b: b.startswith(b"%PDF-")),
])
def test_every_format_to_a_file(db: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                fmt: str, check: Any) -> None:
    if fmt == "pdf":
        _audit_ledger().pdf_engine_or_skip()
    out = tmp_path / f"q3.{fmt}"
    assert main(["report", "--period", "2026Q3", "--format", fmt, "-o", str(out)]) == 0
    assert check(out.read_bytes())
    err = capfd.readouterr().err
    assert err.strip() == f"wrote the 2026Q3 audit report (all projects, 7 runs) to {out}"


@pytest.mark.parametrize("period", ["2026Q5", "last quarter", "Q3", "2026-13"])
def test_a_bad_period_exits_2_with_the_accepted_forms(db: Any, period: str,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--period", period]) == 2
    err = capfd.readouterr().err.strip()
    assert err == (f"wattprint: error: invalid --period {period!r}: expected a year (2026), "
                   "a quarter (2026Q1 to 2026Q4) or a month (2026-07)")


def test_an_unknown_format_exits_2(db: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--period", "2026Q3", "--format", "docx"]) == 2
    assert "'docx' is not one of 'md', 'html', 'pdf', 'json'" in capfd.readouterr().err


def test_an_unknown_project_exits_2_with_close_matches(
        db: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--period", "2026Q3", "--project", "NLP"]) == 2
    err = capfd.readouterr().err.strip()
    assert err == ("wattprint: error: unknown --project 'NLP': no run of it in the ledger; "
                   "did you mean nlp?")


def test_a_period_without_runs_is_reported_not_refused(
        db: Any, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--period", "2025-02", "--format", "md"]) == 0
    out = capfd.readouterr().out
    assert "No runs were recorded in 2025-02" in out
    assert "## Trend per week" in out


def test_an_unwritable_output_exits_2(db: Any, tmp_path: Path,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "q3.md"
    assert main(["report", "--period", "2026Q3", "-o", str(target)]) == 2
    assert capfd.readouterr().err.startswith(f"wattprint: error: cannot write -o {target}")


def test_help_has_examples(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--help"]) == 0
    out = capfd.readouterr().out
    assert "wattprint report --period 2026Q3 --project vision --format html -o q3.html" in out
