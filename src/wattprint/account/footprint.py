"""Pure accounting: device energy → IT energy by kind → facility energy → CO2e.

No I/O. The tracker and ``wattprint recompute`` call these with values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from wattprint.model import DeviceEnergy, DeviceKind, Footprint, Intensity, Run, ZoneChoice
from wattprint.units import j_to_kwh

ON_PREMISE_PUE = (1.0, "on-premise default: no facility overhead assumed (set pue to override)")


def energy_kwh_by_kind(devices: Iterable[DeviceEnergy]) -> dict[str, float]:
    """IT energy per device kind (kWh); every kind appears, zero when absent."""
    totals = {kind.value: 0.0 for kind in DeviceKind}
    for dev in devices:
        totals[dev.device.kind.value] += j_to_kwh(dev.energy_j)
    return totals


def make_footprint(
    devices: Iterable[DeviceEnergy], *, pue: float, pue_source: str, intensity: Intensity
) -> Footprint:
    """The footprint of devices' energy at ``pue`` and ``intensity``."""
    return Footprint(
        energy_kwh_by_kind=energy_kwh_by_kind(devices),
        pue=pue,
        pue_source=pue_source,
        intensity=intensity,
    )


def recompute(
    run: Run,
    *,
    intensity: Intensity,
    zone_choice: ZoneChoice,
    pue: float | None = None,
    pue_source: str | None = None,
) -> Run:
    """Re-account a stored run for a corrected zone (and optionally PUE).

    Energy is kept as measured; only the intensity (and PUE, when given) and
    the recorded zone choice change.
    """
    fp = replace(
        run.footprint,
        intensity=intensity,
        pue=run.footprint.pue if pue is None else pue,
        pue_source=run.footprint.pue_source if pue_source is None else pue_source,
    )
    return replace(run, footprint=fp, zone_choice=zone_choice)
