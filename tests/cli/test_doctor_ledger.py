"""``wattprint doctor`` checks the ledger: reachable, revision, counts; never the password."""

from __future__ import annotations

import json
import socket

import pytest

from wattprint.cli.main import main
from wattprint.store.schema import SCHEMA_REVISION


def test_doctor_opens_the_sqlite_ledger_and_counts_runs(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    assert main(["doctor", "--json"]) == 0
    ledger = json.loads(capfd.readouterr().out)["ledger"]
    assert ledger["available"] and ledger["revision"] == SCHEMA_REVISION
    assert ledger["detail"] == f"sqlite, schema revision {SCHEMA_REVISION}, 0 run(s)"


def test_doctor_says_why_postgres_is_unreachable_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    monkeypatch.setenv("WATTPRINT_DB",
                       f"postgresql+psycopg://ml:hunter2-secret@127.0.0.1:{port}/wattprint")
    assert main(["doctor", "--json"]) == 0
    out = capfd.readouterr().out
    ledger = json.loads(out)["ledger"]
    assert not ledger["available"]
    assert ledger["url"] == f"postgresql+psycopg://ml:***@127.0.0.1:{port}/wattprint"
    assert ledger["detail"].startswith("cannot open ledger in postgresql+psycopg://ml:***@")
    assert "check host, port, database and credentials in WATTPRINT_DB" in ledger["fix"]
    assert "hunter2-secret" not in out
    assert main(["doctor"]) == 0
    table = capfd.readouterr().out
    assert "ledger" in table and "unavailable" in table and "hunter2-secret" not in table


def test_doctor_with_a_collector_does_not_open_a_ledger(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WATTPRINT_COLLECTOR_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("WATTPRINT_COLLECTOR_TOKEN", "tok-tok-tok-tok")
    assert main(["doctor", "--json"]) == 0
    ledger = json.loads(capfd.readouterr().out)["ledger"]
    assert ledger["available"] and "sent to this collector" in ledger["detail"]
