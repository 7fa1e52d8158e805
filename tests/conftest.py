"""Suite-wide fixtures: no WATTPRINT_* variable or user file leaks into a test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    keep = os.environ.get("WATTPRINT_TEST_POSTGRES_URL")
    for name in list(os.environ):
        if name.startswith("WATTPRINT_"):
            monkeypatch.delenv(name)
    if keep:
        monkeypatch.setenv("WATTPRINT_TEST_POSTGRES_URL", keep)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("WATTPRINT_CONFIG", str(home / "no-user-config.toml"))
    yield


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"
