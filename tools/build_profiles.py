"""Build ``src/wattprint/intensity/data/profiles.csv``: typical hourly intensity per zone.

Run from the repository root with ``shared/`` beside it::

    python tools/build_profiles.py [--shared ../shared]

Input: the hourly Electricity Maps files ``shared/data/carbon_intensity_<ZONE>_<YEAR>.csv``
(2023 and 2024, life-cycle column; see ``shared/data/SOURCES.md``). Output: one row per
zone x month x UTC hour holding the mean life-cycle intensity over every hour of those
years that falls in that month and hour.

Skipped on purpose: ``IN-WE`` and ``JP-TK`` (100 % estimated by Electricity Maps, a
modelled shape rather than measured data) and the ``_lwa`` files (another method and no
licence). The output is a derived database of ODbL 1.0 data: it carries attribution in
every row, licence comment lines at its top, and ``profiles.LICENSE.md`` beside it. The
script is deterministic: run it twice, get the same file.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "wattprint" / "intensity" / "data"
YEARS = (2023, 2024)
# 100 % estimated by Electricity Maps: no measured hourly shape to learn from.
SKIP_ZONES = {"IN-WE", "JP-TK"}
FILE_NAME = re.compile(r"^carbon_intensity_(?P<zone>[A-Z]{2}(?:-[A-Z]+)*)_(?P<year>\d{4})\.csv$")
COLUMN = "carbon_intensity_lifecycle_g_per_kwh"
HEADER = ["zone", "month", "hour_utc", "carbon_intensity_g_per_kwh", "source", "years"]
LICENCE_LINES = [
    "# Derived from Electricity Maps hourly carbon-intensity data (https://www.electricitymaps.com),",
    "# licensed under the Open Database License (ODbL 1.0, https://opendatacommons.org/licenses/odbl/1-0/);",
    "# contents under the Database Contents License (DbCL 1.0). This derived table is likewise",
    "# made available under ODbL 1.0. Built by tools/build_profiles.py; see profiles.LICENSE.md.",
]


def _year_span(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _read(path: Path, zone: str) -> list[tuple[int, int, float]]:
    """(month, hour, value) of every row of one zone-year file."""
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["zone"] != zone:
                raise SystemExit(f"{path.name}: row for zone {row['zone']!r}, expected {zone!r}")
            when = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
            rows.append((when.month, when.hour, float(row[COLUMN])))
    return rows


def collect(data_dir: Path) -> dict[str, dict[int, Path]]:
    """Zone -> year -> file, for the years and zones the profiles use."""
    found: dict[str, dict[int, Path]] = defaultdict(dict)
    for path in sorted(data_dir.glob("carbon_intensity_*.csv")):
        match = FILE_NAME.match(path.name)
        if not match:  # "_lwa" files and anything else not named <ZONE>_<YEAR>.csv
            continue
        zone, year = match["zone"], int(match["year"])
        if zone in SKIP_ZONES or year not in YEARS:
            continue
        found[zone][year] = path
    return dict(sorted(found.items()))


def build(data_dir: Path, known_zones: set[str] | None = None) -> list[list[str]]:
    """Rows of the profile table (without header)."""
    out: list[list[str]] = []
    for zone, files in collect(data_dir).items():
        if known_zones is not None and zone not in known_zones:
            raise SystemExit(f"zone {zone} is not in the wattprint zone catalog; add a mapping")
        years = sorted(files)
        sums: dict[tuple[int, int], float] = defaultdict(float)
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for year in years:
            for month, hour, value in _read(files[year], zone):
                sums[month, hour] += value
                counts[month, hour] += 1
        span = _year_span(years)
        source = f"Electricity Maps {span} hourly data (ODbL 1.0), mean by month and UTC hour"
        for month in range(1, 13):
            for hour in range(24):
                if counts[month, hour] == 0:
                    raise SystemExit(f"{zone}: no data for month {month} hour {hour}")
                mean = sums[month, hour] / counts[month, hour]
                out.append([zone, str(month), str(hour), f"{mean:.1f}", source, span])
    return out


def _catalog_zones() -> set[str] | None:
    try:
        from wattprint.intensity.zones import load_catalog
    except ImportError:  # building without the package installed: skip the check
        return None
    return {zone.id for zone in load_catalog().zones}


def main(argv: list[str] | None = None) -> int:
    """Write ``profiles.csv``; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_shared = Path(__file__).resolve().parents[2] / "shared"
    parser.add_argument("--shared", type=Path, default=default_shared)
    parser.add_argument("--out", type=Path, default=OUT / "profiles.csv")
    args = parser.parse_args(argv)
    rows = build(args.shared / "data", _catalog_zones())
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(LICENCE_LINES) + "\n")
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    zones = sorted({row[0] for row in rows})
    print(f"wrote {len(rows)} rows for {len(zones)} zones to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
