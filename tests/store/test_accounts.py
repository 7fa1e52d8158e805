from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

import pytest
from sample_runs import make_run

from wattprint.errors import ConfigError, RunNotFoundError
from wattprint.model import AccountedFigure, CarbonAwareRecord, Instrument, Offset, Target
from wattprint.store.ledger import Ledger

GO = Instrument("", "DE", "go", date(2026, 1, 1), date(2026, 12, 31), 100.0, None, None,
                supplier="Stadtwerke", certificate="GO-1")


def test_instruments_round_trip_with_check(ledger: Ledger) -> None:
    seen: list[tuple[Instrument, int]] = []

    def check(new: Instrument, existing: Sequence[Instrument]) -> None:
        seen.append((new, len(existing)))

    first = ledger.add_instrument(GO, check)
    assert first.id and first.created_utc is not None
    second = ledger.add_instrument(
        dataclasses.replace(GO, zone="FR", volume_mwh=None, share=0.5, certificate=""), check)
    assert [n for _, n in seen] == [0, 1]
    assert ledger.instruments() == [first, second]
    assert ledger.instruments("de") == [first]
    assert ledger.instruments("DE")[0].start_date == date(2026, 1, 1)


def test_instrument_check_refusal_rolls_back(ledger: Ledger) -> None:
    def refuse(new: Instrument, existing: Sequence[Instrument]) -> None:
        raise ConfigError("overlapping instruments: no")

    with pytest.raises(ConfigError, match="overlapping"):
        ledger.add_instrument(GO, refuse)
    assert ledger.instruments() == []


def test_targets_upsert_keeps_created(ledger: Ledger) -> None:
    target = Target("vision", "co2e", "2026Q1", 30.0, date(2026, 6, 30))
    saved = ledger.set_target(target)
    again = ledger.set_target(dataclasses.replace(target, reduce_pct=40.0))
    assert again.reduce_pct == 40.0 and again.created_utc == saved.created_utc
    ledger.set_target(Target("*", "energy", "2026", 10.0, date(2027, 12, 31)))
    assert [(t.project, t.metric) for t in ledger.targets()] == [("*", "energy"),
                                                                 ("vision", "co2e")]
    assert [t.metric for t in ledger.targets("vision")] == ["co2e"]


def test_offsets_register_refuses_duplicate_serial(ledger: Ledger) -> None:
    offset = Offset("", 5.0, "Gold Standard", "GS-123", 2026, project="vision",
                    retired_on=date(2026, 8, 1))
    saved = ledger.add_offset(offset)
    assert ledger.offsets() == [saved]
    assert ledger.offsets("vision") == [saved] and ledger.offsets("nlp") == []
    with pytest.raises(ConfigError, match="already in the register"):
        ledger.add_offset(offset)


def test_accounting_figures_round_trip_and_cascade(ledger: Ledger) -> None:
    ledger.save_run(make_run())
    fig = AccountedFigure("run-0001", "market", 1.25, "kg CO2e", "ghg-scope2-market",
                          {"instruments": [{"id": "x", "covered_kwh": 1.0}], "note": "n"})
    saved = ledger.save_accounting([fig])
    assert saved[0].computed_utc is not None
    ledger.save_accounting([dataclasses.replace(fig, value=2.0)])
    back = ledger.accounting(["run-0001", "other"])
    assert back["other"] == {}
    assert back["run-0001"]["market"].value == 2.0
    assert back["run-0001"]["market"].inputs == fig.inputs
    ledger.delete_run("run-0001")
    assert ledger.accounting(["run-0001"]) == {"run-0001": {}}
    with pytest.raises(RunNotFoundError, match="save the run first"):
        ledger.save_accounting([fig])


def test_shifts_join_runs_in_window(ledger: Ledger) -> None:
    run = make_run()
    ledger.save_run(run)
    start = run.started_utc
    ledger.save_carbon_aware(CarbonAwareRecord(
        run.id, "FR", start, start + timedelta(hours=1), 30.0, 35.0, 0.5, 4.0, "window",
        "standard", 0.0, "file"))
    found = ledger.shifts(start, start + timedelta(days=1))
    assert len(found) == 1 and found[0][1] == pytest.approx(run.co2e_kg)
    assert ledger.shifts(start, start + timedelta(days=1), project="nope") == []
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert ledger.shifts(later, later + timedelta(days=1)) == []
