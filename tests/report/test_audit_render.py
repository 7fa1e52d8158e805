"""The audit report in every format: same figures, escaped text, charts, a real PDF."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from audit_ledger import NOW, UTC, filled_ledger, pdf_engine_or_skip, sample_runs

from wattprint.account.periods import parse_period
from wattprint.errors import MissingExtraError
from wattprint.report import charts
from wattprint.report.audit import AuditReport, build
from wattprint.report.audit_data import collect
from wattprint.report.audit_layout import sections
from wattprint.report.audit_pdf import html_to_pdf
from wattprint.report.audit_render import SCHEMA, to_dict, to_html, to_json, to_markdown
from wattprint.store.ledger import Ledger

TITLES = ["Summary", "Totals, with change vs 2026Q2", "Trend per month", "Top emitters",
          "Inefficient models and wasted energy", "Targets", "Budgets and overruns",
          "Reduce → shift → offset", "Methodology and data sources", "Data quality"]
SVG_IMG = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> AuditReport:
    url, _ = filled_ledger(tmp_path_factory)
    with Ledger(url) as ledger:
        return build(collect(ledger, parse_period("2026Q3"), None, now=NOW))


@pytest.fixture(scope="module")
def page(report: AuditReport) -> str:
    return to_html(report)


def _odd_report(tmp_path: Path, project: str) -> AuditReport:
    with Ledger(f"sqlite:///{tmp_path / 'odd.db'}") as ledger:
        ledger.save_run(sample_runs().make_run(
            "odd-run-1", project=project, started=datetime(2026, 8, 1, tzinfo=UTC)))
        return build(collect(ledger, parse_period("2026Q3"), project, now=NOW))


def test_markdown_has_every_section_and_github_tables(report: AuditReport) -> None:
    md = to_markdown(report)
    assert md.startswith("# Energy and carbon audit, 2026Q3 (all projects)\n")
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == TITLES
    assert "| figure | 2026Q3 | 2026Q2 | change | change % | note |" in md
    assert "|---|---:|---:|---:|---:|---|" in md
    assert "<img" not in md and "data:image" not in md
    energy = report.figure("energy_kwh")
    assert f"| Energy (facility) | {energy.current:,.2f} kWh |" in md
    assert "`wattprint account RUN_ID`" in md


def test_html_is_standalone_and_has_the_charts(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page and "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    for title in TITLES:
        assert f"<h2>{title}</h2>" in page
    images = SVG_IMG.findall(page)
    assert len(images) == 3  # trend, top projects, measurement methods
    svg = base64.b64decode(images[0])
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert 'alt="energy and CO2e per month of 2026Q3"' in page


def test_charts_are_deterministic() -> None:
    args = (["2026-07", "2026-08"], [1.0, 2.0], [0.5, 0.25])
    assert charts.trend_chart(*args, title="t") == charts.trend_chart(*args, title="t")
    with pytest.raises(ValueError, match="differ in length"):
        charts.trend_chart(["a"], [1.0, 2.0], [1.0], title="t")


def test_json_has_stable_keys_and_the_same_figures(report: AuditReport) -> None:
    data = json.loads(to_json(report))
    assert data["schema"] == SCHEMA == "wattprint.audit/1"
    assert list(data) == [
        "schema", "title", "period", "period_kind", "start_utc", "end_utc", "previous_period",
        "project", "generated_utc", "as_of_utc", "ledger", "version", "empty", "totals",
        "accounting_basis", "runs_without", "breakdown_note", "trend", "top_projects",
        "top_models", "top_runs", "efficiency", "waste", "targets", "budgets",
        "reduce_shift_offset", "methodology", "quality", "notes"]
    totals = {t["key"]: t for t in data["totals"]}
    assert list(totals["energy_kwh"]) == ["key", "label", "unit", "current", "previous", "note",
                                          "delta", "pct"]
    for change in report.totals:
        assert totals[change.key]["current"] == change.current
        assert totals[change.key]["pct"] == change.pct
    rso = data["reduce_shift_offset"]
    assert [rso[k] for k in ("gross_co2e_kg", "avoided_by_shifting_co2e_kg", "offset_co2e_kg",
                             "net_co2e_kg")] == [
        report.reduce_shift_offset.gross_co2e_kg,
        report.reduce_shift_offset.avoided_by_shifting_co2e_kg,
        report.reduce_shift_offset.offset_co2e_kg, report.reduce_shift_offset.net_co2e_kg]
    assert data["start_utc"] == "2026-07-01T00:00:00+00:00"
    assert all(isinstance(f, str) for f in data["quality"]["findings"])
    assert to_dict(report) == data


def test_every_format_says_the_same_net(report: AuditReport, page: str) -> None:
    net = report.reduce_shift_offset.net_co2e_kg
    shown = f"{net:,.2f}"
    assert f"| net | {shown} |" in to_markdown(report)
    assert f'<td class="r">{shown}</td>' in page
    assert json.loads(to_json(report))["reduce_shift_offset"]["net_co2e_kg"] == net


def test_ledger_text_is_escaped_in_every_format(tmp_path: Path) -> None:
    report = _odd_report(tmp_path, "<b>x</b>")
    page = to_html(report)
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    md = to_markdown(report)
    assert "<b>x</b>" not in md and r"\<b\>x\</b\>" in md
    assert json.loads(to_json(report))["project"] == "<b>x</b>"


def test_a_pipe_in_a_name_does_not_break_a_markdown_table(tmp_path: Path) -> None:
    md = to_markdown(_odd_report(tmp_path, "a|b"))
    row = next(line for line in md.splitlines() if line.startswith("| a"))
    assert row.startswith(r"| a\|b | 1 |")
    assert len(re.findall(r"(?<!\\)\|", row)) == 7  # six cells


def test_the_pdf_is_a_real_pdf(page: str, tmp_path: Path) -> None:
    pdf_engine_or_skip()
    import pypdf

    pdf = html_to_pdf(page)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Energy and carbon audit, 2026Q3" in text
    assert "Reduce → shift → offset" in text or "Reduce" in text
    if shutil.which("pdftotext"):
        path = tmp_path / "audit.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                             check=True).stdout
        assert "Data quality" in out and "page 1 of" in out


def test_missing_extras_name_the_install_line(report: AuditReport,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # An import of a module set to None in sys.modules raises ImportError: the
    # state of a machine without the extra.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'wattprint\[report\]'"):
        html_to_pdf("<html></html>")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingExtraError, match="matplotlib is not installed"):
        to_html(report)
    assert to_markdown(report)  # Markdown and JSON need neither
    assert to_json(report)


def test_markdown_and_html_come_from_the_same_sections(report: AuditReport, page: str) -> None:
    ids = [s.id for s in sections(report)]
    md = to_markdown(report)
    for section_id in ids:
        assert f'<section id="{section_id}">' in page
        assert f'<a id="{section_id}"></a>' in md
    empty = dataclasses.replace(report, budgets=())
    assert "No budgets apply." in to_markdown(empty)
