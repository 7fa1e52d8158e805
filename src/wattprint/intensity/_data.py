"""Read the CSV tables shipped in ``wattprint/intensity/data``.

The tables are built by ``tools/build_intensity_data.py`` from public sources;
each row names its source and year. Reading uses the ``csv`` module only, so
loading every table takes a few milliseconds.
"""

from __future__ import annotations

from wattprint.tables import packaged_rows


def read_table(name: str) -> list[dict[str, str]]:
    """Return the rows of one embedded table as dictionaries.

    Args:
        name: File name inside the data folder, e.g. ``"countries.csv"``.

    Returns:
        One ``{column: value}`` mapping per row, values as strings.
    """
    return packaged_rows("wattprint.intensity", name)
