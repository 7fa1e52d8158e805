from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _sensor_fakes import FakeKernel, FakePsutil, proc_tree

from wattprint.errors import SensorError
from wattprint.measure.sensors import cpu_model
from wattprint.measure.sensors.cpu_model import IDLE_FRACTION_OF_TDP, CpuModelSensor
from wattprint.model import DeviceKind, Method

GOLD_6148 = "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz"  # 150 W, 20 cores / 40 threads


def machine(
    tmp_path: Path, brand: str = GOLD_6148, logical: int = 40, **kw: object
) -> tuple[FakeKernel, Path]:
    kernel = FakeKernel(logical=logical, physical=logical // 2)
    proc = proc_tree(tmp_path / "proc", brand, **kw)  # type: ignore[arg-type]
    return kernel, proc


def test_idle_fraction_is_documented_constant() -> None:
    assert IDLE_FRACTION_OF_TDP == 0.25


def test_machine_scope_energy_from_cpu_time(tmp_path: Path) -> None:
    k, proc = machine(tmp_path)
    sensor = CpuModelSensor(proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    (device,) = sensor.devices
    assert (device.id, device.kind, device.method, device.sensor) == (
        "cpu:0",
        DeviceKind.CPU,
        Method.MODELLED,
        "cpu-model",
    )
    assert "150 W" in device.source and "ark.intel.com" in device.source
    assert "whole machine" in device.note
    first = sensor.read(100.0)[0]
    assert first.energy_j == 0.0 and first.power_w is None
    k.busy_s += 20.0  # 20 CPU-seconds in 10 s on 40 threads: u = 5 %
    r = sensor.read(110.0)[0]
    # P = 0.25 * 150 + 0.75 * 150 * 0.05 = 43.125 W
    assert r.power_w == pytest.approx(43.125)
    assert r.energy_j == pytest.approx(431.25)
    assert r.utilisation_pct == pytest.approx(5.0)
    assert r.counter_max_j is None
    k.busy_s += 400.0  # flat out
    assert sensor.read(120.0)[0].energy_j == pytest.approx(431.25 + 1500.0)


def test_process_scope_shares_idle_floor_by_cpu_share(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, pids=("100",))
    k.spawn(100)
    k.spawn(101, ppid=100)
    sensor = CpuModelSensor(100, proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    assert "process tree of pid 100" in sensor.devices[0].note
    sensor.read(0.0)
    k.run(101, 3.0, host_extra_s=3.0)  # the tree is half of the machine's busy time
    r = sensor.read(10.0)[0]
    # w = 150/40 = 3.75 W per thread; 3.75 * (0.75*3 + 0.25*40*10*0.5)
    assert r.energy_j == pytest.approx(195.9375)
    k.run(101, 1.0)
    k.exit(101)  # exited child: its CPU time is not lost
    r = sensor.read(20.0)[0]
    assert r.energy_j == pytest.approx(195.9375 + 3.75 * (0.75 * 1 + 0.25 * 400 * 1.0))
    k.busy_s += 50.0  # others busy, the tree idle: no energy for the tree
    assert sensor.read(30.0)[0].energy_j == pytest.approx(r.energy_j)


def test_refresh_finds_children_born_after_start(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, pids=("100",))
    k.spawn(100)
    sensor = CpuModelSensor(100, proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    sensor.read(0.0)
    k.spawn(101, ppid=100)
    k.run(101, 4.0)  # the machine is busy only with the new child
    assert sensor.read(10.0)[0].utilisation_pct == 0.0  # not found yet: reads do not scan
    assert sensor._tree is not None
    sensor._tree._rediscover_s = 0.0  # the default spaces scans by 5 s of real time
    sensor.refresh()
    r = sensor.read(20.0)[0]
    assert r.utilisation_pct == pytest.approx(100.0 * 4.0 / (40 * 10.0))


def test_vm_slice_scales_tdp_to_visible_threads(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, brand="Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", logical=8)
    sensor = CpuModelSensor(proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    assert "8 of 80 hardware threads visible" in sensor.devices[0].note
    sensor.read(0.0)
    k.busy_s += 80.0  # all 8 threads for 10 s
    assert sensor.read(10.0)[0].power_w == pytest.approx(270 * 8 / 80)


def test_two_sockets_double_the_tdp(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, logical=80, sockets=2)
    sensor = CpuModelSensor(proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    sensor.read(0.0)
    k.busy_s += 800.0
    assert sensor.read(10.0)[0].power_w == pytest.approx(300.0)


def test_unknown_cpu_uses_per_core_default_and_says_so(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, brand="Intel(R) Xeon(R) Processor", logical=8)
    sensor = CpuModelSensor(proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    device = sensor.devices[0]
    assert "not in the TDP table" in device.note and "12 W per core" in device.note
    assert "Green Algorithms" in device.source
    sensor.read(0.0)
    k.busy_s += 80.0
    assert sensor.read(10.0)[0].power_w == pytest.approx(12.0 * 4)


def test_explicit_model_and_tdp_override(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, brand="Intel(R) Xeon(R) Processor", logical=8)
    sensor = CpuModelSensor(
        cpu_model="Apple M2", proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k)
    )
    sensor.start()
    assert sensor.devices[0].name == "Apple M2" and "apple.com" in sensor.devices[0].source
    fixed = CpuModelSensor(
        tdp_w=80.0, proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k)
    )
    fixed.start()
    fixed.read(0.0)
    k.busy_s += 80.0
    assert fixed.read(10.0)[0].power_w == pytest.approx(80.0)
    with pytest.raises(ValueError):
        CpuModelSensor(tdp_w=0)


def test_cgroup_quota_limits_cpus_and_uses_cgroup_usage(tmp_path: Path) -> None:
    k, proc = machine(tmp_path, cgroup="/kubepods/ctr")
    ctr = tmp_path / "cg" / "kubepods" / "ctr"
    ctr.mkdir(parents=True)
    (ctr / "cpu.max").write_text("200000 100000\n")
    (ctr / "cpu.stat").write_text("usage_usec 1000000\n")
    sensor = CpuModelSensor(proc_root=proc, cgroup_root=tmp_path / "cg", psutil=FakePsutil(k))
    sensor.start()
    assert "cgroup CPU quota 2 of 40 CPUs" in sensor.devices[0].note
    sensor.read(0.0)
    (ctr / "cpu.stat").write_text("usage_usec 11000000\n")  # 10 CPU-s: 2 CPUs for 5 s
    k.busy_s += 300.0  # the host is busy with others: must not count
    r = sensor.read(5.0)[0]
    # w = 3.75; capacity 2; 3.75 * (0.75*10 + 0.25*2*5) = 37.5 W over 5 s
    assert r.power_w == pytest.approx(7.5)
    assert r.utilisation_pct == pytest.approx(100.0)


def test_missing_process_is_a_sensor_error(tmp_path: Path) -> None:
    k, proc = machine(tmp_path)
    with pytest.raises(SensorError):
        CpuModelSensor(4242, proc_root=proc, cgroup_root=tmp_path, psutil=FakePsutil(k)).start()
    with pytest.raises(SensorError):
        CpuModelSensor(psutil=FakePsutil(k)).read(0.0)


def test_probe_names_the_row_and_never_raises(tmp_path: Path) -> None:
    k, proc = machine(tmp_path)
    result = cpu_model.probe(proc_root=proc, cgroup_root=tmp_path, psutil=FakePsutil(k))
    assert result.available and "xeon gold 6148" in result.detail
    assert not cpu_model.probe(psutil=object()).available


def test_real_child_burning_cpu_is_attributed(tmp_path: Path) -> None:
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    sensor = CpuModelSensor(os.getpid(), tdp_w=float(os.cpu_count() or 1) * 10.0)
    sensor.start()
    t0 = time.monotonic()
    sensor.read(t0)
    subprocess.run([sys.executable, "-c", burn], check=True)  # exits and is reaped
    t1 = time.monotonic()
    r = sensor.read(t1)[0]
    w = 10.0  # W per logical CPU
    busy_lower = 0.3 * (1 - IDLE_FRACTION_OF_TDP) * w
    assert r.energy_j is not None
    assert r.energy_j >= busy_lower
    assert r.energy_j <= w * (os.cpu_count() or 1) * (t1 - t0) + 1.0
