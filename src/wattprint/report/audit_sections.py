"""Audit report sections on governance and method. Pure.

Targets, budgets, reduce → shift → offset, methodology and data quality;
:mod:`wattprint.report.audit_layout` lays out the rest.
"""

from __future__ import annotations

from wattprint.report import charts
from wattprint.report.audit import AuditReport
from wattprint.report.audit_queries import Usage
from wattprint.report.audit_text import (
    Block,
    Bullets,
    Chart,
    Code,
    Heading,
    Inline,
    Section,
    Table,
    kg,
    num,
    signed,
)

_KIND_TITLES = {"embodied": "Embodied carbon", "water": "Water",
                "market": "Market-based (factor of energy no instrument covers)",
                "location-hourly": "Hourly intensity series"}


def targets_section(r: AuditReport) -> Section:
    """Progress of each target, as of the report's as-of time."""
    rows = []
    notes: list[Inline] = []
    for line in r.targets:
        p = line.progress
        if p is None:
            rows.append((line.text, "", "", "", "", "", "cannot be measured"))
            notes.append((f"{line.scope}, {line.metric}: {line.error}",))
            continue
        rows.append((line.text, f"{num(p.baseline_value)} {p.unit}",
                     f"{num(p.required_value)} {p.unit}",
                     f"{num(p.current_value)} {p.unit} ({p.current_period})",
                     f"{num(p.projected_value)} {p.unit}", f"{p.progress_pct:.1f} %",
                     "on track" if p.on_track else "off track"))
        notes += [(f"{line.scope}, {line.metric}: {n}",) for n in p.notes]
    table = Table(("target", "baseline", "required", "current (run rate)", "projected",
                   "progress", "status"), tuple(rows), "lrrrrrl",
                  empty="No targets set.")
    intro: Inline = ("Measured as of ", f"{r.as_of_utc:%Y-%m-%d %H:%M} UTC. Set one with ",
                     Code("wattprint target set --baseline 2026Q1 --reduce 30% --by 2026-12-31"),
                     ".")
    blocks: list[Block] = [intro, table]
    if notes:
        blocks.append(Bullets(tuple(notes)))
    return Section("targets", "Targets", tuple(blocks))


def budgets_section(r: AuditReport) -> Section:
    """Each budgeted project's monthly budget, spending and recorded overruns."""
    over = [b for b in r.budgets if b.over]
    rows = tuple((b.project, b.month, kg(b.limit_co2e_kg), kg(b.spent_co2e_kg),
                  f"{b.used_pct:.0f} %", "OVER" if b.over else "within",
                  f"{b.overruns} ({kg(b.overrun_co2e_kg)})" if b.overruns else "0")
                 for b in r.budgets)
    table = Table(("project", "month", "budget", "spent", "used", "status",
                   "recorded overruns"), rows, "llrrrll", empty="No budgets apply.")
    text = (f"{len(over)} of {len(r.budgets)} project-months over budget. Spending is the "
            "location-based figure stored with each run; an overrun is recorded when a "
            "critical job runs although its project is over budget.",)
    return Section("budgets", "Budgets and overruns", (text, table))


def rso_section(r: AuditReport) -> Section:
    """Gross, avoided by shifting, offsets retired and net, each on its own line."""
    s = r.reduce_shift_offset
    steps = Table(("step", "kg CO2e", "what it is"), (
        ("reduce: gross emitted", num(s.gross_co2e_kg),
         f"location-based; {signed(s.change_vs_previous_co2e_kg)} kg vs {r.previous_period}"),
        ("shift: avoided by shifting", num(s.avoided_by_shifting_co2e_kg),
         f"carbon-aware runs: {s.shifted_runs}; shown, not subtracted"),
        ("offset: credits retired", num(s.offset_co2e_kg), "retired in the period"),
        ("net", num(s.net_co2e_kg), "gross - offsets retired"),
    ), "lrl")
    offsets = Table(("registry", "serial", "vintage", "t CO2e", "retired on", "project"),
                    tuple((str(o["registry"]), str(o["serial"]), str(o["vintage"]),
                           num(float(o["tonnes"])), str(o["retired_on"]),
                           str(o["project"] or "-")) for o in s.offsets_retired),
                    "llrrll", empty="No offsets retired in the period.")
    held = (f"Credits held but not retired: {num(s.offsets_held_not_retired_t)} t CO2e "
            "(not counted).",)
    return Section("reduce-shift-offset", "Reduce → shift → offset",
                   (steps, Heading("Offsets retired"), offsets, held,
                    Bullets(tuple((n,) for n in s.notes))))


def methodology_section(r: AuditReport) -> Section:
    """How the figures were obtained, and from which data."""
    m = r.methodology
    shares = [(s.method, s.share_pct / 100) for s in m.measurement]
    measured = Table(("method", "IT energy kWh", "share", "how"),
                     tuple((s.method, num(s.energy_kwh), f"{s.share_pct:.1f} %", s.text)
                           for s in m.measurement), "lrrl", empty="No energy recorded.")
    pue = ("Effective PUE (facility ÷ IT energy): "
           + (f"{m.effective_pue:.3f}." if m.effective_pue is not None else "n/a."),)
    basis = m.location_basis
    blocks: list[Block] = [*((t,) for t in m.texts), Heading("How energy was measured")]
    if shares:
        blocks.append(Chart("shares of IT energy by measurement method",
                            lambda: charts.share_chart(shares, title="How energy was measured")))
    blocks += [
        measured, Heading("PUE"), pue,
        _usage(("PUE", "source", "runs", "energy kWh"), m.pue),
        Heading("Grid intensity used"),
        _usage(("resolution", "source", "year", "runs", "energy kWh"), m.intensity),
        (f"Runs in the location-based total on an hourly history: {basis.get('hourly', 0)}; "
         f"on the annual mean: {basis.get('location', 0)}; not yet accounted (the footprint "
         f"stored with the run): {basis.get('not_accounted', 0)}.",),
        Heading("Stored accounting figures"),
        Table(("kind", "method", "runs", "sum"),
              tuple((u.kind, u.method, str(u.runs), f"{num(u.total)} {u.unit}")
                    for u in m.accounting_methods), "llrr",
              empty="No run of the period has been accounted."),
        Heading("Data sources of the stored figures"),
    ]
    sources = [(f"{_KIND_TITLES.get(k, k)}: {src}",) for k, srcs in m.sources.items()
               for src in srcs]
    blocks.append(Bullets(tuple(sources)) if sources else
                  ("No stored figure names a source yet.",))
    return Section("methodology", "Methodology and data sources", tuple(blocks))


def quality_section(r: AuditReport) -> Section:
    """What to discount: modelled energy, unaccounted runs, assumed zones."""
    q = r.quality
    counts = Table(("check", "runs", "of"), (
        ("at least one device modelled", str(q.modelled_runs), str(q.runs)),
        ("every device modelled", str(q.all_modelled_runs), str(q.runs)),
        ("no stored accounting", str(q.unaccounted_runs), str(q.runs)),
        ("no market-based figure", str(q.runs_without.get("market", 0)), str(q.runs)),
        ("no embodied figure", str(q.runs_without.get("embodied", 0)), str(q.runs)),
        ("no water figure", str(q.runs_without.get("water", 0)), str(q.runs)),
        ("zone assumed", str(sum(u.runs for u in q.assumed_zones)), str(q.runs)),
        ("still running", str(q.running_runs), str(q.runs)),
        ("no model named", str(q.no_model_runs), str(q.runs)),
    ), "lrr")
    energy = (f"Energy of runs with a modelled device: {num(q.modelled_energy_kwh)} kWh.",)
    zones = _usage(("zone", "how chosen", "runs", "energy kWh"), q.assumed_zones,
                   empty="No zone was assumed.")
    findings: Block = Bullets(q.findings) if q.findings else ("Nothing to flag.",)
    return Section("data-quality", "Data quality",
                   (counts, energy, findings, Heading("Zones assumed"), zones))


def _usage(header: tuple[str, ...], rows: tuple[Usage, ...], empty: str = "None.") -> Table:
    return Table(header, tuple((*u.key, str(u.runs), num(u.energy_kwh)) for u in rows),
                 "l" * (len(header) - 2) + "rr", empty=empty)
