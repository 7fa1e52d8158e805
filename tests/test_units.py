"""The one parser of durations with units, shared by the CLI and the plan files."""

from __future__ import annotations

import pytest

from wattprint import units


@pytest.mark.parametrize(("text", "seconds"), [
    ("45s", 45.0), ("90m", 5400.0), ("90min", 5400.0), ("90 min", 5400.0), ("4h", 14400.0),
    ("1h30m", 5400.0), ("1h 30m", 5400.0), ("2d", 172800.0), ("1.5H", 5400.0),
    (" 2d 6h ", 194400.0),
])
def test_terms_add_up_in_seconds(text: str, seconds: float) -> None:
    assert units.duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "96", "4x", "h4", "1h-30m", "1h and 30m", "4 hours"])
def test_anything_else_is_refused_with_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration with units"):
        units.duration_s(text)
