from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from helpers import T0, run

from wattprint.account.market import (
    NO_RESIDUAL,
    check_instrument,
    check_overlap,
    market_co2e,
    residual_mix_table,
)
from wattprint.errors import ConfigError
from wattprint.model import Instrument

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def inst(iid: str, type_: str = "go", *, mwh: float | None = None, share: float | None = None,
         factor: float | None = None, zone: str = "DE", period: tuple[date, date] = YEAR,
         certificate: str = "") -> Instrument:
    return Instrument(iid, zone, type_, period[0], period[1], mwh, share, factor,
                      certificate=certificate)


def test_residual_mix_table_has_one_source_per_row() -> None:
    table = residual_mix_table()
    assert table["DE"].g_per_kwh == pytest.approx(701.47)
    assert table["FR"].g_per_kwh == pytest.approx(17.11)
    assert table["AT"].g_per_kwh is None  # AIB prints NA (full disclosure)
    assert all("AIB European Residual Mixes" in row.source for row in table.values())
    assert len(table) == 27


def test_uncovered_energy_uses_the_residual_mix() -> None:
    fig = market_co2e(run(), [])
    assert fig.kind == "market" and fig.unit == "kg CO2e"
    assert fig.value == pytest.approx(3.0 * 701.47 / 1000)  # facility energy 3 kWh
    assert fig.inputs["uncovered_basis"] == "residual-mix"
    assert "AIB" in fig.inputs["uncovered_source"]


def test_no_residual_mix_falls_back_to_location_and_says_so() -> None:
    for zone in ("US-CAL-CISO", "AT"):
        fig = market_co2e(run(zone=zone, annual=250.0), [])
        assert fig.value == pytest.approx(3.0 * 250 / 1000)
        assert fig.inputs["note"] == NO_RESIDUAL
        assert "GHG Protocol allows" in NO_RESIDUAL


def test_share_and_factor() -> None:
    half = inst("s", "supplier", share=0.5, factor=100.0)
    fig = market_co2e(run(), [half])
    assert fig.value == pytest.approx((1.5 * 100 + 1.5 * 701.47) / 1000)
    assert fig.inputs["instruments"][0]["covered_kwh"] == pytest.approx(1.5)
    green = market_co2e(run(), [inst("g", "ppa", share=1.0)])
    assert green.value == 0.0
    assert green.inputs["instruments"][0]["factor_basis"].startswith("renewable")


def test_volume_is_consumed_chronologically() -> None:
    go = inst("go", mwh=0.004)  # 4 kWh: run a (3 kWh) then 1 kWh of run b
    a = run("a", started=T0)
    b = run("b", started=T0 + timedelta(days=1))
    assert market_co2e(a, [go], earlier_runs=[b, a]).value == 0.0
    fig_b = market_co2e(b, [go], earlier_runs=[b, a])
    assert fig_b.inputs["covered_kwh"] == pytest.approx(1.0)
    assert fig_b.value == pytest.approx(2.0 * 701.47 / 1000)


def test_quality_order_ppa_before_certificates_before_supplier() -> None:
    instruments = [inst("sup", "supplier", share=1.0, factor=300.0),
                   inst("go", mwh=0.001), inst("ppa", "ppa", mwh=0.001, factor=10.0)]
    fig = market_co2e(run(), instruments)
    assert [p["id"] for p in fig.inputs["instruments"]] == ["ppa", "go", "sup"]
    assert fig.value == pytest.approx((1 * 10 + 1 * 0 + 1 * 300) / 1000)


def test_instruments_of_other_zones_or_periods_do_not_apply() -> None:
    others = [inst("fr", zone="FR", share=1.0), inst("old", share=1.0,
                                                     period=(date(2025, 1, 1), date(2025, 12, 31)))]
    assert market_co2e(run(), others).inputs["instruments"] == []


def test_overlap_errors() -> None:
    full = inst("full", "supplier", share=1.0, factor=200.0)
    with pytest.raises(ConfigError, match="overlapping instruments.*200 % covered"):
        check_overlap(inst("new", share=1.0), [full])
    with pytest.raises(ConfigError, match="already 100 % covered"):
        check_overlap(inst("new", mwh=5.0), [full])
    with pytest.raises(ConfigError, match="overlapping instruments.*duplicates"):
        check_overlap(inst("new", mwh=5.0), [inst("old", mwh=5.0)])
    with pytest.raises(ConfigError, match="certificate 'GO-9' is already recorded"):
        check_overlap(inst("n", mwh=1.0, certificate="GO-9"),
                      [inst("o", mwh=2.0, certificate="GO-9")])
    # Different zone, a later period, or shares that fit: accepted.
    check_overlap(inst("fr", zone="FR", share=1.0), [full])
    check_overlap(inst("next", share=1.0, period=(date(2027, 1, 1), date(2027, 12, 31))), [full])
    check_overlap(inst("half", share=0.5), [inst("other", "ppa", share=0.5)])
    check_overlap(inst("more", mwh=3.0), [inst("old", mwh=5.0)])


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "coal"}, "instrument type"),
    ({"end_date": date(2025, 1, 1)}, "ends"),
    ({"volume_mwh": 1.0}, "exactly one"),
    ({"share": None}, "exactly one"),
    ({"share": 1.5}, r"--share must be in \(0, 100\]"),
    ({"factor_g_per_kwh": -1.0}, "--factor must be >= 0"),
    ({"type": "supplier"}, "needs its emission factor"),
])
def test_check_instrument(change: dict[str, object], message: str) -> None:
    good = inst("x", share=1.0)
    assert check_instrument(good) is good
    with pytest.raises(ConfigError, match=message):
        check_instrument(dataclasses.replace(good, **change))  # type: ignore[arg-type]


def test_shares_that_do_not_overlap_each_other_do_not_add_up() -> None:
    from datetime import date

    from wattprint.account.market import check_overlap
    from wattprint.errors import ConfigError
    from wattprint.model import Instrument

    h1 = Instrument("a", "DE", "supplier", date(2026, 1, 1), date(2026, 6, 30), None, 0.6,
                    20.0, "S", "")
    h2 = Instrument("b", "DE", "supplier", date(2026, 7, 1), date(2026, 12, 31), None, 0.6,
                    20.0, "S", "")
    year = Instrument("", "DE", "go", date(2026, 1, 1), date(2026, 12, 31), None, 0.4, None,
                      "", "")
    check_overlap(year, [h1, h2])  # at most 100 % on any day
    more = Instrument("", "DE", "go", date(2026, 6, 1), date(2026, 7, 31), None, 0.5, None,
                      "", "")
    with pytest.raises(ConfigError) as info:
        check_overlap(more, [h1, h2])
    # the message names the real overlap window, not the new instrument's whole period
    assert "110 % covered between 2026-06-01 and 2026-06-30 (already 60 % by a)" in str(info.value)
    volume = Instrument("", "DE", "rec", date(2026, 6, 1), date(2026, 7, 31), 5.0, None, None,
                        "", "")
    check_overlap(volume, [h1, h2])  # only 60 % covered: the volume can be used
