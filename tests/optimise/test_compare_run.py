"""Real comparisons of tiny callables and `python -c` commands, live, on a real SQLite ledger."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.errors import ConfigError, WattprintError
from wattprint.measure.metrics import log_metric
from wattprint.model import RunStatus
from wattprint.optimise.compare import (
    Quality,
    RepResult,
    Variant,
    compare,
    compare_spec,
    run_setup,
)
from wattprint.optimise.compare_spec import parse_spec
from wattprint.store.ledger import Ledger

PY = sys.executable


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as opened:
        yield opened


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def test_two_callables_quality_from_return_value_and_from_log_metric(ledger: Ledger) -> None:
    def big() -> float:
        _spin(300_000)
        return 0.97

    def small() -> None:
        _spin(30_000)
        log_metric("accuracy", 0.95)  # goes to the rep's tracker

    seen: list[RepResult] = []
    result = compare([Variant("big", callable=big, model="mlp-512"),
                      Variant("small", callable=small)],
                     repeat=2, quality=Quality("accuracy"), name="cb", zone="DE",
                     ledger=ledger, on_rep=seen.append)
    assert [(r.variant, r.rep) for r in seen] == [("big", 1), ("small", 1), ("small", 2),
                                                  ("big", 2)]
    assert result.ok and result.baseline == "big" and result.metric == "accuracy"
    big_s, small_s = result.variant("big"), result.variant("small")
    assert big_s.quality is not None and big_s.quality.median == 0.97
    assert small_s.quality is not None and small_s.quality.median == 0.95
    assert big_s.energy_kwh is not None and big_s.energy_kwh.n == 2
    assert big_s.energy_kwh.min > 0 and big_s.duration_s is not None
    assert small_s.vs_baseline is not None and small_s.vs_baseline.quality_delta == (
        pytest.approx(-0.02))

    runs = ledger.list_runs(tag="compare:cb")
    assert len(runs) == 4 and all(r.status is RunStatus.FINISHED for r in runs)
    by_id = {r.id: r for r in runs}
    for rep in seen:
        run = by_id[rep.run_id]
        assert f"variant:{rep.variant}" in run.tags and f"rep:{rep.rep}" in run.tags
        assert any(t.startswith("compare-id:") for t in run.tags)
        assert run.model == ("mlp-512" if rep.variant == "big" else "small")
        assert run.metrics["accuracy"] == rep.quality
        assert run.energy_kwh == rep.energy_kwh and run.experiment == "cb"
    assert len(ledger.list_runs(tag="variant:small")) == 2


def test_two_commands_quality_from_stdout_regex_and_from_the_metrics_file(
    ledger: Ledger, tmp_path: Path
) -> None:
    regex = Variant("printed", command=[PY, "-c", "print('step 1'); print('accuracy=0.91')"],
                    quality=Quality("accuracy", regex=r"accuracy=([0-9.]+)"), baseline=True)
    logged = Variant("logged", command=[
        PY, "-c", "import os, wattprint; wattprint.log_metric('accuracy', 0.93); "
                  "open('cwd.txt', 'w').write(os.getcwd() + ' ' + os.environ['MARK'])"],
        quality=Quality("accuracy"), cwd=tmp_path, env={"MARK": "set"})
    result = compare([logged, regex], repeat=1, name="cmd", zone="FR", ledger=ledger)
    assert result.ok and result.baseline == "printed"
    assert result.variant("printed").quality.median == 0.91  # type: ignore[union-attr]
    assert result.variant("logged").quality.median == 0.93  # type: ignore[union-attr]
    assert (tmp_path / "cwd.txt").read_text() == f"{tmp_path} set"
    runs = {r.model: r for r in ledger.list_runs(tag="compare:cmd")}
    assert set(runs) == {"printed", "logged"}
    assert runs["printed"].metrics == {"accuracy": 0.91}  # the regex value is stored too
    assert runs["logged"].metrics == {"accuracy": 0.93}
    assert runs["printed"].command.startswith(PY) and runs["printed"].zone_choice.zone == "FR"
    assert result.variant("logged").vs_baseline is not None


def test_a_failing_command_fails_its_variant_not_the_comparison(ledger: Ledger) -> None:
    ok = Variant("ok", command=[PY, "-c", "print('q=1')"])
    bad = Variant("bad", command=[PY, "-c", "import sys; sys.exit('no model file')"])
    result = compare([ok, bad], repeat=3, name="fail", quality=Quality("q", regex="q=([0-9]+)"),
                     zone="DE", ledger=ledger)
    assert not result.ok
    failed = result.variant("bad")
    assert failed.failed and len(failed.reps) == 1  # its later repetitions are skipped
    assert failed.error == "rep 1: command exited with 1: no model file"
    assert not failed.pareto and failed.vs_baseline is None
    assert result.variant("ok").energy_kwh.n == 3  # type: ignore[union-attr]
    assert result.pareto_front == ("ok",)
    recorded = ledger.list_runs(tag="variant:bad")
    assert len(recorded) == 1 and recorded[0].status is RunStatus.FAILED
    assert recorded[0].error == "command exited with 1: no model file"


def test_a_raising_callable_fails_its_variant(ledger: Ledger) -> None:
    def boom() -> float:
        raise RuntimeError("out of memory")

    result = compare([Variant("a", callable=lambda: 1.0), Variant("b", callable=boom)],
                     repeat=2, name="raise", quality=Quality("q"), ledger=ledger, zone="DE")
    assert result.variant("b").error == "rep 1: RuntimeError: out of memory"
    assert ledger.list_runs(tag="variant:b")[0].status is RunStatus.FAILED


def test_a_regex_that_does_not_match_names_the_variant_and_records_the_run(
    ledger: Ledger
) -> None:
    variants = [Variant("fp32", command=[PY, "-c", "print('accuracy=0.9')"]),
                Variant("int8", command=[PY, "-c", "print('acc: 0.9')"])]
    with pytest.raises(ConfigError) as info:
        compare(variants, repeat=2, name="nomatch", ledger=ledger, zone="DE",
                quality=Quality("accuracy", regex=r"accuracy=([0-9.]+)"))
    message = str(info.value)
    assert "variant 'int8': quality regex 'accuracy=([0-9.]+)' found no match" in message
    assert "recorded as failed" in message
    failed = ledger.list_runs(tag="variant:int8")
    assert len(failed) == 1 and failed[0].status is RunStatus.FAILED
    assert "found no match" in failed[0].error


def test_a_metric_never_logged_or_a_bad_return_value_is_a_clear_error(ledger: Ledger) -> None:
    with pytest.raises(ConfigError, match="variant 'b' logged no metric 'accuracy'"):
        compare([Variant("a", command=[PY, "-c", "import wattprint; "
                                               "wattprint.log_metric('accuracy', 1)"]),
                 Variant("b", command=[PY, "-c", "pass"])],
                repeat=1, quality=Quality("accuracy"), ledger=ledger, zone="DE")
    with pytest.raises(ConfigError, match="variant 'b' returned str 'high', not a number"):
        compare([Variant("a", callable=lambda: 1.0), Variant("b", callable=lambda: "high")],
                repeat=1, quality=Quality("accuracy"), ledger=ledger, zone="DE")
    with pytest.raises(ConfigError, match="returned None and logged no metric 'accuracy'"):
        compare([Variant("a", callable=lambda: None), Variant("b", callable=lambda: 1.0)],
                repeat=1, quality=Quality("accuracy"), ledger=ledger, zone="DE")


def test_bad_arguments_before_anything_runs(ledger: Ledger) -> None:
    two = [Variant("a", callable=lambda: 1.0), Variant("b", callable=lambda: 1.0)]
    with pytest.raises(ConfigError, match="repeat must be a whole number >= 1"):
        compare(two, repeat=0, ledger=ledger)
    with pytest.raises(ConfigError, match="baseline 'c' is not a variant"):
        compare(two, baseline="c", ledger=ledger)
    with pytest.raises(ConfigError, match="command not found: no-such-command-xyz"):
        compare([Variant("a", command=["no-such-command-xyz"]), *two[1:]], repeat=1,
                ledger=ledger, zone="DE")
    assert ledger.list_runs() == []


def test_without_saving_nothing_reaches_the_ledger(ledger_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTPRINT_DB", ledger_url)
    result = compare([Variant("a", callable=lambda: 1.0), Variant("b", callable=lambda: 2.0)],
                     repeat=1, quality=Quality("q"), save=False, zone="DE")
    assert result.ok and result.pareto_front
    with Ledger(ledger_url) as opened:
        assert opened.list_runs() == []


def test_spec_setup_runs_once_first_and_a_failing_setup_stops(ledger: Ledger,
                                                              tmp_path: Path) -> None:
    data = {"name": "s", "zone": "DE", "setup": [PY, "-c", "open('ready', 'a').write('x')"],
            "quality": {"metric": "q", "regex": "q=([0-9]+)"},
            "variants": [{"name": "a", "command": [PY, "-c", "import os; "
                                                   "print('q=%d' % os.path.exists('ready'))"]},
                         {"name": "b", "command": [PY, "-c", "print('q=2')"]}]}
    spec = parse_spec(data, base_dir=tmp_path)
    result = compare_spec(spec, repeat=2, ledger=ledger)
    assert (tmp_path / "ready").read_text() == "x"  # once, in the file's folder
    assert result.variant("a").quality.median == 1  # type: ignore[union-attr]
    failing = parse_spec({**data, "setup": [PY, "-c", "raise SystemExit('no data')"]},
                         base_dir=tmp_path, source="v.yaml")
    with pytest.raises(WattprintError, match="setup .* exited with 1: no data"):
        run_setup(failing)
