"""Bad input to the govern commands: exit code 2, one line that names the fix, nothing stored.

``instrument add`` over dates a same-zone instrument already covers,
``offset add`` without its serial or registry, and ``target set`` on a
baseline period without runs (an empty ledger) are refused before anything is
written; the list commands show that the register is unchanged.
"""

from __future__ import annotations

import json

import pytest

from wattprint.cli.main import main


@pytest.fixture
def db(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    return ledger_url


def _refused(capfd: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``argv``; assert exit 2 with a single ``wattprint: error:`` line, return it."""
    capfd.readouterr()
    assert main(argv) == 2
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("wattprint: error: ")
    return captured.err.strip()


def _listed(capfd: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    capfd.readouterr()
    assert main([*argv, "--json"]) == 0
    return dict(json.loads(capfd.readouterr().out))


def _instrument(zone: str, start: str, end: str, *volume: str, type_: str = "supplier",
                factor: str = "300") -> list[str]:
    cover = list(volume) or ["--share", "100%", "--factor", factor]
    return ["instrument", "add", "--zone", zone, "--type", type_, "--from", start, "--to", end,
            *cover]


SUPPLIER_2026 = _instrument("DE", "2026-01-01", "2026-12-31")


@pytest.mark.parametrize(("second", "message"), [
    (SUPPLIER_2026,
     "overlapping instruments: supplier 100 % for DE 2026-01-01..2026-12-31 duplicates "
     "instrument "),
    (_instrument("de", "2026-06-01", "2027-03-31"),
     "overlapping instruments: supplier 100 % for DE 2026-06-01..2027-03-31 would bring DE to "
     "200 % covered between 2026-06-01 and 2026-12-31"),
    (_instrument("DE", "2025-07-01", "2026-01-01", "--share", "50%", "--factor", "0",
                 type_="ppa"),
     "overlapping instruments: ppa 50 % for DE 2025-07-01..2026-01-01 would bring DE to "
     "150 % covered between 2026-01-01 and 2026-01-01"),
    (_instrument("DE", "2026-03-01", "2026-04-30", "--mwh", "5", type_="go"),
     "overlapping instruments: DE is already 100 % covered between 2026-03-01 and 2026-04-30; "
     "go 5 MWh for DE 2026-03-01..2026-04-30 could never be used"),
])
def test_instrument_add_over_covered_dates_in_the_same_zone_exits_2(
    db: str, capfd: pytest.CaptureFixture[str], second: list[str], message: str,
) -> None:
    assert main(SUPPLIER_2026) == 0
    assert message in _refused(capfd, second)
    assert len(_listed(capfd, ["instrument", "list"])["instruments"]) == 1  # type: ignore[arg-type]


def test_certificate_volumes_twice_exit_2(db: str, capfd: pytest.CaptureFixture[str]) -> None:
    go = _instrument("DE", "2026-01-01", "2026-06-30", "--mwh", "5", type_="go")
    assert main(go) == 0
    assert ("overlapping instruments: go 5 MWh for DE 2026-01-01..2026-06-30 duplicates "
            "instrument ") in _refused(capfd, go)
    certified = [*_instrument("DE", "2026-07-01", "2026-12-31", "--mwh", "2", type_="rec"),
                 "--certificate", "REC-7"]
    assert main(certified) == 0
    again = [*_instrument("DE", "2027-01-01", "2027-06-30", "--mwh", "2", type_="rec"),
             "--certificate", "REC-7"]
    assert "certificate 'REC-7' is already recorded (instrument " in _refused(capfd, again)
    assert len(_listed(capfd, ["instrument", "list"])["instruments"]) == 2  # type: ignore[arg-type]


def test_instruments_that_do_not_overlap_are_accepted(
    db: str, capfd: pytest.CaptureFixture[str],
) -> None:
    assert main(SUPPLIER_2026) == 0
    assert main(_instrument("FR", "2026-01-01", "2026-12-31")) == 0  # another zone
    assert main(_instrument("DE", "2027-01-01", "2027-12-31")) == 0  # after it ends
    assert len(_listed(capfd, ["instrument", "list"])["instruments"]) == 3  # type: ignore[arg-type]


OFFSET = ["offset", "add", "--tonnes", "5", "--vintage", "2026"]


@pytest.mark.parametrize(("flags", "message"), [
    (["--registry", "Gold Standard"],
     "an offset needs its --serial (the credits' serial number or range)"),
    (["--registry", "Gold Standard", "--serial", "  "],
     "an offset needs its --serial (the credits' serial number or range)"),
    (["--serial", "GS-1-2026"], 'an offset needs its --registry (e.g. "Gold Standard", "Verra")'),
    (["--serial", "GS-1-2026", "--registry", ""],
     'an offset needs its --registry (e.g. "Gold Standard", "Verra")'),
    ([], 'an offset needs its --registry (e.g. "Gold Standard", "Verra")'),
])
def test_offset_without_serial_or_registry_exits_2(
    db: str, capfd: pytest.CaptureFixture[str], flags: list[str], message: str,
) -> None:
    assert _refused(capfd, [*OFFSET, *flags]) == f"wattprint: error: {message}"
    assert _listed(capfd, ["offset", "list"]) == {"offsets": [], "total_t": 0}


@pytest.mark.parametrize(("flags", "scope"), [
    ([], "any project"),
    (["--project", "vision"], "project vision"),
    (["--project", "vision", "--metric", "energy"], "project vision"),
])
def test_target_on_an_empty_baseline_exits_2(
    db: str, capfd: pytest.CaptureFixture[str], flags: list[str], scope: str,
) -> None:
    argv = ["target", "set", "--baseline", "2025Q1", "--reduce", "30%", "--by", "2026-06-30",
            *flags]
    assert _refused(capfd, argv) == (
        f"wattprint: error: target baseline 2025Q1 has no runs for {scope}: record runs in "
        "that period or choose another --baseline")
    assert _listed(capfd, ["target", "show"])["targets"] == []
