from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint.errors import ConfigError
from wattprint.model import DeviceKind, Method, RunStatus
from wattprint.store.importers import import_codecarbon_csv
from wattprint.store.ledger import Ledger
from wattprint.units import kwh_to_j

HEADER_3X = (
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,"
    "cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,"
    "water_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,"
    "python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,"
    "latitude,ram_total_size,tracking_mode,on_cloud,pue,wue,cpu_utilization_percent,"
    "gpu_utilization_percent,ram_utilization_percent,ram_used_gb"
)
ROW_GPU = (
    "2025-03-14T10:20:30,bert-finetune,5b0fa12a-3dd7-45bb-9766-cc326314d9f1,"
    "5b0fa12a-3dd7-45bb-9766-cc326314d9f1,3600.5,0.23,6.388e-05,"
    "42.5,250.0,20.0,0.0425,0.5,0.02,0.5625,"
    "0.0,Germany,DEU,,,,Linux-6.8.0-x86_64-with-glibc2.39,3.12.3,3.0.1,32,"
    "AMD EPYC 7543 32-Core Processor,1,1 x NVIDIA A100-SXM4-80GB,,,"
    "64.0,machine,N,1.0,0.0,12.5,95.0,30.1,19.3"
)
ROW_CPU = (
    "2025-03-15T08:00:00,default,0c0ffee0-0000-4000-8000-000000000001,"
    "0c0ffee0-0000-4000-8000-000000000001,120.0,0.0009,7.5e-06,"
    "20.0,0.0,5.0,0.0006,0.0,0.00015,0.00075,"
    ",Canada,CAN,quebec,gcp,northamerica-northeast1,Linux,3.11.7,2.8.3,8,"
    "Intel(R) Xeon(R) CPU @ 2.20GHz,,,-73.5,45.5,"
    "16.0,process,Y,1.0,,,,,"
)


def _write(tmp_path: Path, *rows: str, header: str = HEADER_3X) -> Path:
    path = tmp_path / "emissions.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_import_rows_to_runs(tmp_path: Path) -> None:
    runs = import_codecarbon_csv(_write(tmp_path, ROW_GPU, ROW_CPU), naive_tz=timezone.utc)
    gpu_run, cpu_run = runs
    ended = datetime(2025, 3, 14, 10, 20, 30, tzinfo=timezone.utc)
    assert gpu_run.project == "bert-finetune"
    assert gpu_run.status is RunStatus.FINISHED
    assert gpu_run.ended_utc == ended
    assert gpu_run.started_utc == ended - timedelta(seconds=3600.5)
    assert gpu_run.tags == ("imported:codecarbon",)
    assert gpu_run.zone_choice.zone == "DEU" and gpu_run.zone_choice.how == "imported"
    kinds = {d.device.kind: d for d in gpu_run.devices}
    assert set(kinds) == {DeviceKind.CPU, DeviceKind.GPU, DeviceKind.RAM}
    assert kinds[DeviceKind.GPU].energy_j == pytest.approx(kwh_to_j(0.5))
    assert kinds[DeviceKind.GPU].device.name == "1 x NVIDIA A100-SXM4-80GB"
    assert all(d.device.method is Method.MODELLED and d.device.sensor == "codecarbon"
               for d in gpu_run.devices)
    fp = gpu_run.footprint
    assert fp.intensity.source == "CodeCarbon import"
    assert fp.intensity.g_per_kwh == pytest.approx(0.23 * 1000 / 0.5625)
    assert fp.it_energy_kwh == pytest.approx(0.5625)
    assert gpu_run.co2e_kg == pytest.approx(0.23)
    assert fp.water_l == 0.0
    assert "3.0.1" in gpu_run.warnings[0]

    assert cpu_run.zone_choice.zone == "CAN/quebec"
    assert "gcp" in cpu_run.zone_choice.note
    assert DeviceKind.GPU not in {d.device.kind for d in cpu_run.devices}
    assert cpu_run.footprint.water_l is None
    assert cpu_run.co2e_kg == pytest.approx(0.0009)


def test_old_header_and_extra_columns(tmp_path: Path) -> None:
    header = "timestamp,project_name,duration,emissions,energy_consumed,some_future_column"
    path = _write(tmp_path, "2021-06-01T00:00:00+02:00,old,10,0.001,0.002,whatever",
                  header=header)
    (run,) = import_codecarbon_csv(path)
    assert run.ended_utc == datetime(2021, 5, 31, 22, tzinfo=timezone.utc)
    assert run.footprint.energy_kwh_by_kind["other"] == pytest.approx(0.002)
    assert run.co2e_kg == pytest.approx(0.001)


def test_reimport_does_not_duplicate(tmp_path: Path) -> None:
    path = _write(tmp_path, ROW_GPU, ROW_CPU)
    first = [r.id for r in import_codecarbon_csv(path)]
    assert first == [r.id for r in import_codecarbon_csv(path)]
    assert len(set(first)) == 2
    with Ledger(f"sqlite:///{tmp_path}/l.db") as ledger:
        for _ in range(2):
            for run in import_codecarbon_csv(path, naive_tz=timezone.utc):
                ledger.save_run(run)
        assert len(ledger.list_runs(tag="imported:codecarbon")) == 2


def test_bad_number_names_line_and_column(tmp_path: Path) -> None:
    bad = ROW_CPU.replace(",120.0,", ",12o.0,")
    path = _write(tmp_path, ROW_GPU, bad)
    with pytest.raises(ConfigError, match=r"emissions.csv, line 3: column 'duration' has '12o.0', "
                                          r"not a number") as info:
        import_codecarbon_csv(path)
    assert info.value.exit_code == 2


def test_bad_timestamp_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2: column 'timestamp'"):
        import_codecarbon_csv(_write(tmp_path, ROW_GPU.replace("2025-03-14T10:20:30", "soon")))
    with pytest.raises(ConfigError, match="no emissions, energy_consumed column"):
        import_codecarbon_csv(
            _write(tmp_path, "2025-01-01T00:00:00,1", header="timestamp,duration")
        )
    with pytest.raises(ConfigError, match="cannot read CodeCarbon file"):
        import_codecarbon_csv(tmp_path / "missing.csv")
