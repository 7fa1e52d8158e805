"""Typed settings with one precedence, recording where each value came from.

Precedence: argument > ``WATTPRINT_*`` environment variable > project file
(``wattprint.toml``, or ``[tool.wattprint]`` in ``pyproject.toml``, found in
the working directory or a parent) > user file
(``<user config dir>/wattprint/config.toml``, or ``WATTPRINT_CONFIG``) >
default. A bad value fails loudly with :class:`~wattprint.errors.ConfigError`
naming the key and its source.

Example::

    settings = load_settings({"zone": "DE"})
    settings.zone, settings.source_of("zone")   # ("DE", "argument")
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


def _positive_float(minimum: float | None = None) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
        if not number > 0:
            raise ValueError(f"must be > 0, got {value!r}")
        if minimum is not None and number < minimum:
            raise ValueError(f"must be >= {minimum}, got {value!r}")
        return number

    return parse


def _pue(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if number < 1.0:
        raise ValueError(
            f"PUE is facility energy / IT energy and cannot be below 1.0, got {value!r}"
        )
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _scope(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in {"process", "machine"}:
        raise ValueError(f"expected 'process' or 'machine', got {value!r}")
    return text


def _gpu_ids(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    try:
        return tuple(int(str(x).strip()) for x in items if str(x).strip())
    except ValueError:
        raise ValueError(f"expected comma-separated GPU indices, got {value!r}") from None


def _text(value: Any) -> str:
    return str(value)


#: Live intensity providers the ``provider`` setting may name; ``none`` = embedded data only.
PROVIDERS = ("electricitymaps", "watttime", "ukgrid", "static", "none")


def _provider(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in PROVIDERS:
        raise ValueError(f"expected one of {', '.join(PROVIDERS)}, got {value!r}")
    return text


def _url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return text


def _non_negative_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if not number >= 0:
        raise ValueError(f"must be >= 0, got {value!r}")
    return number


def _mapping(value: Any) -> dict[str, str]:
    """``{"US-CAL-CISO": "CAISO_NORTH"}`` from a TOML table or ``"ZONE=REGION,..."``."""
    if isinstance(value, Mapping):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    pairs = [item.strip() for item in str(value).split(",") if item.strip()]
    out = {}
    for pair in pairs:
        zone, sep, region = pair.partition("=")
        if not sep or not zone.strip() or not region.strip():
            raise ValueError(f"expected ZONE=REGION pairs separated by commas, got {pair!r}")
        out[zone.strip()] = region.strip()
    return out


#: Keys whose values are credentials: never echoed in messages or reprs.
SECRET_KEYS = frozenset({"electricitymaps_token", "watttime_password", "collector_token"})


#: key -> (parser, default)
_KEYS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "project": (_text, "default"),
    "zone": (_text, None),
    "pue": (_pue, None),
    "interval_s": (_positive_float(0.01), 1.0),
    "flush_interval_s": (_positive_float(1.0), 30.0),
    "db": (_text, None),
    "scope": (_scope, "process"),
    "cloud_metadata": (_bool, False),
    "gpu_ids": (_gpu_ids, None),
    "provider": (_provider, None),
    "electricitymaps_token": (_text, None),
    "electricitymaps_url": (_url, "https://api.electricitymap.org"),
    "watttime_username": (_text, None),
    "watttime_password": (_text, None),
    "watttime_url": (_url, "https://api.watttime.org"),
    "watttime_regions": (_mapping, None),
    "ukgrid_url": (_url, "https://api.carbonintensity.org.uk"),
    "provider_cache_ttl_s": (_non_negative_float, 600.0),
    "provider_timeout_s": (_positive_float(), 10.0),
    "collector_url": (_url, None),
    "collector_token": (_text, None),
    "collector_spool": (_text, None),
    "host": (_text, None),
}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; ``sources`` maps each key to where its value came from."""

    project: str = "default"
    zone: str | None = None
    pue: float | None = None
    interval_s: float = 1.0
    flush_interval_s: float = 30.0
    db: str | None = None
    scope: str = "process"
    cloud_metadata: bool = False
    gpu_ids: tuple[int, ...] | None = None
    #: Live intensity provider asked before the embedded data (``None``/``"none"``: no live one).
    provider: str | None = None
    electricitymaps_token: str | None = field(default=None, repr=False)
    electricitymaps_url: str = "https://api.electricitymap.org"
    watttime_username: str | None = None
    watttime_password: str | None = field(default=None, repr=False)
    watttime_url: str = "https://api.watttime.org"
    #: Grid zone -> WattTime region (``{"US-CAL-CISO": "CAISO_NORTH"}``).
    watttime_regions: Mapping[str, str] | None = None
    ukgrid_url: str = "https://api.carbonintensity.org.uk"
    #: How long live provider answers are reused from the on-disk cache (0 = never).
    provider_cache_ttl_s: float = 600.0
    provider_timeout_s: float = 10.0
    #: Remote collector (``wattprint.collector``): runs go there instead of the ledger.
    collector_url: str | None = None
    collector_token: str | None = field(default=None, repr=False)
    #: Folder of runs not yet delivered (default ``<user data dir>/spool``).
    collector_spool: str | None = None
    #: This host's name in runs (default: the system host name); names its part of a shared run.
    host: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def source_of(self, key: str) -> str:
        """Where ``key`` came from: argument, env, a file path, or default."""
        return self.sources.get(key, "default")


def find_project_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``wattprint.toml`` or ``pyproject.toml`` with ``[tool.wattprint]``."""
    for folder in (start, *start.parents):
        candidate = folder / "wattprint.toml"
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("wattprint")
            if isinstance(table, dict):
                return pyproject, table
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc


def user_config_path(env: Mapping[str, str]) -> Path:
    """The user config file (``WATTPRINT_CONFIG`` overrides the platform path)."""
    if env.get("WATTPRINT_CONFIG"):
        return Path(env["WATTPRINT_CONFIG"])
    import platformdirs

    return Path(platformdirs.user_config_dir("wattprint")) / "config.toml"


def load_settings(
    arguments: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user_file: Path | None = None,
) -> Settings:
    """Resolve every setting through the precedence chain.

    Args:
        arguments: Explicit values (``None`` values are ignored).
        env: Environment (default ``os.environ``).
        cwd: Where to start looking for a project file (default: working dir).
        user_file: User config file (default: :func:`user_config_path`).
    """
    env = os.environ if env is None else env
    layers: list[tuple[str, Mapping[str, Any]]] = []
    layers.append(("argument", {k: v for k, v in (arguments or {}).items() if v is not None}))
    layers.append(("env", _env_layer(env)))
    project = find_project_file(cwd or Path.cwd())
    if project is not None:
        layers.append((str(project[0]), project[1]))
    ufile = user_file or user_config_path(env)
    if ufile.is_file():
        layers.append((str(ufile), _read_toml(ufile)))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, (parse, default) in _KEYS.items():
        values[key], sources[key] = default, "default"
        for source, layer in layers:
            if key in layer and layer[key] is not None:
                values[key], sources[key] = _parse(key, layer[key], parse, source), source
                break
    _reject_unknown(layers)
    return Settings(**values, sources=sources)


def _env_layer(env: Mapping[str, str]) -> dict[str, str]:
    layer = {}
    for key in _KEYS:
        name = "WATTPRINT_DB" if key == "db" else f"WATTPRINT_{key.upper()}"
        if env.get(name):
            layer[key] = env[name]
    return layer


def _parse(key: str, raw: Any, parse: Callable[[Any], Any], source: str) -> Any:
    try:
        return parse(raw)
    except ValueError as exc:
        where = f"WATTPRINT_{key.upper()}" if source == "env" else source
        # A credential's value must not reach a message (it may end up in a CI log).
        reason = "value not accepted" if key in SECRET_KEYS else str(exc)
        raise ConfigError(f"invalid {key} from {where}: {reason}") from None


#: Tables of a config file read by their own modules (``policy``: wattprint.assess.policy).
SECTIONS = frozenset({"policy"})


def _reject_unknown(layers: list[tuple[str, Mapping[str, Any]]]) -> None:
    for source, layer in layers:
        if source in {"argument", "env"}:
            continue
        unknown = sorted(set(layer) - set(_KEYS) - SECTIONS)
        if unknown:
            raise ConfigError(
                f"unknown setting {unknown[0]!r} in {source}; known: {', '.join(_KEYS)}"
            )
