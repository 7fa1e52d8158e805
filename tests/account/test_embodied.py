from __future__ import annotations

import pytest
from helpers import CPU, GPU, run

from wattprint.account.embodied import CLASS_DEFAULTS, embodied_co2e, water_l
from wattprint.errors import ConfigError
from wattprint.model import Device, DeviceEnergy


def test_embodied_share_uses_class_defaults_and_says_so() -> None:
    r = run(hours=24.0, devices=(DeviceEnergy(GPU, 1.0), DeviceEnergy(CPU, 1.0)))
    fig = embodied_co2e(r)
    life_h = 6 * 8760 * 0.85
    assert fig.value == pytest.approx((150 + 1250) * 24 / life_h)
    assert fig.unit == "kg CO2e" and fig.method == "amortised-lifetime"
    assert "Luccioni" in fig.inputs["lifetime_source"]
    assert [d["embodied_kg"] for d in fig.inputs["devices"]] == [150.0, 1250.0]
    assert fig.inputs["devices"][0]["source"] == CLASS_DEFAULTS["gpu"][1]


def test_lookup_and_explicit_lifetime_override_defaults() -> None:
    def catalog(device: Device) -> tuple[float, str] | None:
        return (300.0, "catalog row") if device.name == "NVIDIA H100" else None

    r = run(hours=10.0)
    fig = embodied_co2e(r, lookup=catalog, lifetime_years=4, use_rate=1.0)
    assert fig.value == pytest.approx(300 * 10 / (4 * 8760))
    assert fig.inputs["devices"][0]["source"] == "catalog row"
    assert fig.inputs["lifetime_source"] == "given"
    with pytest.raises(ConfigError, match="use rate"):
        embodied_co2e(r, use_rate=1.5)


def test_no_devices_is_zero_with_a_note() -> None:
    fig = embodied_co2e(run(devices=()))
    assert fig.value == 0.0 and "no devices" in fig.inputs["note"]


def test_water_onsite_on_it_energy_offsite_on_facility_energy() -> None:
    fig = water_l(run(it_kwh=2.0, pue=1.5))
    assert fig.inputs["water_onsite_l"] == pytest.approx(2.0 * 1.8)
    assert fig.inputs["water_offsite_l"] == pytest.approx(3.0 * 7.6)
    assert fig.value == pytest.approx(3.6 + 22.8) and fig.unit == "L"
    assert "Shehabi" in fig.inputs["wue_source"]
    given = water_l(run(), wue_l_per_kwh=0.0, water_intensity_l_per_kwh=1.0)
    assert given.value == pytest.approx(3.0) and given.inputs["wue_source"] == "given"
    with pytest.raises(ConfigError, match="water"):
        water_l(run(), wue_l_per_kwh=-1.0)
