from __future__ import annotations

import pytest
from helpers import CPU, GPU, run

from wattprint.account.embodied import class_defaults, embodied_co2e, water_l
from wattprint.errors import ConfigError
from wattprint.estimate import estimate
from wattprint.estimate.water import WaterFactors
from wattprint.model import Device, DeviceEnergy


def test_embodied_share_uses_class_defaults_and_says_so() -> None:
    r = run(hours=24.0, devices=(DeviceEnergy(GPU, 1.0), DeviceEnergy(CPU, 1.0)))
    fig = embodied_co2e(r)
    life_h = 6 * 8760 * 0.85
    assert fig.value == pytest.approx((150 + 1250) * 24 / life_h)
    assert fig.unit == "kg CO2e" and fig.method == "amortised-lifetime"
    assert "Luccioni" in fig.inputs["lifetime_source"]
    assert [d["embodied_kg"] for d in fig.inputs["devices"]] == [150.0, 1250.0]
    assert fig.inputs["devices"][0]["source"] == class_defaults()["gpu"][1]


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
    fig = water_l(run(it_kwh=2.0, pue=1.5))  # zone DE: no published figures, both defaults
    assert fig.inputs["water_onsite_l"] == pytest.approx(2.0 * 1.8)
    assert fig.inputs["water_offsite_l"] == pytest.approx(3.0 * 3.142)
    assert fig.value == pytest.approx(3.6 + 9.426) and fig.unit == "L"
    assert fig.inputs["wue_source"].startswith("default (no cloud provider)")
    assert "Shehabi" in fig.inputs["wue_source"]
    assert fig.inputs["water_intensity_source"].startswith("default (none published for DE)")
    assert "Li, Yang, Islam & Ren 2023" in fig.inputs["water_intensity_source"]
    given = water_l(run(), wue_l_per_kwh=0.0, water_intensity_l_per_kwh=1.0)
    assert given.value == pytest.approx(3.0) and given.inputs["wue_source"] == "given"
    assert given.inputs["water_intensity_source"] == "given"
    with pytest.raises(ConfigError, match="water"):
        water_l(run(), wue_l_per_kwh=-1.0)


def test_water_uses_the_zone_and_the_cloud_providers_published_figures() -> None:
    cloud = water_l(run(zone="aws:eu-west-1"))  # AWS Ireland: AWS WUE, Irish grid water
    assert cloud.inputs["wue_l_per_kwh"] == 0.18
    assert cloud.inputs["wue_source"].startswith("aws fleet WUE: UNVERIFIED")
    assert cloud.inputs["water_intensity_l_per_kwh"] == 1.476
    assert cloud.inputs["water_intensity_source"].startswith("zone IE:")
    state = water_l(run(zone="US-TX"))
    assert state.inputs["water_intensity_l_per_kwh"] == 1.287
    assert state.inputs["wue_source"].startswith("default")
    factors = WaterFactors(0.5, "site meter", 2.0, "utility report")
    fig = water_l(run(it_kwh=2.0, pue=1.5), factors=factors)
    assert fig.value == pytest.approx(0.5 * 2.0 + 2.0 * 3.0)
    assert fig.inputs["wue_source"] == "site meter"


@pytest.mark.parametrize("zone", ["DE", "SE", "US-TX", "aws:eu-west-1", "aws:us-east-1",
                                  "azure:eastus", "gcp:us-central1"])
def test_estimate_and_account_of_the_same_work_give_the_same_water(zone: str) -> None:
    # 1 kW for 2 h at PUE 1.5: 2 kWh IT, 3 kWh facility, in both.
    est = estimate(total_power_w=1000.0, hours=2.0, pue=1.5, zone=zone)
    fig = water_l(run(it_kwh=2.0, pue=1.5, zone=zone))
    assert est.it_energy_kwh == pytest.approx(fig.inputs["it_energy_kwh"])
    assert est.energy_kwh == pytest.approx(fig.inputs["energy_kwh"])
    assert est.wue_l_per_kwh == fig.inputs["wue_l_per_kwh"]
    assert est.water_intensity_l_per_kwh == fig.inputs["water_intensity_l_per_kwh"]
    assert est.water_onsite_l + est.water_offsite_l == pytest.approx(fig.value)


def test_a_whole_server_gets_the_same_embodied_share_as_the_estimate() -> None:
    import dataclasses

    gpus = tuple(DeviceEnergy(dataclasses.replace(GPU, id=f"gpu:{i}", index=i), 1.0)
                 for i in range(8))
    cpus = tuple(DeviceEnergy(dataclasses.replace(CPU, id=f"cpu:{i}", index=i), 1.0)
                 for i in range(2))
    account = embodied_co2e(run(hours=10.0, devices=gpus + cpus))
    est = estimate(device="V100", count=8, hours=10, intensity_g_per_kwh=100)
    assert account.value == pytest.approx(est.embodied_co2e_kg)
