"""Render the audit report: Markdown, standalone HTML and JSON.

* :func:`to_markdown` — GitHub-flavoured Markdown for a pull-request comment
  or a wiki page: tables, no images (a chart is replaced by nothing; its
  figures are in the table next to it). Ledger text is backslash-escaped, so
  a project named ``<b>x</b>`` or ``a|b`` shows as written and cannot break a
  table or inject HTML.
* :func:`to_html` — one self-contained page: inline CSS, charts as SVG data:
  URIs (:mod:`wattprint.report.charts`, the ``report`` extra), no scripts and
  no external resources; every text is HTML-escaped. The PDF is this page
  laid out by :mod:`wattprint.report.audit_pdf`.
* :func:`to_dict` / :func:`to_json` — the report value with stable keys
  (field names of :mod:`wattprint.report.audit`), times as ISO 8601 UTC and a
  ``schema`` key (``wattprint.audit/1``) that changes when a key does.

Markdown and HTML are written from the same
:func:`~wattprint.report.audit_layout.sections`.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from datetime import date, datetime
from typing import Any

from wattprint.report.audit import AuditReport, Change
from wattprint.report.audit_layout import sections
from wattprint.report.audit_text import (
    Block,
    Bullets,
    Chart,
    Code,
    Heading,
    Inline,
    Kpis,
    Table,
    plain_text,
)

SCHEMA = "wattprint.audit/1"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def to_markdown(report: AuditReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    out = [f"# {_md(report.title)}", ""]
    toc = " · ".join(f"[{_md(s.title)}](#{s.id})" for s in sections(report))
    out += [toc, ""]
    for sec in sections(report):
        out += [f'<a id="{sec.id}"></a>', "", f"## {_md(sec.title)}", ""]
        for block in sec.blocks:
            out += _md_block(block)
    return "\n".join(out).rstrip() + "\n"


def to_html(report: AuditReport) -> str:
    """The report as one standalone HTML page (inline CSS, SVG charts, no scripts).

    Raises:
        MissingExtraError: matplotlib (the ``report`` extra) is missing.
    """
    e = html.escape
    body = [f"<h1>{e(report.title)}</h1>", "<nav>" + " · ".join(
        f'<a href="#{s.id}">{e(s.title)}</a>' for s in sections(report)) + "</nav>"]
    for sec in sections(report):
        body.append(f'<section id="{sec.id}"><h2>{e(sec.title)}</h2>')
        body += [_html_block(b) for b in sec.blocks]
        body.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"generator\" content=\"wattprint " + e(report.version) + "\">"
            f"<title>{e(report.title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def to_dict(report: AuditReport) -> dict[str, Any]:
    """The report as JSON-ready data with stable keys."""
    out: dict[str, Any] = _plain(report)
    out["quality"]["findings"] = [plain_text(f) for f in report.quality.findings]
    return {"schema": SCHEMA, **out}


def to_json(report: AuditReport) -> str:
    """The report as indented JSON."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


# -- Markdown ----------------------------------------------------------------------------


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return [f"### {_md(block.text)}", ""]
    if isinstance(block, Bullets):
        return [f"- {_md_inline(item)}" for item in block.items] + [""]
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Chart):
        return []
    if isinstance(block, Kpis):
        return [" · ".join(f"**{_md(label)}: {_md(value)}** ({_md(detail)})"
                           for label, value, detail in block.items), ""]
    return [_md_inline(block), ""]


def _md_table(t: Table) -> list[str]:
    if not t.rows:
        return [_md(t.empty), ""]
    align = t.align or "l" * len(t.header)
    out = ["| " + " | ".join(_md(h) or " " for h in t.header) + " |",
           "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in t.rows]
    return out + [""]


def _md_inline(parts: Inline) -> str:
    return "".join(f"`{p.text}`" if isinstance(p, Code) else _md(p) for p in parts)


def _md(text: str) -> str:
    """Plain text that Markdown shows as written (one line; no HTML, no table breaks)."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


# -- HTML --------------------------------------------------------------------------------


def _html_block(block: Block) -> str:
    e = html.escape
    if isinstance(block, Heading):
        return f"<h3>{e(block.text)}</h3>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_html_inline(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Chart):
        return (f'<figure><img src="{e(block.draw())}" alt="{e(block.alt)}">'
                f"<figcaption>{e(block.alt)}</figcaption></figure>")
    if isinstance(block, Kpis):
        return '<div class="kpis">' + "".join(
            f'<div class="kpi"><div class="label">{e(label)}</div>'
            f'<div class="value">{e(value)}</div><div class="detail">{e(detail)}</div></div>'
            for label, value, detail in block.items) + "</div>"
    return f"<p>{_html_inline(block)}</p>"


def _html_table(t: Table) -> str:
    e = html.escape
    if not t.rows:
        return f'<p class="empty">{e(t.empty)}</p>'
    align = t.align or "l" * len(t.header)
    head = "".join(f'<th class="{a}">{e(h)}</th>' for h, a in zip(t.header, align, strict=True))
    rows = "".join("<tr>" + "".join(f'<td class="{a}">{e(c)}</td>'
                                    for c, a in zip(row, align, strict=True)) + "</tr>"
                   for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _html_inline(parts: Inline) -> str:
    return "".join(f"<code>{html.escape(p.text)}</code>" if isinstance(p, Code)
                   else html.escape(p) for p in parts)


CSS = (
    "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:62rem;margin:2rem auto;"
    "padding:0 1rem;color:#1d2a22;font-size:10.5pt;line-height:1.4}"
    "h1{font-size:18pt;margin-bottom:.3rem}h2{margin-top:1.8rem;font-size:13.5pt;"
    "border-bottom:1px solid #c8d3cc}h3{font-size:11pt;margin:1rem 0 .3rem}"
    "nav{font-size:9pt;color:#456}nav a{color:#0b5d8f;text-decoration:none}"
    "table{border-collapse:collapse;margin:.4rem 0 .9rem;font-size:9pt}"
    "th,td{border:1px solid #c8d3cc;padding:.2rem .45rem;vertical-align:top}"
    "th{background:#eef3ef;text-align:left}td.r,th.r{text-align:right}"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:9pt;background:#f2f4f3;"
    "padding:0 .2rem}figure{margin:.6rem 0}figure img{max-width:100%}"
    "figcaption{font-size:8.5pt;color:#567}.empty{color:#567;font-style:italic}"
    ".kpis{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0}"
    ".kpi{flex:1 1 10rem;border:1px solid #c8d3cc;border-radius:4px;padding:.4rem .6rem}"
    ".kpi .label{font-size:8.5pt;color:#567}.kpi .value{font-size:14pt;font-weight:bold}"
    ".kpi .detail{font-size:8.5pt;color:#567}li{margin:.15rem 0}"
)


# -- JSON --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Dataclasses, mappings and sequences as JSON data; times as ISO text."""
    if isinstance(value, Change):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {**fields, "delta": value.delta, "pct": value.pct}
    if isinstance(value, Code):
        return value.text
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
