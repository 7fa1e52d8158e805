"""Rich tables for runs: the compact summary, devices, phases and hosts."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wattprint.cli.common import fmt_duration, fmt_energy, fmt_mass
from wattprint.model import Run, RunPart
from wattprint.units import j_to_kwh


def summary_table(run: Run) -> Table:
    """Two-column summary of one run."""
    fp = run.footprint
    table = Table(title=f"wattprint run {run.id[:8]}", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("project", run.project + (f" / {run.experiment}" if run.experiment else ""))
    table.add_row("status", run.status.value + (f" ({run.error})" if run.error else ""))
    table.add_row("duration", fmt_duration(run.duration_s))
    for kind, kwh in fp.energy_kwh_by_kind.items():
        methods = sorted(
            {d.device.method.value for d in run.devices if d.device.kind.value == kind}
        )
        if kwh or methods:
            table.add_row(f"energy {kind}", f"{fmt_energy(kwh)}  [dim]{', '.join(methods)}[/dim]")
    table.add_row("PUE", f"{fp.pue:g}  [dim]{escape(fp.pue_source)}[/dim]")
    table.add_row("energy total", fmt_energy(fp.energy_kwh))
    zc = run.zone_choice
    table.add_row("zone", f"{zc.zone}  [dim]chosen by {zc.how}[/dim]")
    intensity = fp.intensity
    year = f", {intensity.year}" if intensity.year else ""
    table.add_row(
        "intensity",
        f"{intensity.g_per_kwh:,.0f} g/kWh  [dim]{escape(intensity.source)}{year}[/dim]",
    )
    table.add_row("emissions", f"[bold]{fmt_mass(fp.co2e_kg)}[/bold]")
    if run.flops_per_w is not None:
        table.add_row("efficiency", f"{run.flops_per_w / 1e9:,.2f} GFLOPS/W")
    return table


def devices_table(run: Run) -> Table:
    """One row per device: energy, peak power and how it was measured."""
    table = Table(title="devices")
    for col in ("device", "model", "method", "energy", "peak W", "samples", "note"):
        table.add_column(col, justify="right" if col in {"energy", "peak W", "samples"} else "left")
    for d in run.devices:
        dev = d.device
        table.add_row(
            dev.id, dev.name, f"{dev.method.value} ({dev.sensor})",
            fmt_energy(j_to_kwh(d.energy_j)), f"{d.peak_power_w:,.1f}", str(d.samples),
            escape(dev.note or dev.source),
        )
    return table


def phases_table(run: Run) -> Table:
    """One row per phase, plus the energy spent outside every phase."""
    table = Table(title="phases")
    for col in ("phase", "duration", "IT energy", "share"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    total_j = sum(d.energy_j for d in run.devices) or 1.0
    inside = 0.0
    for p in run.phases:
        inside += p.energy_j
        table.add_row(
            p.name, fmt_duration(p.duration_s), fmt_energy(j_to_kwh(p.energy_j)),
            f"{100 * p.energy_j / total_j:.1f} %",
        )
    outside = max(0.0, total_j - inside) if run.devices else 0.0
    table.add_row("[dim](outside phases)[/dim]", "", fmt_energy(j_to_kwh(outside)),
                  f"{100 * outside / total_j:.1f} %")
    return table


def parts_table(parts: Sequence[RunPart]) -> Table:
    """One row per host of a run recorded by several hosts; the last row is their sum."""
    table = Table(title="hosts")
    for col in ("host", "status", "duration", "energy", "emissions", "written (UTC)"):
        table.add_column(col, justify="right" if col in {"duration", "energy", "emissions"}
                         else "left")
    for p in parts:
        status = p.status.value + (" [dim](no heartbeat)[/dim]" if p.stale else "")
        table.add_row(escape(p.host), status, fmt_duration(p.duration_s), fmt_energy(p.energy_kwh),
                      fmt_mass(p.co2e_kg), p.updated_utc.strftime("%m-%d %H:%M:%S"))
    table.add_row("[bold]total[/bold]", "", "", fmt_energy(sum(p.energy_kwh for p in parts)),
                  fmt_mass(sum(p.co2e_kg for p in parts)), "")
    return table


def print_run(console: Console, run: Run, *, detail: bool) -> None:
    """Print the summary, and with ``detail`` the device and phase tables."""
    console.print(summary_table(run))
    if detail:
        console.print(devices_table(run))
        if run.phases:
            console.print(phases_table(run))
    for note in run.warnings:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def runs_table(runs: Sequence[Run]) -> Table:
    """The ``wattprint runs`` listing."""
    table = Table()
    for col in ("id", "started (UTC)", "project", "status", "duration", "energy", "CO2e", "zone"):
        table.add_column(col, justify="right" if col in {"duration", "energy", "CO2e"} else "left")
    for r in runs:
        table.add_row(
            r.id[:8], r.started_utc.strftime("%Y-%m-%d %H:%M:%S"), r.project, r.status.value,
            fmt_duration(r.duration_s), fmt_energy(r.energy_kwh), fmt_mass(r.co2e_kg),
            r.zone_choice.zone,
        )
    return table
