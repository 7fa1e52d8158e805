"""Validation of an :class:`~wattprint.estimate.result.EstimateInput`.

Each message names the option as both the Python argument and the CLI flag
use it (``count``/``--count``), says what was given and what is allowed.
"""

from __future__ import annotations

import math

from wattprint.errors import ConfigError
from wattprint.estimate.result import EstimateInput


def check_input(inp: EstimateInput) -> None:
    """Raise ``ConfigError`` naming the first impossible or conflicting input.

    Raises:
        ConfigError: A value is out of range, or two options exclude each other.
    """
    _exclusive(inp)
    if isinstance(inp.count, bool) or not isinstance(inp.count, int) or inp.count < 1:
        raise ConfigError(f"count (--count): must be a whole number >= 1, got {inp.count!r}")
    _positive("hours (--hours)", inp.hours)
    _positive("device_hours (--device-hours)", inp.device_hours)
    _positive("power_w (--power-w)", inp.power_w)
    _positive("total_power_w (--total-power-w)", inp.total_power_w)
    _positive("lifetime_years (--lifetime-years)", inp.lifetime_years)
    for name, value in (("host_power_w (--host-power-w)", inp.host_power_w),
                        ("intensity_g_per_kwh (--intensity)", inp.intensity_g_per_kwh),
                        ("wue_l_per_kwh (--wue)", inp.wue_l_per_kwh),
                        ("water_intensity_l_per_kwh (--water-intensity)",
                         inp.water_intensity_l_per_kwh),
                        ("embodied_kg (--embodied-kg)", inp.embodied_kg)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"{name}: must be >= 0, got {value!r}")
    _fraction("utilisation (--utilisation)", inp.utilisation, low_open=True)
    _fraction("lifetime_use_rate (--lifetime-use-rate)", inp.lifetime_use_rate, low_open=True)
    _fraction("cpu_share (--cpu-share)", inp.cpu_share, low_open=False)
    if inp.pue is not None:
        from wattprint.intensity.pue import check_pue

        check_pue(inp.pue, "pue (--pue)")


def _exclusive(inp: EstimateInput) -> None:
    if inp.device is not None and inp.instance is not None:
        raise ConfigError("give --device or --instance, not both (an instance type "
                          "already names its device)")
    if (inp.hours is None) == (inp.device_hours is None):
        raise ConfigError("give exactly one of --hours (wall-clock) or --device-hours "
                          "(summed over devices)")
    if (inp.zone is None) == (inp.intensity_g_per_kwh is None):
        raise ConfigError("give exactly one of --zone (a grid zone or cloud region) or "
                          "--intensity (g CO2e/kWh)")
    if inp.power_w is not None and inp.total_power_w is not None:
        raise ConfigError("give --power-w (per device) or --total-power-w (all devices "
                          "and host together), not both")
    if inp.utilisation is not None and (inp.power_w or inp.total_power_w) is not None:
        raise ConfigError("--utilisation scales the catalog power; it cannot be combined "
                          "with --power-w or --total-power-w")
    if inp.total_power_w is not None and inp.host_power_w is not None:
        raise ConfigError("--total-power-w already includes the host; drop --host-power-w")
    no_power = inp.power_w is None and inp.total_power_w is None
    if inp.device is None and inp.instance is None and no_power:
        raise ConfigError("give --device, --instance, or an average power "
                          "(--power-w per device or --total-power-w)")


def _positive(name: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{name}: must be > 0, got {value!r}")


def _fraction(name: str, value: float | None, *, low_open: bool) -> None:
    if value is None:
        return
    low_ok = value > 0 if low_open else value >= 0
    if not (math.isfinite(value) and low_ok and value <= 1):
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ConfigError(f"{name}: must be in {interval}, got {value!r}")
