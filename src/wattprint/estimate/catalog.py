"""The embedded hardware catalog: accelerators, server CPUs and cloud instances.

Three tables, each row with its source:

* ``data/accelerators.csv`` — GPUs and TPUs: power (TDP or board power, the
  basis is named per row), memory, and an embodied-carbon figure where one is
  published (otherwise the class default of ``data/defaults.csv`` applies).
* ``measure/data/cpu_tdp.csv`` — CPUs (server and desktop, Apple M-series),
  shared with the TDP sensor rather than duplicated here.
* ``data/instances.csv`` — cloud instance types: device, count, vCPUs, RAM
  and provider (which picks the default PUE and WUE).

Names are matched case-insensitively, ignoring spaces, dashes and vendor words
("NVIDIA", "Tesla", "AMD"...), so ``"nvidia a100 80gb"``, ``"A100-80GB"`` and
``"a100_80gb"`` are one device.

Example:
    >>> catalog = load_hardware()
    >>> catalog.device("Tesla V100").power_w
    300.0
    >>> catalog.instance("p4d.24xlarge").device_count
    8
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from wattprint.errors import UnknownHardwareError
from wattprint.estimate._data import read_table

#: Kinds of catalog entry, in listing order.
KINDS = ("gpu", "tpu", "cpu", "instance")

_VENDOR_WORDS = re.compile(r"\b(nvidia|tesla|geforce|amd|instinct|google|intel|standard_)")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_VENDOR_LABELS = {"intel": "Intel", "amd": "AMD", "apple": "Apple"}


@dataclass(frozen=True)
class Hardware:
    """One device: an accelerator or a CPU package.

    ``power_w`` is per device (``None`` where nothing is published: give a
    power); ``power_basis`` says what it is (TDP, board power, wall power...).
    ``embodied_kg`` is set only where a figure is published for this model.
    """

    id: str
    name: str
    kind: str
    vendor: str
    power_w: float | None
    power_basis: str
    power_source: str
    memory_gb: float | None = None
    embodied_kg: float | None = None
    embodied_source: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Instance:
    """One cloud instance type and the devices inside it."""

    id: str
    provider: str
    device: Hardware
    device_count: int
    vcpus: int
    ram_gb: float
    source: str


def _key(text: str) -> str:
    return _NOT_ALNUM.sub("", _VENDOR_WORDS.sub("", text.strip().lower()))


class HardwareCatalog:
    """Look up devices and instance types by id, name or alias.

    Build it with :func:`load_hardware` (embedded tables, cached) or from any
    devices and instances in tests.

    Example:
        >>> gpu = Hardware("x1", "X1", "gpu", "acme", 100.0, "TDP", "test")
        >>> HardwareCatalog([gpu], []).device("X-1").name
        'X1'
    """

    def __init__(self, devices: Iterable[Hardware], instances: Iterable[Instance]) -> None:
        self.devices = tuple(devices)
        self.instances = tuple(instances)
        self._devices: dict[str, Hardware] = {}
        for dev in self.devices:
            for name in (dev.id, dev.name, *dev.aliases):
                self._devices.setdefault(_key(name), dev)
        self._instances = {_key(inst.id): inst for inst in self.instances}

    def device(self, name: str) -> Hardware:
        """Return the device ``name`` names.

        Raises:
            UnknownHardwareError: Nothing matches; ``matches`` holds close ids.
        """
        found = self._devices.get(_key(name))
        if found is None:
            raise UnknownHardwareError(name, "device", self._close(name, self._devices))
        return found

    def instance(self, name: str) -> Instance:
        """Return the instance type ``name`` names (``Standard_`` prefix optional).

        Raises:
            UnknownHardwareError: Nothing matches; ``matches`` holds close ids.
        """
        found = self._instances.get(_key(name))
        if found is None:
            raise UnknownHardwareError(name, "instance type", self._close(name, self._instances))
        return found

    def search(self, query: str = "", kind: str | None = None) -> list[Hardware | Instance]:
        """Return entries whose id, name or alias contains ``query``, best first.

        Exact names come first, then prefixes, then substrings, then instance
        types whose device matches; when nothing
        contains the query, close spellings. ``kind`` limits to one of
        :data:`KINDS`.
        """
        key = _key(query)
        entries: list[Hardware | Instance] = [
            *(d for d in self.devices if kind in (None, d.kind)),
            *(i for i in self.instances if kind in (None, "instance")),
        ]
        if not key:
            return entries
        ranked = [(rank, n, e) for n, e in enumerate(entries)
                  if (rank := _rank(e, key)) is not None]
        if ranked:
            return [e for _, _, e in sorted(ranked, key=lambda r: (r[0], r[1]))]
        index = {_key(n): e for e in entries for n in _names(e)}
        hits = difflib.get_close_matches(key, list(index), n=10, cutoff=0.6)
        return list({id(index[h]): index[h] for h in hits}.values())

    @staticmethod
    def _close(name: str, index: dict[str, Hardware] | dict[str, Instance]) -> list[str]:
        hits = difflib.get_close_matches(_key(name), list(index), n=15, cutoff=0.6)
        key = _key(name)
        hits += [k for k in index if key and key in k]
        return list(dict.fromkeys(index[h].id for h in hits))[:5]


def _names(entry: Hardware | Instance) -> tuple[str, ...]:
    if isinstance(entry, Instance):
        return (entry.id,)
    return (entry.id, entry.name, *entry.aliases)


def _rank(entry: Hardware | Instance, key: str) -> int | None:
    names = [_key(n) for n in _names(entry)]
    if key in names:
        return 0
    if any(n.startswith(key) for n in names):
        return 1
    if any(key in n for n in names):
        return 2
    if isinstance(entry, Instance) and _rank(entry.device, key) is not None:
        return 3  # an instance type whose device matches
    return None


def _opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _accelerators() -> list[Hardware]:
    return [
        Hardware(
            id=row["id"], name=row["name"], kind=row["kind"], vendor=row["vendor"],
            power_w=_opt_float(row["power_w"]),
            power_basis=f"{row['power_basis']} ({row['form_factor']})",
            power_source=f"{row['power_source']} ({row['power_year']})",
            memory_gb=_opt_float(row["memory_gb"]), embodied_kg=_opt_float(row["embodied_kg"]),
            embodied_source=row["embodied_source"],
            aliases=tuple(a for a in row["aliases"].split("|") if a),
        )
        for row in read_table("accelerators.csv")
    ]


def _cpus() -> list[Hardware]:
    from wattprint.measure.sensors.tdp import load_table

    devices = []
    for row in load_table():
        apple = row.vendor == "apple"
        words = row.pattern.split()
        if words[0] == row.vendor:
            words = words[1:]
        name = " ".join(w.upper() if w in {"epyc", "wx"} else w.capitalize() for w in words)
        devices.append(Hardware(
            id=row.pattern.replace(" ", "-"),
            name=f"{_VENDOR_LABELS.get(row.vendor, row.vendor)} {name}", kind="cpu",
            vendor=row.vendor, power_w=row.tdp_w,
            power_basis=("max wall power of the Mac with this chip (no chip TDP published)"
                         if apple else f"TDP per package ({row.cores} cores)"),
            power_source=f"{row.source} ({row.source_year})", aliases=(row.pattern,),
        ))
    return devices


def _instances(devices: dict[str, Hardware]) -> list[Instance]:
    return [
        Instance(
            id=row["id"], provider=row["provider"], device=devices[row["device"]],
            device_count=int(row["device_count"]), vcpus=int(row["vcpus"]),
            ram_gb=float(row["ram_gb"]), source=f"{row['source']} ({row['year']})",
        )
        for row in read_table("instances.csv")
    ]


@functools.lru_cache(maxsize=1)
def load_hardware() -> HardwareCatalog:
    """Return the catalog of the embedded tables, loaded on first use and cached.

    Raises:
        KeyError: An instance names a device missing from the accelerator table
            (a packaging bug; the test suite checks every row).
    """
    accelerators = _accelerators()
    by_id = {dev.id: dev for dev in accelerators}
    return HardwareCatalog([*accelerators, *_cpus()], _instances(by_id))
