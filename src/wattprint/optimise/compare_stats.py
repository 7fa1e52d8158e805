"""The pure half of ``wattprint compare``: run order, spread, Pareto front, savings.

Nothing here runs, reads or writes anything: :func:`interleaved_order` plans
the repetitions, :func:`summarise` turns the per-repetition results into a
:class:`Comparison`, and :meth:`Comparison.to_dict` is its JSON shape
(``schema: wattprint.compare/1``, stable keys).

Conventions: a variant's figure is the **median** over its finished
repetitions (timed-out ones are counted, not summarised), with min–max and
the quartiles (linear interpolation between order statistics, as
``numpy.percentile``'s default) as its spread. The Pareto front and the
savings compare medians. ``energy_saving_pct`` is positive when a variant
uses less energy than the baseline; ``quality_lost`` is positive when its
quality is worse, whichever way the metric points.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from wattprint.model import RunStatus

#: ``schema`` value of :meth:`Comparison.to_dict`.
SCHEMA = "wattprint.compare/1"
#: How the repetitions are ordered, in words (reports say so).
ORDER_NOTE = ("interleaved: repetition k runs every variant once, the order rotated by k, "
              "so slow drifts of the machine spread over all variants")
_MINUS = "\u2212"


def interleaved_order(names: Sequence[str], repeat: int) -> tuple[tuple[str, int], ...]:
    """The run order: ``(variant, repetition)`` pairs, repetitions numbered from 1.

    Repetition ``k`` runs every variant once, starting ``k - 1`` places further
    along (A B C, then B C A, then C A B), so no variant always runs first
    (cold caches) or always follows the same neighbour.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    n = len(names)
    order: list[tuple[str, int]] = []
    for rep in range(1, repeat + 1):
        shift = (rep - 1) % n if n else 0
        order.extend((name, rep) for name in [*names[shift:], *names[:shift]])
    return tuple(order)


@dataclass(frozen=True)
class Spread:
    """Median and spread of one figure over the repetitions of a variant."""

    median: float
    min: float
    max: float
    q1: float
    q3: float
    n: int

    @property
    def iqr(self) -> float:
        """Interquartile range ``q3 - q1``."""
        return self.q3 - self.q1

    def to_dict(self) -> dict[str, float | int]:
        """The JSON shape: ``median``, ``min``, ``max``, ``q1``, ``q3``, ``n``."""
        return {"median": self.median, "min": self.min, "max": self.max,
                "q1": self.q1, "q3": self.q3, "n": self.n}


def spread(values: Sequence[float]) -> Spread:
    """Median, min, max and quartiles of ``values`` (at least one).

    Raises:
        ValueError: ``values`` is empty.
    """
    if not values:
        raise ValueError("spread of no values")
    ordered = sorted(float(v) for v in values)
    if len(ordered) == 1:
        q1 = q3 = ordered[0]
    else:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Spread(statistics.median(ordered), ordered[0], ordered[-1], q1, q3, len(ordered))


@dataclass(frozen=True)
class Point:
    """A variant on the quality-vs-energy plane (its medians)."""

    name: str
    energy_kwh: float
    quality: float | None = None


def pareto_front(points: Sequence[Point], *, higher_is_better: bool = True) -> tuple[str, ...]:
    """Names of the points no other point dominates, lowest energy first.

    ``a`` dominates ``b`` when it uses no more energy and has no worse quality,
    and is strictly better in one of them. Points without quality compare on
    energy alone (the front is then the lowest-energy points).
    """
    def better_or_equal(a: Point, b: Point) -> bool:
        if a.energy_kwh > b.energy_kwh:
            return False
        if a.quality is None or b.quality is None:
            return True
        return a.quality >= b.quality if higher_is_better else a.quality <= b.quality

    def dominates(a: Point, b: Point) -> bool:
        same = a.energy_kwh == b.energy_kwh and a.quality == b.quality
        return better_or_equal(a, b) and not same

    front = [p for p in points if not any(dominates(q, p) for q in points if q is not p)]
    return tuple(p.name for p in sorted(front, key=lambda p: (p.energy_kwh, p.name)))


@dataclass(frozen=True)
class Saving:
    """One variant against the baseline, on medians.

    Attributes:
        energy_saving_pct: ``(1 - energy / baseline energy) × 100``; positive saves.
        co2e_saving_pct: The same for CO2e.
        duration_saving_pct: The same for wall time.
        quality_delta: Variant quality minus baseline quality (its own units).
        quality_change_pct: ``quality_delta`` as a percentage of the baseline's.
        quality_lost: ``quality_delta`` signed so that positive is worse.
        energy_ranges_overlap: The min–max energy ranges of the two overlap:
            the difference is within the spread of the repetitions.
    """

    energy_saving_pct: float | None
    co2e_saving_pct: float | None
    duration_saving_pct: float | None
    quality_delta: float | None
    quality_change_pct: float | None
    quality_lost: float | None
    energy_ranges_overlap: bool

    def describe(self, metric: str | None) -> str:
        """``"−62.1 % energy for −0.004 accuracy"`` (the signs are changes)."""
        if self.energy_saving_pct is None:
            return "baseline energy is zero"
        energy = f"{_signed(-self.energy_saving_pct, '.1f')} % energy"
        if metric is None or self.quality_delta is None:
            return energy
        return f"{energy} for {_signed(self.quality_delta, '.3g')} {metric}"

    def to_dict(self, metric: str | None) -> dict[str, Any]:
        """The JSON shape, ``summary`` included."""
        return {"energy_saving_pct": self.energy_saving_pct,
                "co2e_saving_pct": self.co2e_saving_pct,
                "duration_saving_pct": self.duration_saving_pct,
                "quality_delta": self.quality_delta,
                "quality_change_pct": self.quality_change_pct,
                "quality_lost": self.quality_lost,
                "energy_ranges_overlap": self.energy_ranges_overlap,
                "summary": self.describe(metric)}


def _signed(value: float, spec: str) -> str:
    text = format(abs(value), spec)
    if float(text) == 0:
        return "\u00b10"
    return f"{_MINUS if value < 0 else '+'}{text}"


def _saving_pct(value: float, base: float) -> float | None:
    return None if base == 0 else (1.0 - value / base) * 100.0


def saving(
    variant: VariantSummary, baseline: VariantSummary, *, higher_is_better: bool = True
) -> Saving | None:
    """``variant`` against ``baseline``; None when either has no finished repetition."""
    v, b = variant, baseline
    if v.energy_kwh is None or b.energy_kwh is None:
        return None
    assert v.co2e_kg is not None and b.co2e_kg is not None
    assert v.duration_s is not None and b.duration_s is not None
    delta = change = lost = None
    if v.quality is not None and b.quality is not None:
        delta = v.quality.median - b.quality.median
        change = None if b.quality.median == 0 else delta / abs(b.quality.median) * 100.0
        lost = 0.0 - delta if higher_is_better else delta  # 0.0 - 0.0 is +0.0, not -0.0
    overlap = v.energy_kwh.min <= b.energy_kwh.max and b.energy_kwh.min <= v.energy_kwh.max
    return Saving(
        energy_saving_pct=_saving_pct(v.energy_kwh.median, b.energy_kwh.median),
        co2e_saving_pct=_saving_pct(v.co2e_kg.median, b.co2e_kg.median),
        duration_saving_pct=_saving_pct(v.duration_s.median, b.duration_s.median),
        quality_delta=delta, quality_change_pct=change, quality_lost=lost,
        energy_ranges_overlap=overlap,
    )


@dataclass(frozen=True)
class RepResult:
    """One repetition of one variant, as recorded in the ledger."""

    variant: str
    rep: int
    run_id: str
    status: RunStatus
    energy_kwh: float
    co2e_kg: float
    duration_s: float
    quality: float | None = None
    error: str = ""
    timed_out: bool = False  # stopped at its timeout_s (a failed run); the others still count

    @property
    def ok(self) -> bool:
        """The repetition finished (and its quality, if any, was read)."""
        return self.status is RunStatus.FINISHED

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a repetition."""
        return {"rep": self.rep, "run_id": self.run_id, "status": self.status.value,
                "energy_kwh": self.energy_kwh, "co2e_kg": self.co2e_kg,
                "duration_s": self.duration_s, "quality": self.quality, "error": self.error,
                "timed_out": self.timed_out}


@dataclass(frozen=True)
class VariantSummary:
    """A variant's figures over its finished repetitions, and how it compares.

    ``failed`` is true when a repetition failed (later repetitions of a
    failed variant are not run) or none finished; such a variant is left out
    of the Pareto front and the savings, and ``error`` says why. Timed-out
    repetitions are left out of the figures and counted in ``timed_out``;
    only when every repetition timed out is the variant failed.
    """

    name: str
    model: str
    reps: tuple[RepResult, ...]
    energy_kwh: Spread | None
    co2e_kg: Spread | None
    duration_s: Spread | None
    quality: Spread | None
    baseline: bool = False
    pareto: bool = False
    vs_baseline: Saving | None = None
    timeout_s: float | None = None

    @property
    def timed_out(self) -> int:
        """How many repetitions timed out."""
        return sum(r.timed_out for r in self.reps)

    @property
    def failed(self) -> bool:
        """A repetition failed other than by timing out, or none finished."""
        return not any(r.ok for r in self.reps) or any(
            not r.ok and not r.timed_out for r in self.reps)

    @property
    def error(self) -> str:
        """Why the variant failed: the first failed repetition's error."""
        for r in self.reps:
            if not r.ok and not r.timed_out:
                return f"rep {r.rep}: {r.error or r.status.value}"
        if self.reps and self.failed:
            return f"every repetition timed out (rep {self.reps[0].rep}: {self.reps[0].error})"
        return "" if self.reps else "no repetition ran"


def _summary(name: str, model: str, reps: Sequence[RepResult]) -> VariantSummary:
    done = [r for r in reps if r.ok]
    qualities = [r.quality for r in done if r.quality is not None]

    def of(values: list[float]) -> Spread | None:
        return spread(values) if values else None

    return VariantSummary(
        name=name, model=model, reps=tuple(sorted(reps, key=lambda r: r.rep)),
        energy_kwh=of([r.energy_kwh for r in done]), co2e_kg=of([r.co2e_kg for r in done]),
        duration_s=of([r.duration_s for r in done]),
        quality=of(qualities) if len(qualities) == len(done) else None,
    )


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing variants on energy and quality.

    Attributes:
        name: The comparison's name (runs are tagged ``compare:<name>``).
        metric: The quality metric compared, or None (energy only).
        higher_is_better: Which way the metric points.
        repeat: Repetitions asked per variant.
        baseline: Name of the baseline variant.
        order: The ``(variant, repetition)`` run order (see :func:`interleaved_order`).
        variants: One summary per variant, in the order they were given.
        pareto_front: Variants no other dominates on (quality, energy), lowest energy first.
    """

    name: str
    metric: str | None
    higher_is_better: bool
    repeat: int
    baseline: str
    order: tuple[tuple[str, int], ...]
    variants: tuple[VariantSummary, ...]
    pareto_front: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Every variant finished every repetition (none failed, none timed out)."""
        return not any(v.failed or v.timed_out for v in self.variants)

    def variant(self, name: str) -> VariantSummary:
        """The summary of variant ``name``.

        Raises:
            KeyError: No variant has that name.
        """
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (``schema: wattprint.compare/1``); keys are stable."""
        quality = None if self.metric is None else {
            "metric": self.metric, "higher_is_better": self.higher_is_better}
        return {
            "schema": SCHEMA, "name": self.name, "repeat": self.repeat,
            "baseline": self.baseline, "quality": quality, "order_note": ORDER_NOTE,
            "order": [{"variant": v, "rep": r} for v, r in self.order],
            "pareto_front": list(self.pareto_front),
            "variants": [_variant_dict(v, self.metric) for v in self.variants],
        }


def _variant_dict(v: VariantSummary, metric: str | None) -> dict[str, Any]:
    def of(s: Spread | None) -> dict[str, float | int] | None:
        return None if s is None else s.to_dict()

    return {
        "name": v.name, "model": v.model, "status": "failed" if v.failed else "ok",
        "error": v.error, "baseline": v.baseline, "pareto": v.pareto,
        "reps_ok": sum(r.ok for r in v.reps), "reps_run": len(v.reps),
        "reps_timed_out": v.timed_out, "timeout_s": v.timeout_s,
        "energy_kwh": of(v.energy_kwh), "co2e_kg": of(v.co2e_kg),
        "duration_s": of(v.duration_s), "quality": of(v.quality),
        "vs_baseline": None if v.vs_baseline is None else v.vs_baseline.to_dict(metric),
        "reps": [r.to_dict() for r in v.reps],
    }


def summarise(
    name: str,
    reps: Sequence[RepResult],
    *,
    models: Mapping[str, str],
    baseline: str,
    metric: str | None,
    higher_is_better: bool = True,
    repeat: int,
    order: Sequence[tuple[str, int]] = (),
    timeouts: Mapping[str, float | None] | None = None,
) -> Comparison:
    """Build the :class:`Comparison` of the repetitions run.

    Args:
        name: The comparison's name.
        reps: Every repetition run, in any order.
        models: Variant name → model name, in the order the variants were given.
        baseline: The baseline variant (one of ``models``).
        metric: The quality metric, or None.
        higher_is_better: Which way the metric points.
        repeat: Repetitions asked per variant.
        order: The run order that was planned.
        timeouts: Variant name → its ``timeout_s`` (reported as is).
    """
    if baseline not in models:
        raise ValueError(f"baseline {baseline!r} is not a variant")
    by_variant = {v: _summary(v, m, [r for r in reps if r.variant == v])
                  for v, m in models.items()}
    usable = [s for s in by_variant.values() if not s.failed and s.energy_kwh is not None]
    points = [Point(s.name, s.energy_kwh.median,  # type: ignore[union-attr]
                    None if s.quality is None else s.quality.median) for s in usable]
    front = pareto_front(points, higher_is_better=higher_is_better) if points else ()
    base = by_variant[baseline]
    summaries = []
    for s in by_variant.values():
        vs = None
        if not s.failed and not base.failed and s.name != baseline:
            vs = saving(s, base, higher_is_better=higher_is_better)
        summaries.append(replace(s, baseline=s.name == baseline, pareto=s.name in front,
                                 vs_baseline=vs, timeout_s=(timeouts or {}).get(s.name)))
    return Comparison(name=name, metric=metric, higher_is_better=higher_is_better,
                      repeat=repeat, baseline=baseline, order=tuple(order),
                      variants=tuple(summaries), pareto_front=front)
