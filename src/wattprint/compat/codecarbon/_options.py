"""Turn CodeCarbon's keyword arguments into validated wattprint options.

Arguments that change what wattprint measures or where it writes are mapped;
those wattprint cannot honour (the CodeCarbon API, Prometheus, forced power
figures, ...) are accepted and named once per process in a logged warning,
so a script keeps running but nobody is misled about what happened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattprint.compat.codecarbon._csv import ON_CSV_WRITE
from wattprint.compat.codecarbon._location import zone_from_codecarbon
from wattprint.errors import ConfigError
from wattprint.intensity.zones import ZoneCatalog

logger = logging.getLogger(__name__)

#: Accepted for compatibility but without effect; warned about when set.
IGNORED = (
    "api_call_interval", "api_endpoint", "api_key", "save_to_api", "save_to_logger",
    "logging_logger", "save_to_prometheus", "save_to_logfire", "prometheus_url",
    "output_handlers", "emissions_endpoint", "electricitymaps_api_token",
    "co2_signal_api_token", "logger_preamble", "force_cpu_power", "force_ram_power",
    "force_carbon_intensity_g_co2e_kwh", "force_mode_cpu_load", "rapl_include_dram",
    "rapl_prefer_psys", "metadata", "default_cpu_power", "country_2letter_iso_code",
)

# Names already warned about: the warning is once per process, like CodeCarbon's
# deprecation notices, so a decorated function called in a loop does not flood logs.
_warned: set[str] = set()
_warned_lock = threading.Lock()

_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class Options:
    """CodeCarbon arguments after validation and mapping to wattprint terms."""

    project: str | None
    experiment: str
    experiment_id: str
    interval_s: float | None
    scope: str | None
    gpu_ids: tuple[int, ...] | None
    pue: float | None
    wue_l_per_kwh: float
    zone: str | None
    region_hint: str | None
    csv_path: Path | None
    on_csv_write: str


def parse_options(raw: Mapping[str, Any], *, offline: bool, catalog: ZoneCatalog) -> Options:
    """Validate CodeCarbon keyword arguments (``None`` means not given).

    Raises:
        ConfigError: A value is invalid, or ``offline`` and no location is given.
    """
    if offline and not raw.get("country_iso_code") and not raw.get("cloud_provider"):
        raise ConfigError(
            "OfflineEmissionsTracker needs country_iso_code (ISO 3166 alpha-3, e.g. 'FRA') "
            "or cloud_provider and cloud_region (e.g. 'aws', 'us-east-1')"
        )
    warn_ignored(raw)
    _set_log_level(raw.get("log_level"))
    zone = zone_from_codecarbon(
        catalog,
        country_iso_code=raw.get("country_iso_code"),
        region=raw.get("region"),
        cloud_provider=raw.get("cloud_provider"),
        cloud_region=raw.get("cloud_region"),
    )
    return Options(
        project=raw.get("project_name"),
        experiment=str(raw.get("experiment_name") or ""),
        experiment_id=str(raw.get("experiment_id") or ""),
        interval_s=raw.get("measure_power_secs"),
        scope=_scope(raw.get("tracking_mode")),
        gpu_ids=_gpu_ids(raw.get("gpu_ids")),
        pue=raw.get("pue"),
        wue_l_per_kwh=_number("wue", raw.get("wue"), default=0.0),
        zone=zone,
        region_hint=raw.get("region"),
        csv_path=_csv_path(raw),
        on_csv_write=_on_csv_write(raw.get("on_csv_write")),
    )


def warn_ignored(raw: Mapping[str, Any]) -> None:
    """Log once per process each ignored argument given a value that asks for something."""
    given = [name for name in IGNORED if raw.get(name) not in (None, False)]
    for method in _output_methods(raw.get("output_methods")):
        if method != "csv":
            given.append(f"output_methods={method}")
    with _warned_lock:
        new = [name for name in given if name not in _warned]
        _warned.update(new)
    if new:
        logger.warning(
            "wattprint.compat.codecarbon ignores %s: wattprint has no equivalent; the run "
            "is written to emissions.csv and the wattprint ledger", ", ".join(new),
        )


def _output_methods(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    # CodeCarbon's OutputMethod is a str enum; its .value is "csv", "api", ...
    return [str(getattr(item, "value", item)).strip().lower() for item in items]


def _csv_path(raw: Mapping[str, Any]) -> Path | None:
    methods = raw.get("output_methods")
    if methods is not None:
        # As in CodeCarbon, output_methods replaces the save_to_* flags.
        save = "csv" in _output_methods(methods)
    else:
        save = raw.get("save_to_file") is not False
    if not save:
        return None
    folder = Path(raw.get("output_dir") or ".")
    if not folder.is_dir():
        raise ConfigError(f"output_dir {str(folder)!r} does not exist")
    return folder / str(raw.get("output_file") or "emissions.csv")


def _on_csv_write(value: Any) -> str:
    mode = "append" if value is None else str(value)
    if mode not in ON_CSV_WRITE:
        raise ConfigError(f"on_csv_write must be 'append' or 'update', got {value!r}")
    return mode


def _scope(value: Any) -> str | None:
    if value is None:
        return None
    mode = str(value).strip().lower()
    if mode not in ("machine", "process"):
        raise ConfigError(f"tracking_mode must be 'machine' or 'process', got {value!r}")
    return mode


def _gpu_ids(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        return tuple(int(str(item).strip()) for item in items if str(item).strip())
    except ValueError:
        raise ConfigError(
            f"gpu_ids must be GPU indices (a list or a comma-separated string), got {value!r}"
        ) from None


def _number(name: str, value: Any, *, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name} cannot be negative, got {value!r}")
    return number


def _set_log_level(value: Any) -> None:
    # A library may set its own logger's level; it never installs handlers.
    if value is None:
        return
    if isinstance(value, int):
        level = value
    elif str(value).strip().lower() in _LOG_LEVELS:
        level = logging.getLevelName(str(value).strip().upper())
    else:
        raise ConfigError(f"log_level must be one of {', '.join(_LOG_LEVELS)}, got {value!r}")
    logging.getLogger("wattprint").setLevel(level)
