"""ZoneCatalog: lookup, search, intensity, errors and load time."""

from __future__ import annotations

import time

import pytest

from wattprint.errors import ConfigError, UnknownZoneError
from wattprint.intensity.zones import ZoneCatalog, load_catalog
from wattprint.model import Zone


@pytest.mark.parametrize(
    ("query", "zone_id"),
    [("DE", "DE"), ("de", "DE"), ("DEU", "DE"), ("germany", "DE"), (" Germany ", "DE"),
     ("UK", "GB"), ("Georgia", "GE"), ("us-ca", "US-CA"), ("California", "US-CA"),
     ("AU-ACT", "AU-NSW"), ("aws:us-east-1", "aws:us-east-1"), ("AWS:US-EAST-1", "aws:us-east-1"),
     ("us-east-1", "aws:us-east-1"), ("us-east-1a", "aws:us-east-1"),
     ("europe-west3", "gcp:europe-west3"), ("europe-west3-b", "gcp:europe-west3"),
     ("westeurope", "azure:westeurope"), ("world", "WORLD")],
)
def test_get_accepts_ids_codes_names_and_cloud_regions(query: str, zone_id: str) -> None:
    assert load_catalog().get(query).id == zone_id


def test_kinds() -> None:
    catalog = load_catalog()
    assert catalog.get("FR").kind == "country"
    assert catalog.get("US-TX").kind == "region"
    cloud = catalog.get("azure:westeurope")
    assert (cloud.kind, cloud.grid_zone, cloud.country) == ("cloud", "NL", "NL")


def test_unknown_zone_lists_close_matches() -> None:
    with pytest.raises(UnknownZoneError) as info:
        load_catalog().get("Germny")
    assert "DE" in info.value.matches
    assert "DE" in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_unknown_gibberish_has_no_matches() -> None:
    with pytest.raises(UnknownZoneError) as info:
        load_catalog().get("qqqqqqqqqq")
    assert info.value.matches == ()


def test_search() -> None:
    catalog = load_catalog()
    assert len(catalog.search("")) == len(catalog)
    assert catalog.search("germany")[0].id == "DE"
    assert catalog.search("DE")[0].id == "DE"
    ids = [z.id for z in catalog.search("california")]
    assert ids[0] == "US-CA" and "aws:us-west-1" in ids
    assert catalog.search("Germny")[0].id == "DE"  # no substring: falls back to spelling


def test_intensity_of_a_country() -> None:
    intensity = load_catalog().intensity("fr")
    assert intensity.zone == "FR"
    assert intensity.year is not None and intensity.year >= 2022
    assert "Ember" in intensity.source
    assert intensity.resolution == "annual"


def test_cloud_intensity_prefers_region_figure_else_grid_zone() -> None:
    catalog = load_catalog()
    gcp = catalog.intensity("gcp:europe-west3")
    assert "Google" in gcp.source and "region-specific" in gcp.source
    assert gcp.g_per_kwh != catalog.intensity("DE").g_per_kwh
    aws = catalog.intensity("aws:eu-central-1")
    assert aws.g_per_kwh == catalog.intensity("DE").g_per_kwh
    assert aws.source.startswith("grid zone DE:") and "AWS" in aws.source


def test_ambiguous_alias_resolves_to_neither() -> None:
    zones = [Zone("AA", "Alpha", "country", 1.0, 2024, "t", aliases=("shared",)),
             Zone("BB", "Beta", "country", 2.0, 2024, "t", aliases=("shared",)),
             Zone("AA-1", "Alpha", "region", 3.0, 2024, "t")]
    catalog = ZoneCatalog(zones)
    assert catalog.find("shared") is None
    assert catalog.get("alpha").id == "AA"  # a country beats a region of the same name
    assert catalog.get("aa-1").id == "AA-1"


def test_catalog_loads_in_under_20_ms() -> None:
    best = float("inf")
    for _ in range(5):
        load_catalog.cache_clear()
        start = time.perf_counter()
        load_catalog()
        best = min(best, time.perf_counter() - start)
    assert best < 0.020, f"load took {best * 1000:.1f} ms"
    assert load_catalog() is load_catalog()
