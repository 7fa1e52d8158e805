from __future__ import annotations

from pathlib import Path

import pytest
from _sensor_fakes import (
    FakeAmdGpu,
    FakeAmdSmi,
    FakeGpu,
    FakeKernel,
    FakeNvml,
    FakePsutil,
    powercap_tree,
    proc_tree,
)

from wattprint.measure.sensors.base import Sensor
from wattprint.measure.sensors.detect import default_sensors, fallback_sensor, probes
from wattprint.measure.sensors.nvml import NvmlSensor
from wattprint.model import Device, DeviceKind, Method

GOLD = "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz"


def names(sensors: list[Sensor]) -> list[str]:
    return [s.name for s in sensors]


def h100() -> FakeNvml:
    return FakeNvml([FakeGpu("NVIDIA H100", "GPU-aaaa")])


def test_rapl_with_dram_and_nvml_needs_no_fallback(tmp_path: Path) -> None:
    sensors, notes = default_sensors(
        pid=None,
        powercap_root=powercap_tree(tmp_path / "pc"),
        nvml=h100(),
        env={},
        proc_root=proc_tree(tmp_path / "proc", GOLD),
    )
    assert names(sensors) == ["rapl", "nvml"]
    assert notes == []
    assert sensors[0].devices[0].name == GOLD  # named from cpuinfo
    assert all(isinstance(s, Sensor) for s in sensors)


def test_rapl_without_dram_models_ram(tmp_path: Path) -> None:
    sensors, notes = default_sensors(
        pid=None,
        powercap_root=powercap_tree(tmp_path / "pc", dram=False),
        nvml=h100(),
        env={},
        psutil=FakePsutil(FakeKernel()),
    )
    assert names(sensors) == ["rapl", "ram-model", "nvml"]
    assert notes == ["RAPL has no DRAM domain; RAM energy is modelled"]


def test_no_rapl_models_cpu_and_ram_and_says_so(tmp_path: Path) -> None:
    kernel = FakeKernel(logical=40, physical=20)
    kernel.spawn(100)
    sensors, notes = default_sensors(
        pid=100,
        powercap_root=tmp_path / "absent",
        nvml=h100(),
        env={},
        proc_root=proc_tree(tmp_path / "proc", GOLD, pids=("100",)),
        cgroup_root=tmp_path / "cg",
        psutil=FakePsutil(kernel),
    )
    assert names(sensors) == ["cpu-model", "ram-model", "nvml"]
    assert any("RAPL not available" in n and "CPU energy is modelled" in n for n in notes)
    assert any("RAM energy is modelled" in n for n in notes)
    assert sensors[0].devices[0].method is Method.MODELLED


def test_unknown_cpu_note(tmp_path: Path) -> None:
    _, notes = default_sensors(
        pid=None,
        powercap_root=tmp_path / "absent",
        nvml=h100(),
        env={},
        proc_root=proc_tree(tmp_path / "proc", "Mystery CPU 9000"),
        cgroup_root=tmp_path / "cg",
        psutil=FakePsutil(FakeKernel()),
    )
    assert any("not in the TDP table" in n for n in notes)


def test_model_failure_is_a_note_not_a_crash(tmp_path: Path) -> None:
    sensors, notes = default_sensors(
        pid=4242,  # no such process
        powercap_root=powercap_tree(tmp_path / "pc", dram=False),
        nvml=h100(),
        env={},
        psutil=FakePsutil(FakeKernel()),
    )
    assert names(sensors) == ["rapl", "nvml"]
    assert any("RAM model unavailable" in n for n in notes)


def test_nvml_failure_falls_through_to_amd(tmp_path: Path) -> None:
    sensors, notes = default_sensors(
        pid=None,
        powercap_root=powercap_tree(tmp_path / "pc"),
        nvml=FakeNvml([], init_fails=True),
        amdsmi=FakeAmdSmi([FakeAmdGpu()]),
        env={},
    )
    assert names(sensors) == ["rapl", "amdsmi"]
    assert any("NVML unusable" in n for n in notes)


def test_gpu_hidden_by_cuda_visible_devices(tmp_path: Path) -> None:
    sensors, notes = default_sensors(
        pid=None,
        powercap_root=powercap_tree(tmp_path / "pc"),
        nvml=h100(),
        amdsmi=FakeAmdSmi([]),
        env={"CUDA_VISIBLE_DEVICES": ""},
    )
    assert names(sensors) == ["rapl"]
    assert any("no NVIDIA GPU selected" in n for n in notes)


def device(kind: DeviceKind, dev_id: str) -> Device:
    return Device(dev_id, kind, 0, "x", Method.COUNTER, "rapl")


def test_fallback_sensor_per_kind(tmp_path: Path) -> None:
    ps = FakePsutil(FakeKernel())
    proc = proc_tree(tmp_path / "proc", GOLD, sockets=2)
    cpu = fallback_sensor(device(DeviceKind.CPU, "cpu:1"), pid=None, proc_root=proc, psutil=ps)
    assert cpu is not None and cpu.name == "cpu-model"
    assert cpu.devices[0].id == "cpu:1"
    ram = fallback_sensor(device(DeviceKind.RAM, "ram"), pid=None, proc_root=proc, psutil=ps)
    assert ram is not None and ram.name == "ram-model"
    assert ram.read(0.0)[0].power_w is not None  # started and readable
    assert fallback_sensor(device(DeviceKind.GPU, "gpu:0"), pid=None, psutil=ps) is None
    gone = fallback_sensor(device(DeviceKind.CPU, "cpu:0"), pid=4242, proc_root=proc, psutil=ps)
    assert gone is None


def test_fallback_for_one_of_two_packages_models_half_the_machine(tmp_path: Path) -> None:
    kernel = FakeKernel(logical=80, physical=40)
    ps = FakePsutil(kernel)
    proc = proc_tree(tmp_path / "proc", GOLD, sockets=2)
    halves = [
        fallback_sensor(device(DeviceKind.CPU, f"cpu:{i}"), pid=None, proc_root=proc, psutil=ps)
        for i in (0, 1)
    ]
    for s in halves:
        assert s is not None
        s.read(0.0)
    kernel.busy_s += 800.0
    total = sum(s.read(10.0)[0].power_w or 0.0 for s in halves if s is not None)
    assert total == pytest.approx(300.0)  # 2 × 150 W, not 600


def test_probes_cover_every_backend_and_never_raise(tmp_path: Path) -> None:
    result = probes(
        powercap_root=tmp_path / "absent",
        nvml=object(),
        amdsmi=object(),
        env={},
        proc_root=tmp_path,
        cgroup_root=tmp_path,
        psutil=object(),
    )
    assert [p.sensor for p in result] == ["rapl", "nvml", "amdsmi", "cpu-model", "ram-model"]
    assert not any(p.available for p in result)
    good = probes(
        powercap_root=powercap_tree(tmp_path / "pc"),
        nvml=h100(),
        amdsmi=FakeAmdSmi([FakeAmdGpu()]),
        env={},
        proc_root=proc_tree(tmp_path / "proc", GOLD),
        cgroup_root=tmp_path / "cg",
        psutil=FakePsutil(FakeKernel()),
    )
    assert all(p.available for p in good)


class ExplodingNvml(FakeNvml):
    def nvmlDeviceGetCount(self) -> int:  # noqa: N802
        raise RuntimeError("library bug")


def test_gpu_library_surprise_becomes_a_note(tmp_path: Path) -> None:
    sensors, notes = default_sensors(
        pid=None,
        powercap_root=powercap_tree(tmp_path / "pc"),
        nvml=ExplodingNvml([]),
        amdsmi=FakeAmdSmi([]),
        env={},
    )
    assert names(sensors) == ["rapl"]
    assert any("failed unexpectedly" in n for n in notes)


def test_nvml_is_shut_down_after_an_unexpected_failure() -> None:
    fake = ExplodingNvml([])
    with pytest.raises(RuntimeError):
        NvmlSensor(fake, env={}).start()
    assert (fake.initialised, fake.shutdowns) == (1, 1)
