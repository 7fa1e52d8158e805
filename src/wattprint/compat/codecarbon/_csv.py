"""Write ``emissions.csv`` the way CodeCarbon does.

* A missing or empty file is created with the header.
* A file whose header has the same column *set* is written in the file's own
  column order (CodeCarbon compares headers order-insensitively too):
  ``"append"`` adds a row; ``"update"`` replaces this run's row (or appends
  when the file already holds more than one row for the run, as CodeCarbon does).
* A file with a different header (an older CodeCarbon format, another tool)
  is never overwritten: like CodeCarbon, it is renamed to ``<name>.bak``
  (``<name>_0.bak``, ``<name>_1.bak``, ... when taken) with a logged warning,
  and a fresh file is written at the original path, where scripts look for it.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

from wattprint.compat.codecarbon.emissions_data import COLUMNS, EmissionsData

logger = logging.getLogger(__name__)

ON_CSV_WRITE = ("append", "update")


def write_row(path: Path, data: EmissionsData, *, on_csv_write: str = "append") -> None:
    """Add ``data`` to the CSV at ``path`` (see the module docstring for the rules).

    Raises:
        ValueError: ``on_csv_write`` is not ``"append"`` or ``"update"``.
        OSError: The file cannot be read or written.
    """
    if on_csv_write not in ON_CSV_WRITE:
        raise ValueError(f"on_csv_write must be 'append' or 'update', got {on_csv_write!r}")
    header = _read_header(path)
    if header is not None and sorted(header) != sorted(COLUMNS):
        backup = _backup(path)
        logger.warning(
            "%s has a different CSV header than CodeCarbon 3.x's; moved it to %s and "
            "started a new file", path, backup,
        )
        header = None
    row = {name: _cell(value) for name, value in data.values.items()}
    if header is None:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerow(row)
    elif on_csv_write == "append":
        with path.open("a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, fieldnames=header).writerow(row)
    else:
        _update(path, header, row)


def _read_header(path: Path) -> list[str] | None:
    """The header row, or ``None`` for a missing or empty file."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), None)


def _backup(path: Path) -> Path:
    target = path.with_name(f"{path.name}.bak")
    index = 0
    while target.exists():
        target = path.with_name(f"{path.name}_{index}.bak")
        index += 1
    path.rename(target)
    return target


def _update(path: Path, header: list[str], row: dict[str, str]) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    mine = [r for r in rows if r.get("run_id") == row["run_id"]]
    if len(mine) > 1:
        logger.warning(
            "%s holds %d rows for run %s; appending instead of updating",
            path, len(mine), row["run_id"],
        )
    else:
        rows = [r for r in rows if r.get("run_id") != row["run_id"]]
    rows.append(row)
    # Write beside the file and rename, so a crash never leaves half a CSV.
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
