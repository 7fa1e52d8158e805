"""The figures ``wattprint advise`` reads off a recorded run (pure).

* **Trace statistics** — each trace point stands for the time until the
  next point of its device (the last one for the median spacing, clipped to
  the run's end), so shares and energies are time-weighted.
* **Data-loading phases** — a phase whose name has a word ``data``,
  ``dataloader``, ``dataloading``, ``dataset``, ``load``, ``loader``,
  ``loading``, ``input`` or ``prefetch`` (split on anything but letters and
  digits), unless it also names a model, checkpoint or weights (loading a
  model is not the input pipeline).
* **Precision** — how a run says it: a tag ``precision:<value>`` (``fp32``,
  ``tf32``, ``fp16``, ``bf16``, ``amp``, ``mixed``, ``fp8``, ``16-mixed``,
  ``bf16-mixed``...), else a bare tag that is one of those values, else a
  flag of the recorded command (``--fp16``, ``--bf16``, ``--amp``,
  ``--precision X``, ``--mixed_precision X``), else a word of the model name
  (``llama-7b-bf16``). None of them: unknown.
* **Tensor cores** — NVIDIA GPUs from Volta on, recognised by the name NVML
  reports (``Tesla V100-SXM2-32GB``, ``NVIDIA A100-SXM4-40GB``, ``NVIDIA
  H100 80GB HBM3``, ``Tesla T4``, ``NVIDIA GeForce RTX 3090``, ``NVIDIA L4``...);
  GTX cards, Pascal and older, AMD and TPUs are not counted.
"""

from __future__ import annotations

import re
import shlex
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.model import Phase, Run, TracePoint

_DATA_WORDS = frozenset({"data", "dataloader", "dataloading", "dataset", "load", "loader",
                         "loading", "input", "prefetch"})
_NOT_DATA_WORDS = frozenset({"model", "checkpoint", "ckpt", "weights"})
#: Precisions that already use the tensor cores' reduced-precision paths.
REDUCED = frozenset({"fp16", "bf16", "amp", "mixed", "fp8", "int8", "16", "16-mixed",
                     "bf16-mixed", "bf16-true", "16-true", "half"})
#: Full precision: fp32 (tf32 is fp32 storage with tf32 matmuls on Ampere+; AMP still helps).
FULL = frozenset({"fp32", "tf32", "32", "32-true", "float32", "full"})
_FLAG_PRECISION = {"--fp16": "fp16", "--bf16": "bf16", "--amp": "amp", "--fp32": "fp32",
                   "--tf32": "tf32", "--half": "fp16"}
_VALUE_FLAGS = ("--precision", "--mixed_precision", "--mixed-precision")
_TENSOR_CORE_NAMES = re.compile(
    r"\b(V100|TITAN V|GV100|T4|TITAN RTX|QUADRO RTX|RTX [2-5]0[5-9]0|RTX A\d+|A100|A800|A30|"
    r"A40|A10G?|A16|A2|L4|L40S?|H100|H200|H800|H20|GH200|B100|B200|GB200|RTX \d+ ADA|RTX PRO)\b")
#: AMD GPUs with matrix units for fp16/bf16: Instinct MI100 (CDNA) and newer, and
#: the Radeon RX / PRO W 7000 (RDNA 3, WMMA) and 9000 (RDNA 4) series. MI50/MI60
#: (Vega 20) have packed fp16 but no matrix cores.
_MATRIX_CORE_NAMES = re.compile(
    r"\b(MI1\d\d|MI2\d\dX?|MI3\d\d[AXH]?|RX [79]\d{3}|PRO W[79]\d{3})\b")


@dataclass(frozen=True)
class DeviceTrace:
    """Time-weighted figures of one device's trace.

    Attributes:
        device_id: The device.
        covered_s: Time the trace points stand for (s).
        utilisation_pct: Time-weighted mean utilisation, None without utilisation data.
        floor_w: Lowest power of the trace (its idle floor when it idles at all).
        peak_w: Highest power of the trace.
        points: Number of trace points.
    """

    device_id: str
    covered_s: float
    utilisation_pct: float | None
    floor_w: float
    peak_w: float
    points: int


def weighted_points(trace: Sequence[TracePoint], device_id: str,
                    duration_s: float) -> list[tuple[TracePoint, float]]:
    """The device's trace points in time order, each with the seconds it stands for."""
    points = sorted((p for p in trace if p.device_id == device_id), key=lambda p: p.t_s)
    if not points:
        return []
    gaps = [b.t_s - a.t_s for a, b in zip(points, points[1:], strict=False)]
    typical = statistics.median(gaps) if gaps else max(duration_s - points[0].t_s, 0.0)
    # The last point lasts until the run's end (a reading at the very end: no time at all).
    last = min(typical, max(duration_s - points[-1].t_s, 0.0)) if duration_s > 0 else typical
    return list(zip(points, [*gaps, last], strict=True))


def device_trace(run: Run, device_id: str) -> DeviceTrace | None:
    """Figures of one device's trace, None when the run has no trace for it."""
    weighted = weighted_points(run.trace, device_id, run.duration_s)
    if not weighted:
        return None
    covered = sum(dt for _, dt in weighted)
    util = [(p.utilisation_pct, dt) for p, dt in weighted if p.utilisation_pct is not None]
    util_s = sum(dt for _, dt in util)
    mean_util = sum(u * dt for u, dt in util) / util_s if util_s > 0 else None
    powers = [p.power_w for p, _ in weighted]
    return DeviceTrace(device_id, covered, mean_util, min(powers), max(powers), len(weighted))


def is_data_phase(name: str) -> bool:
    """Whether a phase name says it loads input data (see the module docstring)."""
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    return bool(words & _DATA_WORDS) and not words & _NOT_DATA_WORDS


def data_phases(run: Run) -> tuple[Phase, ...]:
    """The run's data-loading phases, without those nested in another data phase."""
    found = [p for p in run.phases if is_data_phase(p.name)]
    return tuple(p for p in found if not any(
        o is not p and o.started_utc <= p.started_utc and p.ended_utc <= o.ended_utc
        and (o.started_utc, o.ended_utc) != (p.started_utc, p.ended_utc) for o in found))


def phase_span_s(run: Run, phase: Phase) -> tuple[float, float]:
    """The phase as seconds from the run's start (the trace's time axis)."""
    start = (phase.started_utc - run.started_utc).total_seconds()
    return start, start + phase.duration_s


def utilisation_in(run: Run, device_id: str,
                   spans: Sequence[tuple[float, float]]) -> float | None:
    """Time-weighted utilisation of a device over trace points inside ``spans``."""
    inside = [(p.utilisation_pct, dt) for p, dt in weighted_points(run.trace, device_id,
                                                                   run.duration_s)
              if p.utilisation_pct is not None and any(a <= p.t_s < b for a, b in spans)]
    total = sum(dt for _, dt in inside)
    return sum(u * dt for u, dt in inside) / total if total > 0 else None


@dataclass(frozen=True)
class Precision:
    """The numeric precision a run used and where the run said so."""

    value: str | None
    said_by: str

    @property
    def reduced(self) -> bool:
        """True for fp16/bf16/AMP/fp8 and the like."""
        return self.value in REDUCED

    @property
    def full(self) -> bool:
        """True for fp32 (and tf32)."""
        return self.value in FULL


def precision_of(run: Run) -> Precision:
    """The run's precision: tag ``precision:X``, bare tag, command flag, model name."""
    for tag in run.tags:
        key, _, value = tag.partition(":")
        if key.strip().lower() == "precision" and value.strip():
            return Precision(_normal(value), f"tag {tag}")
    for tag in run.tags:
        if _normal(tag) in REDUCED | FULL and ":" not in tag:
            return Precision(_normal(tag), f"tag {tag}")
    flag = _command_precision(run.command)
    if flag is not None:
        return Precision(flag[0], f"command flag {flag[1]}")
    for word in re.split(r"[^a-z0-9]+", run.model.lower()):
        if word in {"fp32", "fp16", "bf16", "fp8", "tf32"}:
            return Precision(word, f"model name {run.model}")
    return Precision(None, "no precision tag, command flag or model-name word")


def _normal(value: str) -> str:
    text = value.strip().lower()
    return {"float16": "fp16", "bfloat16": "bf16", "half": "fp16", "32": "fp32",
            "float32": "fp32", "32-true": "fp32"}.get(text, text)


def _command_precision(command: str) -> tuple[str, str] | None:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for i, word in enumerate(words):
        name, _, inline = word.partition("=")
        if name in _FLAG_PRECISION and not inline:
            return _FLAG_PRECISION[name], word
        if name in _VALUE_FLAGS:
            value = inline or (words[i + 1] if i + 1 < len(words) else "")
            # accelerate's --mixed_precision no means full precision
            found = "fp32" if value.lower() == "no" else _normal(value)
            if found in REDUCED | FULL:
                return found, word if inline else f"{word} {value}"
    return None


def has_tensor_cores(name: str) -> bool:
    """Whether an NVIDIA GPU of this name has tensor cores (Volta or newer)."""
    upper = name.upper()
    if "GTX" in upper or "AMD" in upper or "RADEON" in upper or "INSTINCT" in upper:
        return False  # GTX 16xx are Turing without tensor cores; older GTX are Pascal or earlier
    return bool(_TENSOR_CORE_NAMES.search(upper.replace("-", " ")))


def has_matrix_cores(name: str) -> bool:
    """Whether an AMD GPU of this name has matrix units for fp16/bf16 (see above)."""
    upper = name.upper()
    if not ("AMD" in upper or "RADEON" in upper or "INSTINCT" in upper):
        return False
    return bool(_MATRIX_CORE_NAMES.search(upper.replace("-", " ")))


def matrix_unit_kind(name: str) -> str | None:
    """``"tensor-core"`` (NVIDIA), ``"matrix-core"`` (AMD) or None: no fp16/bf16 units."""
    if has_tensor_cores(name):
        return "tensor-core"
    return "matrix-core" if has_matrix_cores(name) else None
