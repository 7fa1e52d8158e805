from __future__ import annotations

import pytest
from _sensor_fakes import FakeGpu, FakeNvml, NVMLError

from wattprint.errors import SensorError
from wattprint.measure.sensors import nvml as nvml_backend
from wattprint.measure.sensors.nvml import NvmlSensor, select_gpus
from wattprint.model import Method

UUIDS = [
    "GPU-1c0f7f4a-aaaa-0000-0000-000000000000",
    "GPU-2d1e8e5b-bbbb-0000-0000-000000000000",
    "GPU-3e2f9f6c-cccc-0000-0000-000000000000",
]


def fleet() -> FakeNvml:
    return FakeNvml(
        [
            FakeGpu("NVIDIA H100 80GB HBM3", UUIDS[0], energy_mj=5_000_000),
            FakeGpu("Tesla P100-PCIE-16GB", UUIDS[1], energy_mj=None, power_mw=180_500),
            FakeGpu("NVIDIA A100-SXM4-40GB", UUIDS[2], energy_mj=7_000, extras_fail=True),
        ]
    )


def test_counter_where_it_exists_sampled_power_elsewhere() -> None:
    fake = fleet()
    sensor = NvmlSensor(fake, env={})
    sensor.start()
    devices = sensor.devices
    assert [d.id for d in devices] == ["gpu:0", "gpu:1", "gpu:2"]
    assert [d.method for d in devices] == [Method.COUNTER, Method.SAMPLED, Method.COUNTER]
    assert devices[0].name == "NVIDIA H100 80GB HBM3"
    assert "no energy counter" in devices[1].note
    h100, p100, a100 = sensor.read(3.0)
    assert h100.energy_j == pytest.approx(5_000.0) and h100.power_w is None
    assert h100.counter_max_j is None
    assert p100.power_w == pytest.approx(180.5) and p100.energy_j is None
    assert a100.energy_j == pytest.approx(7.0)


def test_extras_are_filled_and_failures_give_none() -> None:
    sensor = NvmlSensor(fleet(), env={})
    sensor.start()
    h100, _, a100 = sensor.read(0.0)
    assert h100.utilisation_pct == 87
    assert h100.memory_used_bytes == 40 * 2**30
    assert h100.temperature_c == 65
    assert (a100.utilisation_pct, a100.memory_used_bytes, a100.temperature_c) == (None,) * 3


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        (None, [0, 1, 2]),
        ("", []),
        ("2,0", [2, 0]),
        (" 1 ", [1]),
        ("0,7,1", [0]),  # CUDA stops at the first invalid entry
        ("GPU-3e2f9f6c", [2]),
        ("3e2f9f6c-cccc", [2]),
        ("GPU-2d1e8e5b-bbbb-0000-0000-000000000000,0", [1, 0]),
        ("GPU-", []),  # ambiguous prefix names no GPU
        ("MIG-abc", []),
        ("-1", []),
        ("1,1", [1]),
    ],
)
def test_cuda_visible_devices_selection(visible: str | None, expected: list[int]) -> None:
    assert select_gpus(UUIDS, visible=visible) == expected


def test_gpu_ids_win_over_cuda_visible_devices() -> None:
    assert select_gpus(UUIDS, gpu_ids=[1, 9], visible="0") == [1]
    sensor = NvmlSensor(fleet(), gpu_ids=[2], env={"CUDA_VISIBLE_DEVICES": "0"})
    sensor.start()
    assert [d.id for d in sensor.devices] == ["gpu:2"]


def test_sensor_reads_cuda_visible_devices_from_env() -> None:
    sensor = NvmlSensor(fleet(), env={"CUDA_VISIBLE_DEVICES": "GPU-2d1e8e5b"})
    sensor.start()
    assert [d.id for d in sensor.devices] == ["gpu:1"]


def test_no_gpu_selected_is_a_sensor_error_and_shuts_down() -> None:
    fake = fleet()
    with pytest.raises(SensorError, match="no NVIDIA GPU selected"):
        NvmlSensor(fake, env={"CUDA_VISIBLE_DEVICES": ""}).start()
    assert fake.shutdowns == 1


def test_init_failure_maps_to_sensor_error() -> None:
    with pytest.raises(SensorError, match="NVML init failed") as info:
        NvmlSensor(FakeNvml([], init_fails=True), env={}).start()
    assert isinstance(info.value.__cause__, NVMLError)


def test_read_failure_maps_to_sensor_error() -> None:
    fake = fleet()
    sensor = NvmlSensor(fake, env={})
    sensor.start()
    fake.gpus[0].energy_mj = None
    with pytest.raises(SensorError, match="gpu:0") as info:
        sensor.read(1.0)
    assert isinstance(info.value.__cause__, NVMLError)


def test_init_and_shutdown_are_paired_and_close_is_idempotent() -> None:
    fake = fleet()
    sensor = NvmlSensor(fake, env={})
    sensor.start()
    sensor.close()
    sensor.close()
    assert (fake.initialised, fake.shutdowns) == (1, 1)
    with pytest.raises(SensorError):
        sensor.read(0.0)


def test_probe_reports_methods_and_never_raises() -> None:
    ok = nvml_backend.probe(fleet(), env={})
    assert ok.available
    assert "gpu:1 Tesla P100-PCIE-16GB (sampled-power)" in ok.detail
    bad = nvml_backend.probe(FakeNvml([], init_fails=True), env={})
    assert not bad.available and bad.fix
    assert not nvml_backend.probe(object(), env={}).available
