"""Prometheus exporter: live device power, tracked runs and grid intensity on ``/metrics``.

:class:`WattprintCollector` follows prometheus/client_python's one-method
collector protocol: every scrape calls :meth:`~WattprintCollector.collect`,
which reads its sources at that instant and yields metric families. Its
sources are plain objects passed in: a :class:`~wattprint.measure.sampler.Sampler`
(device power and energy), a :class:`RunSource` (runs from the ledger, or the
trackers of this process) and a :class:`GridIntensity` (the zone's current
intensity from a provider). :class:`Exporter` is the I/O shell that starts
them and serves the registry over HTTP; :func:`start_exporter` starts one in
your own process.

Families (``device``/``kind``/``method``; ``run_id``/``project``/``model``/``status``)::

    wattprint_build_info{version}                     1
    wattprint_device_power_watts{device,kind,method}  power at the latest reading
    wattprint_device_energy_joules_total{...}         energy since the exporter started
    wattprint_run_energy_kwh{run_id,project,model,status}   facility energy so far
    wattprint_run_co2e_kg{...}                        operational emissions so far
    wattprint_run_duration_seconds{...}
    wattprint_runs_up                                 1 when the last run query worked
    wattprint_grid_intensity_g_per_kwh{zone,source}   current intensity of the zone

Run series are bounded (:class:`RunWindow`): runs still ``running`` whose
record was written in the last ``stale_after_s`` (a tracker flushes every
``flush_interval_s``, 30 s by default; a killed run stops being shown), and
runs that ended in the last ``window_s``; at most ``max_runs``, running
first, then newest. Prometheus exposition has no authentication, so the
exporter binds to loopback unless ``allow_remote`` is given.

Example::

    from wattprint import Tracker
    from wattprint.integrations.prometheus import start_exporter

    exporter = start_exporter(9464)   # http://127.0.0.1:9464/metrics
    with Tracker(project="bert"):     # every tracker started from now on is exported live
        train()
    exporter.stop()
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator, Sequence
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from wattprint.clock import Clock, SystemClock
from wattprint.errors import ConfigError, MissingExtraError, WattprintError
from wattprint.integrations.prometheus_sources import (
    CombinedRuns,
    GridIntensity,
    LedgerRuns,
    RunFigures,
    RunSource,
    RunWindow,
    TrackerRuns,
    grid_zone,
    resolve_zone,
)

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

    from wattprint.intensity.providers.base import IntensityProvider
    from wattprint.measure.sampler import Sampler
    from wattprint.measure.sensors.base import Sensor
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

__all__ = ["DEFAULT_PORT", "Exporter", "GridIntensity", "LedgerRuns", "RunFigures", "RunSource",
           "RunWindow", "TrackerRuns", "WattprintCollector", "check_binding", "start_exporter"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The exporter's default port (the one OpenTelemetry's Prometheus exporter uses).
DEFAULT_PORT = 9464
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _client() -> ModuleType:
    """``prometheus_client``, or the pip line that installs it."""
    try:
        import prometheus_client
        import prometheus_client.core  # noqa: F401 — the custom-collector families
    except ImportError as e:
        raise MissingExtraError("prometheus-client", "prometheus") from e
    return prometheus_client


def is_loopback(host: str) -> bool:
    """True for a loopback address (``127.0.0.1``, ``::1``) or ``localhost``."""
    name = host.strip().lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless ``allow_remote`` says so.

    Raises:
        ConfigError: ``host`` is reachable from the network and ``allow_remote`` is false.
    """
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(
            f"--host {host} makes /metrics reachable from the network, and Prometheus "
            "exposition has no authentication: pass --allow-remote (allow_remote=True) to do "
            "it anyway (behind a firewall or a proxy that authenticates), or keep --host "
            "127.0.0.1")


class WattprintCollector:
    """Yields wattprint's metric families at each scrape (a Prometheus custom collector).

    Each source is optional. Device figures come from a running sampler,
    read once more at the scrape so the energy counter is exact to that
    instant. A run source that raises :class:`~wattprint.errors.WattprintError`
    (ledger down) gives ``wattprint_runs_up 0`` and no run series, never a
    failed scrape.

    Example::

        registry = CollectorRegistry()
        registry.register(WattprintCollector(runs=LedgerRuns(ledger)))
    """

    def __init__(self, *, sampler: Sampler | None = None, runs: RunSource | None = None,
                 intensity: GridIntensity | None = None, version: str | None = None) -> None:
        self._sampler = sampler
        self._runs = runs
        self._intensity = intensity
        self._version = version

    def collect(self) -> Iterator[Metric]:
        """Every family, read now."""
        core = _client().core
        yield core.InfoMetricFamily("wattprint_build", "wattprint version.",
                                    value={"version": self._version or _version()})
        if self._sampler is not None:
            yield from self._device_families(core, self._sampler)
        if self._runs is not None:
            yield from self._run_families(core, self._runs)
        if self._intensity is not None:
            value = self._intensity.current()
            gauge = core.GaugeMetricFamily(
                "wattprint_grid_intensity_g_per_kwh",
                "Current carbon intensity of the grid zone (g CO2e/kWh).",
                labels=["zone", "source"])
            if value is not None:
                gauge.add_metric([self._intensity.zone, value.source], value.g_per_kwh)
            yield gauge

    def _device_families(self, core: Any, sampler: Sampler) -> Iterator[Metric]:
        sampler.sample_now()
        power = sampler.power_by_device_w()
        energy = sampler.energy_by_device_j()
        labels = ["device", "kind", "method"]
        power_w = core.GaugeMetricFamily(
            "wattprint_device_power_watts", "Power of the device at its latest reading (W).",
            labels=labels)
        energy_j = core.CounterMetricFamily(
            "wattprint_device_energy_joules", "Energy of the device since the exporter started "
            "(J).", labels=labels)
        for dev in sampler.devices:
            values = [dev.id, dev.kind.value, dev.method.value]
            if power.get(dev.id) is not None:
                power_w.add_metric(values, power[dev.id])
            energy_j.add_metric(values, energy.get(dev.id, 0.0))
        yield power_w
        yield energy_j

    def _run_families(self, core: Any, source: RunSource) -> Iterator[Metric]:
        labels = ["run_id", "project", "model", "status"]
        families = {
            "energy_kwh": core.GaugeMetricFamily(
                "wattprint_run_energy_kwh", "Facility energy of the run so far (kWh).",
                labels=labels),
            "co2e_kg": core.GaugeMetricFamily(
                "wattprint_run_co2e_kg", "Operational emissions of the run so far (kg CO2e).",
                labels=labels),
            "duration_s": core.GaugeMetricFamily(
                "wattprint_run_duration_seconds", "Duration of the run so far (s).",
                labels=labels),
        }
        try:
            found, up = source.runs(), 1.0
        except WattprintError as exc:
            logger.warning("runs unavailable: %s", exc)
            found, up = [], 0.0
        for run in found:
            values = [run.run_id, run.project, run.model, run.status]
            for attr, family in families.items():
                family.add_metric(values, getattr(run, attr))
        yield from families.values()
        yield core.GaugeMetricFamily("wattprint_runs_up",
                                     "1 when the last query for runs worked, else 0.", value=up)


def _version() -> str:
    from wattprint import __version__

    return __version__


class Exporter:
    """Serves wattprint's metrics over HTTP (``/metrics``) from a daemon thread.

    :meth:`start` starts the sensors (detected for the whole machine unless
    ``sensors`` is given; ``sensors=[]`` exports no devices) and their
    sampler, opens the ledger, asks the provider once, then binds; with
    ``listen`` it also registers a tracker listener
    (:mod:`wattprint.measure.hooks`), so every tracker started in this
    process afterwards is exported live. :meth:`stop` undoes it all, except
    that the ledger and provider stay open: they belong to the caller.
    Binding anything but loopback needs ``allow_remote``.

    Args:
        host: Address to listen on.
        port: Port to listen on (0: any free port, see :attr:`port`).
        allow_remote: Allow a non-loopback ``host``.
        sensors: Started sensors to read instead of detecting them.
        interval_s: The sampler's interval (s).
        ledger: Ledger to show runs from (opened by :meth:`start`).
        window: Which runs to show.
        provider: Intensity provider; with ``zone``, exports the grid intensity.
        zone: The zone whose intensity is exported.
        clock: Time source for the sampler, the window and the intensity cache.
        registry: Registry to register the collector in (default: a new one).
        listen: Export every tracker this process starts from now on.
    """

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, allow_remote: bool = False,
        sensors: Sequence[Sensor] | None = None, interval_s: float = 1.0,
        ledger: Ledger | None = None, window: RunWindow | None = None,
        provider: IntensityProvider | None = None, zone: str | None = None,
        clock: Clock | None = None, registry: CollectorRegistry | None = None,
        listen: bool = False,
    ) -> None:
        check_binding(host, allow_remote)
        if not 0 <= port <= 65535:
            raise ConfigError(f"port must be 0-65535, got {port}")
        self.host, self._port, self._interval_s = host, port, interval_s
        self._sensors = list(sensors) if sensors is not None else None
        self._ledger, self._window = ledger, window or RunWindow()
        self._provider, self.zone = provider, zone
        self._clock = clock or SystemClock()
        self._registry = registry
        self.trackers = TrackerRuns(window=self._window, clock=self._clock)
        self.notes: list[str] = []
        self.sampler: Sampler | None = None
        self.intensity: GridIntensity | None = None
        self._listen = listen
        self._owned: list[Any] = []
        self._listener: Any = None
        self._server: Any = None
        self._collectors: list[WattprintCollector] = []

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`), else the one asked for."""
        return int(self._server.server_address[1]) if self._server is not None else self._port

    @property
    def url(self) -> str:
        """The metrics address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def watch(self, tracker: Tracker) -> None:
        """Export ``tracker``'s live figures (see :class:`TrackerRuns`)."""
        self.trackers.watch(tracker)

    def close_on_stop(self, resource: Any) -> None:
        """Call ``resource.close()`` when the exporter stops (a provider it was given)."""
        self._owned.append(resource)

    def start(self) -> Exporter:
        """Start sensors, sampler and ledger, then serve; returns ``self``.

        Raises:
            MissingExtraError: ``prometheus_client`` is not installed.
            ConfigError: The address cannot be bound (port in use, unknown host).
        """
        client = _client()
        try:
            self._start_sources()
            self._serve(client)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_sources(self) -> None:
        from wattprint.measure.sampler import Sampler
        from wattprint.measure.sensors.detect import default_sensors, fallback_sensor

        sensors = self._sensors
        if sensors is None:
            found, self.notes = default_sensors(pid=None)
            sensors = list(found)
        self.sampler = Sampler(sensors, clock=self._clock, interval_s=self._interval_s,
                               fallback=lambda dev: fallback_sensor(dev, pid=None))
        self.sampler.start()
        if self._ledger is not None:
            self._ledger.open()
        if self._provider is not None and self.zone is not None:
            self.intensity = GridIntensity(self._provider, self.zone,
                                           ask_zone=grid_zone(self.zone), clock=self._clock)
            self.intensity.current()  # first answer (and any fallback warning) now
        if self._listen:
            from wattprint.measure import hooks

            self._listener = hooks.add_listener(self.trackers)

    def _serve(self, client: ModuleType) -> None:
        registry = self._registry or client.CollectorRegistry()
        ledger_runs = LedgerRuns(self._ledger, window=self._window, clock=self._clock) \
            if self._ledger is not None else None
        collector = WattprintCollector(sampler=self.sampler, runs=CombinedRuns(
            ledger_runs, self.trackers, self._window.max_runs),
                                       intensity=self.intensity)
        registry.register(collector)
        self._collectors.append(collector)
        self._registry = registry
        try:
            self._server, _ = client.start_http_server(self._port, addr=self.host,
                                                       registry=registry)
        except OSError as e:
            raise ConfigError(f"cannot listen on {self.host}:{self._port}: {e.strerror or e}; "
                              "choose another --port") from e

    def stop(self) -> None:
        """Stop serving, listening and sampling; safe to call twice."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._listener is not None:
            self._listener.remove()
            self._listener = None
        for collector in self._collectors:
            if self._registry is not None:
                self._registry.unregister(collector)
        self._collectors.clear()
        if self.sampler is not None:
            self.sampler.stop()
            self.sampler.close()
            self.sampler = None
        while self._owned:
            self._owned.pop().close()

    def __enter__(self) -> Exporter:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_exporter(
    port: int = DEFAULT_PORT, host: str = "127.0.0.1", *, allow_remote: bool = False,
    sensors: Sequence[Sensor] | None = None, ledger: Ledger | None = None,
    zone: str | None = None, provider: IntensityProvider | None = None,
    interval_s: float = 1.0, window: RunWindow | None = None,
    registry: CollectorRegistry | None = None, clock: Clock | None = None,
) -> Exporter:
    """Serve this process's wattprint metrics on ``http://host:port/metrics``; returns the exporter.

    Device power is measured for the whole machine (``sensors=[]`` for none);
    the runs are those of every tracker this process starts from now on
    (live, through a tracker listener) and of any given to
    :meth:`Exporter.watch`, plus the ledger's when ``ledger`` is given; the
    grid intensity is that of ``zone`` (default: the zone a tracker here would
    use) from ``provider`` (default: the configured provider chain, offline
    the embedded figures; closed with the exporter). Call
    :meth:`Exporter.stop` (or use ``with``) to stop.

    Raises:
        ConfigError: ``host`` is not loopback without ``allow_remote``, or the port is taken.
        MissingExtraError: ``prometheus_client`` is not installed.
    """
    owned = None
    if provider is None:
        from wattprint.config import load_settings
        from wattprint.intensity.providers.chain import providers_from_settings

        provider = owned = providers_from_settings(load_settings())
    exporter = Exporter(host=host, port=port, allow_remote=allow_remote, sensors=sensors,
                        interval_s=interval_s, ledger=ledger, window=window, provider=provider,
                        zone=resolve_zone(zone), clock=clock, registry=registry, listen=True)
    if owned is not None:
        exporter.close_on_stop(owned)
    return exporter.start()
