from __future__ import annotations

import os
from pathlib import Path

import pytest
from _sensor_fakes import powercap_tree, write_zone

from wattprint.errors import SensorError, SensorPermissionError
from wattprint.measure.sensors import rapl
from wattprint.measure.sensors.rapl import RaplSensor
from wattprint.model import DeviceKind, Method


def kernel_permissions(path: Path) -> str:
    """Read like a non-root user would: mode bits are enforced even when tests run as root.

    The tree really is chmod 000; only root's bypass of that is taken away.
    """
    if os.geteuid() == 0 and path.stat().st_mode & 0o444 == 0:
        raise PermissionError(13, "Permission denied", str(path))
    return path.read_text(encoding="ascii")


def test_one_socket_reports_package_and_dram_raw_counters(tmp_path: Path) -> None:
    sensor = RaplSensor(powercap_tree(tmp_path))
    sensor.start()
    assert [d.id for d in sensor.devices] == ["cpu:0", "ram"]
    assert [d.kind for d in sensor.devices] == [DeviceKind.CPU, DeviceKind.RAM]
    assert all(d.method is Method.COUNTER and d.sensor == "rapl" for d in sensor.devices)
    assert sensor.devices[0].name == "RAPL package 0"
    readings = sensor.read(12.5)
    assert readings[0].energy_j == pytest.approx(1.0)
    assert readings[0].counter_max_j == pytest.approx(262_143.328850)
    assert readings[1].energy_j == pytest.approx(0.2)
    assert readings[1].counter_max_j == pytest.approx(65_532.610987)
    assert {r.t_s for r in readings} == {12.5}


def test_core_and_uncore_are_not_reported(tmp_path: Path) -> None:
    sensor = RaplSensor(powercap_tree(tmp_path, sockets=1, dram=False))
    sensor.start()
    assert [d.id for d in sensor.devices] == ["cpu:0"]
    assert not sensor.has_dram
    assert len(sensor.read(0.0)) == 1


def test_counter_is_raw_and_wrap_is_left_to_the_integrator(tmp_path: Path) -> None:
    root = powercap_tree(tmp_path, dram=False)
    sensor = RaplSensor(root)
    sensor.start()
    (root / "intel-rapl:0" / "energy_uj").write_text("262143328000\n")
    before = sensor.read(1.0)[0]
    (root / "intel-rapl:0" / "energy_uj").write_text("5000000\n")  # wrapped
    after = sensor.read(2.0)[0]
    assert before.energy_j == pytest.approx(262_143.328)
    assert after.energy_j == pytest.approx(5.0)
    assert after.counter_max_j == before.counter_max_j


def test_two_sockets_name_ram_per_socket_and_use_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz\n")
    sensor = RaplSensor(powercap_tree(tmp_path / "pc", sockets=2), cpuinfo=cpuinfo)
    sensor.start()
    assert [d.id for d in sensor.devices] == ["cpu:0", "cpu:1", "ram:0", "ram:1"]
    assert sensor.devices[1].name == "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz"
    assert [r.energy_j for r in sensor.read(0.0)] == pytest.approx([1.0, 2.0, 0.2, 0.4])


def test_top_level_subzone_links_and_psys_are_not_double_counted(tmp_path: Path) -> None:
    root = powercap_tree(tmp_path)
    # real sysfs also lists subzones at the top level, and client parts add psys
    (root / "intel-rapl:0:2").symlink_to(root / "intel-rapl:0" / "intel-rapl:0:2")
    write_zone(root / "intel-rapl:1", "psys", 9_000_000)
    write_zone(root / "intel-rapl-mmio:0", "package-0", 1_000_000)
    sensor = RaplSensor(root)
    sensor.start()
    assert [d.id for d in sensor.devices] == ["cpu:0", "ram"]


def test_amd_rapl_tree_is_read(tmp_path: Path) -> None:
    write_zone(tmp_path / "amd-rapl:0", "package-0", 3_000_000)
    sensor = RaplSensor(tmp_path)
    sensor.start()
    assert sensor.read(0.0)[0].energy_j == pytest.approx(3.0)


def test_unreadable_counter_raises_permission_error_with_fix(tmp_path: Path) -> None:
    root = powercap_tree(tmp_path)
    (root / "intel-rapl:0" / "energy_uj").chmod(0)
    with pytest.raises(SensorPermissionError) as info:
        RaplSensor(root, read_text=kernel_permissions).start()
    assert "chmod o+r" in info.value.fix
    assert "energy_uj" in info.value.fix
    assert "wattprint doctor" in str(info.value)


def test_missing_tree_is_a_sensor_error(tmp_path: Path) -> None:
    with pytest.raises(SensorError, match="no RAPL package"):
        RaplSensor(tmp_path / "absent").start()


def test_counter_vanishing_mid_run_is_a_sensor_error(tmp_path: Path) -> None:
    root = powercap_tree(tmp_path, dram=False)
    sensor = RaplSensor(root)
    sensor.start()
    (root / "intel-rapl:0" / "energy_uj").unlink()
    with pytest.raises(SensorError):
        sensor.read(1.0)
    sensor.close()
    sensor.close()


def test_probe_says_available_unavailable_and_fix(tmp_path: Path) -> None:
    root = powercap_tree(tmp_path / "ok")
    ok = rapl.probe(root)
    assert ok.available and "cpu:0" in ok.detail

    missing = rapl.probe(tmp_path / "absent")
    assert not missing.available and missing.fix

    denied_root = powercap_tree(tmp_path / "denied")
    (denied_root / "intel-rapl:0" / "energy_uj").chmod(0)
    denied = rapl.probe(denied_root, read_text=kernel_permissions)
    assert not denied.available
    assert "chmod o+r" in denied.fix


def test_probe_never_raises_on_garbage(tmp_path: Path) -> None:
    def broken(path: Path) -> str:
        raise RuntimeError("boom")

    write_zone(tmp_path / "intel-rapl:0", "package-0", 1)
    result = rapl.probe(tmp_path, read_text=broken)
    assert not result.available


def test_failing_counter_read_at_start_is_a_sensor_error(tmp_path: Path) -> None:
    def enodata(path: Path) -> str:
        if path.name == "energy_uj":
            raise OSError(61, "No data available")
        return path.read_text()

    with pytest.raises(SensorError, match="No data available"):
        RaplSensor(powercap_tree(tmp_path), read_text=enodata).start()
