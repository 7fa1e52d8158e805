"""The embedded CPU TDP table and CPU model-name detection.

``data/cpu_tdp.csv`` holds one row per CPU model: a lower-case ``pattern``,
the TDP per package in watts, cores and hardware threads per package, vendor,
the primary source (vendor product page or Apple's published figure) and its
year. Intel figures are "Processor Base Power"/TDP, AMD figures the default
TDP. Apple publishes no chip TDP; its rows hold the maximum wall power of the
Mac mini / Mac Studio with that chip, an upper bound for the CPU.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "data" / "cpu_tdp.csv"

#: Fallback when no row matches: 12 W per core, the "Any" CPU of the Green
#: Algorithms calculator (Lannelongue, Grealey & Inouye 2021, data/TDP_cpu.csv,
#: https://github.com/GreenAlgorithms/green-algorithms-tool).
DEFAULT_W_PER_CORE = 12.0
DEFAULT_W_PER_CORE_SOURCE = (
    "12 W per core default of the Green Algorithms calculator "
    "(Lannelongue et al. 2021, TDP_cpu.csv 'Any' row)"
)

_NOISE = re.compile(
    r"\((?:r|tm)\)|®|™|\bcpu\b|\bprocessor\b|\bintel\b|\bamd\b|\d+-core\b|@.*$|"
    r"\bwith radeon.*$|\bw/ radeon.*$"
)


@dataclass(frozen=True)
class TdpRow:
    """One row of the TDP table (figures per package)."""

    pattern: str
    tdp_w: float
    cores: int
    threads: int
    vendor: str
    source: str
    source_year: int


def load_table(path: Path = DEFAULT_TABLE) -> tuple[TdpRow, ...]:
    """Read the TDP table.

    Raises:
        OSError: The file cannot be read.
        ValueError: A row is malformed (names the row).
    """
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, rec in enumerate(csv.DictReader(f), start=2):
            try:
                rows.append(
                    TdpRow(
                        pattern=normalise(rec["pattern"]),
                        tdp_w=float(rec["tdp_w"]),
                        cores=int(rec["cores"]),
                        threads=int(rec["threads"]),
                        vendor=rec["vendor"].strip(),
                        source=rec["source"].strip(),
                        source_year=int(rec["source_year"]),
                    )
                )
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"{path}:{n}: bad TDP row ({e})") from e
    return tuple(rows)


def normalise(brand: str) -> str:
    """Lower-case a CPU brand string and drop vendor noise.

    ``"Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"`` → ``"xeon platinum 8380"``;
    ``"AMD EPYC 7763 64-Core Processor"`` → ``"epyc 7763"``.
    """
    text = _NOISE.sub(" ", brand.lower())
    return " ".join(text.split())


def match(brand: str, table: Sequence[TdpRow]) -> TdpRow | None:
    """The most specific row whose pattern occurs in ``brand``, or None.

    A pattern matches at a word start and must not be followed by a digit (so
    ``"epyc 7543"`` matches ``"EPYC 7543P"`` but not ``"EPYC 75430"``); the
    longest matching pattern wins.
    """
    name = normalise(brand)
    best: TdpRow | None = None
    for row in table:
        if row.pattern and _occurs(row.pattern, name):
            if best is None or len(row.pattern) > len(best.pattern):
                best = row
    return best


def _occurs(pattern: str, name: str) -> bool:
    """``pattern`` in ``name`` at a word start and not followed by a digit."""
    start = name.find(pattern)
    while start >= 0:
        end = start + len(pattern)
        starts_word = start == 0 or not name[start - 1].isalnum()
        if starts_word and (end == len(name) or not name[end].isdigit()):
            return True
        start = name.find(pattern, start + 1)
    return False


@dataclass(frozen=True)
class CpuInfo:
    """What the machine says about its CPU."""

    brand: str
    sockets: int


def read_cpuinfo(path: Path = Path("/proc/cpuinfo")) -> CpuInfo | None:
    """Brand string and socket count from a Linux ``/proc/cpuinfo``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    brand = ""
    sockets: set[str] = set()
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name" and not brand:
            brand = value
        elif key == "physical id":
            sockets.add(value)
    if not brand:
        return None
    return CpuInfo(brand, max(len(sockets), 1))


def _macos_brand() -> str | None:
    import subprocess  # only on macOS; kept out of the import path elsewhere

    try:
        out = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"],
            capture_output=True,
            text=True,
            timeout=2.0,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def detect_cpu(proc_root: Path = Path("/proc")) -> CpuInfo:
    """Best-effort CPU brand and socket count of this machine.

    Linux: ``/proc/cpuinfo``; macOS: ``sysctl machdep.cpu.brand_string``
    (one package); elsewhere ``platform.processor()``.
    """
    info = read_cpuinfo(proc_root / "cpuinfo")
    if info is not None:
        return info
    import platform  # not needed on Linux, where /proc/cpuinfo answers

    if platform.system() == "Darwin":
        brand = _macos_brand()
        if brand:
            return CpuInfo(brand, 1)
    return CpuInfo(platform.processor() or platform.machine() or "unknown CPU", 1)
