"""Estimate commands: ``hardware [QUERY]`` and ``estimate``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from wattprint.cli.common import (
    fmt_energy,
    fmt_mass,
    json_option,
    parse_duration_s,
    parse_power_w,
    print_json,
)
from wattprint.errors import ConfigError

if TYPE_CHECKING:
    from wattprint.estimate.catalog import Hardware, Instance
    from wattprint.estimate.result import Estimate

_G_PER_UNIT = {"g": 1.0, "kg": 1000.0, "t": 1e6, "lb": 453.59237, "lbs": 453.59237}


def _entry_dict(entry: Hardware | Instance) -> dict[str, Any]:
    from wattprint.estimate.catalog import Instance

    if isinstance(entry, Instance):
        return {"id": entry.id, "kind": "instance", "provider": entry.provider,
                "device": entry.device.id, "device_count": entry.device_count,
                "vcpus": entry.vcpus, "ram_gb": entry.ram_gb, "source": entry.source}
    return {"id": entry.id, "name": entry.name, "kind": entry.kind, "vendor": entry.vendor,
            "power_w": entry.power_w, "power_basis": entry.power_basis,
            "memory_gb": entry.memory_gb, "embodied_kg": entry.embodied_kg,
            "embodied_source": entry.embodied_source or None, "source": entry.power_source}


@click.command()
@click.argument("query", required=False, default="")
@click.option("--kind", type=click.Choice(["gpu", "tpu", "cpu", "instance"]), default=None,
              help="Only entries of this kind.")
@json_option
def hardware(query: str, kind: str | None, as_json: bool) -> None:
    """List or search the embedded hardware catalog (devices and cloud instances).

    Power is per device (TDP or board power; the basis is named), embodied
    carbon is shown only where a figure is published for that model.

    \b
    Examples:
      wattprint hardware                     everything
      wattprint hardware a100
      wattprint hardware --kind instance p5 --json
    """
    from wattprint.estimate.catalog import load_hardware

    found = load_hardware().search(query, kind)
    if as_json:
        print_json([_entry_dict(e) for e in found])
        return
    if not found:
        click.echo(f"no hardware matches {query!r}", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("id", "name / device", "kind", "power W", "memory GB", "embodied kg", "source"):
        table.add_column(col, justify="right" if col.endswith(("W", "GB", "kg")) else "left",
                         no_wrap=col == "id")
    for row in map(_entry_dict, found):
        if row["kind"] == "instance":
            table.add_row(row["id"], f"{row['device_count']} × {row['device']} "
                          f"({row['provider']}, {row['vcpus']} vCPUs)", "instance", "",
                          f"{row['ram_gb']:g} RAM", "", _short(row["source"]))
        else:
            table.add_row(row["id"], row["name"], row["kind"], _num(row["power_w"]),
                          _num(row["memory_gb"]), _num(row["embodied_kg"]), _short(row["source"]))
    Console().print(table)
    click.echo("Full sources: wattprint hardware --json", err=True)


def _short(source: str) -> str:
    """The title of a source, without its URL (the JSON has it all)."""
    return source.split(", http", 1)[0]


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _hours(text: str | None) -> float | None:
    """Plain numbers are hours; ``14.8d``, ``90m``, ``1h30m`` are durations."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return parse_duration_s(text, "--hours") / 3600.0


def _intensity(text: str | None) -> float | None:
    """``432.7`` (g/kWh), ``0.429kg/kWh``, ``0.954lb/kWh`` → g CO2e per kWh."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(?:([a-z]+)\s*/\s*kwh)?\s*",
                         text.lower())
    if not match or (match.group(2) and match.group(2) not in _G_PER_UNIT):
        raise ConfigError(f"--intensity: expected g CO2e per kWh like 432.7, 0.429kg/kWh or "
                          f"0.954lb/kWh, got {text!r}")
    return float(match.group(1)) * _G_PER_UNIT[match.group(2) or "g"]


def _power(text: str | None, name: str) -> float | None:
    return None if text is None else parse_power_w(text, name)


@click.command()
@click.option("--device", default=None, help="Device name, e.g. A100-80GB, V100, 'TPU v3'.")
@click.option("--instance", default=None, help="Cloud instance type, e.g. p4d.24xlarge.")
@click.option("--count", type=int, default=1, show_default=True,
              help="Number of devices (or of instances with --instance).")
@click.option("--hours", "hours_text", default=None,
              help="Wall-clock time: hours (84) or a duration (14.8d, 90m).")
@click.option("--device-hours", type=float, default=None,
              help="Total device-hours (GPU-hours), instead of --hours.")
@click.option("--power-w", "power_text", default=None,
              help="Average power of ONE device (W); default: catalog power × utilisation.")
@click.option("--total-power-w", "total_text", default=None,
              help="Average power of ALL devices and host together (W), as Strubell et al. "
                   "report it.")
@click.option("--utilisation", "--utilization", type=float, default=None,
              help="Share of the catalog power drawn, in (0, 1]; default: documented fraction.")
@click.option("--host-power-w", "host_text", default=None,
              help="Host CPU+RAM power, total (W); instances default to a vCPU/RAM model.")
@click.option("--cpu-share", type=float, default=None,
              help="Share of the host (vCPUs, RAM) used, in [0, 1]; default 1 for instances.")
@click.option("--pue", type=float, default=None,
              help="Facility PUE; default: the cloud provider's, else 1.0 (on-premise).")
@click.option("--zone", default=None, help="Grid zone or cloud region, e.g. FR, aws:us-east-1.")
@click.option("--intensity", "intensity_text", default=None,
              help="Carbon intensity: g CO2e/kWh, or with a unit (0.429kg/kWh, 0.954lb/kWh).")
@click.option("--wue", type=float, default=None, help="On-site WUE, L per kWh of IT energy.")
@click.option("--water-intensity", type=float, default=None,
              help="Off-site water intensity of electricity, L/kWh.")
@click.option("--embodied-kg", type=float, default=None,
              help="Embodied kg CO2e per device, host share included.")
@click.option("--lifetime-years", type=float, default=None, help="Hardware lifetime (default 6).")
@click.option("--lifetime-use-rate", type=float, default=None,
              help="Share of the lifetime in use, in (0, 1] (default 0.85).")
@json_option
def estimate(device: str | None, instance: str | None, count: int, hours_text: str | None,
             device_hours: float | None, power_text: str | None, total_text: str | None,
             utilisation: float | None, host_text: str | None, cpu_share: float | None,
             pue: float | None, zone: str | None, intensity_text: str | None,
             wue: float | None, water_intensity: float | None, embodied_kg: float | None,
             lifetime_years: float | None, lifetime_use_rate: float | None,
             as_json: bool) -> None:
    """Estimate energy, CO2e, embodied CO2e and water before a run.

    Every figure is printed with the input, default or source behind it.

    \b
    Examples:
      wattprint estimate --instance p4d.24xlarge --count 4 --hours 72 --zone aws:us-east-1
      wattprint estimate --device P100 --count 8 --hours 84 --total-power-w 1515.43 \\
          --pue 1.58 --intensity 0.954lb/kWh           (Strubell et al. 2019)
      wattprint estimate --device V100 --count 10000 --hours 14.8d --power-w 330 \\
          --pue 1.1 --intensity 0.429kg/kWh --json      (Patterson et al. 2021)
    """
    from wattprint.estimate.calculator import estimate as run_estimate

    result = run_estimate(
        device=device, instance=instance, count=count, hours=_hours(hours_text),
        device_hours=device_hours, power_w=_power(power_text, "--power-w"),
        total_power_w=_power(total_text, "--total-power-w"), utilisation=utilisation,
        host_power_w=_power(host_text, "--host-power-w"), cpu_share=cpu_share, pue=pue,
        zone=zone, intensity_g_per_kwh=_intensity(intensity_text), wue_l_per_kwh=wue,
        water_intensity_l_per_kwh=water_intensity, embodied_kg=embodied_kg,
        lifetime_years=lifetime_years, lifetime_use_rate=lifetime_use_rate,
    )
    if as_json:
        print_json(result.to_dict())
    else:
        _print_estimate(result)


def _print_estimate(est: Estimate) -> None:
    b = est.basis
    lines = [
        ("hardware", est.instance or est.device, b["hardware"]),
        ("time", f"{est.hours:,.4g} h ({est.device_hours:,.6g} device-hours)", b["hours"]),
        ("power per device", f"{est.power_w_per_device:,.6g} W", b["power"]),
        ("host power", f"{est.host_power_w:,.6g} W", b["host"]),
        ("IT energy", fmt_energy(est.it_energy_kwh), b["it_energy"]),
        ("PUE", f"{est.pue:g}", b["pue"]),
        ("facility energy", fmt_energy(est.energy_kwh), b["energy"]),
        ("operational CO2e", fmt_mass(est.co2e_kg), b["co2e"]),
        ("embodied CO2e", fmt_mass(est.embodied_co2e_kg), b["embodied"]),
        ("total CO2e", fmt_mass(est.total_co2e_kg), "operational + embodied"),
        ("water on-site", f"{est.water_onsite_l:,.1f} L", b["water_onsite"]),
        ("water off-site", f"{est.water_offsite_l:,.1f} L", b["water_offsite"]),
        ("water total", f"{est.water_total_l:,.1f} L", "on-site + off-site"),
    ]
    for label, value, basis in lines:
        click.echo(f"{label:<17} {value}")
        click.echo(f"{'':<17}   ← {basis}")
    click.echo("equivalents       " + b["equivalents"])
    for eq in est.equivalents:
        click.echo(f"  {eq.value:,.3g} {eq.label}")
        click.echo(f"{'':<17}   ← {eq.per_unit:g} {eq.unit}: {eq.source}")
