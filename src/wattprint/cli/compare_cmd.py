"""``wattprint compare VARIANTS_FILE``: variants of a workload on energy and quality."""

from __future__ import annotations

import math
import shlex
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wattprint.cli.common import json_option, print_json, zone_option
from wattprint.errors import ConfigError
from wattprint.optimise.compare_stats import (
    ORDER_NOTE,
    Comparison,
    RepResult,
    Spread,
    VariantSummary,
)
from wattprint.optimise.compare_values import seconds

_EN_DASH = "\u2013"


def _positive_seconds(ctx: click.Context, param: click.Parameter,
                      value: float | None) -> float | None:
    """``--timeout-s``: checked as the file's ``timeout_s`` is, reported as a bad flag."""
    try:
        return seconds(value, "--timeout-s")
    except ConfigError as exc:  # click names the flag itself
        raise click.BadParameter(str(exc).removeprefix("--timeout-s: ")) from None


@click.command()
@click.argument("variants_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--repeat", type=click.IntRange(min=1), default=None,
              help="Repetitions per variant (default: the file's repeat, else 3).")
@click.option("--project", default=None, help="Ledger project of the runs "
              "(default: the file's project, else settings).")
@click.option("--timeout-s", type=float, default=None, callback=_positive_seconds,
              help="Stop a repetition still running after this many seconds (its process "
              "tree is killed) and leave it out of the figures; replaces every timeout_s "
              "of the file.")
@zone_option
@click.option("--no-save", is_flag=True, help="Do not record the runs in the ledger.")
@json_option
def compare(variants_file: Path, repeat: int | None, project: str | None,
            timeout_s: float | None, zone: str | None, no_save: bool, as_json: bool) -> int:
    """Run the variants in VARIANTS_FILE repeatedly and compare energy and quality.

    Each repetition of each variant is tracked like `wattprint run` and
    recorded in the ledger, tagged compare:<name>, variant:<variant> and
    rep:<k>. Repetitions are interleaved (repetition k runs every variant
    once, the order rotated by k) so drifts of the machine spread over all
    variants. Prints per variant the median and min-max of energy, CO2e,
    wall time and quality, the Pareto front (quality vs energy) and the
    saving against the baseline. A repetition running past its timeout_s
    (--timeout-s) is killed, recorded as failed ("timed out after N s") and
    left out of the figures; the others go on. Exit 1 when a variant failed
    or a repetition timed out (the rest is still reported), 2 for a bad file
    or a quality that cannot be read.

    \b
    Examples:
      wattprint compare examples/compare/quantize.yaml --repeat 3
      wattprint compare variants.yaml --project vision --json > comparison.json
      wattprint compare variants.yaml --timeout-s 600     no repetition over 10 min
      wattprint runs --tag compare:quantize          the runs it recorded

    The file format (every key) is in docs/compare.md.
    """
    from wattprint.optimise.compare import compare_spec, run_setup
    from wattprint.optimise.compare_spec import load_spec

    spec = load_spec(variants_file)
    err = Console(stderr=True)
    if spec.setup:
        err.print(f"setup (not measured): {escape(shlex.join(spec.setup))}", highlight=False)
        for line in run_setup(spec).splitlines():
            err.print(f"  [dim]{escape(line)}[/dim]", highlight=False)
    reps = repeat or spec.repeat
    total = reps * len(spec.variants)
    err.print(f"compare {escape(spec.name)}: {len(spec.variants)} variants × {reps} "
              f"repetitions, {escape(ORDER_NOTE.split(':')[0])} (rotated each repetition)")
    done: list[RepResult] = []
    quality = spec.variants[0].quality
    metric = quality.metric if quality is not None else "quality"

    def progress(rep: RepResult) -> None:
        done.append(rep)
        err.print(f"  [{len(done)}/{total}] {_rep_line(rep, metric)}", highlight=False)

    options: dict[str, Any] = {"zone": zone} if zone else {}
    result = compare_spec(spec, repeat=repeat, project=project, timeout_s=timeout_s,
                          setup=False, save=not no_save, on_rep=progress, **options)
    if as_json:
        print_json(result.to_dict())
    else:
        print_comparison(Console(), result)
    return 0 if result.ok else 1


def _rep_line(rep: RepResult, metric: str) -> str:
    figures = f"{_energy(rep.energy_kwh)}, {rep.duration_s:.2f} s"
    if rep.quality is not None:
        figures += f", {escape(metric)} {rep.quality:.4g}"
    status = "" if rep.ok else f" [red]{rep.status.value}: {escape(rep.error)}[/red]"
    if rep.timed_out:
        status = f" [yellow]{escape(rep.error)}[/yellow]"
    return f"{escape(rep.variant)} rep {rep.rep}: {figures}{status}"


def print_comparison(console: Console, result: Comparison) -> None:
    """The comparison as a table, the Pareto front and the trade-offs, on ``console``."""
    metric = result.metric or "quality"
    ran = [v for v in result.variants if v.energy_kwh is not None]
    e_factor, e_unit = _energy_unit(max((v.energy_kwh.median for v in ran  # type: ignore[union-attr]
                                         ), default=0.0))
    m_factor, m_unit = _mass_unit(max((v.co2e_kg.median for v in ran  # type: ignore[union-attr]
                                       ), default=0.0))
    table = Table(title=escape(f"wattprint compare {result.name}: median and min{_EN_DASH}max "
                               f"of {result.repeat} repetitions"), box=box.SIMPLE_HEAD)
    timeouts = any(v.timed_out for v in result.variants)
    for col in ("variant", f"energy {e_unit}", f"CO2e {m_unit}", "time s", metric,
                "vs baseline", "Pareto", *(["timed out"] if timeouts else [])):
        first = col == "variant"
        table.add_column(escape(col), justify="left" if first else "right", overflow="fold",
                         no_wrap=first)
    for v in result.variants:
        row = _row(v, result, e_factor, m_factor)
        table.add_row(*row, *([_timed_out_cell(v)] if timeouts else []))
    console.print(table)
    if result.metric is not None:
        better = "higher" if result.higher_is_better else "lower"
        front = ", ".join(result.pareto_front) or "(none)"
        console.print(f"Pareto front ({escape(metric)}, {better} is better, vs energy): "
                      f"{escape(front)}")
    for v in result.variants:
        if v.timed_out:
            console.print(f"[yellow]{escape(v.name)}: {v.timed_out} of {len(v.reps)} "
                          f"repetition(s) timed out[/yellow] (timeout_s {v.timeout_s or 0:g} s), "
                          "left out of its figures", highlight=False)
        if v.failed:
            console.print(f"[red]{escape(v.name)} failed[/red]: {escape(v.error)}")
        elif v.vs_baseline is not None:
            overlap = v.vs_baseline.energy_ranges_overlap
            console.print(f"{escape(v.name)} vs {escape(result.baseline)}: "
                          f"{escape(v.vs_baseline.describe(result.metric))}"
                          + (" (energy ranges overlap: within the repetitions' spread)"
                             if overlap else ""))
    console.print(f"[dim]Order: {escape(ORDER_NOTE)}.[/dim]")


def _row(v: VariantSummary, result: Comparison, e_factor: float, m_factor: float) -> list[str]:
    name = escape(v.name) + ("\n[dim](baseline)[/dim]" if v.baseline else "")
    if v.failed and v.energy_kwh is None:
        why = "timed out" if v.reps and v.timed_out == len(v.reps) else "failed"
        return [name, f"[red]{why}[/red]", "", "", "", "", ""]
    vs = "baseline" if v.baseline else ""
    s = v.vs_baseline
    if s is not None and s.energy_saving_pct is not None:
        vs = f"{_signed(-s.energy_saving_pct)} % energy"
        if s.quality_delta is not None:
            vs += f"\n{_signed(s.quality_delta, '.3g')} {escape(result.metric or '')}"
    if v.failed:
        vs = "[red]failed[/red]"
    return [name, _spread(v.energy_kwh, e_factor), _spread(v.co2e_kg, m_factor),
            _spread(v.duration_s, 1.0), _spread(v.quality, 1.0, 4), vs, "yes" if v.pareto else ""]


def _timed_out_cell(v: VariantSummary) -> str:
    if not v.timed_out:
        return ""
    return f"[yellow]{v.timed_out} of {len(v.reps)}[/yellow]"


def _signed(value: float, spec: str = ".1f") -> str:
    text = format(abs(value), spec)
    if float(text) == 0:
        return "\u00b10"
    return ("\u2212" if value < 0 else "+") + text


def _spread(s: Spread | None, factor: float, significant: int = 3) -> str:
    """Median on one line, ``min–max`` below it, scaled by ``factor``."""
    if s is None:
        return ""
    digits = _decimals(s.median * factor, significant)
    low, high = s.min * factor, s.max * factor
    return (f"{s.median * factor:.{digits}f}\n"
            f"[dim]{low:.{digits}f}{_EN_DASH}{high:.{digits}f}[/dim]")


def _decimals(value: float, significant: int) -> int:
    """Decimals that show ``value`` with about ``significant`` significant digits."""
    if value == 0 or not math.isfinite(value):
        return significant - 1
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))


def _energy_unit(kwh: float) -> tuple[float, str]:
    if kwh >= 1.0:
        return 1.0, "kWh"
    if kwh >= 1e-3:
        return 1e3, "Wh"
    return 3.6e6, "J"


def _mass_unit(kg: float) -> tuple[float, str]:
    if kg >= 1.0:
        return 1.0, "kg"
    if kg >= 1e-3:
        return 1e3, "g"
    return 1e6, "mg"


def _energy(kwh: float) -> str:
    factor, unit = _energy_unit(kwh)
    return f"{kwh * factor:.{_decimals(kwh * factor, 4)}f} {unit}"
