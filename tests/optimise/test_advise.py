"""The advise rules over runs with realistic traces and phases, and one real Tracker run."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from advise_runs import CPU, T0, build_run, busy_run, data_bound_run, idle_run

from wattprint.assess.alternatives import default_factors
from wattprint.intensity.providers.static import StaticProvider
from wattprint.intensity.series import IntensitySeries
from wattprint.measure.tracker import Tracker
from wattprint.model import DeviceKind, Run
from wattprint.optimise import advise_evidence as ev
from wattprint.optimise.advise import Advice, Advisory, Thresholds, advise
from wattprint.optimise.advise_zones import candidate_zones
from wattprint.testing import FakeClock, FakeSensor

END = T0 + timedelta(hours=26)


def _rules(result: Advisory) -> dict[str, Advice]:
    return {a.rule: a for a in result.advice}


def _evidence(advice: Advice) -> dict[str, object]:
    return {e.label: e.value for e in advice.evidence}


def _skipped(result: Advisory) -> dict[str, str]:
    return {n.rule: n.reason for n in result.not_applicable}


# ------------------------------------------------------------------------ data pipeline


def test_data_pipeline_fires_with_the_idle_share_of_gpu_energy_in_data_phases() -> None:
    run = data_bound_run()
    result = advise(run)
    assert list(_rules(result)) == ["data-pipeline"]
    advice = _rules(result)["data-pipeline"]
    # 80 W × 3 × 400 s of data loading at 10 % utilisation: 90 % of it is idle.
    assert advice.saving_kwh == pytest.approx(80 * 1200 * 0.9 / 3.6e6 * 1.2)
    assert advice.saving_co2e_kg == pytest.approx(advice.saving_kwh * 380 / 1000)
    figures = _evidence(advice)
    assert figures["mean GPU utilisation"] == pytest.approx(56.7, abs=0.05)
    assert figures["data-loading share of the run"] == pytest.approx(33.3, abs=0.05)
    assert figures["data-loading time"] == 1200.0
    assert figures["GPU utilisation during data loading"] == 10.0
    assert figures["data-loading phases"] == "data_loading"
    assert "num_workers" in advice.action and "pin_memory" in advice.action
    assert advice.status == "suggestion"


def test_data_pipeline_needs_both_low_utilisation_and_long_loading() -> None:
    short = data_bound_run(phases=(("data_loading", 0.0, 200.0), ("train", 200.0, 3600.0)))
    assert "data-pipeline" not in _rules(advise(short))  # 200 s: under 10 % of the run
    assert "data loading 6% of the run" in _skipped(advise(short))["data-pipeline"]
    busy = busy_run(tags=("precision:bf16",),
                    phases=(("dataloader", 0.0, 1200.0), ("train", 1200.0, 3600.0)))
    assert "GPU utilisation 95 %" in _skipped(advise(busy))["data-pipeline"]
    unnamed = data_bound_run(phases=(("epoch-1", 0.0, 1200.0),))
    assert "no data-loading phase" in _skipped(advise(unnamed))["data-pipeline"]
    loose = advise(data_bound_run(), thresholds=Thresholds(gpu_utilisation_pct=50.0))
    assert "data-pipeline" not in _rules(loose)


@pytest.mark.parametrize(("name", "data"), [
    ("data_loading", True), ("data", True), ("DataLoader", True), ("load", True),
    ("load-batches", True), ("input pipeline", True), ("train", False), ("download", False),
    ("load_model", False), ("checkpoint-load", False), ("evaluate", False)])
def test_data_phase_names(name: str, data: bool) -> None:
    assert ev.is_data_phase(name) is data


# ---------------------------------------------------------------------- mixed precision


def test_fp32_on_tensor_cores_saves_the_published_factor_outside_data_loading() -> None:
    run = data_bound_run(tags=("precision:fp32",))
    advice = _rules(advise(run))["mixed-precision"]
    factor = default_factors()["mixed_precision"]
    data_j = (80 + 180 + 30) * 1200  # every device during the data phases
    compute_kwh = run.energy_kwh - data_j / 3.6e6 * 1.2
    assert advice.saving_kwh == pytest.approx(compute_kwh * (1 - factor.value))
    assert advice.source == factor.source
    assert advice.status == "suggestion" and advice.title.startswith("fp32 on tensor-core GPUs")
    figures = _evidence(advice)
    assert figures["precision said by"] == "tag precision:fp32"
    assert figures["tensor-core GPUs"] == "NVIDIA A100-SXM4-40GB"
    assert figures["energy factor of mixed precision"] == factor.value


def test_unknown_precision_is_a_check_with_the_potential_saving() -> None:
    run = busy_run()
    advice = _rules(advise(run))["mixed-precision"]
    assert advice.status == "check" and advice.title.startswith("precision unknown: check")
    assert advice.saving_kwh == pytest.approx(run.energy_kwh * 0.5)
    assert "precision:" in advice.action
    suggestions = advise(data_bound_run(tags=()))
    assert [a.status for a in suggestions.advice] == ["suggestion", "check"]  # checks last


@pytest.mark.parametrize(("tags", "command", "model", "said"), [
    (("precision:bf16",), "python train.py", "vit", "tag precision:bf16"),
    (("amp",), "python train.py", "vit", "tag amp"),
    ((), "python train.py --bf16 --epochs 3", "vit", "command flag --bf16"),
    ((), "accelerate launch --mixed_precision fp16 train.py", "vit",
     "command flag --mixed_precision fp16"),
    ((), "python fit.py --precision=16-mixed", "vit", "command flag --precision=16-mixed"),
    ((), "python train.py", "llama-7b-bf16", "model name llama-7b-bf16")])
def test_reduced_precision_said_any_way_does_not_fire(tags: tuple[str, ...], command: str,
                                                       model: str, said: str) -> None:
    run = busy_run(tags=tags, command=command, model=model)
    assert _skipped(advise(run))["mixed-precision"].endswith(f"({said})")


def test_fp32_said_by_the_command() -> None:
    run = busy_run(command="accelerate launch --mixed_precision no train.py")
    assert ev.precision_of(run).full
    assert _rules(advise(run))["mixed-precision"].status == "suggestion"


@pytest.mark.parametrize(("name", "cores"), [
    ("Tesla V100-SXM2-32GB", True), ("NVIDIA A100-SXM4-80GB", True), ("Tesla T4", True),
    ("NVIDIA H100 80GB HBM3", True), ("NVIDIA GeForce RTX 3090", True), ("NVIDIA L4", True),
    ("NVIDIA RTX A6000", True), ("NVIDIA A10G", True), ("Tesla P100-PCIE-16GB", False),
    ("Tesla K80", False), ("NVIDIA GeForce GTX 1660 Ti", False), ("AMD Instinct MI250X", False),
    ("Fake device", False)])
def test_tensor_core_gpus_by_name(name: str, cores: bool) -> None:
    assert ev.has_tensor_cores(name) is cores


@pytest.mark.parametrize(("name", "kind"), [
    ("AMD Instinct MI300X", "matrix-core"), ("AMD Instinct MI250X", "matrix-core"),
    ("AMD Instinct MI210", "matrix-core"), ("AMD Instinct MI100", "matrix-core"),
    ("AMD Instinct MI325X", "matrix-core"), ("AMD Radeon RX 7900 XTX", "matrix-core"),
    ("AMD Radeon PRO W7900", "matrix-core"), ("AMD Radeon RX 9070 XT", "matrix-core"),
    ("AMD Instinct MI50", None), ("AMD Radeon RX 580", None), ("AMD Radeon RX 6800 XT", None),
    ("NVIDIA A100-SXM4-80GB", "tensor-core"), ("Tesla P100-PCIE-16GB", None)])
def test_matrix_units_by_name_and_vendor(name: str, kind: str | None) -> None:
    assert ev.matrix_unit_kind(name) == kind


def test_amd_matrix_cores_get_mixed_precision_advice_with_the_factor_caveat() -> None:
    run = busy_run("AMD Instinct MI300X", tags=("precision:fp32",))
    advice = _rules(advise(run))["mixed-precision"]
    assert advice.status == "suggestion"
    assert advice.title == ("fp32 on matrix-core GPUs (AMD Instinct MI300X): train with mixed "
                            "precision")
    figures = _evidence(advice)
    assert figures["matrix-core GPUs"] == "AMD Instinct MI300X"
    assert figures["factor measured on"] == "NVIDIA tensor-core GPUs"
    assert "ROCm" in advice.action and advice.saving_kwh > 0


def test_no_tensor_cores_no_mixed_precision_advice() -> None:
    run = busy_run("Tesla P100-PCIE-16GB", tags=("precision:fp32",))
    assert _skipped(advise(run))["mixed-precision"] == (
        "no tensor-core or matrix-core GPU (NVIDIA Volta or newer, AMD Instinct MI100 or "
        "Radeon RDNA 3 or newer) in the run")


# ---------------------------------------------------------------------------- idle power


def test_idle_power_saves_the_idle_devices_energy() -> None:
    advice = _rules(advise(idle_run()))["idle-power"]
    # GPU: 1800 s at 60 W (utilisation 2 %); CPU (no utilisation): 1440 s at its 30 W floor.
    assert advice.saving_kwh == pytest.approx((60 * 1800 + 30 * 1440) / 3.6e6 * 1.2)
    figures = _evidence(advice)
    assert figures["gpu:0 time at idle power"] == 50.0
    assert figures["cpu:0 time at idle power"] == 40.0
    assert figures["gpu:0 idle when"] == "utilisation ≤ 5 %"
    assert figures["cpu:0 idle when"].startswith("power ≤ 42.0 W")  # type: ignore[union-attr]
    assert advice.title == "gpu:0, cpu:0 idle for 50% of the run"


def test_idle_power_does_not_fire_on_a_busy_run() -> None:
    assert "idle-power" not in _rules(advise(busy_run()))
    reason = _skipped(advise(data_bound_run()))["idle-power"]
    assert reason.startswith("at most 0% of a device's time at idle power")
    short = idle_run(duration_s=60.0)  # 6 trace points: too few to tell
    assert _skipped(advise(short))["idle-power"] == "no CPU or GPU trace long enough to tell"


# ------------------------------------------------------------------- cleaner zone / time


def _flat(zone: str, value: float) -> IntensitySeries:
    return IntensitySeries.constant(zone, value, T0, END, source=f"flat {zone}")


def test_cleaner_zone_reports_the_planner_saving() -> None:
    run = data_bound_run()
    result = advise(run, series={"DE": _flat("DE", 400.0), "FR": _flat("FR", 60.0)})
    advice = _rules(result)["cleaner-zone-time"]
    assert advice.saving_kwh == 0.0
    assert advice.saving_co2e_kg == pytest.approx(run.energy_kwh * (400 - 60) / 1000)
    figures = _evidence(advice)
    assert figures["planned zone and start"] == "FR, 2026-03-02 09:00 UTC"
    assert figures["saving"] == 85.0
    assert figures["intensity where and when it ran (series)"] == 400.0
    assert figures["zones compared"] == "DE, FR"
    assert result.advice[0] is advice  # the largest CO2e saving comes first


def test_cleaner_time_in_the_same_zone() -> None:
    hours = [T0 + timedelta(hours=h) for h in range(26)]
    values = [100.0 if h in (5, 6) else 400.0 for h in range(26)]
    series = IntensitySeries.from_points("DE", hours, values, source="hourly DE")
    advice = _rules(advise(data_bound_run(), series={"DE": series}))["cleaner-zone-time"]
    assert advice.title == "run it from 2026-03-02 14:00 UTC: 75 % less CO2e"
    narrow = advise(data_bound_run(), series={"DE": series}, thresholds=Thresholds(window_s=3600))
    assert "cleaner-zone-time" not in _rules(narrow)  # 14:00 is out of reach within 1 h


def test_small_or_missing_shift_saving_does_not_fire() -> None:
    small = advise(data_bound_run(), series={"DE": _flat("DE", 100.0), "FR": _flat("FR", 95.0)})
    assert "saves 5.0 %" in _skipped(small)["cleaner-zone-time"]
    missing = advise(data_bound_run(), series={"FR": _flat("FR", 60.0)})
    assert _skipped(missing)["cleaner-zone-time"] == "no intensity series for the run's zone DE"


def test_cleaner_zone_from_the_embedded_profiles() -> None:
    run = data_bound_run()
    zones = candidate_zones("DE")
    assert zones[0] == "DE" and {"FR", "NL", "PL", "CH", "AT", "NO", "SE"} <= set(zones)
    provider = StaticProvider()
    series = {z: provider.history(z, T0, END) for z in zones}
    advice = _rules(advise(run, series=series))["cleaner-zone-time"]
    chosen = str(_evidence(advice)["planned zone and start"]).split(",")[0]
    assert chosen != "DE" and chosen in zones
    assert advice.saving_co2e_kg > 0.5 * run.energy_kwh * series["DE"].mean() / 1000


def test_candidate_zones_of_a_cloud_region() -> None:
    assert candidate_zones("aws:eu-central-1") == (
        "aws:eu-central-1", "aws:eu-central-2", "aws:eu-north-1", "aws:eu-west-3")
    assert candidate_zones("IS") == ("IS",)  # no interconnected neighbour in the table


# -------------------------------------------------------------------------- no advice


def test_no_rule_applies_says_so_plainly() -> None:
    run = busy_run(tags=("precision:bf16",), zone="FR")
    result = advise(run, series={"FR": _flat("FR", 56.0)})
    assert result.advice == ()
    assert result.summary == "no rule applies to run run-busy: nothing to suggest"
    assert set(_skipped(result)) == {"data-pipeline", "mixed-precision", "idle-power",
                                     "cleaner-zone-time"}
    assert result.to_dict()["advice"] == []


# ------------------------------------------------------------------- a real Tracker run


def _tracked_run() -> Run:
    clock = FakeClock(now=datetime(2026, 3, 2, 9, 0, tzinfo=T0.tzinfo))
    gpu = FakeSensor(((0.0, 50.0), (99.9, 50.0), (100.0, 300.0)), kind=DeviceKind.GPU)
    cpu = FakeSensor(((0.0, 20.0),), kind=DeviceKind.CPU)
    tracker = Tracker(project="tracked", zone="DE", clock=clock, save=False, sensors=[gpu, cpu])
    with tracker:
        for name, until in (("data_loading", 100.0), ("train", 300.0)):
            with tracker.phase(name):
                while clock.monotonic() - 1000.0 < until:
                    clock.advance(5.0)
                    tracker.snapshot()  # a reading every 5 s, as the sampler would take
    assert tracker.run is not None
    return tracker.run


def test_real_tracker_run_with_fake_sensor_traces() -> None:
    run = _tracked_run()
    result = advise(run)
    advice = _rules(result)["idle-power"]
    figures = _evidence(advice)
    # The GPU sat at its 50 W floor for the first 100 s (no utilisation: told by power).
    idle_s = float(figures["gpu:0 idle time"])  # type: ignore[arg-type]
    assert 95.0 <= idle_s <= 100.0
    assert advice.saving_kwh == pytest.approx(50 * idle_s / 3.6e6 * run.footprint.pue)
    assert str(figures["gpu:0 idle when"]).startswith("power ≤ 75.0 W")
    assert "cpu:0 time at idle power" not in figures  # flat 20 W: no visible floor
    skipped = _skipped(result)
    assert skipped["data-pipeline"] == "no GPU utilisation in the trace"
    assert "no tensor-core or matrix-core GPU" in skipped["mixed-precision"]
    # The sampler's trapezoids: 95 s at 50 W, then 95 → 100 s rising to 300 W.
    assert ev.data_phases(run)[0].energy_by_device_j["gpu:0"] == pytest.approx(
        50 * 95 + (50 + 300) / 2 * 5)


def test_idle_time_without_attributed_energy_saves_nothing() -> None:
    # Process scope: the CPU model gives the run no power while it waits.
    run = build_run("run-wait", {CPU: lambda t: (0.0, 0.0) if t < 1800 else (40.0, 90.0)})
    reason = _skipped(advise(run))["idle-power"]
    assert reason.startswith("50% of a device's time at idle power, but no energy")
