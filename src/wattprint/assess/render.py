"""Render an assessment as Markdown (for a pull request or wiki) and as standalone HTML.

Both are drawn from one list of sections, so they always say the same thing.
Each document carries ``wattprint-plan-sha256`` — the digest of the plan it was
made from — which :func:`wattprint.assess.policy.check` compares with the plan
as it is now. The HTML has no external resources (inline CSS and SVG) and
escapes every text that came from the plan.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

from wattprint.assess.assessment import Assessment, ZoneOption
from wattprint.assess.policy import CheckResult, Policy


@dataclass(frozen=True)
class Section:
    """A titled part of the document: paragraphs, then an optional table, then bullets."""

    title: str
    paragraphs: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """The sections of an assessment, and the bars of its chart (label, kg CO2e)."""

    title: str
    fingerprint: str
    sections: tuple[Section, ...]
    bars: tuple[tuple[str, float], ...] = field(default_factory=tuple)


def document(result: Assessment, policy: Policy | None = None,
             status: CheckResult | None = None) -> Document:
    """Lay out ``result`` (and the policy's verdict, when a policy applies)."""
    spec, est = result.spec, result.estimate
    facts = [("plan", spec.source), ("project", spec.project),
             ("generated", f"{_iso(result)} UTC by wattprint {_version()}")]
    if spec.owner:
        facts.append(("owner", spec.owner))
    summary = Section("Summary", _summary(result), ("", ""), tuple(facts))
    estimate = Section(
        "Estimate (home zone, annual average intensity)", (),
        ("figure", "value", "basis"),
        tuple((label, value, est.basis.get(key, "")) for label, value, key in (
            ("hardware", est.instance or est.device, "hardware"),
            ("time", f"{est.hours:,.4g} h ({est.device_hours:,.6g} device-hours)", "hours"),
            ("power per device", f"{est.power_w_per_device:,.6g} W", "power"),
            ("host power", f"{est.host_power_w:,.6g} W", "host"),
            ("IT energy", f"{est.it_energy_kwh:,.1f} kWh", "it_energy"),
            ("PUE", f"{est.pue:g}", "pue"),
            ("facility energy", f"{est.energy_kwh:,.1f} kWh", "energy"),
            ("operational CO2e", f"{est.co2e_kg:,.1f} kg", "co2e"),
            ("embodied CO2e", f"{est.embodied_co2e_kg:,.1f} kg", "embodied"),
            ("water on-site", f"{est.water_onsite_l:,.0f} L", "water_onsite"),
            ("water off-site", f"{est.water_offsite_l:,.0f} L", "water_offsite"),
        )))
    sections = [summary, estimate, _schedule_section(result), _alternatives_section(result),
                Section("Justification", (spec.justification or "None given.",))]
    if policy is not None and status is not None:
        sections.append(_policy_section(policy, status))
    sections.append(Section("Notes", bullets=(
        f"equivalents: {', '.join(f'{q.value:,.3g} {q.label}' for q in est.equivalents)}",
        *result.notes)))
    bars = [("as planned", est.total_co2e_kg)]
    if result.schedule is not None and result.schedule.best.zone:
        best = result.schedule.best
        bars.append((f"cleanest: {best.zone}", best.co2e_kg + est.embodied_co2e_kg))
    bars.extend((a.name, a.co2e_kg) for a in result.alternatives)
    return Document(f"Carbon impact assessment: {spec.name}", spec.fingerprint,
                    tuple(sections), tuple(bars))


def _summary(result: Assessment) -> tuple[str, ...]:
    est, spec = result.estimate, result.spec
    lines = []
    if spec.description:
        lines.append(spec.description)
    where = f"in {est.zone}" if est.zone else f"at {est.intensity_g_per_kwh:g} g CO2e/kWh"
    lines.append(f"As planned {where}: {est.energy_kwh:,.1f} kWh of facility energy, "
                 f"{est.total_co2e_kg:,.1f} kg CO2e ({est.co2e_kg:,.1f} operational + "
                 f"{est.embodied_co2e_kg:,.1f} embodied) and {est.water_total_l:,.0f} L of "
                 "water.")
    s = result.schedule
    if s is not None:
        lines.append(f"Cleanest feasible: {s.best.zone} from {_when(s.best.start_utc)} — "
                     f"{s.best.co2e_kg:,.1f} kg operational CO2e against {s.baseline.co2e_kg:,.1f}"
                     f" kg starting at {_when(s.baseline.start_utc)} in {s.baseline.zone}: "
                     f"{s.saving_kg:,.1f} kg ({_pct(s.saving_pct)}) less.")
    if result.alternatives:
        best = max(result.alternatives, key=lambda a: a.saving_pct)
        lines.append(f"Largest saving among the alternatives: {best.name}, "
                     f"{best.energy_kwh:,.3g} kWh ({_pct(best.saving_pct)} less energy).")
    return tuple(lines)


def _schedule_section(result: Assessment) -> Section:
    s = result.schedule
    if s is None:
        text = ("No schedule section in the plan: only the home zone, now, was assessed."
                if result.spec.schedule is None else
                "The schedule could not be assessed (see the notes).")
        return Section("When and where", (text,))
    intro = (f"Window {_when(s.window_start_utc)} → {_when(s.deadline_utc)} "
             f"(tier {result.spec.schedule.tier if result.spec.schedule else 'flexible'}). "
             "Operational CO2e of the best start in each allowed zone; the baseline starts "
             "at the earliest start in the home zone. Embodied carbon is the same everywhere.",)

    def row(o: ZoneOption, label: str) -> tuple[str, ...]:
        return (label or o.zone, _when(o.start_utc), f"{o.energy_kwh:,.1f}",
                f"{o.co2e_kg:,.1f}", f"{o.intensity_g_per_kwh:,.0f}", o.source)

    rows = [row(s.baseline, f"{s.baseline.zone} (baseline)")]
    rows += [row(o, f"{o.zone} (best)" if o is s.best else o.zone) for o in s.by_zone]
    return Section("When and where", intro,
                   ("zone", "start (UTC)", "energy kWh", "kg CO2e", "g/kWh", "intensity source"),
                   tuple(rows))


def _alternatives_section(result: Assessment) -> Section:
    rows = tuple((a.name, f"{a.energy_kwh:,.4g}", f"{a.co2e_kg:,.4g}", _pct(a.saving_pct),
                  a.basis + (f" — {a.source}" if a.source else ""), a.note)
                 for a in result.alternatives)
    return Section("Alternatives", ("Estimated at the home zone's annual average, operational "
                                    "+ embodied CO2e.",),
                   ("variant", "energy kWh", "kg CO2e", "energy saved", "basis", "check"), rows)


def _policy_section(policy: Policy, status: CheckResult) -> Section:
    rules = []
    if policy.assessment_required_above_kg is not None:
        rules.append(f"an assessment above {policy.assessment_required_above_kg:,.6g} kg CO2e")
    if policy.justification_required_above_kg is not None:
        rules.append(f"a justification of at least {policy.justification_min_words} words "
                     f"above {policy.justification_required_above_kg:,.6g} kg CO2e")
    verdict = "meets the policy" if status.ok else "does not meet the policy yet"
    return Section("Policy", (f"{policy.source} requires {' and '.join(rules)}. "
                              f"This plan {verdict}.",),
                   bullets=status.problems + status.notes)


def to_markdown(doc: Document) -> str:
    """The document as GitHub-flavoured Markdown."""
    out = [f"<!-- wattprint-plan-sha256: {doc.fingerprint} -->", f"# {_md(doc.title)}", ""]
    for sec in doc.sections:
        out += [f"## {_md(sec.title)}", ""]
        for para in sec.paragraphs:
            out += [_md(para), ""]
        if sec.rows:
            out.append("| " + " | ".join(_md(h) for h in sec.header) + " |")
            out.append("|" + "---|" * len(sec.header))
            out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in sec.rows]
            out.append("")
        if sec.bullets:
            out += [f"- {_md(b)}" for b in sec.bullets]
            out.append("")
    return "\n".join(out)


def to_html(doc: Document) -> str:
    """The document as one standalone HTML page (inline CSS, SVG chart, no scripts)."""
    e = html.escape
    body = [f"<h1>{e(doc.title)}</h1>", _svg_bars(doc.bars)]
    for sec in doc.sections:
        body.append(f"<h2>{e(sec.title)}</h2>")
        body += [f"<p>{e(p)}</p>" for p in sec.paragraphs]
        if sec.rows:
            head = "".join(f"<th>{e(h)}</th>" for h in sec.header)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                           for r in sec.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        if sec.bullets:
            body.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in sec.bullets) + "</ul>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"wattprint-plan-sha256\" content=\"{doc.fingerprint}\">"
        f"<title>{e(doc.title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body) + "\n</body></html>\n"
    )


_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1d2a22}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}"
        "th,td{border:1px solid #c8d3cc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "th{background:#eef3ef}h2{margin-top:2rem;border-bottom:1px solid #c8d3cc}"
        "li{margin:.2rem 0;font-size:.9rem}")


def _svg_bars(bars: tuple[tuple[str, float], ...]) -> str:
    """A horizontal bar chart of kg CO2e per option, as inline SVG."""
    if not bars:
        return ""
    top = max(v for _, v in bars) or 1.0
    row_h, label_w, bar_w = 26, 260, 380
    parts = [f'<svg role="img" aria-label="kg CO2e per option" width="{label_w + bar_w + 110}" '
             f'height="{row_h * len(bars) + 10}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(bars):
        y = 5 + i * row_h
        width = max(1.0, bar_w * value / top)
        color = "#7a8c80" if i == 0 else "#3f8f5a"
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" '
                     f'font-size="13">{html.escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 8}" '
                     f'fill="{color}"/>')
        parts.append(f'<text x="{label_w + width + 6:.1f}" y="{y + 16}" font-size="13">'
                     f'{value:,.1f} kg</text>')
    parts.append("</svg>")
    return "".join(parts)


def _md(text: str) -> str:
    """Keep plan text from breaking the Markdown (tables, raw HTML) it is placed in."""
    return text.replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")


def _pct(value: float) -> str:
    """A percentage that does not round a 99.97 % saving up to 100 %."""
    return f"{value:.2f} %" if 99.0 < abs(value) < 100.0 else f"{value:.1f} %"


def _when(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


def _iso(result: Assessment) -> str:
    return result.generated_utc.strftime("%Y-%m-%d %H:%M")


def _version() -> str:
    from wattprint import __version__

    return __version__
