"""``wattprint exporter``: serve live power, tracked runs and grid intensity to Prometheus."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from wattprint.cli.common import parse_duration_s


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the previous handlers come back afterwards)."""
    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --allow-remote.")
@click.option("--port", default=9464, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host. Prometheus exposition has no authentication.")
@click.option("--db", default=None,
              help="Ledger URL or SQLite path (default: WATTPRINT_DB or the user ledger).")
@click.option("--zone", default=None,
              help="Zone whose grid intensity is exported (default: as `wattprint run` picks).")
@click.option("--interval", "interval_s", type=float, default=None,
              help="Sampling interval of the device power in seconds (default 1).")
@click.option("--window", default="1h", show_default=True,
              help="How long a run stays exported after it ended (30m, 1h, 1d).")
def exporter(host: str, port: int, allow_remote: bool, db: str | None, zone: str | None,
             interval_s: float | None, window: str) -> None:
    """Serve /metrics for Prometheus: device power, runs, grid intensity.

    Exports the power and energy of this machine's devices (whole machine),
    the energy and CO2e of the ledger's running runs (as their trackers flush
    them, every 30 s by default) and of runs that ended within --window (at
    most 200 runs), and the current intensity of the zone from the configured
    provider chain (offline: the embedded figures). Ctrl-C or SIGTERM stops
    it. Needs: pip install 'wattprint[prometheus]'.

    \b
    Examples:
      wattprint exporter                          http://127.0.0.1:9464/metrics
      wattprint exporter --port 9500 --db team.db --zone DE
      wattprint exporter --host 0.0.0.0 --allow-remote   behind a firewall
    """
    from wattprint.config import load_settings
    from wattprint.integrations.prometheus import Exporter, RunWindow, check_binding
    from wattprint.integrations.prometheus_sources import resolve_zone
    from wattprint.intensity.providers.chain import providers_from_settings
    from wattprint.store.ledger import Ledger

    check_binding(host, allow_remote)
    settings = load_settings({"zone": zone, "interval_s": interval_s, "db": db})
    where = resolve_zone(zone)
    provider = providers_from_settings(settings)
    ledger = Ledger(settings.db)
    served = Exporter(host=host, port=port, allow_remote=allow_remote, ledger=ledger,
                      interval_s=settings.interval_s, provider=provider, zone=where,
                      window=RunWindow(window_s=parse_duration_s(window, "--window")))
    stop = threading.Event()
    try:
        with _stop_on_signals(stop):
            served.start()
            _announce(served, ledger)
            while not stop.wait(1.0):
                pass
    finally:
        served.stop()
        ledger.close()
        provider.close()
    click.echo("wattprint exporter: stopped", err=True)


def _announce(served: Any, ledger: Any) -> None:
    """The address on stdout (first line, for scripts); the rest on stderr."""
    click.echo(f"wattprint exporter: serving {served.url}")
    devices = served.sampler.devices if served.sampler is not None else ()
    listed = ", ".join(f"{d.id} ({d.method.value})" for d in devices) or "none"
    click.echo(f"devices {listed}", err=True)
    for note in served.notes:
        click.echo(f"  {note}", err=True)
    value = served.intensity.current() if served.intensity is not None else None
    if value is not None:
        click.echo(f"zone {served.zone}: {value.g_per_kwh:.1f} g/kWh ({value.source})", err=True)
    click.echo(f"ledger {ledger.url}; Ctrl-C stops", err=True)
