"""Default PUEs and PUE validation."""

from __future__ import annotations

import math

import pytest

from wattprint.errors import ConfigError
from wattprint.intensity.pue import check_pue, default_pue


def test_on_premise_default_is_one() -> None:
    assert default_pue(None) == (1.0, "on-premise default (set pue to override)")
    assert default_pue("on-premise")[0] == 1.0


@pytest.mark.parametrize(
    ("provider", "low", "high", "word"),
    [("gcp", 1.05, 1.15, "Google"), ("google", 1.05, 1.15, "Google"),
     ("aws", 1.1, 1.2, "AWS"), ("aws:us-east-1", 1.1, 1.2, "AWS"),
     ("azure", 1.1, 1.25, "Microsoft"), ("industry-average", 1.5, 1.6, "Uptime")],
)
def test_provider_defaults_are_published_figures(
    provider: str, low: float, high: float, word: str
) -> None:
    value, source = default_pue(provider)
    assert low <= value <= high
    assert word in source and "https://" in source


def test_unknown_provider_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: .*aws"):
        default_pue("oracle")


@pytest.mark.parametrize("value", [1.0, 1, 1.58, 3.0])
def test_check_pue_accepts_possible_values(value: float) -> None:
    assert check_pue(value, "argument pue") == float(value)


@pytest.mark.parametrize("value", [0.9, 0.0, -1.2, math.nan, math.inf])
def test_check_pue_rejects_impossible_values_naming_the_source(value: float) -> None:
    with pytest.raises(ConfigError, match="WATTPRINT_PUE: pue=.*at least 1.0"):
        check_pue(value, "WATTPRINT_PUE")


def test_check_pue_rejects_non_numbers() -> None:
    with pytest.raises(ConfigError, match="not a number"):
        check_pue("1.2", "wattprint.toml")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        check_pue(True, "wattprint.toml")
