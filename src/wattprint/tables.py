"""Read the CSV tables shipped inside the package.

Every embedded table lives in a ``data`` folder next to the code that uses it
(``wattprint/intensity/data``, ``wattprint/estimate/data``, …) and names a
source on every row. This module reads them all the same way: with the
``csv`` module only, as strings, so loading every table takes milliseconds.
"""

from __future__ import annotations

import csv
import io
from importlib import resources


def packaged_rows(package: str, name: str) -> list[dict[str, str]]:
    """Return the rows of one embedded table as ``{column: value}`` strings.

    Args:
        package: The package whose ``data`` folder holds the table, e.g.
            ``"wattprint.intensity"``.
        name: File name inside that folder, e.g. ``"countries.csv"``.
    """
    text = resources.files(package).joinpath("data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))
