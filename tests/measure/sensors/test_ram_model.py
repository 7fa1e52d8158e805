from __future__ import annotations

import pytest
from _sensor_fakes import FakeKernel, FakePsutil

from wattprint.errors import SensorError
from wattprint.measure.sensors import ram_model
from wattprint.measure.sensors.ram_model import W_PER_GB, RamModelSensor
from wattprint.model import DeviceKind, Method


def test_machine_memory_in_use_times_w_per_gb() -> None:
    k = FakeKernel()  # 64 GB total, 48 GB available -> 16 GB in use
    sensor = RamModelSensor(psutil=FakePsutil(k))
    sensor.start()
    (device,) = sensor.devices
    assert (device.id, device.kind, device.method) == ("ram", DeviceKind.RAM, Method.MODELLED)
    assert "0.3725 W/GB" in device.source and "Green Algorithms" in device.source
    first = sensor.read(0.0)[0]
    assert first.power_w == pytest.approx(16 * W_PER_GB)
    assert first.energy_j == 0.0
    assert first.memory_used_bytes == 16e9
    k.available_bytes = 40 * 10**9  # 24 GB in use: trapezoid between the two
    r = sensor.read(10.0)[0]
    assert r.energy_j == pytest.approx(10 * W_PER_GB * (16 + 24) / 2)


def test_process_tree_rss() -> None:
    k = FakeKernel()
    k.spawn(10).rss = 2 * 10**9
    k.spawn(11, ppid=10).rss = 1 * 10**9
    sensor = RamModelSensor(10, w_per_gb=1.0, psutil=FakePsutil(k))
    sensor.start()
    assert sensor.read(0.0)[0].power_w == pytest.approx(3.0)
    k.exit(11)
    r = sensor.read(4.0)[0]
    assert r.power_w == pytest.approx(2.0)
    assert r.energy_j == pytest.approx(10.0)


def test_validation_and_errors() -> None:
    with pytest.raises(ValueError):
        RamModelSensor(w_per_gb=0)
    with pytest.raises(SensorError):
        RamModelSensor(77, psutil=FakePsutil(FakeKernel())).start()


def test_probe() -> None:
    assert ram_model.probe(psutil=FakePsutil(FakeKernel())).available
    assert not ram_model.probe(psutil=object()).available
