"""Run detail: power per device over the run's phases, and where its figures come from.

Energy by component and by phase, the intensity used and its source, planned
vs achieved intensity of a carbon-aware run, accounted figures, equivalents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from wattprint.estimate.equivalents import Equivalent, equivalents
from wattprint.model import AccountedFigure, CarbonAwareRecord, DeviceEnergy, Run, RunPart
from wattprint.report.web import figures
from wattprint.report.web.context import DashboardContext, context
from wattprint.report.web.render import page
from wattprint.report.web.serialize import to_json
from wattprint.units import j_to_kwh

router = APIRouter()
Ctx = Annotated[DashboardContext, Depends(context)]
RunId = Annotated[str, Path(description="Run id, or a unique prefix of one")]


@dataclass(frozen=True)
class RunDetail:
    """A run with what its page shows beside it."""

    run: Run
    carbon_aware: CarbonAwareRecord | None
    accounting: tuple[AccountedFigure, ...]
    equivalents: tuple[Equivalent, ...]
    #: Per-host parts of a run recorded by several hosts (empty for one host).
    parts: tuple[RunPart, ...] = ()

    def trace(self) -> dict[str, tuple[list[float], list[float]]]:
        """Device id -> (seconds from start, watts)."""
        out: dict[str, tuple[list[float], list[float]]] = {}
        for point in self.run.trace:
            t, w = out.setdefault(point.device_id, ([], []))
            t.append(point.t_s)
            w.append(point.power_w)
        return out

    def phases(self) -> list[tuple[str, float, float]]:
        """(name, start s, end s) of each phase, from the run's start."""
        t0 = self.run.started_utc
        return [(p.name, (p.started_utc - t0).total_seconds(),
                 (p.ended_utc - t0).total_seconds()) for p in self.run.phases]

    def device_labels(self) -> dict[str, str]:
        """Device id -> legend text with its name and method."""
        return {d.device.id: f"{d.device.id} {d.device.name} ({d.device.method.value})"
                for d in self.run.devices}

    def to_json(self) -> dict[str, Any]:
        """The API's answer."""
        run = self.run
        fp = run.footprint
        return {
            "run": _run_json(run),
            "footprint": {"energy_kwh": fp.energy_kwh, "it_energy_kwh": fp.it_energy_kwh,
                          "co2e_kg": fp.co2e_kg, "pue": fp.pue, "pue_source": fp.pue_source,
                          "energy_kwh_by_kind": to_json(fp.energy_kwh_by_kind),
                          "embodied_co2e_kg": fp.embodied_co2e_kg, "water_l": fp.water_l},
            "intensity": to_json(fp.intensity), "zone_choice": to_json(run.zone_choice),
            "devices": [_device_json(d) for d in run.devices],
            "phases": [{"name": p.name, "started_utc": to_json(p.started_utc),
                        "ended_utc": to_json(p.ended_utc), "duration_s": p.duration_s,
                        "energy_kwh": j_to_kwh(p.energy_j),
                        "energy_kwh_by_device": {k: j_to_kwh(v)
                                                 for k, v in p.energy_by_device_j.items()}}
                       for p in run.phases],
            "trace": {d: {"t_s": t, "power_w": w} for d, (t, w) in self.trace().items()},
            "carbon_aware": to_json(self.carbon_aware),
            "accounting": [to_json(f) for f in self.accounting],
            "equivalents": to_json(self.equivalents),
            "parts": [to_json(p) for p in self.parts],
        }

    def figures(self) -> dict[str, figures.Figure]:
        """The page's charts by element id."""
        fp = self.run.footprint
        kinds = sorted(fp.energy_kwh_by_kind)
        return {
            "run-trace-chart": figures.power_trace(self.trace(), self.device_labels(),
                                                   self.phases()),
            "run-components-chart": figures.bars(
                kinds, [fp.energy_kwh_by_kind[k] for k in kinds], "kWh (IT)", figures.PALETTE[0]),
            "run-phases-chart": figures.bars(
                [p.name for p in self.run.phases],
                [j_to_kwh(p.energy_j) for p in self.run.phases], "kWh (IT)", figures.PALETTE[2]),
        }


def _run_json(run: Run) -> dict[str, Any]:
    keys = ("id", "project", "experiment", "model", "status", "started_utc", "ended_utc",
            "duration_s", "host", "command", "exit_code", "error", "flops", "tags", "warnings",
            "metrics")
    out = {k: to_json(getattr(run, k)) for k in keys}
    out.update(energy_kwh=run.energy_kwh, co2e_kg=run.co2e_kg, flops_per_w=run.flops_per_w)
    return out


def _device_json(d: DeviceEnergy) -> dict[str, Any]:
    dev = d.device
    return {"id": dev.id, "kind": dev.kind.value, "index": dev.index, "name": dev.name,
            "method": dev.method.value, "sensor": dev.sensor, "source": dev.source,
            "note": dev.note, "energy_kwh": j_to_kwh(d.energy_j), "peak_power_w": d.peak_power_w,
            "samples": d.samples}


def run_detail(ctx: DashboardContext, run_id: str) -> RunDetail:
    """Read one run (any unique id prefix) and its records.

    Raises:
        RunNotFoundError: No run matches, or the prefix is ambiguous.
    """
    run = ctx.ledger.get_run(run_id)
    plan = ctx.ledger.carbon_aware(run.id)
    figures_ = ctx.ledger.accounting([run.id]).get(run.id, {})
    return RunDetail(run, plan, tuple(figures_[k] for k in sorted(figures_)),
                     equivalents(co2e_kg=run.co2e_kg, energy_kwh=run.energy_kwh),
                     tuple(ctx.ledger.run_parts(run.id)))


@router.get("/api/v1/runs/{run_id}", tags=["runs"], summary="One run in detail")
def api_run(ctx: Ctx, run_id: RunId) -> JSONResponse:
    """One run with its devices, phases, power trace and intensity.

    Also its carbon-aware plan (planned vs achieved intensity) when it has one,
    its accounted figures, everyday equivalents and, for a run recorded by
    several hosts, one entry per host under ``parts``.
    """
    return JSONResponse(run_detail(ctx, run_id).to_json())


@router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(request: Request, ctx: Ctx, run_id: RunId) -> HTMLResponse:
    """The run detail page."""
    detail = run_detail(ctx, run_id)
    return page(request, "run.html", title=f"Run {detail.run.id[:12]}", d=detail,
                run=detail.run, figures=detail.figures())
