from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from wattprint.store import migrate
from wattprint.store.ledger import Ledger
from wattprint.store.schema import SCHEMA_REVISION, metadata


def _diffs(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url = str(request.getfixturevalue("postgres_url"))
    else:
        url = f"sqlite:///{tmp_path}/ledger.db"
    Ledger(url).open().close()
    return url


def test_migration_builds_exactly_the_metadata(migrated_url: str) -> None:
    assert _diffs(migrated_url) == []
    engine = create_engine(migrated_url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert names == {"alembic_version", "runs", "run_tags", "devices", "phases", "trace_points"}


def test_foreign_keys_cascade(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    fks = inspect(engine).get_foreign_keys("trace_points")
    engine.dispose()
    assert [(fk["referred_table"], fk["options"].get("ondelete")) for fk in fks] == [
        ("runs", "CASCADE")
    ]


def test_schema_revision_is_the_script_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_REVISION]


def test_open_records_head_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    engine = create_engine(url)
    assert migrate.current_revision(engine) is None
    Ledger(url).open().close()
    assert migrate.current_revision(engine) == SCHEMA_REVISION
    engine.dispose()


def test_unknown_newer_revision_is_a_clear_error(tmp_path: Path) -> None:
    from wattprint.errors import LedgerError

    url = f"sqlite:///{tmp_path}/l.db"
    Ledger(url).open().close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    engine.dispose()
    with pytest.raises(LedgerError, match="newer wattprint"):
        Ledger(url).open()
