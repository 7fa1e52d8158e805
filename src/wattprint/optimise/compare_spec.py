"""What ``wattprint compare`` compares: variants, their quality metric, the variants file.

A variants file (YAML, or JSON with the same keys)::

    name: quantize              # runs are tagged compare:<name> (default: the file's stem)
    description: float32 vs int8 inference of a digits MLP
    project: compare-demo       # ledger project (default: settings)
    repeat: 3                   # repetitions per variant (--repeat overrides)
    baseline: fp32              # or `baseline: true` on one variant (default: the first)
    zone: DE                    # grid zone of every run (default: settings)
    pue: 1.2                    # default: settings / the zone's provider
    interval_s: 0.5             # sampling interval (default: settings)
    timeout_s: 600              # optional: a repetition running longer is killed (--timeout-s)
    setup: python infer.py --prepare   # optional: run once first (here), not measured
    quality:                    # optional: the quality metric every variant reports
      metric: accuracy          # its name, stored with each run
      higher_is_better: true    # default true (false for a loss, a latency)
      regex: 'accuracy=([0-9.]+)'   # optional: group 1 of the first match on stdout
    variants:
      - name: fp32
        command: python infer.py --precision fp32    # or a list of arguments
        model: mlp-fp32         # default: the variant's name
        cwd: .                  # relative to this file (default: its folder)
        env: {OMP_NUM_THREADS: "1"}
        quality: {regex: 'acc ([0-9.]+)'}            # overrides keys of the top-level quality
        timeout_s: 900          # overrides the top-level timeout_s (null: none)
      - name: int8
        command: [python, infer.py, --precision, int8]

Without ``regex`` a command's quality is the metric it logs with
``wattprint.log_metric(metric, value)``; a Python callable's is its return
value (a number), else what it logged. :class:`Quality`, :class:`Variant`
and :class:`CompareSpec` validate on construction; :func:`parse_spec` and
:func:`load_spec` read a file, every bad key or value a
:class:`~wattprint.errors.ConfigError` naming the key and the file.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError
from wattprint.optimise import compare_values as cv

_TOP_KEYS = ("name", "description", "project", "repeat", "baseline", "zone", "pue",
             "interval_s", "timeout_s", "setup", "quality", "variants")
_VARIANT_KEYS = ("name", "description", "command", "model", "baseline", "cwd", "env", "quality",
                 "timeout_s")
_QUALITY_KEYS = ("metric", "higher_is_better", "regex")


@dataclass(frozen=True)
class Quality:
    """A variant's quality metric: its name, its direction and where it is read.

    Attributes:
        metric: Name stored with the run (``accuracy``).
        higher_is_better: False for a loss or an error rate.
        regex: For commands: read group 1 of the first match on standard
            output. None: the metric logged with ``wattprint.log_metric``
            (or a callable's return value).
    """

    metric: str = "quality"
    higher_is_better: bool = True
    regex: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric.strip():
            raise ConfigError(f"quality.metric must be a non-empty name, got {self.metric!r}")
        if not isinstance(self.higher_is_better, bool):
            raise ConfigError("quality.higher_is_better must be true or false, "
                              f"got {self.higher_is_better!r}")
        if self.regex is not None:
            self.pattern()

    def pattern(self) -> re.Pattern[str]:
        """The compiled ``regex``.

        Raises:
            ConfigError: No regex, it does not compile, or it has no group.
        """
        if self.regex is None:
            raise ConfigError(f"quality {self.metric!r} has no regex")
        try:
            pattern = re.compile(self.regex)
        except re.error as e:
            raise ConfigError(f"quality.regex {self.regex!r} is not a valid regular "
                              f"expression: {e}") from None
        if pattern.groups < 1:
            raise ConfigError(f"quality.regex {self.regex!r} needs a group around the number, "
                              "e.g. 'accuracy=([0-9.]+)'")
        return pattern


@dataclass(frozen=True)
class Variant:
    """One way of doing the work: a command or a Python callable.

    Example::

        Variant("fp32", command=["python", "infer.py", "--fp32"],
                quality=Quality("accuracy", regex=r"accuracy=([0-9.]+)"))
        Variant("int8", callable=lambda: evaluate(quantised))   # returns the accuracy

    Attributes:
        name: Unique within a comparison; runs are tagged ``variant:<name>``.
        command: Arguments of the command (a string is split like a shell).
        callable: Called with no arguments in this process; its return value
            (a number) is the quality, or None to use the metric it logged.
        quality: The metric and where it is read (default: the comparison's).
        model: Model name of the runs (default: ``name``).
        baseline: This is the variant the others are measured against.
        cwd: Working directory of the command (default: the current one).
        env: Variables added to the command's environment.
        timeout_s: A repetition still running after this many seconds is
            stopped and recorded as timed out (None: no limit; see
            :mod:`wattprint.optimise.compare_timeout`).
    """

    name: str
    command: Sequence[str] | None = None
    callable: Callable[[], object] | None = None
    quality: Quality | None = None
    model: str = ""
    baseline: bool = False
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"a variant needs a non-empty name, got {self.name!r}")
        object.__setattr__(self, "timeout_s",
                           cv.seconds(self.timeout_s, f"variant {self.name!r}: timeout_s"))
        if (self.command is None) == (self.callable is None):
            raise ConfigError(f"variant {self.name!r}: give either a command or a callable")
        if isinstance(self.command, str):
            object.__setattr__(self, "command", tuple(shlex.split(self.command)))
        elif self.command is not None:
            object.__setattr__(self, "command", tuple(self.command))
            if not all(isinstance(a, str) for a in self.command):
                raise ConfigError(f"variant {self.name!r}: command arguments must be text, "
                                  f"got {list(self.command)!r}")
        if self.command is not None and not self.command:
            raise ConfigError(f"variant {self.name!r}: the command is empty")
        if self.callable is not None and self.quality is not None and self.quality.regex:
            raise ConfigError(f"variant {self.name!r}: quality.regex reads a command's output; "
                              "a callable returns its quality (or logs it)")

    @property
    def model_name(self) -> str:
        """The model name its runs carry: ``model``, else ``name``."""
        return self.model or self.name


@dataclass(frozen=True)
class CompareSpec:
    """A comparison as read from a variants file (see the module docstring)."""

    name: str
    variants: tuple[Variant, ...]
    repeat: int = 3
    baseline: str | None = None
    description: str = ""
    project: str | None = None
    zone: str | None = None
    pue: float | None = None
    interval_s: float | None = None
    timeout_s: float | None = None
    setup: tuple[str, ...] = ()
    base_dir: Path | None = None
    source: str = "<variants>"


def check_variants(variants: Sequence[Variant], baseline: str | None = None) -> str:
    """Check a set of variants; returns the baseline's name.

    The baseline is ``baseline`` if given, else the variant marked
    ``baseline=True``, else the first.

    Raises:
        ConfigError: Fewer than two variants, a name used twice, two baselines,
            an unknown baseline, or variants that do not share one quality metric.
    """
    if not variants:
        raise ConfigError("no variants to compare: give at least two")
    if len(variants) < 2:
        raise ConfigError(f"only one variant ({variants[0].name!r}): a comparison needs "
                          "at least two")
    names = [v.name for v in variants]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"variant names must be unique: {', '.join(twice)} used twice")
    shared_quality(variants)
    marked = [v.name for v in variants if v.baseline]
    if len(marked) > 1:
        raise ConfigError(f"two baselines: {' and '.join(marked)} are both marked baseline; "
                          "mark one")
    if baseline is None:
        return marked[0] if marked else names[0]
    if baseline not in names:
        raise ConfigError(f"baseline {baseline!r} is not a variant; variants: {', '.join(names)}")
    if marked and marked[0] != baseline:
        raise ConfigError(f"two baselines: {baseline!r} is named as baseline but "
                          f"{marked[0]!r} is marked baseline; keep one")
    return baseline


def shared_quality(variants: Sequence[Variant]) -> tuple[str, bool] | None:
    """The ``(metric, higher_is_better)`` every variant reports, or None (energy only).

    Raises:
        ConfigError: Some variants have a quality and others not, or they differ.
    """
    with_q = [v for v in variants if v.quality is not None]
    if not with_q:
        return None
    first = with_q[0].quality
    assert first is not None
    missing = [v.name for v in variants if v.quality is None]
    if missing:
        raise ConfigError(f"variant {missing[0]!r} has no quality while {with_q[0].name!r} "
                          f"measures {first.metric!r}; give every variant one "
                          "(or a top-level quality)")
    for v in with_q[1:]:
        q = v.quality
        assert q is not None
        if (q.metric, q.higher_is_better) != (first.metric, first.higher_is_better):
            raise ConfigError(
                f"variants must compare one quality metric: {with_q[0].name!r} has "
                f"{first.metric!r} (higher_is_better={first.higher_is_better}), {v.name!r} "
                f"has {q.metric!r} (higher_is_better={q.higher_is_better})")
    return first.metric, first.higher_is_better


def load_spec(path: Path) -> CompareSpec:
    """Read and validate a variants file (``.yaml``/``.yml`` or ``.json``).

    Raises:
        ConfigError: The file cannot be read or parsed, or a key or value is bad.
    """
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read variants file {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".json":
            data: Any = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 — each parser has its own error types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot parse variants file {path}: {first}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys (name, quality, variants, ...)")
    return parse_spec(data, source=str(path), base_dir=path.parent.resolve(),
                      default_name=path.stem)


def parse_spec(
    data: Mapping[str, Any], *, source: str = "<variants>", base_dir: Path | None = None,
    default_name: str = "compare",
) -> CompareSpec:
    """Validate a variants mapping into a :class:`CompareSpec`.

    Args:
        data: The file's content.
        source: Where it came from, for messages.
        base_dir: What relative ``cwd`` values are relative to (and the default ``cwd``).
        default_name: The comparison's name when ``name`` is not given.

    Raises:
        ConfigError: Unknown key, no variants, two baselines, a bad value; the
            message names the key and ``source``.
    """
    cv.known(data, _TOP_KEYS, "", source)
    top_quality = data.get("quality")
    if top_quality is not None:
        cv.mapping(top_quality, "quality", source)
        cv.known(top_quality, _QUALITY_KEYS, "quality.", source)
    raw = data.get("variants")
    if raw is None or raw == []:
        raise ConfigError(f"{source}: no variants: give a list under 'variants' "
                          "(each with a name and a command)")
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: variants: expected a list of variants")
    timeout_s = cv.seconds(data.get("timeout_s"), "timeout_s", source)
    variants = tuple(_variant(item, i, top_quality, timeout_s, source, base_dir)
                     for i, item in enumerate(raw))
    baseline = data.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"{source}: baseline: expected a variant's name, got {baseline!r}")
    try:
        check_variants(variants, baseline)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    return CompareSpec(
        name=cv.text(data.get("name"), "name", source) or default_name, variants=variants,
        repeat=cv.repeat(data.get("repeat", 3), "repeat", source), baseline=baseline,
        description=cv.text(data.get("description"), "description", source),
        project=cv.text(data.get("project"), "project", source) or None,
        zone=cv.text(data.get("zone"), "zone", source) or None,
        pue=cv.number(data.get("pue"), "pue", source, minimum=1.0),
        interval_s=cv.number(data.get("interval_s"), "interval_s", source, minimum=0.01),
        timeout_s=timeout_s, setup=cv.setup(data.get("setup"), source), base_dir=base_dir,
        source=source,
    )


def _variant(item: Any, index: int, top_quality: Mapping[str, Any] | None,
             timeout_s: float | None, source: str, base_dir: Path | None) -> Variant:
    key = f"variants[{index}]"
    cv.mapping(item, key, source)
    cv.known(item, _VARIANT_KEYS, f"{key}.", source)
    name = cv.text(item.get("name"), f"{key}.name", source)
    if not name:
        raise ConfigError(f"{source}: {key}.name is required")
    where = f"{source}: variant {name!r}"
    command = item.get("command")
    if command is None:
        raise ConfigError(f"{where}: command is required (a string or a list of arguments)")
    if not isinstance(command, (str, list)):
        raise ConfigError(f"{where}: command: expected a string or a list, got {command!r}")
    quality = _quality(top_quality, item.get("quality"), where)
    cwd = cv.text(item.get("cwd"), f"{key}.cwd", source)
    folder = base_dir
    if cwd:
        folder = (base_dir or Path.cwd()) / cwd
    baseline = item.get("baseline", False)
    if not isinstance(baseline, bool):
        raise ConfigError(f"{where}: baseline: expected true or false, got {baseline!r}")
    try:
        return Variant(name=name, command=command, quality=quality,
                       model=cv.text(item.get("model"), f"{key}.model", source),
                       baseline=baseline, cwd=folder, env=cv.env(item.get("env"), where),
                       timeout_s=item.get("timeout_s", timeout_s))
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def _quality(top: Mapping[str, Any] | None, own: Any, where: str) -> Quality | None:
    if own is not None:
        cv.mapping(own, "quality", where)
        cv.known(own, _QUALITY_KEYS, "quality.", where)
    merged = {**(top or {}), **(own or {})}
    if not merged:
        return None
    if "metric" not in merged:
        raise ConfigError(f"{where}: quality.metric is required (the metric's name, "
                          "e.g. accuracy)")
    try:
        return Quality(metric=merged["metric"],
                       higher_is_better=merged.get("higher_is_better", True),
                       regex=None if merged.get("regex") is None else str(merged["regex"]))
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
