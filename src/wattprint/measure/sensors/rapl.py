"""Intel/AMD RAPL energy counters through the Linux powercap sysfs tree.

Layout read (``root`` defaults to ``/sys/class/powercap``)::

    intel-rapl:0/            name = "package-0"   -> device "cpu:0"
        energy_uj            cumulative µJ, wraps at max_energy_range_uj
        max_energy_range_uj
    intel-rapl:0:0/          name = "core"        -> ignored (inside package-0)
    intel-rapl:0:1/          name = "uncore"      -> ignored (inside package-0)
    intel-rapl:0:2/          name = "dram"        -> device "ram" (or "ram:0")

AMD CPUs appear under the same ``intel-rapl`` names on current kernels (the
``intel_rapl_msr`` driver serves both); an ``amd-rapl:N`` tree is read the same
way where a kernel exposes one.

Only ``package-N`` and ``dram`` zones are reported: ``core`` and ``uncore``
are parts of the package counter, and ``psys`` (client platforms) and the
``intel-rapl-mmio`` mirror cover the package again, so adding any of them
would count the same joules twice.

Device ids: ``cpu:N`` for package ``N`` (the N of ``package-N``). DRAM is
``ram`` on a single-package machine and ``ram:N`` (N = its package) when there
are several packages, so a one-socket run and the RAM model agree on ``ram``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wattprint.errors import SensorError, SensorPermissionError
from wattprint.measure.sensors.base import Probe
from wattprint.model import Device, DeviceKind, Method, Reading
from wattprint.units import uj_to_j

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

DEFAULT_ROOT = Path("/sys/class/powercap")

_PACKAGE_DIR = re.compile(r"^(intel|amd)-rapl:(\d+)$")
_SUBZONE_DIR = re.compile(r"^(intel|amd)-rapl:(\d+):(\d+)$")
_PACKAGE_NAME = re.compile(r"^package-(\d+)$")

#: Read one sysfs file as text; the boundary a test may replace.
TextReader = Callable[[Path], str]


def _read_text(path: Path) -> str:
    return path.read_text(encoding="ascii")


def permission_fix(root: Path = DEFAULT_ROOT) -> str:
    """The command that makes RAPL readable, worded for the user.

    Since Linux 5.10 (CVE-2020-8694, "Platypus") ``energy_uj`` is readable
    only by root; any of these restores read access for measurement.
    """
    return (
        f"sudo chmod o+r {root}/intel-rapl:*/energy_uj {root}/intel-rapl:*:*/energy_uj "
        "(until reboot), or a udev rule / `setfacl -m u:$USER:r` on those files "
        "to make it permanent; `wattprint doctor` checks the result"
    )


@dataclass(frozen=True)
class _Zone:
    path: Path
    device: Device
    max_j: float | None


def _cpu_model_name(cpuinfo: Path | None) -> str | None:
    if cpuinfo is None:
        return None
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return None


class RaplSensor:
    """Reads package and DRAM energy counters from RAPL (a counter sensor).

    ``read()`` returns the raw cumulative counter in joules and the wrap range
    (``counter_max_j``); the integrator unwraps. RAPL measures whole packages,
    not one process. Not thread-safe; the sampler reads from one thread.

    Args:
        root: The powercap sysfs directory.
        cpuinfo: A ``/proc/cpuinfo`` to take the model name from; without it
            devices are named ``"RAPL package N"``.
        read_text: Reads one sysfs file (the I/O boundary; defaults to
            ``Path.read_text``).

    Example:
        >>> sensor = RaplSensor()                      # doctest: +SKIP
        >>> sensor.start(); sensor.read(t_s=0.0)       # doctest: +SKIP
    """

    name = "rapl"

    def __init__(
        self,
        root: Path = DEFAULT_ROOT,
        *,
        cpuinfo: Path | None = None,
        read_text: TextReader | None = None,
    ) -> None:
        self._root = Path(root)
        self._cpuinfo = cpuinfo
        self._read = read_text or _read_text
        self._zones: tuple[_Zone, ...] = ()

    @property
    def devices(self) -> tuple[Device, ...]:
        """Package (``cpu:N``) and DRAM (``ram``/``ram:N``) devices found."""
        return tuple(z.device for z in self._zones)

    @property
    def has_dram(self) -> bool:
        """Whether a DRAM domain was found (valid after :meth:`start`)."""
        return any(z.device.kind is DeviceKind.RAM for z in self._zones)

    def start(self) -> None:
        """Find the zones and check every counter can be read.

        Raises:
            SensorPermissionError: A counter exists but is not readable.
            SensorError: No RAPL package zone exists under ``root``.
        """
        packages, drams = _discover(self._root, self._read)
        if not packages:
            raise SensorError(f"no RAPL package zones under {self._root}")
        model = _cpu_model_name(self._cpuinfo)
        zones = [self._package_zone(p, n, model) for n, p in sorted(packages.items())]
        several = len(packages) > 1
        zones += [self._dram_zone(p, n, several) for n, p in sorted(drams.items())]
        denied = [z.path for z in zones if not self._readable(z.path)]
        if denied:
            raise SensorPermissionError(
                f"RAPL counters are not readable ({', '.join(map(str, denied))})",
                permission_fix(self._root),
            )
        self._zones = tuple(zones)

    def read(self, t_s: float) -> list[Reading]:
        """One raw counter reading (J) per zone."""
        readings = []
        for zone in self._zones:
            try:
                energy_uj = float(self._read(zone.path / "energy_uj").strip())
            except (OSError, ValueError) as e:
                raise SensorError(f"cannot read {zone.path / 'energy_uj'}: {e}") from e
            readings.append(
                Reading(zone.device.id, t_s, energy_j=uj_to_j(energy_uj), counter_max_j=zone.max_j)
            )
        return readings

    def close(self) -> None:
        """Nothing is held open; safe to call twice."""

    def _readable(self, zone: Path) -> bool:
        try:
            self._read(zone / "energy_uj")
        except PermissionError:
            return False
        except OSError as e:  # some hypervisors expose the file but fail reads (ENODATA)
            raise SensorError(f"cannot read {zone / 'energy_uj'}: {e}") from e
        return True

    def _max_j(self, zone: Path) -> float | None:
        try:
            return uj_to_j(float(self._read(zone / "max_energy_range_uj").strip()))
        except (OSError, ValueError):
            return None

    def _package_zone(self, path: Path, socket: int, model: str | None) -> _Zone:
        device = Device(
            id=f"cpu:{socket}",
            kind=DeviceKind.CPU,
            index=socket,
            name=model or f"RAPL package {socket}",
            method=Method.COUNTER,
            sensor=self.name,
            source=f"RAPL {path.name} energy_uj (Linux powercap)",
        )
        return _Zone(path, device, self._max_j(path))

    def _dram_zone(self, path: Path, socket: int, several: bool) -> _Zone:
        device = Device(
            id=f"ram:{socket}" if several else "ram",
            kind=DeviceKind.RAM,
            index=socket,
            name=f"DRAM (RAPL package {socket})",
            method=Method.COUNTER,
            sensor=self.name,
            source=f"RAPL {path.name} energy_uj (Linux powercap)",
        )
        return _Zone(path, device, self._max_j(path))


def _zone_name(path: Path, read: TextReader) -> str:
    try:
        return read(path / "name").strip()
    except OSError:
        return ""


def _discover(root: Path, read: TextReader) -> tuple[dict[int, Path], dict[int, Path]]:
    """Map socket -> zone directory for packages and for DRAM subzones."""
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return {}, {}
    packages: dict[int, Path] = {}
    for entry in entries:
        if _PACKAGE_DIR.match(entry.name) and (entry / "energy_uj").exists():
            match = _PACKAGE_NAME.match(_zone_name(entry, read))
            if match:  # skips psys and other non-package top-level zones
                packages.setdefault(int(match.group(1)), entry)
    drams: dict[int, Path] = {}
    for socket, package in packages.items():
        # Subzones sit inside the package directory and, on real sysfs, are
        # also linked at the top level; looking inside covers both layouts.
        for sub in _subzones(package, root):
            if _zone_name(sub, read) == "dram" and (sub / "energy_uj").exists():
                drams.setdefault(socket, sub)
    return packages, drams


def _subzones(package: Path, root: Path) -> Sequence[Path]:
    prefix = package.name + ":"
    found: dict[str, Path] = {}
    for parent in (package, root):
        try:
            children = sorted(parent.iterdir())
        except OSError:
            continue
        for child in children:
            if _SUBZONE_DIR.match(child.name) and child.name.startswith(prefix):
                found.setdefault(child.name, child)
    return list(found.values())


def probe(root: Path = DEFAULT_ROOT, *, read_text: TextReader | None = None) -> Probe:
    """Say whether RAPL can be read here; never raises."""
    sensor = RaplSensor(root, read_text=read_text)
    try:
        sensor.start()
    except SensorPermissionError as e:
        return Probe("rapl", False, str(e).split("; fix:")[0], e.fix)
    except SensorError as e:
        return Probe(
            "rapl",
            False,
            str(e),
            "RAPL needs Linux on bare-metal Intel/AMD (try `sudo modprobe intel_rapl_msr`); "
            "VMs and containers usually hide it, so CPU energy is modelled instead",
        )
    except Exception as e:  # a probe reports, it never raises
        return Probe("rapl", False, f"unexpected error: {e!r}")
    finally:
        sensor.close()
    ids = ", ".join(d.id for d in sensor.devices)
    return Probe("rapl", True, f"available: {ids}")
