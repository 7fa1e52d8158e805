"""The plan file of a carbon impact assessment: what a planned training is.

A plan file (YAML, or TOML/JSON with the same keys) describes a training
before it runs::

    name: llm-7b-pretrain
    project: nlp
    workload:                 # any input of ``wattprint estimate``
      instance: p4d.24xlarge
      count: 4
      hours: 96               # or "4d"; or device_hours
      zone: aws:us-east-1     # the home zone: where it would run by default
    schedule:                 # optional: where and when it may run instead
      zones: [aws:us-east-1, aws:eu-north-1]
      earliest: 2026-12-05T00:00Z
      deadline: 7d            # after the earliest start, or an ISO instant
    model:                    # optional: feeds the default alternatives
      parameters: 7e9
      tokens: 1.4e11
      precision: fp32
    alternatives:             # optional: your own variants
      - name: distil to 3B
        energy_factor: 0.43
    justification: Why this run is needed, and why at this size.

:func:`parse_spec` validates a mapping (every bad key or value is a
:class:`~wattprint.errors.ConfigError` naming the key and the file);
:func:`load_spec` reads a file. :func:`fingerprint` is the digest an
assessment document carries, so a policy check can tell a stale document.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from wattprint import units
from wattprint.errors import ConfigError
from wattprint.estimate.result import EstimateInput
from wattprint.schedule.job import Tier

#: Workload keys, as in :class:`~wattprint.estimate.result.EstimateInput`.
WORKLOAD_KEYS = tuple(EstimateInput.__dataclass_fields__)
_TOP_KEYS = ("name", "project", "description", "owner", "workload", "schedule", "model",
             "alternatives", "justification")
_SCHEDULE_KEYS = ("zones", "earliest", "deadline", "interruptible", "min_chunk", "tier")
_MODEL_KEYS = ("parameters", "tokens", "precision", "from_scratch", "fine_tune_tokens",
               "smaller_parameters")
_ALTERNATIVE_KEYS = ("name", "energy_factor", "note", *WORKLOAD_KEYS)
PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "mixed", "fp8", "int8")
_TIERS = tuple(t.value for t in Tier)


@dataclass(frozen=True)
class ScheduleSpec:
    """Where and when the training may run.

    Attributes:
        zones: Allowed zones, the home zone first.
        earliest_utc: Not before (``None``: the assessment's "now").
        deadline: A duration after the earliest start (s), or ``None``.
        deadline_utc: An absolute deadline, or ``None``.
        interruptible: May pause between cleaner slots.
        min_chunk_s: Shortest uninterrupted piece when interruptible.
        tier: ``critical``, ``standard`` or ``flexible``.
    """

    zones: tuple[str, ...]
    earliest_utc: datetime | None = None
    deadline_s: float | None = None
    deadline_utc: datetime | None = None
    interruptible: bool = False
    min_chunk_s: float = 0.0
    tier: str = "flexible"


@dataclass(frozen=True)
class ModelSpec:
    """What is trained, for the default alternatives (all optional)."""

    parameters: float | None = None
    tokens: float | None = None
    precision: str | None = None
    from_scratch: bool | None = None
    fine_tune_tokens: float | None = None
    smaller_parameters: float | None = None


@dataclass(frozen=True)
class AlternativeSpec:
    """A user-defined variant: a factor on the energy, or changed workload inputs."""

    name: str
    energy_factor: float | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class AssessSpec:
    """A planned training, as read from its plan file.

    Attributes:
        name: What the training is called.
        workload: Inputs of the estimator (the home zone is ``workload.zone``).
        schedule: Where/when it may run instead (``None``: only the home zone, now).
        source: The file it came from (for messages and documents).
        fingerprint: Digest of the file's content (see :func:`fingerprint`).
    """

    name: str
    workload: EstimateInput
    project: str = "default"
    description: str = ""
    owner: str = ""
    schedule: ScheduleSpec | None = None
    model: ModelSpec = field(default_factory=ModelSpec)
    alternatives: tuple[AlternativeSpec, ...] = ()
    justification: str = ""
    source: str = "<plan>"
    fingerprint: str = ""

    @property
    def home_zone(self) -> str:
        """The zone it runs in by default (``""`` when an intensity is given instead)."""
        return self.workload.zone or ""


def fingerprint(data: Mapping[str, Any]) -> str:
    """SHA-256 of the plan's content in canonical JSON (key order and layout do not count)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_spec(path: Path) -> AssessSpec:
    """Read and validate a plan file (``.yaml``/``.yml``, ``.toml`` or ``.json``).

    Raises:
        ConfigError: The file cannot be read or parsed, or a key or value is bad.
    """
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read plan file {path}: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # pragma: no cover - exercised on 3.10 only
                import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

            data: Any = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 — each parser has its own error types
        raise ConfigError(f"cannot parse plan file {path}: {_first_line(exc)}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"plan file {path}: expected a mapping of keys (name, workload, ...)")
    return parse_spec(data, source=str(path))


def parse_spec(data: Mapping[str, Any], *, source: str = "<plan>") -> AssessSpec:
    """Validate a plan mapping into an :class:`AssessSpec`.

    Raises:
        ConfigError: Unknown key, missing ``name``/``workload``, or a bad value;
            the message names the key and ``source``.
    """
    where = _Where(source)
    where.known(data, _TOP_KEYS, "")
    name = where.text(data.get("name"), "name", required=True)
    workload_raw = data.get("workload")
    if not isinstance(workload_raw, Mapping):
        raise ConfigError(f"{source}: 'workload' is required: the estimator's inputs "
                          "(device or instance, count, hours, zone, ...)")
    workload = _workload(workload_raw, where, "workload")
    if workload.zone is None and workload.intensity_g_per_kwh is None:
        raise ConfigError(f"{source}: workload.zone is required (the home zone), "
                          "or workload.intensity_g_per_kwh")
    schedule = _schedule(data.get("schedule"), where, workload.zone)
    return AssessSpec(
        name=name, workload=workload,
        project=where.text(data.get("project"), "project") or "default",
        description=where.text(data.get("description"), "description"),
        owner=where.text(data.get("owner"), "owner"),
        schedule=schedule, model=_model(data.get("model"), where),
        alternatives=_alternatives(data.get("alternatives"), where),
        justification=where.text(data.get("justification"), "justification").strip(),
        source=source, fingerprint=fingerprint(data),
    )


class _Where:
    """Value checks whose messages name the key and the file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {message}")

    def known(self, data: Mapping[str, Any], keys: tuple[str, ...], prefix: str) -> None:
        for key in data:
            if key not in keys:
                raise ConfigError(f"{self.source}: unknown key '{prefix}{key}'; "
                                  f"known: {', '.join(keys)}")

    def text(self, value: Any, key: str, *, required: bool = False) -> str:
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise self.fail(key, f"expected text, got {value!r}")
        return str(value)

    def number(self, value: Any, key: str, *, positive: bool = True) -> float:
        if isinstance(value, bool):
            raise self.fail(key, f"expected a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.fail(key, f"expected a number, got {value!r}") from None
        if positive and not number > 0:
            raise self.fail(key, f"must be > 0, got {value!r}")
        return number

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def duration_s(self, value: Any, key: str) -> float:
        """Plain numbers are hours; ``4d``, ``90m``, ``1h30m`` are durations."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.number(value, key) * 3600.0
        try:
            seconds = units.duration_s(str(value))
        except ValueError:
            raise self.fail(key, f"expected hours (96) or a duration (4d, 90m, 1h30m), "
                                 f"got {value!r}") from None
        if not seconds > 0:
            raise self.fail(key, f"must be > 0, got {value!r}")
        return seconds

    def instant(self, value: Any, key: str) -> datetime:
        if isinstance(value, datetime):
            when = value
        elif isinstance(value, date):
            when = datetime.combine(value, datetime.min.time())
        else:
            try:
                when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                raise self.fail(key, f"expected an ISO date or time like "
                                     f"2026-12-05T00:00Z, got {value!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.astimezone(timezone.utc)


def _workload(raw: Mapping[str, Any], where: _Where, prefix: str) -> EstimateInput:
    where.known(raw, WORKLOAD_KEYS, f"{prefix}.")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        name = f"{prefix}.{key}"
        if key in ("device", "instance", "zone"):
            values[key] = where.text(value, name)
        elif key == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise where.fail(name, f"must be a whole number > 0, got {value!r}")
            values[key] = value
        elif key == "hours":
            values[key] = where.duration_s(value, name) / 3600.0
        else:
            # cpu_share may be 0 (GPU-only accounting); every other number is > 0.
            values[key] = where.number(value, name, positive=key != "cpu_share")
    return EstimateInput(**values)


def _schedule(raw: Any, where: _Where, home: str | None) -> ScheduleSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise where.fail("schedule", "expected a mapping (zones, earliest, deadline, ...)")
    where.known(raw, _SCHEDULE_KEYS, "schedule.")
    zones_raw = raw.get("zones") or ([home] if home else [])
    if isinstance(zones_raw, str):
        zones_raw = [z for z in zones_raw.split(",")]
    if not isinstance(zones_raw, list) or not all(isinstance(z, str) and z.strip()
                                                  for z in zones_raw):
        raise where.fail("schedule.zones", f"expected a list of zone ids, got {zones_raw!r}")
    zones = [z.strip() for z in zones_raw]
    if home and home not in zones:
        zones.insert(0, home)
    if not home:
        raise where.fail("schedule", "needs workload.zone (the home zone) to compare against")
    deadline = raw.get("deadline")
    deadline_s = deadline_utc = None
    if deadline is not None:
        try:
            deadline_s = where.duration_s(deadline, "schedule.deadline")
        except ConfigError:
            try:
                deadline_utc = where.instant(deadline, "schedule.deadline")
            except ConfigError:
                raise where.fail("schedule.deadline", f"expected a duration after the earliest "
                                 f"start (7d, 36h) or an ISO time, got {deadline!r}") from None
    tier = str(raw.get("tier", "flexible")).strip().lower()
    if tier not in _TIERS:
        raise where.fail("schedule.tier", f"expected one of {', '.join(_TIERS)}, got {tier!r}")
    return ScheduleSpec(
        zones=tuple(dict.fromkeys(zones)),
        earliest_utc=None if raw.get("earliest") is None else where.instant(
            raw["earliest"], "schedule.earliest"),
        deadline_s=deadline_s, deadline_utc=deadline_utc,
        interruptible=where.flag(raw.get("interruptible", False), "schedule.interruptible"),
        min_chunk_s=0.0 if raw.get("min_chunk") is None else where.duration_s(
            raw["min_chunk"], "schedule.min_chunk"),
        tier=tier,
    )


def _model(raw: Any, where: _Where) -> ModelSpec:
    if raw is None:
        return ModelSpec()
    if not isinstance(raw, Mapping):
        raise where.fail("model", "expected a mapping (parameters, tokens, precision, ...)")
    where.known(raw, _MODEL_KEYS, "model.")
    values: dict[str, Any] = {}
    for key in ("parameters", "tokens", "fine_tune_tokens", "smaller_parameters"):
        if raw.get(key) is not None:
            values[key] = where.number(raw[key], f"model.{key}")
    if raw.get("precision") is not None:
        precision = str(raw["precision"]).strip().lower()
        if precision not in PRECISIONS:
            raise where.fail("model.precision",
                             f"expected one of {', '.join(PRECISIONS)}, got {raw['precision']!r}")
        values["precision"] = precision
    if raw.get("from_scratch") is not None:
        values["from_scratch"] = where.flag(raw["from_scratch"], "model.from_scratch")
    spec = ModelSpec(**values)
    if spec.smaller_parameters and spec.parameters and spec.smaller_parameters >= spec.parameters:
        raise where.fail("model.smaller_parameters", "must be below model.parameters")
    if spec.fine_tune_tokens and spec.tokens and spec.fine_tune_tokens >= spec.tokens:
        raise where.fail("model.fine_tune_tokens", "must be below model.tokens")
    return spec


def _alternatives(raw: Any, where: _Where) -> tuple[AlternativeSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise where.fail("alternatives", "expected a list of variants")
    found = []
    for index, item in enumerate(raw):
        key = f"alternatives[{index}]"
        if not isinstance(item, Mapping):
            raise where.fail(key, "expected a mapping with a name")
        where.known(item, _ALTERNATIVE_KEYS, f"{key}.")
        name = where.text(item.get("name"), f"{key}.name", required=True)
        factor = item.get("energy_factor")
        overrides = {k: v for k, v in item.items() if k in WORKLOAD_KEYS}
        if (factor is None) == (not overrides):
            raise where.fail(key, "give either energy_factor or changed workload inputs "
                                  "(device, count, hours, ...), not both or neither")
        if factor is not None:
            factor = where.number(factor, f"{key}.energy_factor")
        found.append(AlternativeSpec(
            name=name, energy_factor=factor,
            overrides=_override_values(overrides, where, key),
            note=where.text(item.get("note"), f"{key}.note")))
    return tuple(found)


def _override_values(raw: Mapping[str, Any], where: _Where, key: str) -> dict[str, Any]:
    if not raw:
        return {}
    checked = _workload(raw, where, key)
    return {k: getattr(checked, k) for k in raw}


def deadline_for(schedule: ScheduleSpec, earliest_utc: datetime) -> datetime | None:
    """The absolute deadline of ``schedule`` when the earliest start is ``earliest_utc``."""
    if schedule.deadline_utc is not None:
        return schedule.deadline_utc
    if schedule.deadline_s is not None:
        return earliest_utc + timedelta(seconds=schedule.deadline_s)
    return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
