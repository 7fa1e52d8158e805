"""The audit report laid out as titled sections of text, tables, figures and charts.

Markdown and HTML are both written from :func:`sections`, so the two always
say the same thing. Every text here is plain: the renderers escape it for
their format; only :class:`Code` spans (commands we wrote, never ledger
data) are set as code. A :class:`Chart` carries the call that draws it, so
only the HTML renderer, which shows charts, needs matplotlib. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from wattprint.report import charts
from wattprint.report.audit import AuditReport, Change
from wattprint.report.audit_breakdown import SHORT_ID, Emitter
from wattprint.report.audit_sections import (
    budgets_section,
    methodology_section,
    quality_section,
    rso_section,
    targets_section,
)
from wattprint.report.audit_text import (
    Block,
    Chart,
    Heading,
    Kpis,
    Section,
    Table,
    amount,
    kg,
    kwh,
    num,
    pct,
    signed,
)


def sections(report: AuditReport) -> tuple[Section, ...]:
    """The report's sections, in reading order."""
    return (
        _summary(report), _totals(report), _trend(report), _emitters(report),
        _inefficiency(report), targets_section(report), budgets_section(report),
        rso_section(report), methodology_section(report), quality_section(report),
    )


def _summary(r: AuditReport) -> Section:
    rso = r.reduce_shift_offset
    energy, location = r.figure("energy_kwh"), r.figure("location_co2e_kg")
    market = r.figure("market_co2e_kg")
    kpis = Kpis((
        ("Energy", amount(energy.current, "kWh"), _vs(energy, r)),
        ("Location-based", amount(location.current, "kg CO2e"), _vs(location, r)),
        ("Market-based", amount(market.current, "kg CO2e"), market.note),
        ("Net after offsets", kg(rso.net_co2e_kg),
         f"{kg(rso.offset_co2e_kg)} offsets retired, shown apart"),
    ))
    last_day = (r.end_utc - timedelta(days=1)).date()
    facts = Table(("report", ""), (
        ("period", f"{r.period}: {r.start_utc.date()} to {last_day} (UTC)"),
        ("compared with", r.previous_period),
        ("scope", f"project {r.project}" if r.project else "all projects"),
        ("generated", f"{r.generated_utc:%Y-%m-%d %H:%M} UTC by wattprint {r.version}"),
        ("ledger", r.ledger),
    ), "ll")
    blocks: list[Block] = [(n,) for n in r.notes]
    return Section("summary", "Summary", (*blocks, kpis, facts))


def _vs(change: Change, r: AuditReport) -> str:
    return f"{pct(change.pct)} vs {r.previous_period}"


def _totals(r: AuditReport) -> Section:
    rows = tuple((c.label, amount(c.current, c.unit), amount(c.previous, c.unit),
                  signed(c.delta, c.unit), pct(c.pct), c.note) for c in r.totals)
    table = Table(("figure", r.period, r.previous_period, "change", "change %", "note"),
                  rows, "lrrrrl")
    return Section("totals", f"Totals, with change vs {r.previous_period}",
                   (table, (r.breakdown_note,)))


def _trend(r: AuditReport) -> Section:
    unit = "week" if r.period_kind == "month" else "month"
    rows = tuple((b.label, str(b.runs), num(b.energy_kwh), num(b.co2e_kg)) for b in r.trend)
    table = Table((unit, "runs", "energy kWh", "kg CO2e"), rows, "lrrr")
    labels = [b.label for b in r.trend]
    energy, co2e = [b.energy_kwh for b in r.trend], [b.co2e_kg for b in r.trend]
    chart = Chart(f"energy and CO2e per {unit} of {r.period}",
                  lambda: charts.trend_chart(labels, energy, co2e,
                                             title=f"Per {unit}, {r.period}"))
    return Section("trend", f"Trend per {unit}", (chart, table))


def _emitters(r: AuditReport) -> Section:
    blocks: list[Block] = []
    if r.top_projects:
        names = [e.name for e in r.top_projects]
        values = [e.co2e_kg for e in r.top_projects]
        blocks.append(Chart("kg CO2e per project", lambda: charts.bar_chart(
            names, values, title="Top projects", unit="kg CO2e")))
    blocks += [Heading("Projects"), _emitter_table("project", r.top_projects, with_project=False),
               Heading("Models (per project)"), _emitter_table("model", r.top_models),
               Heading("Runs"), _emitter_table("run", r.top_runs, with_runs=False,
                                               detail="model, status, zone, measured, started")]
    return Section("emitters", "Top emitters", tuple(blocks))


def _emitter_table(name: str, rows: Sequence[Emitter], *, with_project: bool = True,
                   with_runs: bool = True, detail: str = "detail") -> Table:
    header = (name, *(("project",) if with_project else ()), *(("runs",) if with_runs else ()),
              "energy kWh", "kg CO2e", "share", detail)
    body = tuple((e.name, *((e.project,) if with_project else ()),
                  *((str(e.runs),) if with_runs else ()), num(e.energy_kwh), num(e.co2e_kg),
                  f"{e.share_pct:.1f} %", e.detail) for e in rows)
    align = "l" + ("l" if with_project else "") + ("r" if with_runs else "") + "rrrl"
    return Table(header, body, align)


def _inefficiency(r: AuditReport) -> Section:
    w = r.waste
    eff = Table(("metric", "model", "project", "runs", "kWh per unit", "mean value",
                 "× best", "flag"),
                tuple((e.metric, e.model, e.project, str(e.runs), num(e.kwh_per_unit),
                       num(e.mean_value), f"{e.ratio_to_best:.2f}",
                       "inefficient" if e.flagged else "") for e in r.efficiency),
                "lllrrrrl", empty="No run logged a metric (pass metrics to the tracker).")
    waste_text = (f"{w.runs} runs failed or were interrupted after using {kwh(w.energy_kwh)} "
                  f"({w.share_pct:.1f} % of the period's energy): energy spent for no result.",)
    runs = Table(("run", "project", "model", "status", "started (UTC)", "energy kWh",
                  "kg CO2e", "error"),
                 tuple((x.id[:SHORT_ID], x.project, x.model or "-", x.status,
                        f"{x.started_utc:%Y-%m-%d %H:%M}", num(x.energy_kwh), num(x.co2e_kg),
                        x.error[:80]) for x in w.worst_runs), "lllllrrl")
    models = Table(("model", "project", "failed runs", "energy wasted kWh", "of its energy"),
                   tuple((m.name, m.project, str(m.runs), num(m.energy_kwh),
                          f"{m.share_pct:.1f} %") for m in w.by_model), "llrrr")
    intro = ("Energy per unit of logged metric, per model and metric, worst first; "
             "\"× best\" compares with the most efficient model logging the same metric, "
             "flagged from 2×. It assumes a larger metric value is a better result "
             "(accuracy, tokens, samples).",)
    return Section("inefficiency", "Inefficient models and wasted energy",
                   (intro, eff, waste_text, runs, models))

