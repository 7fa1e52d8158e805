"""The Prometheus exporter, scraped over loopback and parsed with prometheus_client's parser.

Fakes only at the boundary: FakeSensors with known power, a real SQLite
ledger, the static (embedded) or a fake provider, a FakeClock for the run
window and the sampler.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

import wattprint
from wattprint.errors import ConfigError, LedgerError, MissingExtraError
from wattprint.integrations.prometheus import (
    Exporter,
    GridIntensity,
    LedgerRuns,
    RunWindow,
    WattprintCollector,
    check_binding,
    start_exporter,
)
from wattprint.intensity.providers.static import StaticProvider
from wattprint.intensity.series import IntensitySeries
from wattprint.intensity.zones import load_catalog
from wattprint.measure.tracker import Tracker
from wattprint.model import (
    Device,
    DeviceEnergy,
    DeviceKind,
    Footprint,
    Intensity,
    Method,
    Run,
    RunStatus,
    ZoneChoice,
)
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeProvider, FakeSensor

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _run(run_id: str, status: RunStatus, started: datetime, ended: datetime | None,
         gpu_kwh: float, *, project: str = "vision", model: str = "resnet50") -> Run:
    gpu = Device("gpu:0", DeviceKind.GPU, 0, "NVIDIA A100-SXM4-40GB", Method.COUNTER, "nvml")
    duration = ((ended or NOW) - started).total_seconds()
    return Run(
        id=run_id, project=project, status=status, started_utc=started, ended_utc=ended,
        duration_s=duration, host="node-1",
        footprint=Footprint({"gpu": gpu_kwh, "cpu": gpu_kwh / 10}, 1.2, "given",
                            Intensity("DE", 380.0, "test figure", 2024)),
        zone_choice=ZoneChoice("DE", "argument"),
        devices=(DeviceEnergy(gpu, gpu_kwh * 3.6e6, 300.0, 10),),
        model=model,
    )


def _save(ledger_url: str, run: Run, at: datetime) -> None:
    with Ledger(ledger_url, clock=FakeClock(now=at)) as ledger:
        ledger.save_run(run)


@pytest.fixture
def runs(ledger_url: str) -> dict[str, Run]:
    """Two runs inside the window, one of them failed, and three outside it."""
    made = {
        "live": _run("run-live", RunStatus.RUNNING, NOW - timedelta(minutes=20), None, 0.5),
        "done": _run("run-done", RunStatus.FINISHED, NOW - timedelta(hours=2),
                     NOW - timedelta(minutes=10), 2.0, project="nlp", model="bert-base"),
        "failed": _run("run-failed", RunStatus.FAILED, NOW - timedelta(hours=1),
                       NOW - timedelta(minutes=30), 0.25, model=""),
        "old": _run("run-old", RunStatus.FINISHED, NOW - timedelta(days=3),
                    NOW - timedelta(days=2), 9.0),
        "stale": _run("run-stale", RunStatus.RUNNING, NOW - timedelta(hours=3), None, 1.0),
    }
    for key, run in made.items():
        at = {"live": NOW - timedelta(seconds=30), "stale": NOW - timedelta(hours=1)}.get(
            key, run.ended_utc or NOW)
        _save(ledger_url, run, at)
    return made


@pytest.fixture
def ledger(ledger_url: str, runs: dict[str, Run]) -> Iterator[Ledger]:
    with Ledger(ledger_url) as opened:
        yield opened


def _scrape(url: str) -> str:
    # trust_env=False: no proxy from the environment; the request never leaves 127.0.0.1.
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _parse(text: str) -> tuple[dict[str, Any], Samples]:
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families.values() for s in f.samples}
    return families, samples


def _labels(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _collect(collector: WattprintCollector) -> tuple[dict[str, Any], Samples]:
    registry = CollectorRegistry()
    registry.register(collector)
    return _parse(generate_latest(registry).decode())


# ------------------------------------------------------------------ the exporter over HTTP


def test_scrape_exposes_devices_runs_intensity_and_version(ledger: Ledger,
                                                           runs: dict[str, Run]) -> None:
    clock = FakeClock(now=NOW)
    sensors = [FakeSensor(((0.0, 250.0),), kind=DeviceKind.GPU),
               FakeSensor(((0.0, 40.0),), kind=DeviceKind.CPU, as_counter=True)]
    with Exporter(port=0, sensors=sensors, ledger=ledger, provider=StaticProvider(), zone="DE",
                  clock=clock) as exporter:
        assert exporter.url == f"http://127.0.0.1:{exporter.port}/metrics"
        clock.advance(10.0)
        families, samples = _parse(_scrape(exporter.url))

    assert samples[("wattprint_build_info", _labels(version=wattprint.__version__))] == 1.0
    gpu = _labels(device="gpu:0", kind="gpu", method="sampled-power")
    cpu = _labels(device="cpu:0", kind="cpu", method="counter")
    assert families["wattprint_device_power_watts"].type == "gauge"
    assert samples[("wattprint_device_power_watts", gpu)] == pytest.approx(250.0)
    assert samples[("wattprint_device_power_watts", cpu)] == pytest.approx(40.0)
    assert families["wattprint_device_energy_joules"].type == "counter"
    assert samples[("wattprint_device_energy_joules_total", gpu)] == pytest.approx(2500.0)
    assert samples[("wattprint_device_energy_joules_total", cpu)] == pytest.approx(400.0)

    shown = {dict(k[1])["run_id"]: dict(k[1]) for k in samples
             if k[0] == "wattprint_run_energy_kwh"}
    assert set(shown) == {"run-live", "run-done", "run-failed"}  # old and stale are left out
    assert shown["run-done"] == {"run_id": "run-done", "project": "nlp", "model": "bert-base",
                                 "status": "finished"}
    assert shown["run-live"]["status"] == "running" and shown["run-failed"]["status"] == "failed"
    for key in ("live", "done", "failed"):
        run = runs[key]
        labels = _labels(run_id=run.id, project=run.project, model=run.model,
                         status=run.status.value)
        assert samples[("wattprint_run_energy_kwh", labels)] == pytest.approx(run.energy_kwh)
        assert samples[("wattprint_run_co2e_kg", labels)] == pytest.approx(run.co2e_kg)
        assert samples[("wattprint_run_duration_seconds", labels)] == pytest.approx(
            run.duration_s)
    assert samples[("wattprint_runs_up", ())] == 1.0

    de = load_catalog().intensity("DE")
    assert samples[("wattprint_grid_intensity_g_per_kwh",
                    _labels(zone="DE", source=de.source))] == pytest.approx(de.g_per_kwh)


def test_energy_counter_grows_between_scrapes() -> None:
    clock = FakeClock(now=NOW)
    gpu = _labels(device="gpu:0", kind="gpu", method="sampled-power")
    with Exporter(port=0, sensors=[FakeSensor(((0.0, 100.0), (20.0, 300.0)),
                                              kind=DeviceKind.GPU)], clock=clock) as exporter:
        clock.advance(10.0)
        first = _parse(_scrape(exporter.url))[1]
        clock.advance(10.0)
        second = _parse(_scrape(exporter.url))[1]
    assert first[("wattprint_device_power_watts", gpu)] == pytest.approx(200.0)
    assert second[("wattprint_device_power_watts", gpu)] == pytest.approx(300.0)
    # Trapezoids between the readings: at least the scrapes' (0, 10, 20 s).
    assert first[("wattprint_device_energy_joules_total", gpu)] == pytest.approx(1500.0)
    assert second[("wattprint_device_energy_joules_total", gpu)] == pytest.approx(4000.0)


def test_port_in_use_is_a_config_error() -> None:
    with Exporter(port=0, sensors=[]) as first:
        second = Exporter(port=first.port, sensors=[])
        with pytest.raises(ConfigError, match=rf"cannot listen on 127.0.0.1:{first.port}"):
            second.start()
        assert second.sampler is None  # a failed start undoes itself


# ---------------------------------------------------------------------------- binding


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.5"])
def test_loopback_needs_no_flag(host: str) -> None:
    check_binding(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "metrics.example.org"])
def test_non_loopback_needs_allow_remote(host: str) -> None:
    with pytest.raises(ConfigError, match="--allow-remote"):
        Exporter(host=host, port=0, sensors=[])
    Exporter(host=host, port=0, sensors=[], allow_remote=True)  # constructed, never bound


# ---------------------------------------------------------------------- the run window


def test_window_and_cap_bound_the_runs(ledger: Ledger) -> None:
    clock = FakeClock(now=NOW)
    ids = [r.run_id for r in LedgerRuns(ledger, clock=clock).runs()]
    assert ids == ["run-live", "run-failed", "run-done"]  # running first, then newest start
    narrow = LedgerRuns(ledger, window=RunWindow(window_s=15 * 60), clock=clock)
    assert [r.run_id for r in narrow.runs()] == ["run-live", "run-done"]
    capped = LedgerRuns(ledger, window=RunWindow(max_runs=2), clock=clock)
    assert [r.run_id for r in capped.runs()] == ["run-live", "run-failed"]
    patient = LedgerRuns(ledger, window=RunWindow(stale_after_s=2 * 3600), clock=clock)
    assert "run-stale" in [r.run_id for r in patient.runs()]
    later = LedgerRuns(ledger, clock=FakeClock(now=NOW + timedelta(hours=1)))
    assert [r.run_id for r in later.runs()] == []  # the live run's record went stale too


def test_bad_window_is_rejected() -> None:
    with pytest.raises(ConfigError, match="run window"):
        RunWindow(max_runs=0)


def test_unreadable_ledger_gives_runs_up_zero(ledger_url: str) -> None:
    closed = Ledger(ledger_url)  # never opened: every query raises LedgerError
    with pytest.raises(LedgerError):
        LedgerRuns(closed).runs()
    families, samples = _collect(WattprintCollector(runs=LedgerRuns(closed)))
    assert samples[("wattprint_runs_up", ())] == 0.0
    assert families["wattprint_run_energy_kwh"].samples == []


# ------------------------------------------------------------------------ the intensity


def _fake_provider(clock: FakeClock, values: list[float]) -> FakeProvider:
    series = IntensitySeries.from_points(
        "FR", [NOW + timedelta(hours=i) for i in range(len(values))], values,
        source="fake grid data")
    return FakeProvider({"FR": series}, clock=clock)


def test_intensity_is_cached_for_its_ttl() -> None:
    clock = FakeClock(now=NOW)
    provider = _fake_provider(clock, [50.0, 80.0, 20.0])
    gauge = GridIntensity(provider, "FR", clock=clock, ttl_s=600.0)
    collector = WattprintCollector(intensity=gauge, version="9.9")
    samples = _collect(collector)[1]
    assert samples[("wattprint_grid_intensity_g_per_kwh",
                    _labels(zone="FR", source="fake grid data"))] == 50.0
    assert samples[("wattprint_build_info", _labels(version="9.9"))] == 1.0
    clock.advance(300.0)
    _collect(collector)
    assert provider.calls == [("current", "FR")]  # inside the TTL: not asked again
    clock.advance(3600.0)
    samples = _collect(collector)[1]
    assert samples[("wattprint_grid_intensity_g_per_kwh",
                    _labels(zone="FR", source="fake grid data"))] == 80.0
    assert len(provider.calls) == 2


def test_provider_failure_keeps_the_scrape(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(now=NOW)
    gauge = GridIntensity(_fake_provider(clock, [50.0]), "DE", clock=clock)  # no DE series
    families, _ = _collect(WattprintCollector(intensity=gauge))
    assert families["wattprint_grid_intensity_g_per_kwh"].samples == []
    assert "grid intensity of DE unavailable" in caplog.text


def test_cloud_region_asks_its_grid_zone() -> None:
    clock = FakeClock(now=NOW)
    with Exporter(port=0, sensors=[], provider=StaticProvider(), zone="aws:eu-west-3",
                  clock=clock) as exporter:
        samples = _parse(_scrape(exporter.url))[1]
    fr = load_catalog().intensity("FR")
    assert samples[("wattprint_grid_intensity_g_per_kwh",
                    _labels(zone="aws:eu-west-3", source=fr.source))] == pytest.approx(
        fr.g_per_kwh)


# --------------------------------------------------------------- in-process trackers


def test_start_exporter_shows_this_process_trackers_live() -> None:
    clock = FakeClock(now=NOW)
    exporter = start_exporter(0, sensors=[], zone="DE", provider=StaticProvider(), clock=clock,
                              window=RunWindow(window_s=600.0))
    try:
        tracker = Tracker(project="live", model="mlp", zone="DE", clock=clock, save=False,
                          sensors=[FakeSensor(((0.0, 360.0),), kind=DeviceKind.GPU)])
        with tracker:
            clock.advance(100.0)
            tracker.snapshot()  # a reading at 100 s, as the sampler thread would take
            samples = _parse(_scrape(exporter.url))[1]
            running = _labels(run_id=tracker.id, project="live", model="mlp", status="running")
            assert samples[("wattprint_run_energy_kwh", running)] == pytest.approx(0.01)
        run = tracker.run
        assert run is not None
        samples = _parse(_scrape(exporter.url))[1]
        done = _labels(run_id=tracker.id, project="live", model="mlp", status="finished")
        assert samples[("wattprint_run_energy_kwh", done)] == pytest.approx(run.energy_kwh)
        assert samples[("wattprint_run_co2e_kg", done)] == pytest.approx(run.co2e_kg)
        clock.advance(601.0)
        samples = _parse(_scrape(exporter.url))[1]
        assert not [k for k in samples if k[0] == "wattprint_run_energy_kwh"]  # window passed
    finally:
        exporter.stop()
    after = Tracker(project="later", zone="DE", clock=clock, save=False, sensors=[])
    with after:
        pass
    assert exporter.trackers.runs() == []  # the listener went with the exporter


def test_missing_extra_names_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # An import of a module set to None in sys.modules raises ImportError: the
    # state of a machine without the extra.
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'wattprint\[prometheus\]'"):
        Exporter(port=0, sensors=[]).start()
