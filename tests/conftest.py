"""Suite-wide fixtures: no WATTPRINT_* variable or user file leaks into a test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


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


PG_ENV = "WATTPRINT_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A ledger URL on the test PostgreSQL, in a schema of its own (dropped after)."""
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI") == "true":  # .ci/run starts PostgreSQL: a skip there is a bug
            pytest.fail(f"{PG_ENV} not set in CI; .ci/run should have started PostgreSQL")
        pytest.skip(f"{PG_ENV} not set (start a server with: eval \"$(.ci/postgres.sh)\")")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
