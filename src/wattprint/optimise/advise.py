"""Concrete, quantified suggestions for a recorded run (pure: a ``Run`` in, ``Advice`` out).

Each rule is a small function of the run that returns a frozen
:class:`Advice` (what to do, the kWh and CO2e it would save, and the run's
figures that triggered it) or a :class:`NotApplicable` saying why not.
Thresholds are in :class:`Thresholds`:

* **data-pipeline** — GPUs under ``gpu_utilisation_pct`` (60 %) on average
  while data-loading phases (see :mod:`.advise_evidence`) take at least
  ``data_share`` (10 %) of the run: saving = the GPUs' energy during those
  phases × their idle share there (1 − utilisation).
* **mixed-precision** — a GPU with fp16/bf16 matrix units (NVIDIA tensor
  cores, Volta or newer; AMD matrix cores, Instinct MI100 or Radeon RDNA 3
  or newer) and a run that
  says fp32/tf32, or says nothing (then status ``check``): saving = the
  energy outside data loading × (1 − the factor of
  ``assess/data/alternatives.csv``, read with
  :func:`~wattprint.assess.alternatives.default_factors`).
* **idle-power** — a CPU or GPU at its idle floor for at least
  ``idle_share`` (30 %) of its trace (utilisation ≤ ``idle_utilisation_pct``
  where the trace has utilisation, else power within ``idle_band`` (10 %) of
  its range above the trace's lowest power, when the peak is at least
  ``min_dynamic_ratio`` × that floor): saving = those devices' energy while idle.
* **cleaner-zone-time** — :func:`wattprint.schedule.planner.plan` over the
  series given (the run's zone and the candidates of :mod:`.advise_zones`),
  as of the run's start, the job free to start up to ``window_s`` (24 h)
  later: the planner's saving when it is at least ``shift_saving_pct`` (10 %).
  Shifting saves CO2e, not energy.

Energy savings are facility kWh (IT × the run's PUE) and CO2e at the run's
intensity. Savings of different rules overlap (the idle time of a data phase
counts in two rules): do not add them up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Any

from wattprint.assess.alternatives import default_factors
from wattprint.errors import PlanError
from wattprint.intensity.series import IntensitySeries
from wattprint.model import DeviceEnergy, DeviceKind, Run
from wattprint.optimise import advise_evidence as ev
from wattprint.units import co2e_kg, j_to_kwh

if TYPE_CHECKING:
    from wattprint.schedule.job import Plan


@dataclass(frozen=True)
class Evidence:
    """One figure of the run that a rule rests on."""

    label: str
    value: float | str
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, stable keys."""
        return {"label": self.label, "value": self.value, "unit": self.unit}


@dataclass(frozen=True)
class Advice:
    """One suggestion: what to do, what it saves, and why it was made.

    Attributes:
        rule: ``data-pipeline``, ``mixed-precision``, ``idle-power`` or ``cleaner-zone-time``.
        title: One line for people.
        action: What to change, concretely.
        saving_kwh: Facility energy it would save (kWh).
        saving_co2e_kg: Emissions it would save (kg CO2e).
        evidence: The run's figures that triggered it.
        status: ``suggestion``, or ``check`` when the run does not say enough
            (the saving is then what it would be if the check confirms it).
        source: Published source of a factor used, if any.
    """

    rule: str
    title: str
    action: str
    saving_kwh: float
    saving_co2e_kg: float
    evidence: tuple[Evidence, ...]
    status: str = "suggestion"
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, stable keys."""
        return {"rule": self.rule, "status": self.status, "title": self.title,
                "action": self.action, "saving_kwh": self.saving_kwh,
                "saving_co2e_kg": self.saving_co2e_kg,
                "evidence": [e.to_dict() for e in self.evidence], "source": self.source}


@dataclass(frozen=True)
class NotApplicable:
    """A rule that did not fire, and the run's figure that says why."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Thresholds:
    """When the rules fire (see the module docstring)."""

    gpu_utilisation_pct: float = 60.0
    data_share: float = 0.10
    idle_share: float = 0.30
    idle_utilisation_pct: float = 5.0
    idle_band: float = 0.10
    min_dynamic_ratio: float = 2.0
    min_points: int = 10
    shift_saving_pct: float = 10.0
    window_s: float = 24 * 3600.0


@dataclass(frozen=True)
class Advisory:
    """Everything ``wattprint advise`` says about one run."""

    run: Run
    advice: tuple[Advice, ...]
    not_applicable: tuple[NotApplicable, ...] = field(default=())

    @property
    def summary(self) -> str:
        """One plain sentence: how many suggestions, or that no rule applies."""
        if not self.advice:
            return f"no rule applies to run {self.run.id}: nothing to suggest"
        n = len(self.advice)
        if n == 1:
            return f"1 suggestion for run {self.run.id}"
        return f"{n} suggestions for run {self.run.id} (savings overlap: do not add them up)"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, stable keys."""
        return {"run_id": self.run.id, "energy_kwh": self.run.energy_kwh,
                "co2e_kg": self.run.co2e_kg, "summary": self.summary,
                "advice": [a.to_dict() for a in self.advice],
                "not_applicable": [{"rule": n.rule, "reason": n.reason}
                                   for n in self.not_applicable]}


@dataclass(frozen=True)
class _Context:
    thresholds: Thresholds
    series: Mapping[str, IntensitySeries] | None


Rule = Callable[[Run, _Context], "Advice | NotApplicable"]


def advise(run: Run, *, series: Mapping[str, IntensitySeries] | None = None,
           thresholds: Thresholds | None = None) -> Advisory:
    """Every rule over ``run``; suggestions first by CO2e saved, checks after.

    Args:
        run: A recorded run (with its trace and phases: ``Ledger.get_run``).
        series: Intensity series per zone for the cleaner-zone-time rule
            (the run's zone and the candidates); without it that rule says so.
        thresholds: When the rules fire.
    """
    ctx = _Context(thresholds or Thresholds(), series)
    results = [rule(run, ctx) for rule in RULES]
    found = sorted((r for r in results if isinstance(r, Advice)),
                   key=lambda a: (a.status != "suggestion", -a.saving_co2e_kg, a.rule))
    return Advisory(run, tuple(found),
                    tuple(r for r in results if isinstance(r, NotApplicable)))


def _gpus(run: Run) -> list[DeviceEnergy]:
    return [d for d in run.devices if d.device.kind is DeviceKind.GPU]


def _matrix_gpus(run: Run) -> tuple[list[DeviceEnergy], str]:
    """The GPUs with fp16/bf16 matrix units, and what to call them."""
    kinds = [(d, ev.matrix_unit_kind(d.device.name)) for d in _gpus(run)]
    found = {kind for _, kind in kinds if kind}
    label = found.pop() if len(found) == 1 else "tensor-/matrix-core"
    return [d for d, kind in kinds if kind], label


def _saving(run: Run, energy_it_j: float) -> tuple[float, float]:
    """Facility kWh and kg CO2e of ``energy_it_j`` of IT energy in this run."""
    kwh = j_to_kwh(energy_it_j) * run.footprint.pue
    return kwh, co2e_kg(kwh, run.footprint.intensity.g_per_kwh)


def _data_energy_j(run: Run, device_id: str | None = None) -> float:
    return sum(e for p in ev.data_phases(run) for d, e in p.energy_by_device_j.items()
               if device_id is None or d == device_id)


def data_pipeline(run: Run, ctx: _Context) -> Advice | NotApplicable:
    """Low GPU utilisation and long data loading: fix the input pipeline."""
    rule, th = "data-pipeline", ctx.thresholds
    stats = [(d, ev.device_trace(run, d.device.id)) for d in _gpus(run)]
    traced = [(d, t) for d, t in stats if t is not None and t.utilisation_pct is not None]
    phases = ev.data_phases(run)
    if not traced:
        return NotApplicable(rule, "no GPU utilisation in the trace" if stats else "no GPU")
    if not phases:
        return NotApplicable(rule, "no data-loading phase (name one data_loading with "
                             "tracker.phase)")
    util = sum((t.utilisation_pct or 0.0) * t.covered_s for _, t in traced) / max(
        sum(t.covered_s for _, t in traced), 1e-9)
    share = sum(p.duration_s for p in phases) / run.duration_s if run.duration_s > 0 else 0.0
    if util >= th.gpu_utilisation_pct or share < th.data_share:
        return NotApplicable(rule, f"GPU utilisation {util:.0f} % (low below "
                             f"{th.gpu_utilisation_pct:.0f} %), data loading {share:.0%} of the "
                             f"run (long from {th.data_share:.0%})")
    idle_j, energy_j, in_data = _idle_in_data(run, traced)
    kwh, kg = _saving(run, idle_j)
    names = ", ".join(dict.fromkeys(p.name for p in phases))
    return Advice(
        rule, f"GPUs wait for data: {share:.0%} of the run in {names} at {util:.0f} % "
        "GPU utilisation",
        "Overlap loading with compute: more DataLoader workers (num_workers ≈ CPU cores per "
        "GPU), pin_memory=True, prefetch_factor ≥ 2 and persistent_workers=True; cache "
        "decoded or tokenised data instead of re-reading it every epoch.",
        kwh, kg,
        (Evidence("mean GPU utilisation", round(util, 1), "%"),
         Evidence("data-loading phases", names),
         Evidence("data-loading time", round(sum(p.duration_s for p in phases), 1), "s"),
         Evidence("data-loading share of the run", round(100 * share, 1), "%"),
         Evidence("GPU utilisation during data loading", round(in_data, 1), "%"),
         Evidence("GPU energy during data loading", j_to_kwh(energy_j), "kWh")))


def _idle_in_data(run: Run, traced: Sequence[tuple[DeviceEnergy, ev.DeviceTrace]]
                  ) -> tuple[float, float, float]:
    """GPUs' idle J and J during data loading, and their mean utilisation there (%).

    A GPU without trace points inside the phases counts at its run-wide utilisation.
    """
    spans = [ev.phase_span_s(run, p) for p in ev.data_phases(run)]
    idle_j = energy_j = 0.0
    utils = []
    for dev, stats in traced:
        during = ev.utilisation_in(run, dev.device.id, spans)
        util = (stats.utilisation_pct or 0.0) if during is None else during
        e = _data_energy_j(run, dev.device.id)
        energy_j += e
        idle_j += e * (1.0 - util / 100.0)
        utils.append(util)
    return idle_j, energy_j, sum(utils) / len(utils)


def mixed_precision(run: Run, ctx: _Context) -> Advice | NotApplicable:
    """fp32 (or unknown precision) on GPUs with fp16/bf16 matrix units: use mixed precision."""
    rule = "mixed-precision"
    gpus, label = _matrix_gpus(run)
    if not gpus:
        return NotApplicable(rule, "no tensor-core or matrix-core GPU (NVIDIA Volta or newer, "
                                   "AMD Instinct MI100 or Radeon RDNA 3 or newer) in the run")
    precision = ev.precision_of(run)
    if precision.reduced:
        return NotApplicable(rule, f"already {precision.value} ({precision.said_by})")
    factor = default_factors()["mixed_precision"]
    data_kwh = j_to_kwh(_data_energy_j(run)) * run.footprint.pue
    compute_kwh = max(run.energy_kwh - data_kwh, 0.0)
    kwh = compute_kwh * (1.0 - factor.value)
    names = ", ".join(dict.fromkeys(d.device.name for d in gpus))
    evidence: tuple[Evidence, ...] = (
        Evidence(f"{label} GPUs", names),
        Evidence("precision", precision.value or "unknown", ""),
        Evidence("precision said by", precision.said_by),
        Evidence("energy outside data loading", compute_kwh, "kWh"),
        Evidence("energy factor of mixed precision", factor.value, "×"))
    if "matrix" in label:  # the factor was measured on NVIDIA tensor cores
        evidence += (Evidence("factor measured on", "NVIDIA tensor-core GPUs"),)
    how = ("torch.autocast('cuda', dtype=torch.bfloat16) (fp16: with torch.amp.GradScaler; "
           "ROCm builds of PyTorch use the 'cuda' device too), Lightning "
           "precision='bf16-mixed', or the Trainer's --bf16; check the loss converges as in "
           "fp32.")
    if precision.full:
        return Advice(rule, f"{precision.value} on {label} GPUs ({names}): train with mixed "
                      "precision", how, kwh, co2e_kg(kwh, run.footprint.intensity.g_per_kwh),
                      evidence, source=factor.source)
    return Advice(rule, f"precision unknown: check ({label} GPUs: {names})",
                  "Say the precision with a tag (wattprint run --tag precision:fp32, or "
                  "Tracker(tags=['precision:bf16'])). If it is fp32: " + how,
                  kwh, co2e_kg(kwh, run.footprint.intensity.g_per_kwh), evidence, "check",
                  factor.source)


def _idle_time(run: Run, device_id: str, th: Thresholds) -> tuple[float, float, float,
                                                                   str] | None:
    """(idle share, idle s, IT J while idle, how idle was told) of a device, or None."""
    weighted = ev.weighted_points(run.trace, device_id, run.duration_s)
    if len(weighted) < th.min_points:
        return None
    with_util = [p for p, _ in weighted if p.utilisation_pct is not None]
    floor = min(p.power_w for p, _ in weighted)
    peak = max(p.power_w for p, _ in weighted)
    if 2 * len(with_util) >= len(weighted):
        how = f"utilisation ≤ {th.idle_utilisation_pct:g} %"
        idle = [(p, dt) for p, dt in weighted
                if p.utilisation_pct is not None and p.utilisation_pct <= th.idle_utilisation_pct]
    elif floor > 0 and peak >= th.min_dynamic_ratio * floor:
        limit = floor + th.idle_band * (peak - floor)
        how = f"power ≤ {limit:.1f} W (floor {floor:.1f} W + {th.idle_band:.0%} of the range)"
        idle = [(p, dt) for p, dt in weighted if p.power_w <= limit]
    else:
        return None  # no utilisation, no visible idle floor: cannot tell
    total = sum(dt for _, dt in weighted)
    idle_s = sum(dt for _, dt in idle)
    return (idle_s / total if total > 0 else 0.0, idle_s, sum(p.power_w * dt for p, dt in idle),
            how)


def idle_power(run: Run, ctx: _Context) -> Advice | NotApplicable:
    """Devices at their idle floor for a large share of the run: remove that time."""
    rule, th = "idle-power", ctx.thresholds
    checked = []
    for dev in run.devices:
        if dev.device.kind in (DeviceKind.GPU, DeviceKind.CPU):
            found = _idle_time(run, dev.device.id, th)
            if found is not None:
                checked.append((dev, *found))
    idle = [c for c in checked if c[1] >= th.idle_share and c[3] > 0]
    if not idle:
        top = max((c[1] for c in checked), default=None)
        why = "no CPU or GPU trace long enough to tell" if top is None else (
            f"at most {top:.0%} of a device's time at idle power (large from {th.idle_share:.0%})")
        if any(c[1] >= th.idle_share for c in checked):
            why = (f"{top:.0%} of a device's time at idle power, but no energy was attributed "
                   "to the run then (process scope: the idle floor is not the run's)")
        return NotApplicable(rule, why)
    kwh, kg = _saving(run, sum(c[3] for c in idle))
    evidence = tuple(e for dev, share, idle_s, energy_j, how in idle for e in (
        Evidence(f"{dev.device.id} time at idle power", round(100 * share, 1), "%"),
        Evidence(f"{dev.device.id} idle time", round(idle_s, 1), "s"),
        Evidence(f"{dev.device.id} energy while idle", j_to_kwh(energy_j), "kWh"),
        Evidence(f"{dev.device.id} idle when", how)))
    ids = ", ".join(dev.device.id for dev, *_ in idle)
    return Advice(rule, f"{ids} idle for {max(c[1] for c in idle):.0%} of the run",
                  "Find what the devices wait for (checkpoint writes, evaluation or "
                  "preprocessing on the CPU, synchronisation, a sleep between steps) and overlap "
                  "or remove it; release devices the job does not use (CUDA_VISIBLE_DEVICES). "
                  "The saving is the idle devices' energy in that time.", kwh, kg, evidence)


def cleaner_zone_time(run: Run, ctx: _Context) -> Advice | NotApplicable:
    """A cleaner zone or start for the same job, from the carbon-aware planner."""
    from wattprint.schedule.job import Job
    from wattprint.schedule.planner import plan

    rule, th = "cleaner-zone-time", ctx.thresholds
    home = run.zone_choice.zone
    if ctx.series is None or home not in ctx.series:
        return NotApplicable(rule, f"no intensity series for the run's zone {home}")
    if run.duration_s <= 0 or run.energy_kwh <= 0:
        return NotApplicable(rule, "the run has no duration or no energy to place")
    job = Job(duration_s=run.duration_s, energy_kwh=run.energy_kwh, home_zone=home,
              zones=(home, *sorted(z for z in ctx.series if z != home)),
              earliest_start_utc=run.started_utc,
              deadline_utc=run.started_utc + timedelta(seconds=th.window_s + run.duration_s),
              name=run.id)
    try:
        result = plan(job, ctx.series, run.started_utc)
    except PlanError as exc:
        return NotApplicable(rule, f"the planner found no plan: {exc}")
    if result.saving_pct < th.shift_saving_pct or result.saving_kg <= 0:
        zones = f"{len(job.zones)} zones" if len(job.zones) > 1 else "1 zone"
        return NotApplicable(rule, f"the cleanest of {zones} within "
                             f"{th.window_s / 3600:g} h saves {result.saving_pct:.1f} % "
                             f"(worth it from {th.shift_saving_pct:g} %)")
    start = result.start_utc.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = f"in {result.zone} " if result.zone != home else ""
    baseline_g = result.baseline_co2e_kg * 1000.0 / run.energy_kwh
    evidence = _shift_evidence(run, result, baseline_g, th)
    return Advice(rule, f"run it {where}from {start}: {result.saving_pct:.0f} % less CO2e",
                  f"Schedule the job {where}to start at {start} (wattprint run --when green "
                  f"--deadline ..., or wattprint plan); the same energy at "
                  f"{result.expected_intensity_g_per_kwh:.0f} instead of {baseline_g:.0f} "
                  "g CO2e/kWh.", 0.0, result.saving_kg, evidence)


def _shift_evidence(run: Run, result: Plan, baseline_g: float,
                    th: Thresholds) -> tuple[Evidence, ...]:
    home = run.zone_choice.zone
    ran = run.started_utc.astimezone(timezone.utc)
    start = result.start_utc.astimezone(timezone.utc)
    return (Evidence("run zone and start", f"{home}, {ran:%Y-%m-%d %H:%M} UTC"),
            Evidence("intensity where and when it ran (series)", round(baseline_g, 1), "g/kWh"),
            Evidence("planned zone and start", f"{result.zone}, {start:%Y-%m-%d %H:%M} UTC"),
            Evidence("planned intensity", round(result.expected_intensity_g_per_kwh, 1),
                     "g/kWh"),
            Evidence("saving", round(result.saving_pct, 1), "%"),
            Evidence("zones compared", ", ".join(result.job.zones)),
            Evidence("free to start up to", th.window_s / 3600, "h after it did"),
            Evidence("series", "; ".join(f"{z}: {result.sources.get(z, '')}"
                                         for z in dict.fromkeys((home, result.zone)))))


#: Every rule, in the order they are evaluated.
RULES: tuple[Rule, ...] = (data_pipeline, mixed_precision, idle_power, cleaner_zone_time)
