from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from sample_runs import T0, make_run
from sqlalchemy import create_engine, func, select

from wattprint.errors import LedgerError, RunNotFoundError
from wattprint.model import Footprint, Intensity, RunStatus, ZoneChoice
from wattprint.store import ledger as ledger_mod
from wattprint.store.ledger import Ledger, default_url
from wattprint.store.schema import run_metrics, run_tags, trace_points
from wattprint.testing import FakeClock


def test_rich_run_round_trips_exactly(ledger: Ledger) -> None:
    run = make_run()
    ledger.save_run(run)
    back = ledger.get_run(run.id)
    assert back == run
    assert back.started_utc.tzinfo is timezone.utc
    assert back.phases[0].ended_utc.tzinfo is timezone.utc
    assert back.ended_utc is not None and back.ended_utc.utcoffset() == timedelta(0)


def test_running_run_without_end_round_trips(ledger: Ledger) -> None:
    run = make_run(status=RunStatus.RUNNING, tags=())
    ledger.save_run(run)
    assert ledger.get_run(run.id) == run


def test_absent_kinds_stay_absent(ledger: Ledger) -> None:
    base = make_run()
    run = dataclasses.replace(
        base, footprint=dataclasses.replace(base.footprint, energy_kwh_by_kind={"gpu": 2.0})
    )
    ledger.save_run(run)
    assert ledger.get_run(run.id).footprint.energy_kwh_by_kind == {"gpu": 2.0}


def test_save_is_an_idempotent_upsert(ledger: Ledger) -> None:
    running = make_run(status=RunStatus.RUNNING, trace_points=4)
    ledger.save_run(running)
    ledger.save_run(running)
    finished = dataclasses.replace(
        make_run(trace_points=10), tags=("bert",), devices=make_run().devices[:1]
    )
    ledger.save_run(finished)
    ledger.save_run(finished)
    assert ledger.get_run(running.id) == finished
    assert len(ledger.list_runs()) == 1


def test_list_filters_and_order(ledger: Ledger) -> None:
    day = timedelta(days=1)
    ledger.save_run(make_run("a1", project="nlp", started=T0, tags=("x",)))
    ledger.save_run(make_run("b2", project="nlp", started=T0 + day, tags=("y",),
                             status=RunStatus.FAILED))
    ledger.save_run(make_run("c3", project="cv", started=T0 + 2 * day, tags=("x", "y")))

    def ids(**kw: object) -> list[str]:
        return [r.id for r in ledger.list_runs(**kw)]  # type: ignore[arg-type]

    assert ids() == ["c3", "b2", "a1"]
    assert ids(project="nlp") == ["b2", "a1"]
    assert ids(tag="x") == ["c3", "a1"]
    assert ids(status="failed") == ["b2"]
    assert ids(status=RunStatus.FINISHED, project="nlp") == ["a1"]
    assert ids(since=T0 + day) == ["c3", "b2"]
    assert ids(until=T0 + day) == ["a1"]
    assert ids(since=T0 + day, until=T0 + 2 * day) == ["b2"]
    assert ids(limit=2) == ["c3", "b2"]
    assert ids(project="nope") == []
    listed = ledger.list_runs(project="cv")[0]
    assert listed == dataclasses.replace(make_run("c3", project="cv", started=T0 + 2 * day,
                                                  tags=("x", "y")), trace=())


def test_naive_since_is_rejected(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="aware"):
        ledger.list_runs(since=T0.replace(tzinfo=None))


def test_prefix_lookup_and_messages(ledger: Ledger) -> None:
    ledger.save_run(make_run("abc111"))
    ledger.save_run(make_run("abc222"))
    ledger.save_run(make_run("ABD333"))
    assert ledger.get_run("abc1").id == "abc111"
    assert ledger.get_run("ABD").id == "ABD333"
    with pytest.raises(RunNotFoundError, match=r"'abc' is ambiguous \(matches abc111, abc222"):
        ledger.get_run("abc")
    with pytest.raises(RunNotFoundError, match="no run with id or id prefix 'zzz'"):
        ledger.get_run("zzz")
    with pytest.raises(RunNotFoundError):
        ledger.get_run("abd")  # case-sensitive on every backend
    with pytest.raises(RunNotFoundError):
        ledger.get_run("")


def test_delete_cascades(ledger: Ledger, ledger_url: str) -> None:
    ledger.save_run(make_run("keep"))
    ledger.save_run(make_run("gone"))
    ledger.delete_run("gone")
    with pytest.raises(RunNotFoundError):
        ledger.get_run("gone")
    with pytest.raises(RunNotFoundError, match="no run with id 'gone'"):
        ledger.delete_run("gone")
    engine = create_engine(ledger_url)
    with engine.connect() as conn:
        assert set(conn.execute(select(run_tags.c.run_id)).scalars()) == {"keep"}
        assert conn.execute(select(func.count()).select_from(trace_points)).scalar() == 6
        assert set(conn.execute(select(run_metrics.c.run_id)).scalars()) == {"keep"}
    engine.dispose()


def test_model_and_metrics_round_trip_in_get_and_list(ledger: Ledger) -> None:
    run = make_run("m1")
    ledger.save_run(run)
    assert ledger.get_run("m1").model == "bert-base"
    assert ledger.get_run("m1").metrics == run.metrics
    assert ledger.list_runs()[0].metrics == run.metrics


def test_upsert_replaces_the_metric_set(ledger: Ledger, ledger_url: str) -> None:
    run = make_run("m1")
    ledger.save_run(dataclasses.replace(run, metrics={"accuracy": 0.5, "loss": 1.0}))
    ledger.save_run(dataclasses.replace(run, metrics={"accuracy": 0.75, "bleu": 30.0}))
    assert ledger.get_run("m1").metrics == {"accuracy": 0.75, "bleu": 30.0}
    ledger.save_run(dataclasses.replace(run, metrics={}))
    assert ledger.get_run("m1").metrics == {}
    engine = create_engine(ledger_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(run_metrics)).scalar() == 0
    engine.dispose()


def test_list_filters_by_model(ledger: Ledger) -> None:
    base = make_run("x")
    for rid, model, day in (("r1", "resnet50", 0), ("r2", "bert-base", 1), ("r3", "", 2),
                            ("r4", "resnet50", 3)):
        ledger.save_run(dataclasses.replace(base, id=rid, model=model,
                                            started_utc=T0 + timedelta(days=day)))
    assert [r.id for r in ledger.list_runs(model="resnet50")] == ["r4", "r1"]
    assert [r.id for r in ledger.list_runs(model="")] == ["r3"]
    assert [r.id for r in ledger.list_runs(model="ResNet50")] == []  # exact, case-sensitive
    assert [r.id for r in ledger.list_runs(model="resnet50", limit=1)] == ["r4"]
    assert len(ledger.list_runs(model=None)) == 4


def test_metrics_of_many_runs_load_in_chunks(ledger: Ledger, ledger_url: str) -> None:
    from sqlalchemy import insert

    from wattprint.store import rows
    from wattprint.store.schema import runs

    base = make_run("x", trace_points=0)
    ids = [f"run-{n:04d}" for n in range(620)]  # more than one IN-list chunk (500)
    many = [dataclasses.replace(base, id=rid, metrics={"step": float(n)})
            for n, rid in enumerate(ids)]
    engine = create_engine(ledger_url)
    with engine.begin() as conn:  # one bulk insert: 620 save_run calls would be slow
        conn.execute(insert(runs), [rows.run_values(r, T0) for r in many])
        conn.execute(insert(run_metrics), [m for r in many for m in rows.metric_rows(r)])
    engine.dispose()
    listed = {r.id: r.metrics for r in ledger.list_runs()}
    assert listed == {rid: {"step": float(n)} for n, rid in enumerate(ids)}


@pytest.mark.parametrize(
    ("metrics", "message"),
    [({"accuracy": float("nan")}, "metric 'accuracy' is nan, not a finite number"),
     ({"loss": float("inf")}, "metric 'loss' is inf, not a finite number"),
     ({"accuracy": "0.9"}, "metric 'accuracy' is str '0.9', not a number"),
     ({"ok": True}, "metric 'ok' is bool True, not a number"),
     ({"": 1.0}, "has a metric name that is not non-empty text: ''"),
     ({" ": 1.0}, "has a metric name that is not non-empty text: ' '")],
)
def test_bad_metric_is_a_ledger_error_and_nothing_changes(
    ledger: Ledger, metrics: dict[str, object], message: str
) -> None:
    run = make_run("m1")
    ledger.save_run(run)
    with pytest.raises(LedgerError, match=message):
        ledger.save_run(dataclasses.replace(run, metrics=metrics, model="other"))  # type: ignore[arg-type]
    assert ledger.get_run("m1") == run


def test_update_footprint(ledger: Ledger) -> None:
    run = make_run()
    ledger.save_run(run)
    fp = Footprint({"cpu": 0.2, "gpu": 1.5}, 1.1, "measured", Intensity("FR", 56.0, "RTE", 2023))
    choice = ZoneChoice("FR", "recomputed", "corrected after the fact")
    ledger.update_footprint(run.id, fp, choice)
    back = ledger.get_run(run.id)
    assert back == dataclasses.replace(run, footprint=fp, zone_choice=choice)
    assert back.co2e_kg == pytest.approx(1.7 * 1.1 * 56.0 / 1000)
    with pytest.raises(RunNotFoundError):
        ledger.update_footprint("nope", fp, choice)


def test_unknown_kind_is_a_ledger_error(ledger: Ledger) -> None:
    base = make_run()
    run = dataclasses.replace(
        base, footprint=dataclasses.replace(base.footprint, energy_kwh_by_kind={"tpu": 1.0})
    )
    with pytest.raises(LedgerError, match="unknown device kinds"):
        ledger.save_run(run)


def test_unwritable_path_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    target = blocker / "sub" / "ledger.db"
    with pytest.raises(LedgerError, match=r"cannot create ledger directory .*afile") as info:
        Ledger(str(target)).open()
    assert "\n" not in str(info.value)


def test_bad_urls_are_ledger_errors() -> None:
    with pytest.raises(LedgerError, match="empty ledger URL"):
        Ledger("  ")
    with pytest.raises(LedgerError, match="invalid ledger URL"):
        Ledger("postgresql://u:pw@host:notaport/db")
    with pytest.raises(LedgerError, match=r"u:\*\*\*@host") as info:
        Ledger("postgresql://u:pw@host:notaport/db")
    assert "pw" not in str(info.value)
    with pytest.raises(LedgerError, match="no driver|unsupported"):
        Ledger("nosuchdb://host/db").open()


def test_unreachable_server_message_masks_password() -> None:
    ledger = Ledger("postgresql://alice:s3cret@127.0.0.1:1/ledger?connect_timeout=2")
    assert ledger.url == "postgresql+psycopg://alice:***@127.0.0.1:1/ledger?connect_timeout=2"
    with pytest.raises(LedgerError) as info:
        ledger.open()
    message = str(info.value)
    assert "s3cret" not in message and "alice:***@127.0.0.1:1" in message
    assert "\n" not in message
    assert "s3cret" not in repr(ledger)


def test_not_open_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="not open"):
        Ledger(str(tmp_path / "l.db")).list_runs()


def test_default_url(tmp_path: Path) -> None:
    assert default_url({"WATTPRINT_DB": str(tmp_path / "x.db")}) == f"sqlite:///{tmp_path}/x.db"
    assert default_url({"WATTPRINT_DB": "postgresql://u:p@h/db"}) == "postgresql+psycopg://u:p@h/db"
    fallback = default_url({})
    assert fallback.startswith("sqlite:///") and fallback.endswith("wattprint/ledger.db")


def test_in_memory_ledger_shared_across_threads() -> None:
    with Ledger("sqlite://") as ledger:
        worker = threading.Thread(target=ledger.save_run, args=(make_run("t1"),))
        worker.start()
        worker.join()
        assert [r.id for r in ledger.list_runs()] == ["t1"]


def test_flush_thread_writes_while_main_thread_reads(ledger: Ledger) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def flush() -> None:
        n = 0
        while not stop.is_set():
            try:
                ledger.save_run(make_run("live", status=RunStatus.RUNNING, trace_points=n % 50))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return
            n += 1

    thread = threading.Thread(target=flush)
    thread.start()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not errors:
            for run in ledger.list_runs():
                assert ledger.get_run(run.id).status is RunStatus.RUNNING
    finally:
        stop.set()
        thread.join()
    assert not errors


def test_updated_utc_comes_from_the_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    url = f"sqlite:///{tmp_path}/l.db"
    with Ledger(url, clock=clock) as ledger:
        ledger.save_run(make_run())
    engine = create_engine(url)
    with engine.connect() as conn:
        stamp = conn.exec_driver_sql("SELECT updated_utc FROM runs").scalar()
    engine.dispose()
    assert str(stamp).startswith(clock.now().strftime("%Y-%m-%d %H:%M:%S"))


def test_open_of_current_ledger_skips_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    Ledger(url).open().close()

    def no_alembic(*args: object) -> None:
        raise AssertionError("Alembic ran for a ledger already at head")

    monkeypatch.setattr("alembic.command.upgrade", no_alembic)
    started = time.perf_counter()
    with Ledger(url):
        pass
    assert time.perf_counter() - started < 0.5
    assert ledger_mod.migrate.current_revision is not None


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    import sqlite3

    Ledger(str(tmp_path / "l.db")).open().close()
    conn = sqlite3.connect(tmp_path / "l.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
