"""``wattprint report``: the audit report of a period, as Markdown, HTML, PDF or JSON.

A thin shell: :func:`wattprint.report.audit_data.collect` reads the ledger,
:func:`wattprint.report.audit.build` makes the report value, and the
renderers of :mod:`wattprint.report.audit_render` and
:mod:`wattprint.report.audit_pdf` write it. A period without runs gives a
report that says so (exit 0): targets, budgets and offsets still apply to it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wattprint.cli.common import open_ledger
from wattprint.errors import ConfigError

if TYPE_CHECKING:
    from wattprint.report.audit import AuditReport

FORMATS = ("md", "html", "pdf", "json")


@click.command()
@click.option("--period", required=True, help="Period: a quarter (2026Q3), month (2026-07) "
                                              "or year (2026).")
@click.option("--project", default=None, help="Only this project (default: all).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True,
              help="md: GitHub Markdown; html: one standalone page with charts; pdf: the "
                   "HTML laid out for print; json: stable keys.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: stdout; a PDF needs -o on a terminal).")
def report(period: str, project: str | None, fmt: str, output: Path | None) -> None:
    """The audit report of a period, for stakeholders.

    Totals with the change vs the previous period, the trend, top emitters,
    inefficient models and wasted energy, targets, budgets, reduce → shift →
    offset (offsets shown apart, never netted silently), methodology and data
    sources, and data quality. HTML and PDF need the report extra:
    pip install 'wattprint[report]'.

    \b
    Examples:
      wattprint report --period 2026Q3
      wattprint report --period 2026Q3 --project vision --format html -o q3.html
      wattprint report --period 2026-07 --format pdf -o july.pdf
      wattprint report --period 2026 --format json | jq .totals
    """
    from wattprint.account.periods import parse_period
    from wattprint.clock import SystemClock
    from wattprint.report.audit import build
    from wattprint.report.audit_data import collect

    parsed = parse_period(period)
    if fmt == "pdf" and output is None and sys.stdout.isatty():
        raise ConfigError("a PDF is not written to a terminal: give -o FILE.pdf")
    ledger = open_ledger()
    try:
        inputs = collect(ledger, parsed, project, now=SystemClock().now())
    finally:
        ledger.close()
    audit = build(inputs)
    data = _render(audit, fmt)
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            click.echo(data, nl=False)
        return
    try:
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot write -o {output}: {e.strerror or e}") from e
    scope = f"project {project}" if project else "all projects"
    click.echo(f"wrote the {parsed.label} audit report ({scope}, {inputs.totals.runs} runs) "
               f"to {output}", err=True)


def _render(audit: AuditReport, fmt: str) -> str | bytes:
    from wattprint.report import audit_render

    if fmt == "md":
        return audit_render.to_markdown(audit)
    if fmt == "json":
        return audit_render.to_json(audit)
    page = audit_render.to_html(audit)
    if fmt == "html":
        return page
    from wattprint.report.audit_pdf import html_to_pdf

    return html_to_pdf(page)
