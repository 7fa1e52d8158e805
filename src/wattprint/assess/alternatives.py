"""Cheaper variants of a planned training, with their estimated energy and CO2e.

Three defaults, each a published factor on the work (``data/alternatives.csv``,
one source per row), offered where they apply:

* **mixed precision** — for fp32 training on a tensor-core GPU (Volta or newer);
* **smaller model** — half the parameters, or ``model.smaller_parameters``
  (compute scales with parameters at fixed tokens);
* **fine-tune instead of pre-training** — ``model.fine_tune_tokens`` ÷
  ``model.tokens`` when both are given, else the published ratio of an
  instruction-tuning run to its pre-training (a very small ratio: give your
  own token counts for a figure that fits your case).

A factor scales the time the devices are busy, so it scales IT and facility
energy, operational and embodied CO2e, and water alike. User variants in the
plan either give ``energy_factor`` or change workload inputs (another device,
count or hours), in which case they are re-estimated in full.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wattprint.estimate.calculator import compute
from wattprint.estimate.result import Estimate
from wattprint.tables import packaged_rows

if TYPE_CHECKING:
    from wattprint.assess.spec import AssessSpec

#: Devices without tensor cores: mixed precision gives them only a modest speedup.
_PRE_VOLTA = ("P100", "P40", "P4 ", "K80", "M60", "TPU")


@dataclass(frozen=True)
class AlternativeResult:
    """One variant and what it would cost, next to the plan as written.

    Attributes:
        key: ``mixed_precision``, ``smaller_model``, ``fine_tune`` or ``custom``.
        name: Label for people.
        energy_kwh: Facility energy of the variant.
        co2e_kg: Operational + embodied CO2e of the variant (home zone, annual mean).
        water_l: On-site + off-site water of the variant.
        baseline_energy_kwh: Facility energy of the plan as written.
        factor: The factor applied, or ``None`` when re-estimated from inputs.
        basis: How the figure was obtained, in words.
        source: The published source of the factor (``""`` for user variants).
        note: What to check before switching (quality, feasibility).
    """

    key: str
    name: str
    energy_kwh: float
    co2e_kg: float
    water_l: float
    baseline_energy_kwh: float
    factor: float | None
    basis: str
    source: str = ""
    note: str = ""

    @property
    def saving_pct(self) -> float:
        """Energy saved against the plan as written (%; negative = costs more)."""
        if self.baseline_energy_kwh <= 0:
            return 0.0
        return 100.0 * (1.0 - self.energy_kwh / self.baseline_energy_kwh)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary with stable keys."""
        return {"key": self.key, "name": self.name, "energy_kwh": self.energy_kwh,
                "co2e_kg": self.co2e_kg, "water_l": self.water_l, "factor": self.factor,
                "saving_pct": self.saving_pct, "basis": self.basis, "source": self.source,
                "note": self.note}


@dataclass(frozen=True)
class _Factor:
    value: float
    basis: str
    source: str


@functools.lru_cache(maxsize=1)
def default_factors() -> dict[str, _Factor]:
    """The published factors of ``data/alternatives.csv``, by key."""
    return {row["key"]: _Factor(float(row["energy_factor"]), row["basis"], row["source"])
            for row in packaged_rows("wattprint.assess", "alternatives.csv")}


def alternatives_for(spec: AssessSpec, estimate: Estimate) -> tuple[AlternativeResult, ...]:
    """The default variants that apply to ``spec``, then the plan's own."""
    found = [a for a in (_mixed_precision(spec, estimate), _smaller_model(spec, estimate),
                         _fine_tune(spec, estimate)) if a is not None]
    for alt in spec.alternatives:
        if alt.energy_factor is not None:
            found.append(_scaled(estimate, "custom", alt.name, alt.energy_factor,
                                 f"energy × {alt.energy_factor:g}, given in the plan", "",
                                 alt.note))
        else:
            variant = compute(dataclasses.replace(spec.workload, **dict(alt.overrides)))
            changed = ", ".join(f"{k} = {v}" for k, v in alt.overrides.items())
            found.append(AlternativeResult(
                "custom", alt.name, variant.energy_kwh, variant.total_co2e_kg,
                variant.water_total_l, estimate.energy_kwh, None,
                f"re-estimated with {changed}", "", alt.note))
    return tuple(found)


def _mixed_precision(spec: AssessSpec, est: Estimate) -> AlternativeResult | None:
    precision = spec.model.precision
    if precision not in (None, "fp32", "tf32"):
        return None  # already reduced precision
    if any(tag in f"{est.device} " for tag in _PRE_VOLTA) or "CPU" in est.device.upper():
        return None  # no tensor cores: the published speedup does not apply
    f = default_factors()["mixed_precision"]
    assumed = "" if precision else " (model.precision not given: fp32 assumed)"
    return _scaled(est, "mixed_precision", "mixed precision (fp16/bf16)", f.value,
                   f.basis + assumed, f.source,
                   "check that the loss converges as in fp32 (loss scaling for fp16)")


def _smaller_model(spec: AssessSpec, est: Estimate) -> AlternativeResult | None:
    f = default_factors()["smaller_model"]
    model = spec.model
    if model.smaller_parameters and model.parameters:
        value = model.smaller_parameters / model.parameters
        basis = (f"{model.smaller_parameters:,.4g} instead of {model.parameters:,.4g} "
                 f"parameters on the same tokens: energy × {value:.3g} (compute ∝ parameters)")
        name = f"smaller model ({model.smaller_parameters:,.3g} parameters)"
    else:
        value, basis, name = f.value, f.basis, "smaller model (half the parameters)"
    return _scaled(est, "smaller_model", name, value, basis, f.source,
                   "quality is usually lower: compare on your evaluation before choosing; "
                   "distillation recovers part of it")


def _fine_tune(spec: AssessSpec, est: Estimate) -> AlternativeResult | None:
    model = spec.model
    if model.from_scratch is False:
        return None  # already a fine-tune
    f = default_factors()["fine_tune"]
    if model.fine_tune_tokens and model.tokens:
        value = model.fine_tune_tokens / model.tokens
        basis = (f"{model.fine_tune_tokens:,.4g} fine-tuning tokens instead of "
                 f"{model.tokens:,.4g} pre-training tokens: energy × {value:.3g} "
                 "(compute ∝ tokens at the same model size)")
    else:
        value = f.value
        basis = f.basis + " (give model.fine_tune_tokens and model.tokens for your case)"
    return _scaled(est, "fine_tune", "fine-tune a pre-trained checkpoint", value, basis,
                   f.source, "needs a suitable pre-trained checkpoint under a licence that "
                   "allows it; the pre-training's own footprint is then someone else's")


def _scaled(est: Estimate, key: str, name: str, factor: float, basis: str, source: str,
            note: str) -> AlternativeResult:
    return AlternativeResult(key, name, est.energy_kwh * factor, est.total_co2e_kg * factor,
                             est.water_total_l * factor, est.energy_kwh, factor, basis,
                             source, note)
