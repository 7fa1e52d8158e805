from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest

from wattprint.account.offsets import check_offset, ledger_summary, offset_to_dict
from wattprint.account.periods import parse_period
from wattprint.errors import ConfigError
from wattprint.model import CarbonAwareRecord, Offset

GS = Offset("o1", 5.0, "Gold Standard", "GS-123", 2026, project="vision",
            retired_on=date(2026, 8, 1))


def record(baseline_kg: float) -> CarbonAwareRecord:
    start = datetime(2026, 7, 2, tzinfo=timezone.utc)
    return CarbonAwareRecord("r", "FR", start, start + timedelta(hours=1), 30.0, 35.0, 1.0,
                             baseline_kg, "window", "standard", 0.0, "file")


@pytest.mark.parametrize(("change", "message"), [
    ({"tonnes": -1.0}, r"invalid --tonnes -1: must be > 0"),
    ({"tonnes": 0.0}, "must be > 0"),
    ({"registry": " "}, "needs its --registry"),
    ({"serial": ""}, "needs its --serial"),
    ({"vintage": 26}, "invalid --vintage 26"),
    ({"retired_on": date(2025, 1, 1)}, "before the vintage"),
])
def test_bad_offsets(change: dict[str, object], message: str) -> None:
    assert check_offset(GS) is GS
    with pytest.raises(ConfigError, match=message):
        check_offset(dataclasses.replace(GS, **change))  # type: ignore[arg-type]


def test_summary_reduce_shift_offset_in_order_never_netting_silently() -> None:
    held = dataclasses.replace(GS, id="o2", serial="GS-124", retired_on=None)
    other = dataclasses.replace(GS, id="o3", serial="GS-125", project="nlp")
    late = dataclasses.replace(GS, id="o4", serial="GS-126", retired_on=date(2026, 10, 1))
    out = ledger_summary(parse_period("2026Q3"), "vision", gross_co2e_kg=8000.0,
                         shifts=[(record(4.0), 1.5), (record(2.0), 1.0)],
                         offsets=[GS, held, other, late])
    assert list(out)[:6] == ["period", "project", "gross_co2e_kg",
                             "avoided_by_shifting_co2e_kg", "offset_co2e_kg", "net_co2e_kg"]
    assert out["avoided_by_shifting_co2e_kg"] == pytest.approx(3.5)
    assert out["offset_co2e_kg"] == pytest.approx(5000.0)
    assert out["net_co2e_kg"] == pytest.approx(3000.0)  # gross - offsets; shifting not subtracted
    assert [o["serial"] for o in out["offsets_retired"]] == ["GS-123"]
    assert out["offsets_held_not_retired_t"] == pytest.approx(5.0)
    every = ledger_summary(parse_period("2026Q3"), None, gross_co2e_kg=0.0, shifts=[],
                           offsets=[GS, other])
    assert every["offset_co2e_kg"] == pytest.approx(10000.0)


def test_offset_json() -> None:
    out = offset_to_dict(GS)
    assert out["retired_on"] == "2026-08-01" and out["project"] == "vision"
    assert offset_to_dict(dataclasses.replace(GS, project=""))["project"] is None
