"""Boundary fakes for the sensor tests: NVML, AMD SMI, psutil, powercap and /proc trees.

Each stands in for a third-party module or a kernel file tree, with the
documented shapes only; nothing inside wattprint is patched.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------- powercap


def write_zone(path: Path, name: str, energy_uj: int, max_uj: int = 262_143_328_850) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "name").write_text(name + "\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return path


def powercap_tree(root: Path, sockets: int = 1, dram: bool = True) -> Path:
    """A powercap tree as on a Xeon server: packages with core/uncore/dram subzones."""
    (root / "intel-rapl").mkdir(parents=True)  # the control-type dir, no counter
    for s in range(sockets):
        pkg = write_zone(root / f"intel-rapl:{s}", f"package-{s}", 1_000_000 * (s + 1))
        write_zone(pkg / f"intel-rapl:{s}:0", "core", 500_000)
        write_zone(pkg / f"intel-rapl:{s}:1", "uncore", 100_000)
        if dram:
            write_zone(pkg / f"intel-rapl:{s}:2", "dram", 200_000 * (s + 1), max_uj=65_532_610_987)
    return root


# ---------------------------------------------------------------- NVML


Util = namedtuple("Util", "gpu memory")
Mem = namedtuple("Mem", "total free used")


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):  # noqa: N801 - the pynvml name
    pass


@dataclass
class FakeGpu:
    name: str
    uuid: str
    energy_mj: int | None = 1_000_000  # None: no counter (pre-Volta)
    power_mw: int = 250_000
    util: int = 87
    mem_used: int = 40 * 2**30
    temp_c: int = 65
    extras_fail: bool = False


class FakeNvml:
    """The part of pynvml the sensor uses, over a list of fake GPUs."""

    NVMLError = NVMLError
    NVMLError_NotSupported = NVMLError_NotSupported
    NVML_TEMPERATURE_GPU = 0

    def __init__(self, gpus: list[FakeGpu], *, init_fails: bool = False) -> None:
        self.gpus = gpus
        self.init_fails = init_fails
        self.initialised = 0
        self.shutdowns = 0

    def nvmlInit(self) -> None:  # noqa: N802
        if self.init_fails:
            raise NVMLError("Driver Not Loaded")
        self.initialised += 1

    def nvmlShutdown(self) -> None:  # noqa: N802
        self.shutdowns += 1

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, i: int) -> FakeGpu:  # noqa: N802
        return self.gpus[i]

    def nvmlDeviceGetName(self, h: FakeGpu) -> bytes:  # noqa: N802
        return h.name.encode()  # old pynvml returned bytes

    def nvmlDeviceGetUUID(self, h: FakeGpu) -> str:  # noqa: N802
        return h.uuid

    def nvmlDeviceGetTotalEnergyConsumption(self, h: FakeGpu) -> int:  # noqa: N802
        if h.energy_mj is None:
            raise NVMLError_NotSupported("Not Supported")
        return h.energy_mj

    def nvmlDeviceGetPowerUsage(self, h: FakeGpu) -> int:  # noqa: N802
        return h.power_mw

    def nvmlDeviceGetUtilizationRates(self, h: FakeGpu) -> Any:  # noqa: N802
        if h.extras_fail:
            raise NVMLError_NotSupported("Not Supported")
        return Util(h.util, 10)

    def nvmlDeviceGetMemoryInfo(self, h: FakeGpu) -> Any:  # noqa: N802
        if h.extras_fail:
            raise NVMLError("Unknown Error")
        return Mem(80 * 2**30, 40 * 2**30, h.mem_used)

    def nvmlDeviceGetTemperature(self, h: FakeGpu, sensor: int) -> int:  # noqa: N802
        if h.extras_fail:
            raise NVMLError_NotSupported("Not Supported")
        assert sensor == self.NVML_TEMPERATURE_GPU
        return h.temp_c


# ---------------------------------------------------------------- AMD SMI


class AmdSmiException(Exception):
    pass


class AmdSmiLibraryException(AmdSmiException):
    pass


@dataclass
class FakeAmdGpu:
    market_name: str = "AMD Instinct MI300X"
    energy: dict[str, Any] | None = field(
        default_factory=lambda: {
            "energy_accumulator": 2_000_000,
            "counter_resolution": 15.259,
            "timestamp": 1,
        }
    )
    power: dict[str, Any] = field(
        default_factory=lambda: {"current_socket_power": 550, "average_socket_power": "N/A"}
    )


class _TemperatureType:
    EDGE = 0
    HOTSPOT = 1


class _TemperatureMetric:
    CURRENT = 0


class FakeAmdSmi:
    AmdSmiException = AmdSmiException
    AmdSmiTemperatureType = _TemperatureType
    AmdSmiTemperatureMetric = _TemperatureMetric

    def __init__(self, gpus: list[FakeAmdGpu]) -> None:
        self.gpus = gpus
        self.shutdowns = 0

    def amdsmi_init(self) -> None:
        pass

    def amdsmi_shut_down(self) -> None:
        self.shutdowns += 1

    def amdsmi_get_processor_handles(self) -> list[FakeAmdGpu]:
        return list(self.gpus)

    def amdsmi_get_gpu_asic_info(self, h: FakeAmdGpu) -> dict[str, Any]:
        return {"market_name": h.market_name}

    def amdsmi_get_energy_count(self, h: FakeAmdGpu) -> dict[str, Any]:
        if h.energy is None:
            raise AmdSmiLibraryException("AMDSMI_STATUS_NOT_SUPPORTED")
        return h.energy

    def amdsmi_get_power_info(self, h: FakeAmdGpu) -> dict[str, Any]:
        return h.power

    def amdsmi_get_gpu_activity(self, h: FakeAmdGpu) -> dict[str, Any]:
        return {"gfx_activity": 91, "umc_activity": 30, "mm_activity": "N/A"}

    def amdsmi_get_gpu_vram_usage(self, h: FakeAmdGpu) -> dict[str, Any]:
        return {"vram_total": 196_592, "vram_used": 1024}

    def amdsmi_get_temp_metric(self, h: FakeAmdGpu, kind: int, metric: int) -> int:
        if kind == self.AmdSmiTemperatureType.EDGE:
            raise AmdSmiLibraryException("AMDSMI_STATUS_NOT_SUPPORTED")  # as on MI300
        return 71


# ---------------------------------------------------------------- psutil

CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal guest guest_nice")
ProcTimes = namedtuple("ProcTimes", "user system children_user children_system iowait")
VMem = namedtuple("VMem", "total available percent used free")
MemInfo = namedtuple("MemInfo", "rss vms")


class NoSuchProcess(Exception):
    pass


class AccessDenied(Exception):
    pass


@dataclass
class FakeProcState:
    pid: int
    ppid: int
    created: float
    user: float = 0.0
    system: float = 0.0
    children_user: float = 0.0
    children_system: float = 0.0
    rss: int = 100 * 2**20
    alive: bool = True


class FakeKernel:
    """A tiny process table and CPU clock that tests drive by hand."""

    def __init__(self, logical: int = 8, physical: int = 4) -> None:
        self.logical = logical
        self.physical = physical
        self.procs: dict[int, FakeProcState] = {}
        self.busy_s = 1000.0  # host busy CPU seconds, all CPUs
        self.idle_s = 5000.0
        self.total_bytes = 64 * 10**9
        self.available_bytes = 48 * 10**9
        self.exit_when_read: int | None = None  # a reap racing with the sampler

    def spawn(self, pid: int, ppid: int = 1, created: float | None = None) -> FakeProcState:
        state = FakeProcState(pid, ppid, created if created is not None else float(pid))
        self.procs[pid] = state
        return state

    def run(self, pid: int, cpu_s: float, *, host_extra_s: float = 0.0) -> None:
        """Process ``pid`` burns ``cpu_s``; the host's busy time grows with it."""
        self.procs[pid].user += cpu_s
        self.busy_s += cpu_s + host_extra_s

    def exit(self, pid: int, *, reaped: bool = True) -> None:
        """``pid`` exits; its parent reaps it (adding its times) unless told not to."""
        state = self.procs.pop(pid)
        parent = self.procs.get(state.ppid)
        if reaped and parent is not None:
            parent.children_user += state.user + state.children_user
            parent.children_system += state.system + state.children_system


class FakeProcess:
    def __init__(self, kernel: FakeKernel, pid: int) -> None:
        if pid not in kernel.procs:
            raise NoSuchProcess(pid)
        self._k = kernel
        self.pid = pid
        self._created = kernel.procs[pid].created

    def _state(self) -> FakeProcState:
        state = self._k.procs.get(self.pid)
        if state is None or state.created != self._created:
            raise NoSuchProcess(self.pid)
        return state

    def ppid(self) -> int:
        return self._state().ppid

    def create_time(self) -> float:
        return self._state().created

    def cpu_times(self) -> ProcTimes:
        if self._k.exit_when_read == self.pid:
            self._k.exit_when_read = None
            self._k.exit(self.pid)
        s = self._state()
        return ProcTimes(s.user, s.system, s.children_user, s.children_system, 0.0)

    def memory_info(self) -> MemInfo:
        return MemInfo(self._state().rss, 0)

    def children(self, recursive: bool = False) -> list[FakeProcess]:
        self._state()
        out: list[FakeProcess] = []
        frontier = [self.pid]
        while frontier:
            parent = frontier.pop()
            kids = [p for p in self._k.procs.values() if p.ppid == parent]
            out += [FakeProcess(self._k, k.pid) for k in kids]
            if recursive:
                frontier += [k.pid for k in kids]
        return out


class FakePsutil:
    NoSuchProcess = NoSuchProcess
    AccessDenied = AccessDenied

    def __init__(self, kernel: FakeKernel) -> None:
        self.kernel = kernel

    def Process(self, pid: int) -> FakeProcess:  # noqa: N802
        return FakeProcess(self.kernel, pid)

    def cpu_count(self, logical: bool = True) -> int:
        return self.kernel.logical if logical else self.kernel.physical

    def cpu_times(self) -> CpuTimes:
        k = self.kernel
        return CpuTimes(k.busy_s, 0.0, 0.0, k.idle_s, 3.0, 0.0, 0.0, 7.0, 0.0, 0.0)

    def virtual_memory(self) -> VMem:
        k = self.kernel
        used = k.total_bytes - k.available_bytes
        return VMem(k.total_bytes, k.available_bytes, 25.0, used, k.available_bytes)


# ---------------------------------------------------------------- /proc and cgroup


def proc_tree(
    root: Path,
    brand: str,
    *,
    sockets: int = 1,
    cgroup: str = "/",
    pids: tuple[str, ...] = ("self",),
) -> Path:
    """A /proc with cpuinfo (one entry per socket) and <pid>/cgroup files."""
    blocks = [
        f"processor\t: {i}\nmodel name\t: {brand}\nphysical id\t: {i}\n" for i in range(sockets)
    ]
    root.mkdir(parents=True, exist_ok=True)
    (root / "cpuinfo").write_text("\n".join(blocks))
    for pid in pids:
        (root / pid).mkdir(exist_ok=True)
        (root / pid / "cgroup").write_text(f"0::{cgroup}\n")
    return root
