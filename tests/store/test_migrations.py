from __future__ import annotations

import dataclasses
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
    assert names == {"alembic_version", "runs", "run_tags", "devices", "phases", "trace_points",
                     "budgets", "budget_overruns", "carbon_aware", "instruments", "targets",
                     "offsets", "accounting", "run_metrics", "run_parts"}


def test_aggregation_indexes_exist(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    inspector = inspect(engine)
    runs_ix = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("runs")}
    metrics_ix = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("run_metrics")}
    model = next(c for c in inspector.get_columns("runs") if c["name"] == "model")
    pk = inspector.get_pk_constraint("run_metrics")["constrained_columns"]
    engine.dispose()
    assert runs_ix["ix_runs_model"] == ["model"]
    assert runs_ix["ix_runs_zone"] == ["zone"]
    assert runs_ix["ix_runs_project_started_utc"] == ["project", "started_utc"]
    assert runs_ix["ix_runs_ended"] == ["ended_utc"]
    assert metrics_ix == {"ix_run_metrics_name": ["name"]}
    assert model["nullable"] is False and "''" in str(model["default"])
    assert pk == ["run_id", "name"]


@pytest.mark.parametrize("table", ["trace_points", "carbon_aware", "accounting", "run_metrics"])
def test_foreign_keys_cascade(migrated_url: str, table: str) -> None:
    engine = create_engine(migrated_url)
    fks = inspect(engine).get_foreign_keys(table)
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


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/ledger.db"


def test_upgrade_from_0001_keeps_runs_and_adds_budgets(any_url: str) -> None:
    from alembic import command
    from sample_runs import T0, make_run
    from sqlalchemy import insert

    from wattprint.store import rows
    from wattprint.store.schema import runs

    run = make_run("old-run", project="vision", tags=(), trace_points=0)
    engine = create_engine(any_url)
    config = _alembic_config()
    old_values = rows.run_values(run, T0)
    del old_values["model"]  # came with 0004
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(insert(runs).values(old_values))
    assert migrate.current_revision(engine) == "0001"
    engine.dispose()

    with Ledger(any_url) as ledger:
        assert ledger.get_run("old-run") == dataclasses.replace(
            run, devices=(), phases=(), model="", metrics={}
        )
        assert ledger.spent_co2e_kg("vision", T0.strftime("%Y-%m")) == pytest.approx(run.co2e_kg)
        ledger.set_budget("vision", 50.0)
        assert ledger.budget_state("vision", "2024-05").limit_co2e_kg == 50.0
    engine = create_engine(any_url)
    assert migrate.current_revision(engine) == SCHEMA_REVISION == "0007"
    engine.dispose()


def test_upgrade_from_0003_gives_old_runs_no_model_and_no_metrics(any_url: str) -> None:
    from alembic import command
    from sample_runs import T0, make_run
    from sqlalchemy import insert

    from wattprint.store import rows
    from wattprint.store.schema import runs

    engine = create_engine(any_url)
    config = _alembic_config()
    old = make_run("before-0004", trace_points=0)
    old_values = rows.run_values(old, T0)
    del old_values["model"]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(insert(runs).values(old_values))
    engine.dispose()

    with Ledger(any_url) as ledger:
        back = ledger.get_run("before-0004")
        assert (back.model, back.metrics) == ("", {})
        ledger.save_run(dataclasses.replace(old, id="after-0004"))
        assert ledger.get_run("after-0004").metrics == old.metrics
        assert [r.id for r in ledger.list_runs(model="")] == ["before-0004"]
        assert [r.id for r in ledger.list_runs(model="bert-base")] == ["after-0004"]


def test_downgrade_to_0006_drops_only_the_ended_index(any_url: str) -> None:
    from alembic import command
    from sample_runs import make_run

    with Ledger(any_url) as ledger:
        ledger.save_run(make_run("kept"))
    engine = create_engine(any_url)
    before = {ix["name"] for ix in inspect(engine).get_indexes("runs")}
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    after = {ix["name"] for ix in inspect(engine).get_indexes("runs")}
    assert migrate.current_revision(engine) == "0006"
    engine.dispose()
    assert before - after == {"ix_runs_ended"}
    with Ledger(any_url) as ledger:  # and back up again
        assert ledger.get_run("kept").id == "kept"
    engine = create_engine(any_url)
    assert "ix_runs_ended" in {ix["name"] for ix in inspect(engine).get_indexes("runs")}
    engine.dispose()


def test_downgrade_to_0003_drops_model_and_metrics_and_keeps_runs(any_url: str) -> None:
    from alembic import command
    from sample_runs import make_run

    with Ledger(any_url) as ledger:
        ledger.save_run(make_run("kept"))
    engine = create_engine(any_url)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    inspector = inspect(engine)
    names = set(inspector.get_table_names())
    columns = {c["name"] for c in inspector.get_columns("runs")}
    indexes = {ix["name"] for ix in inspector.get_indexes("runs")}
    with engine.connect() as conn:
        ids = list(conn.exec_driver_sql("SELECT id FROM runs").scalars())
    engine.dispose()
    assert "run_metrics" not in names and "accounting" in names
    assert "model" not in columns and "project" in columns
    assert indexes == {"ix_runs_project", "ix_runs_started_utc", "ix_runs_status"}
    assert ids == ["kept"]
    with Ledger(any_url) as ledger:  # and back up again
        assert ledger.get_run("kept").model == ""


def test_downgrade_to_0002_drops_only_the_accounting_tables(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path}/l.db"
    Ledger(url).open().close()
    engine = create_engine(url)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert names == {"alembic_version", "runs", "run_tags", "devices", "phases", "trace_points",
                     "budgets", "budget_overruns", "carbon_aware"}


def test_downgrade_to_0001_drops_only_the_new_tables(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path}/l.db"
    Ledger(url).open().close()
    engine = create_engine(url)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert names == {"alembic_version", "runs", "run_tags", "devices", "phases", "trace_points"}
