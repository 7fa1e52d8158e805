"""``EmissionsTracker``, ``OfflineEmissionsTracker`` and ``track_emissions``.

Each CodeCarbon tracker wraps one :class:`wattprint.Tracker`: wattprint does
the measuring, accounting and ledger record (tagged ``compat:codecarbon``);
this module maps the arguments and writes CodeCarbon's ``emissions.csv``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import platform
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from wattprint.clock import Clock, SystemClock
from wattprint.compat.codecarbon._csv import write_row
from wattprint.compat.codecarbon._location import location_fields
from wattprint.compat.codecarbon._options import Options, parse_options
from wattprint.compat.codecarbon.emissions_data import (
    EmissionsData,
    HostInfo,
    RowContext,
    phase_row,
    run_row,
)
from wattprint.measure.tracker import Tracker
from wattprint.model import Run, RunStatus

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: The ledger tag of every run recorded through this module.
TAG = "compat:codecarbon"


def codecarbon_version() -> str:
    """The ``codecarbon_version`` column: ``"3.3.2+wattprint.<version>"``.

    A PEP 440 local version: parsers that compare versions see the CodeCarbon
    CSV format it matches (3.3.2); the local label names the real producer.
    """
    from wattprint import __version__

    return f"3.3.2+wattprint.{__version__}"


class EmissionsTracker:
    """CodeCarbon's ``EmissionsTracker``, measured and recorded by wattprint.

    Accepts CodeCarbon 3.x's keyword arguments; an unknown one raises
    ``TypeError`` naming it. Mapped: ``project_name``, ``experiment_name``,
    ``experiment_id``, ``measure_power_secs`` (sampling interval),
    ``tracking_mode`` (wattprint scope; when not given, wattprint's setting,
    default ``"process"``, applies and the CSV says which), ``gpu_ids``,
    ``pue``, ``wue``, ``output_dir``/``output_file``/``save_to_file``/
    ``output_methods`` (CSV only), ``on_csv_write``, ``log_level`` (level of
    the ``wattprint`` logger), and the location arguments ``country_iso_code``,
    ``region``, ``cloud_provider`` + ``cloud_region``. Without a location,
    wattprint's zone resolution applies and announces any assumption; nothing
    is looked up online. Others are accepted and named in a one-time warning.

    Beyond CodeCarbon's signature, ``_wattprint_tracker_kwargs`` passes extra
    keyword arguments to the underlying :class:`wattprint.Tracker` (``sensors``,
    ``clock``, ``ledger``, ``settings``; they win over mapped ones), which is
    how tests inject ``FakeSensor``/``FakeClock`` and an SQLite ledger.

    Example::

        from wattprint.compat.codecarbon import EmissionsTracker

        with EmissionsTracker(project_name="bert", country_iso_code="FRA") as tracker:
            train()
        print(tracker.final_emissions, "kg CO2e")
    """

    _offline = False

    def __init__(
        self,
        project_name: str | None = None,
        measure_power_secs: float | None = None,
        *,
        api_call_interval: int | None = None,
        api_endpoint: str | None = None,
        api_key: str | None = None,
        output_dir: str | None = None,
        output_file: str | None = None,
        output_methods: Sequence[Any] | str | None = None,
        save_to_file: bool | None = None,
        save_to_api: bool | None = None,
        save_to_logger: bool | None = None,
        logging_logger: Any = None,
        save_to_prometheus: bool | None = None,
        save_to_logfire: bool | None = None,
        prometheus_url: str | None = None,
        output_handlers: Sequence[Any] | None = None,
        gpu_ids: Sequence[int | str] | str | None = None,
        emissions_endpoint: str | None = None,
        experiment_id: str | None = None,
        experiment_name: str | None = None,
        electricitymaps_api_token: str | None = None,
        co2_signal_api_token: str | None = None,
        tracking_mode: str | None = None,
        log_level: int | str | None = None,
        on_csv_write: str | None = None,
        logger_preamble: str | None = None,
        force_cpu_power: float | None = None,
        force_ram_power: float | None = None,
        pue: float | None = None,
        wue: float | None = None,
        force_carbon_intensity_g_co2e_kwh: float | None = None,
        force_mode_cpu_load: bool | None = None,
        allow_multiple_runs: bool | None = None,
        rapl_include_dram: bool | None = None,
        rapl_prefer_psys: bool | None = None,
        metadata: Mapping[str, Any] | str | None = None,
        default_cpu_power: float | None = None,
        country_iso_code: str | None = None,
        region: str | None = None,
        cloud_provider: str | None = None,
        cloud_region: str | None = None,
        country_2letter_iso_code: str | None = None,
        _wattprint_tracker_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        from wattprint.intensity.zones import load_catalog

        raw = {k: v for k, v in locals().items() if k in _ARGUMENT_NAMES}
        self._options: Options = parse_options(raw, offline=self._offline, catalog=load_catalog())
        extra = dict(_wattprint_tracker_kwargs or {})
        self._clock: Clock = extra.get("clock") or SystemClock()
        self._tracker = Tracker(**_tracker_kwargs(self._options, extra, self._clock))
        self._ctx: RowContext | None = None
        self._tasks: dict[str, contextlib.ExitStack] = {}
        self._stopped = False
        #: The last row written by :meth:`stop` (CodeCarbon's attribute).
        self.final_emissions_data: EmissionsData | None = None
        #: Emissions of the run in kg CO2e, after :meth:`stop`.
        self.final_emissions: float | None = None

    # -- CodeCarbon's interface -------------------------------------------
    @property
    def run_id(self) -> str:
        """Id of the run, in the CSV and in the wattprint ledger."""
        return self._tracker.id

    @property
    def wattprint_tracker(self) -> Tracker:
        """The underlying :class:`wattprint.Tracker` (phases, live figures)."""
        return self._tracker

    @property
    def run(self) -> Run | None:
        """The finished wattprint ``Run`` after :meth:`stop`; ``None`` before."""
        return self._tracker.run

    def start(self) -> None:
        """Start measuring; a second call only logs a warning, as in CodeCarbon."""
        if self._ctx is not None:
            logger.warning("Already started tracking")
            return
        self._tracker.start()
        self._ctx = self._row_context()

    def start_task(self, task_name: str | None = None) -> None:
        """Open task ``task_name`` (a wattprint phase); starts the tracker if needed."""
        if self._ctx is None:
            self.start()
        name = task_name or str(uuid.uuid4())
        if name in self._tasks:
            logger.warning("task %r is already under measure", name)
            return
        stack = contextlib.ExitStack()
        stack.enter_context(self._tracker.phase(name))
        self._tasks[name] = stack

    def stop_task(self, task_name: str | None = None) -> EmissionsData | None:
        """Close a task (default: the latest opened) and return its own figures.

        The returned row covers the task only: ``duration`` (s),
        ``energy_consumed`` (kWh, with PUE) and ``emissions`` (kg CO2e).
        Returns ``None`` with a warning when no such task is open.
        """
        name = task_name if task_name is not None else next(reversed(self._tasks), None)
        if name is None or name not in self._tasks:
            logger.warning("stop_task: no active task %r to stop", task_name)
            return None
        self._tasks.pop(name).close()
        run = self._tracker.snapshot()
        phase = next(p for p in reversed(run.phases) if p.name == name)
        return phase_row(phase, run, self._context(), timestamp=self._timestamp())

    def flush(self) -> float | None:
        """Write a row for the run so far and return its emissions (kg CO2e)."""
        if self._ctx is None or self._stopped:
            logger.error("You first need to start the tracker.")
            return None
        # CodeCarbon's flush() measures before writing: snapshot() samples first.
        data = run_row(self._tracker.snapshot(), self._ctx, timestamp=self._timestamp())
        self._write(data)
        return data.emissions

    def stop(self) -> float | None:
        """Stop, record the run, write its row; returns emissions in kg CO2e.

        Returns ``None`` (with a warning) when the tracker was never started;
        a second call returns the first call's value.
        """
        return self._finish(RunStatus.FINISHED, "")

    def __enter__(self) -> EmissionsTracker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self._finish(RunStatus.FINISHED, "")
        elif isinstance(exc, KeyboardInterrupt):
            self._finish(RunStatus.INTERRUPTED, "KeyboardInterrupt")
        else:
            self._finish(RunStatus.FAILED, f"{type(exc).__name__}: {exc}")

    # -- internals --------------------------------------------------------
    def _finish(self, status: RunStatus, error: str) -> float | None:
        if self._stopped:
            return self.final_emissions
        if self._ctx is None:
            logger.warning("Tracker already stopped or never started.")
            return None
        for name in list(reversed(self._tasks)):
            self.stop_task(name)
        run = self._tracker.stop(status, error)
        self._stopped = True
        data = run_row(run, self._ctx, timestamp=self._timestamp())
        self.final_emissions_data = data
        self.final_emissions = data.emissions
        self._write(data)
        return data.emissions

    def _write(self, data: EmissionsData) -> None:
        if self._options.csv_path is not None:
            write_row(self._options.csv_path, data, on_csv_write=self._options.on_csv_write)

    def _context(self) -> RowContext:
        assert self._ctx is not None, "start() sets the row context"
        return self._ctx

    def _timestamp(self) -> str:
        # CodeCarbon writes naive local time to the second.
        return self._clock.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S")

    def _row_context(self) -> RowContext:
        from wattprint.intensity.zones import load_catalog

        zone = self._tracker.locate().zone
        return RowContext(
            experiment_id=self._options.experiment_id,
            tracking_mode=self._tracker.settings.scope,
            wue_l_per_kwh=self._options.wue_l_per_kwh,
            codecarbon_version=codecarbon_version(),
            host=_host_info(),
            location=location_fields(load_catalog(), zone, region_hint=self._options.region_hint),
        )


class OfflineEmissionsTracker(EmissionsTracker):
    """CodeCarbon's ``OfflineEmissionsTracker``: the location must be given.

    Same arguments as :class:`EmissionsTracker`; ``country_iso_code`` (ISO
    alpha-3, e.g. ``"FRA"``) or ``cloud_provider`` + ``cloud_region`` is
    required, else :class:`~wattprint.errors.ConfigError` is raised.

    Example::

        with OfflineEmissionsTracker(country_iso_code="FRA", region=None) as tracker:
            train()
    """

    _offline = True


_ARGUMENT_NAMES = frozenset(
    name for name in inspect.signature(EmissionsTracker.__init__).parameters if name != "self"
)


@overload
def track_emissions(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def track_emissions(
    fn: None = None, /, **kwargs: Any
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def track_emissions(
    fn: Callable[P, R] | None = None, /, **kwargs: Any
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator tracking each call of a function, bare or with tracker arguments.

    Takes :class:`EmissionsTracker`'s keyword arguments plus ``offline``
    (use :class:`OfflineEmissionsTracker`). Each call gets its own tracker; an
    exception from the function is recorded (run status ``failed``, CSV row
    written) and re-raised unchanged.

    Raises:
        TypeError: An unknown keyword argument (at decoration time).
        ConfigError: ``offline=True`` without a location (at decoration time).

    Example::

        @track_emissions(project_name="bert", offline=True, country_iso_code="DEU")
        def train(): ...
    """
    offline = bool(kwargs.pop("offline", False))
    for name in kwargs:
        if name not in _ARGUMENT_NAMES:
            raise TypeError(f"track_emissions() got an unexpected keyword argument {name!r}")
    if offline:
        from wattprint.intensity.zones import load_catalog

        parse_options(kwargs, offline=True, catalog=load_catalog())
    cls = OfflineEmissionsTracker if offline else EmissionsTracker

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapped(*args: P.args, **kw: P.kwargs) -> R:
            with cls(**kwargs):
                return func(*args, **kw)

        return wrapped

    if fn is None:
        return decorate
    if not callable(fn):
        raise TypeError(f"track_emissions() takes a function, got {type(fn).__name__}")
    return decorate(fn)


def _tracker_kwargs(options: Options, extra: Mapping[str, Any], clock: Clock) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "project": options.project,
        "experiment": options.experiment,
        "zone": options.zone,
        "pue": options.pue,
        "interval_s": options.interval_s,
        "scope": options.scope,
        "gpu_ids": options.gpu_ids,
        "clock": clock,
    }
    kwargs.update(extra)
    kwargs["tags"] = tuple(dict.fromkeys([TAG, *extra.get("tags", ())]))
    return kwargs


def _host_info() -> HostInfo:
    import psutil  # type: ignore[import-untyped, unused-ignore]

    return HostInfo(
        os=platform.platform(),
        python_version=platform.python_version(),
        cpu_count=psutil.cpu_count() or 0,
        ram_total_size_gib=psutil.virtual_memory().total / 1024.0**3,
    )
