from __future__ import annotations

import pytest
from _sensor_fakes import AmdSmiException, FakeAmdGpu, FakeAmdSmi

from wattprint.errors import SensorError
from wattprint.measure.sensors import amd
from wattprint.measure.sensors.amd import AmdSmiSensor, energy_j_from, power_w_from
from wattprint.model import Method


def test_energy_accumulator_times_resolution_in_joules() -> None:
    assert energy_j_from({"energy_accumulator": 2_000_000, "counter_resolution": 15.259}) == (
        pytest.approx(30.518)
    )
    # amdsmi before 6.2.1 named the accumulator "power"
    assert energy_j_from({"power": 1_000_000, "counter_resolution": 1.0}) == pytest.approx(1.0)
    assert energy_j_from({"counter_resolution": 1.0}) is None


def test_power_prefers_current_then_average_and_skips_na() -> None:
    assert power_w_from({"current_socket_power": 550, "average_socket_power": 500}) == 550
    assert power_w_from({"current_socket_power": "N/A", "average_socket_power": 300}) == 300
    assert power_w_from({"current_socket_power": "N/A"}) is None


def test_counter_and_sampled_gpus() -> None:
    fake = FakeAmdSmi(
        [
            FakeAmdGpu(),
            FakeAmdGpu(
                market_name="Radeon Pro W6800", energy=None, power={"average_socket_power": 210}
            ),
        ]
    )
    sensor = AmdSmiSensor(fake)
    sensor.start()
    mi300, w6800 = sensor.devices
    assert (mi300.id, mi300.name, mi300.method) == ("gpu:0", "AMD Instinct MI300X", Method.COUNTER)
    assert (w6800.id, w6800.method) == ("gpu:1", Method.SAMPLED)
    r0, r1 = sensor.read(4.0)
    assert r0.energy_j == pytest.approx(30.518) and r0.counter_max_j is None
    assert r1.power_w == 210
    assert r0.utilisation_pct == 91
    assert r0.memory_used_bytes == 1024 * 2**20
    assert r0.temperature_c == 71  # hotspot; edge is unsupported
    sensor.close()
    sensor.close()
    assert fake.shutdowns == 1


def test_gpu_ids_select_and_empty_selection_fails() -> None:
    fake = FakeAmdSmi([FakeAmdGpu(), FakeAmdGpu()])
    sensor = AmdSmiSensor(fake, gpu_ids=[1])
    sensor.start()
    assert [d.id for d in sensor.devices] == ["gpu:1"]
    with pytest.raises(SensorError, match="no AMD GPU"):
        AmdSmiSensor(FakeAmdSmi([])).start()


def test_read_error_maps_to_sensor_error() -> None:
    gpu = FakeAmdGpu()
    sensor = AmdSmiSensor(FakeAmdSmi([gpu]))
    sensor.start()
    gpu.energy = None
    with pytest.raises(SensorError) as info:
        sensor.read(1.0)
    assert isinstance(info.value.__cause__, AmdSmiException)


def test_probe() -> None:
    ok = amd.probe(FakeAmdSmi([FakeAmdGpu()]))
    assert ok.available and "MI300X" in ok.detail
    assert not amd.probe(FakeAmdSmi([])).available
    assert not amd.probe(object()).available
