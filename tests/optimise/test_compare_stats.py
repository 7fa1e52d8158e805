"""The pure half of ``wattprint compare``: order, spread, Pareto front, savings, JSON shape."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattprint.model import RunStatus
from wattprint.optimise.compare_stats import (
    SCHEMA,
    Comparison,
    Point,
    RepResult,
    interleaved_order,
    pareto_front,
    spread,
    summarise,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-9, max_value=1e3, allow_nan=False)


# -- order -------------------------------------------------------------------
def test_interleaved_order_rotates_each_repetition() -> None:
    assert interleaved_order(["a", "b", "c"], 3) == (
        ("a", 1), ("b", 1), ("c", 1), ("b", 2), ("c", 2), ("a", 2),
        ("c", 3), ("a", 3), ("b", 3))


@given(st.integers(1, 6), st.integers(1, 7))
def test_every_repetition_runs_every_variant_once(n: int, repeat: int) -> None:
    names = [f"v{i}" for i in range(n)]
    order = interleaved_order(names, repeat)
    assert len(order) == n * repeat
    for rep in range(1, repeat + 1):
        assert sorted(v for v, r in order if r == rep) == sorted(names)
    # Repetitions never interleave with each other: 1s first, then 2s, ...
    assert [r for _, r in order] == sorted(r for _, r in order)


@given(st.integers(1, 6))
def test_with_as_many_repetitions_as_variants_each_runs_once_in_each_position(n: int) -> None:
    names = [f"v{i}" for i in range(n)]
    order = interleaved_order(names, n)
    for position in range(n):
        assert sorted(order[rep * n + position][0] for rep in range(n)) == sorted(names)


def test_repeat_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        interleaved_order(["a"], 0)


# -- spread ------------------------------------------------------------------
@given(st.lists(finite, min_size=1, max_size=30))
def test_spread_matches_numpy(values: list[float]) -> None:
    s = spread(values)
    assert s.n == len(values)
    assert s.min == min(values) and s.max == max(values)
    assert s.median == pytest.approx(float(np.median(values)), rel=1e-9, abs=1e-9)
    q1, q3 = np.percentile(values, [25, 75])
    assert s.q1 == pytest.approx(float(q1), rel=1e-9, abs=1e-6)
    assert s.q3 == pytest.approx(float(q3), rel=1e-9, abs=1e-6)
    assert s.min <= s.q1 <= s.median <= s.q3 <= s.max
    assert s.iqr == pytest.approx(s.q3 - s.q1)


def test_spread_of_one_value_and_of_none() -> None:
    s = spread([2.5])
    assert (s.median, s.min, s.max, s.q1, s.q3, s.n) == (2.5, 2.5, 2.5, 2.5, 2.5, 1)
    assert spread([1.0, 2.0, 10.0]).to_dict() == {
        "median": 2.0, "min": 1.0, "max": 10.0, "q1": 1.5, "q3": 6.0, "n": 3}
    with pytest.raises(ValueError):
        spread([])


# -- Pareto front --------------------------------------------------------------
def _dominates(a: Point, b: Point, higher: bool) -> bool:
    assert a.quality is not None and b.quality is not None
    q_ok = a.quality >= b.quality if higher else a.quality <= b.quality
    q_strict = a.quality > b.quality if higher else a.quality < b.quality
    return a.energy_kwh <= b.energy_kwh and q_ok and (a.energy_kwh < b.energy_kwh or q_strict)


points = st.lists(st.tuples(st.integers(1, 20), st.integers(0, 20)), min_size=1, max_size=12)


@given(points, st.booleans())
def test_front_is_exactly_the_undominated_points(raw: list[tuple[int, int]], higher: bool) -> None:
    pts = [Point(f"p{i}", float(e), float(q)) for i, (e, q) in enumerate(raw)]
    front = set(pareto_front(pts, higher_is_better=higher))
    assert front  # some point always survives
    for p in pts:
        dominated = any(_dominates(q, p, higher) for q in pts if q is not p)
        assert (p.name in front) == (not dominated)


@given(points)
def test_lower_is_better_mirrors_higher_is_better(raw: list[tuple[int, int]]) -> None:
    pts = [Point(f"p{i}", float(e), float(q)) for i, (e, q) in enumerate(raw)]
    mirrored = [Point(p.name, p.energy_kwh, -p.quality) for p in pts]  # type: ignore[operator]
    assert set(pareto_front(pts, higher_is_better=False)) == set(
        pareto_front(mirrored, higher_is_better=True))


def test_front_examples() -> None:
    pts = [Point("big", 10.0, 0.97), Point("small", 2.0, 0.95), Point("bad", 12.0, 0.96),
           Point("tie", 2.0, 0.95)]
    # Sorted by energy; two identical points do not dominate each other.
    assert pareto_front(pts) == ("small", "tie", "big")
    assert pareto_front(pts, higher_is_better=False) == ("small", "tie")
    # Without a quality, the front is the lowest energy.
    assert pareto_front([Point("a", 3.0), Point("b", 1.0), Point("c", 1.0)]) == ("b", "c")


# -- savings and the summary ---------------------------------------------------
def _rep(variant: str, rep: int, kwh: float, quality: float | None = None,
         status: RunStatus = RunStatus.FINISHED, error: str = "",
         timed_out: bool = False) -> RepResult:
    return RepResult(variant=variant, rep=rep, run_id=f"{variant}-{rep}", status=status,
                     energy_kwh=kwh, co2e_kg=kwh * 0.4, duration_s=kwh * 1e4,
                     quality=quality, error=error, timed_out=timed_out)


def _compare(reps: list[RepResult], *, higher: bool = True, metric: str | None = "accuracy",
             baseline: str = "fp32", timeouts: dict[str, float | None] | None = None,
             ) -> Comparison:
    models = {"fp32": "mlp-fp32", "int8": "mlp-int8", "tiny": "tiny"}
    present = {k: v for k, v in models.items() if any(r.variant == k for r in reps)}
    return summarise("quantize", reps, models=present, baseline=baseline, metric=metric,
                     higher_is_better=higher, repeat=3,
                     order=interleaved_order(list(present), 3), timeouts=timeouts)


def test_saving_against_the_baseline_in_numbers_and_words() -> None:
    reps = [_rep("fp32", 1, 10e-3, 0.970), _rep("fp32", 2, 11e-3, 0.970),
            _rep("fp32", 3, 9e-3, 0.970),
            _rep("int8", 1, 3.8e-3, 0.966), _rep("int8", 2, 4.0e-3, 0.966),
            _rep("int8", 3, 3.6e-3, 0.966)]
    result = _compare(reps)
    base, int8 = result.variant("fp32"), result.variant("int8")
    assert base.baseline and base.vs_baseline is None and not int8.baseline
    s = int8.vs_baseline
    assert s is not None
    assert s.energy_saving_pct == pytest.approx(62.0)
    assert s.co2e_saving_pct == pytest.approx(62.0)
    assert s.quality_delta == pytest.approx(-0.004)
    assert s.quality_lost == pytest.approx(0.004)
    assert s.quality_change_pct == pytest.approx(-0.004 / 0.970 * 100)
    assert not s.energy_ranges_overlap
    assert s.describe("accuracy") == "\u221262.0 % energy for \u22120.004 accuracy"
    assert result.pareto_front == ("int8", "fp32") and int8.pareto and base.pareto
    assert result.ok


def test_lower_is_better_metric_counts_a_rise_as_lost() -> None:
    reps = [_rep("fp32", 1, 1.0, 0.20), _rep("int8", 1, 0.5, 0.25)]
    s = _compare(reps, higher=False, metric="loss").variant("int8").vs_baseline
    assert s is not None and s.quality_delta == pytest.approx(0.05)
    assert s.quality_lost == pytest.approx(0.05)
    assert s.describe("loss") == "\u221250.0 % energy for +0.05 loss"


def test_overlapping_energy_ranges_are_flagged_and_equal_quality_reads_plus_minus_zero() -> None:
    reps = [_rep("fp32", 1, 1.0, 0.9), _rep("fp32", 2, 1.2, 0.9),
            _rep("int8", 1, 1.1, 0.9), _rep("int8", 2, 1.3, 0.9)]
    s = _compare(reps).variant("int8").vs_baseline
    assert s is not None and s.energy_ranges_overlap
    assert s.describe("accuracy").endswith("for \u00b10 accuracy")


def test_a_failed_variant_is_left_out_of_front_and_savings() -> None:
    reps = [_rep("fp32", 1, 1.0, 0.9), _rep("int8", 1, 0.1, 0.99),
            _rep("int8", 2, 0.1, None, RunStatus.FAILED, "command exited with 1: boom"),
            _rep("tiny", 1, 0.5, 0.8)]
    result = _compare(reps)
    int8 = result.variant("int8")
    assert int8.failed and int8.error == "rep 2: command exited with 1: boom"
    assert int8.vs_baseline is None and not int8.pareto
    assert int8.energy_kwh is not None and int8.energy_kwh.n == 1  # what did finish
    assert result.pareto_front == ("tiny", "fp32")
    assert not result.ok


def _timed_out(variant: str, rep: int) -> RepResult:
    return _rep(variant, rep, 5.0, None, RunStatus.FAILED,
                "command killed by SIGKILL: timed out after 2 s, process tree killed", True)


def test_timed_out_repetitions_are_counted_and_left_out_of_the_figures() -> None:
    reps = [_rep("fp32", 1, 1.0, 0.9), _rep("fp32", 2, 1.2, 0.9), _rep("fp32", 3, 1.1, 0.9),
            _timed_out("int8", 1), _rep("int8", 2, 0.4, 0.8), _rep("int8", 3, 0.6, 0.8)]
    result = _compare(reps, timeouts={"fp32": 2.0, "int8": 2.0})
    int8 = result.variant("int8")
    assert int8.timed_out == 1 and not int8.failed and int8.error == ""
    assert int8.energy_kwh is not None and int8.energy_kwh.n == 2  # the 5.0 is left out
    assert int8.energy_kwh.median == pytest.approx(0.5) and int8.energy_kwh.max == 0.6
    assert int8.quality is not None and int8.quality.n == 2
    assert int8.vs_baseline is not None and int8.pareto  # still compared
    assert not result.ok  # the comparison is not complete: exit 1
    v = result.to_dict()["variants"][1]
    assert (v["status"], v["reps_ok"], v["reps_run"], v["reps_timed_out"], v["timeout_s"]) == (
        "ok", 2, 3, 1, 2.0)
    assert v["reps"][0]["timed_out"] is True and v["reps"][0]["status"] == "failed"
    assert v["reps"][1]["timed_out"] is False


def test_a_variant_whose_every_repetition_timed_out_is_failed() -> None:
    reps = [_rep("fp32", 1, 1.0, 0.9), _timed_out("int8", 1), _timed_out("int8", 2)]
    int8 = _compare(reps).variant("int8")
    assert int8.failed and int8.timed_out == 2 and int8.energy_kwh is None
    assert int8.error == ("every repetition timed out (rep 1: command killed by SIGKILL: "
                          "timed out after 2 s, process tree killed)")
    # A real failure is named first, whatever timed out before it.
    reps.append(_rep("int8", 3, 0.1, None, RunStatus.FAILED, "command exited with 1"))
    assert _compare(reps).variant("int8").error == "rep 3: command exited with 1"


def test_a_failed_baseline_leaves_no_savings() -> None:
    reps = [_rep("fp32", 1, 1.0, None, RunStatus.FAILED, "x"), _rep("int8", 1, 0.5, 0.9)]
    result = _compare(reps)
    assert all(v.vs_baseline is None for v in result.variants)
    assert result.variant("fp32").energy_kwh is None
    assert result.pareto_front == ("int8",)


def test_energy_only_comparison() -> None:
    reps = [_rep("fp32", 1, 1.0), _rep("int8", 1, 0.25)]
    result = _compare(reps, metric=None)
    s = result.variant("int8").vs_baseline
    assert s is not None and s.quality_delta is None
    assert s.describe(None) == "\u221275.0 % energy"
    assert result.pareto_front == ("int8",)
    assert result.to_dict()["quality"] is None


def test_json_shape_has_stable_keys() -> None:
    reps = [_rep("fp32", 1, 1.0, 0.9), _rep("int8", 1, 0.5, 0.8)]
    data = _compare(reps).to_dict()
    assert list(data) == ["schema", "name", "repeat", "baseline", "quality", "order_note",
                          "order", "pareto_front", "variants"]
    assert data["schema"] == SCHEMA == "wattprint.compare/1"
    assert data["quality"] == {"metric": "accuracy", "higher_is_better": True}
    assert data["order"][:2] == [{"variant": "fp32", "rep": 1}, {"variant": "int8", "rep": 1}]
    v = data["variants"][1]
    assert list(v) == ["name", "model", "status", "error", "baseline", "pareto", "reps_ok",
                       "reps_run", "reps_timed_out", "timeout_s", "energy_kwh", "co2e_kg",
                       "duration_s", "quality", "vs_baseline", "reps"]
    assert (v["name"], v["model"], v["status"], v["reps_ok"]) == ("int8", "mlp-int8", "ok", 1)
    assert list(v["vs_baseline"]) == [
        "energy_saving_pct", "co2e_saving_pct", "duration_saving_pct", "quality_delta",
        "quality_change_pct", "quality_lost", "energy_ranges_overlap", "summary"]
    assert list(v["reps"][0]) == ["rep", "run_id", "status", "energy_kwh", "co2e_kg",
                                  "duration_s", "quality", "error", "timed_out"]


def test_unknown_baseline_is_refused() -> None:
    with pytest.raises(ValueError):
        summarise("x", [], models={"a": "a"}, baseline="b", metric=None, repeat=1)
