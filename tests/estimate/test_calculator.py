from __future__ import annotations

from typing import Any

import pytest

from wattprint.errors import ConfigError, UnknownHardwareError, UnknownZoneError
from wattprint.estimate import EstimateInput, compute, estimate
from wattprint.estimate.equivalents import equivalents
from wattprint.estimate.water import default_wue, water_intensity

BASE: dict[str, Any] = {"device": "A100 80GB", "count": 8, "hours": 10.0,
                        "intensity_g_per_kwh": 100.0}


def test_defaults_are_stated() -> None:
    est = estimate(**BASE)
    assert est.power_w_per_device == 400  # TDP x default fraction 1.0
    assert "default fraction" in est.basis["power"]
    assert est.pue == 1.0 and "on-premise" in est.basis["pue"]
    assert "default lifetime 6 years" in est.basis["embodied"]
    assert "default use rate 0.85" in est.basis["embodied"]
    assert est.basis["water_onsite"].count("default") >= 1
    assert "no zone given" in est.basis["water_offsite"]
    assert all(": " in line for line in est.assumptions)


def test_utilisation_scales_catalog_power() -> None:
    est = estimate(**BASE, utilisation=0.5)
    assert est.power_w_per_device == 200
    assert est.it_energy_kwh == pytest.approx(8 * 200 * 10 / 1000)


def test_device_hours_and_hours_agree() -> None:
    a = estimate(**{**BASE, "hours": None}, device_hours=80.0)
    b = estimate(**BASE)
    assert a.hours == 10.0 and a.it_energy_kwh == b.it_energy_kwh


def test_instance_uses_provider_pue_wue_and_counts_host() -> None:
    est = estimate(instance="p4d.24xlarge", count=2, hours=1.0, zone="aws:us-east-1")
    assert est.devices == 16 and est.provider == "aws"
    assert est.pue == pytest.approx(1.15) and "default for aws" in est.basis["pue"]
    assert est.wue_l_per_kwh == pytest.approx(0.18)
    # 2 x (96 vCPUs / 2 x 12 W + 1152 GB x 0.3725 W/GB)
    assert est.host_power_w == pytest.approx(2 * (48 * 12 + 1152 * 0.3725))
    assert "zone US-VA" in est.basis["water_offsite"]
    half = estimate(instance="p4d.24xlarge", count=2, hours=1.0, zone="aws:us-east-1",
                    cpu_share=0.5)
    assert half.host_power_w == pytest.approx(est.host_power_w / 2)


def test_cloud_zone_gives_provider_pue_without_instance() -> None:
    est = estimate(device="H100", hours=1.0, zone="gcp:europe-west1")
    assert est.provider == "gcp" and est.pue > 1.0
    assert "publishes no fleet WUE" in est.basis["water_onsite"]


def test_explicit_inputs_override_everything() -> None:
    est = estimate(instance="g5.xlarge", hours=2.0, power_w=100.0, host_power_w=50.0,
                   pue=1.3, intensity_g_per_kwh=200.0, wue_l_per_kwh=1.0,
                   water_intensity_l_per_kwh=2.0)
    assert est.it_energy_kwh == pytest.approx((100 + 50) * 2 / 1000)
    assert est.energy_kwh == pytest.approx(est.it_energy_kwh * 1.3)
    assert est.co2e_kg == pytest.approx(est.energy_kwh * 0.2)
    assert est.water_onsite_l == pytest.approx(est.it_energy_kwh)
    assert est.water_offsite_l == pytest.approx(est.energy_kwh * 2)
    assert est.water_total_l == pytest.approx(est.water_onsite_l + est.water_offsite_l)


def test_cpu_device_embodied_is_a_server_share() -> None:
    est = estimate(device="EPYC 9654", count=2, hours=1.0, intensity_g_per_kwh=1.0)
    assert est.power_w_per_device == 360
    assert est.embodied_kg_per_device == 1250


def test_to_dict_has_the_stable_keys() -> None:
    data = estimate(**BASE).to_dict()
    for key in ["it_energy_kwh", "energy_kwh", "co2e_kg", "embodied_co2e_kg", "water_onsite_l",
                "water_offsite_l", "water_total_l", "assumptions", "equivalents"]:
        assert key in data
    assert {e["key"] for e in data["equivalents"]} == {
        "car_km", "flight_paris_new_york", "household_years", "smartphone_charges"}


def test_equivalents_divide_the_right_quantity() -> None:
    eqs = {e.key: e for e in equivalents(co2e_kg=997.5, energy_kwh=10715.0)}
    assert eqs["flight_paris_new_york"].value == pytest.approx(1.0)
    assert eqs["household_years"].value == pytest.approx(1.0)
    assert eqs["car_km"].value == pytest.approx(997.5 / 0.2485)
    assert all(e.source for e in eqs.values())


def test_water_lookups_fall_back_to_stated_defaults() -> None:
    assert water_intensity(("aws:eu-west-1", "IE", "IE"))[0] == pytest.approx(1.476)
    value, source = water_intensity(("DE",))
    assert value == pytest.approx(3.142) and source.startswith("default")
    assert default_wue("azure")[0] == pytest.approx(0.30)
    assert default_wue(None)[1].startswith("default")


def test_device_without_published_power_needs_one() -> None:
    with pytest.raises(ConfigError, match="no published power"):
        estimate(device="TPU v5e", hours=1.0, intensity_g_per_kwh=1.0)
    est = estimate(device="TPU v5e", hours=1.0, intensity_g_per_kwh=1.0, power_w=200.0)
    assert est.it_energy_kwh == pytest.approx(0.2)


@pytest.mark.parametrize(("change", "message"), [
    ({"count": 0}, r"count \(--count\): must be a whole number >= 1, got 0"),
    ({"count": -3}, r"count \(--count\): must be a whole number >= 1, got -3"),
    ({"count": 2.5}, r"count \(--count\): must be a whole number >= 1, got 2.5"),
    ({"hours": 0.0}, r"hours \(--hours\): must be > 0, got 0.0"),
    ({"hours": -1.0}, r"hours \(--hours\): must be > 0, got -1.0"),
    ({"hours": float("nan")}, r"hours \(--hours\): must be > 0, got nan"),
    ({"hours": None, "device_hours": -5.0},
     r"device_hours \(--device-hours\): must be > 0, got -5.0"),
    ({"hours": None, "device_hours": 0.0},
     r"device_hours \(--device-hours\): must be > 0, got 0.0"),
    ({"hours": None}, "exactly one of --hours"),
    ({"device_hours": 3.0}, "exactly one of --hours"),
    ({"pue": 0.9}, r"pue \(--pue\): pue=0.9 is impossible.*must be at least 1.0"),
    ({"pue": 0.0}, r"pue \(--pue\): pue=0.0 is impossible"),
    ({"utilisation": 0.0}, r"utilisation \(--utilisation\): must be in \(0, 1\], got 0.0"),
    ({"utilisation": 1.5}, r"utilisation \(--utilisation\): must be in \(0, 1\], got 1.5"),
    ({"utilisation": -0.5}, r"utilisation \(--utilisation\): must be in \(0, 1\], got -0.5"),
    ({"zone": "FR"}, "exactly one of --zone"),
    ({"intensity_g_per_kwh": None}, "exactly one of --zone"),
    ({"instance": "p5.48xlarge"}, "--device or --instance, not both"),
    ({"power_w": 100.0, "total_power_w": 800.0}, "not both"),
    ({"power_w": 100.0, "utilisation": 0.5}, "cannot be combined"),
    ({"cpu_share": 0.5}, "--cpu-share needs --instance"),
    ({"cpu_share": 1.5}, r"must be in \[0, 1\]"),
    ({"lifetime_use_rate": 0.0},
     r"lifetime_use_rate \(--lifetime-use-rate\): must be in \(0, 1\], got 0.0"),
    ({"lifetime_use_rate": 1.5},
     r"lifetime_use_rate \(--lifetime-use-rate\): must be in \(0, 1\], got 1.5"),
    ({"lifetime_use_rate": -0.2},
     r"lifetime_use_rate \(--lifetime-use-rate\): must be in \(0, 1\], got -0.2"),
    ({"lifetime_years": -6.0}, "lifetime_years"),
    ({"embodied_kg": -1.0}, "embodied_kg"),
    ({"device": None}, "give --device, --instance, or an average power"),
])
def test_bad_input_is_a_config_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        estimate(**{**BASE, **change})


def test_unknown_names_raise_with_matches() -> None:
    with pytest.raises(UnknownHardwareError, match="did you mean"):
        estimate(**{**BASE, "device": "A1000"})
    with pytest.raises(UnknownHardwareError) as info:
        estimate(**{**BASE, "device": "A10O"})
    assert info.value.kind == "device" and info.value.name == "A10O"
    assert info.value.matches[:2] == ("a10", "a10g")
    assert str(info.value).startswith("unknown device 'A10O'; did you mean a10, a10g")
    assert "(see `wattprint hardware`)" in str(info.value)
    with pytest.raises(UnknownHardwareError) as info:
        estimate(**{**BASE, "device": None}, instance="p4d.24xlage")
    assert info.value.kind == "instance type" and info.value.matches[0] == "p4d.24xlarge"
    assert str(info.value).startswith(
        "unknown instance type 'p4d.24xlage'; did you mean p4d.24xlarge")
    with pytest.raises(UnknownZoneError):
        estimate(**{**BASE, "intensity_g_per_kwh": None}, zone="Atlantis")


def test_embodied_kg_alone_uses_stated_lifetime_defaults() -> None:
    est = compute(EstimateInput(device="H100", hours=1.0, intensity_g_per_kwh=1.0,
                                embodied_kg=1000.0))
    assert "1000 kg CO2e per device given" in est.basis["embodied"]
    assert "default lifetime 6 years" in est.basis["embodied"]
    assert est.embodied_co2e_kg == pytest.approx(1000 / (6 * 8760 * 0.85))
