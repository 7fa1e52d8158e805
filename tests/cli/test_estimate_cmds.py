from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wattprint.cli.main import main

STRUBELL = ["estimate", "--device", "P100", "--count", "8", "--hours", "84",
            "--total-power-w", "1515.43", "--pue", "1.58", "--intensity", "0.954lb/kWh"]


def _json(capfd: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    assert main([*argv, "--json"]) == 0
    return dict(json.loads(capfd.readouterr().out))


def test_estimate_json_reproduces_strubell(capfd: pytest.CaptureFixture[str]) -> None:
    data = _json(capfd, STRUBELL)
    assert data["energy_kwh"] == pytest.approx(201.1, abs=0.1)
    assert float(data["co2e_kg"]) / 0.45359237 == pytest.approx(192, abs=0.5)  # type: ignore[arg-type]
    for key in ["it_energy_kwh", "embodied_co2e_kg", "water_onsite_l", "water_offsite_l",
                "water_total_l", "assumptions", "equivalents"]:
        assert key in data


def test_estimate_json_reproduces_patterson_gpt3(capfd: pytest.CaptureFixture[str]) -> None:
    data = _json(capfd, ["estimate", "--device", "V100", "--count", "10000", "--hours", "14.8d",
                         "--power-w", "330", "--pue", "1.1", "--intensity", "0.429kg/kWh"])
    assert float(data["energy_kwh"]) / 1000 == pytest.approx(1287, rel=0.002)  # type: ignore[arg-type]
    assert float(data["co2e_kg"]) / 1000 == pytest.approx(552.1, rel=0.002)  # type: ignore[arg-type]


def test_estimate_text_shows_the_basis_of_each_line(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--instance", "p4d.24xlarge", "--hours", "2", "--zone",
                 "aws:us-east-1"]) == 0
    out = capfd.readouterr().out
    for label in ["IT energy", "facility energy", "operational CO2e", "embodied CO2e",
                  "water on-site", "water off-site", "smartphone"]:
        assert label in out
    assert out.count("←") >= 13
    assert "default for aws" in out and "default lifetime 6 years" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--device", "H1000", "--hours", "1", "--zone", "FR"], "did you mean h100-sxm"),
    (["--instance", "p4d.24xl", "--hours", "1", "--zone", "FR"], "did you mean p4d.24xlarge"),
    (["--device", "A10O", "--hours", "1", "--zone", "FR"],
     "unknown device 'A10O'; did you mean a10, a10g"),
    (["--instance", "p4d.24xlage", "--hours", "1", "--zone", "FR"],
     "unknown instance type 'p4d.24xlage'; did you mean p4d.24xlarge"),
    (["--device", "H100", "--count", "0", "--hours", "1", "--zone", "FR"],
     "count (--count): must be a whole number >= 1, got 0"),
    (["--device", "H100", "--count", "-2", "--hours", "1", "--zone", "FR"],
     "count (--count): must be a whole number >= 1, got -2"),
    (["--instance", "p5.48xlarge", "--count", "0", "--hours", "1", "--zone", "FR"],
     "count (--count): must be a whole number >= 1, got 0"),
    (["--device", "H100", "--hours", "0", "--zone", "FR"], "hours (--hours): must be > 0, got 0.0"),
    (["--device", "H100", "--hours", "-4", "--zone", "FR"],
     "hours (--hours): must be > 0, got -4.0"),
    (["--device", "H100", "--device-hours", "0", "--zone", "FR"],
     "device_hours (--device-hours): must be > 0, got 0.0"),
    (["--device", "H100", "--device-hours", "-3", "--zone", "FR"],
     "device_hours (--device-hours): must be > 0, got -3.0"),
    (["--device", "H100", "--hours", "1", "--device-hours", "8", "--zone", "FR"],
     "give exactly one of --hours (wall-clock) or --device-hours"),
    (["--device", "H100", "--zone", "FR"],
     "give exactly one of --hours (wall-clock) or --device-hours"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--pue", "0.8"],
     "pue (--pue): pue=0.8 is impossible; PUE is facility energy / IT energy and must be at "
     "least 1.0"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--pue", "0.99"],
     "pue (--pue): pue=0.99 is impossible"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--utilisation", "1.2"],
     "must be in (0, 1]"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--utilisation", "0"],
     "utilisation (--utilisation): must be in (0, 1], got 0.0"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--utilisation", "1.5"],
     "utilisation (--utilisation): must be in (0, 1], got 1.5"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--utilization", "-0.5"],
     "utilisation (--utilisation): must be in (0, 1], got -0.5"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--lifetime-use-rate", "0"],
     "lifetime_use_rate (--lifetime-use-rate): must be in (0, 1], got 0.0"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--lifetime-use-rate", "1.5"],
     "lifetime_use_rate (--lifetime-use-rate): must be in (0, 1], got 1.5"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--lifetime-use-rate", "-0.2"],
     "lifetime_use_rate (--lifetime-use-rate): must be in (0, 1], got -0.2"),
    (["--device", "H100", "--hours", "1", "--zone", "FR", "--intensity", "50"],
     "give exactly one of --zone (a grid zone or cloud region) or --intensity"),
    (["--device", "H100", "--hours", "1"],
     "give exactly one of --zone (a grid zone or cloud region) or --intensity"),
    (["--device", "H100", "--instance", "p5.48xlarge", "--hours", "1", "--zone", "FR"],
     "give --device or --instance, not both"),
    (["--device", "H100", "--hours", "1", "--zone", "Atlantis"], "unknown zone"),
    (["--device", "H100", "--hours", "1", "--intensity", "12 furlongs"], "--intensity"),
])
def test_bad_input_exits_2_with_one_line(capfd: pytest.CaptureFixture[str], argv: list[str],
                                         message: str) -> None:
    assert main(["estimate", *argv]) == 2
    err = capfd.readouterr().err
    assert message in err
    assert err.count("\n") == 1


#: Figures that rest on a default when only --device/--count/--hours/--zone are given,
#: by their key in ``basis`` and their label in the text output.
DEFAULTED = {"power": "power per device", "host": "host power", "pue": "PUE",
             "co2e": "operational CO2e", "embodied": "embodied CO2e",
             "water_onsite": "water on-site", "water_offsite": "water off-site"}


def _text_basis(out: str) -> dict[str, str]:
    """``{label: basis}`` of the text output: each figure line, then its ``←`` line."""
    lines = out.splitlines()
    return {line[:17].strip(): after.strip().removeprefix("← ")
            for line, after in zip(lines, lines[1:], strict=False)
            if line[:1].strip() and after.strip().startswith("←")}


@pytest.mark.parametrize("zone", ["FR", "US-VA", "aws:us-east-1"])
def test_every_defaulted_figure_says_default(capfd: pytest.CaptureFixture[str],
                                             zone: str) -> None:
    argv = ["estimate", "--device", "A100", "--count", "8", "--hours", "10", "--zone", zone]
    data = _json(capfd, argv)
    basis: dict[str, str] = data["basis"]  # type: ignore[assignment]
    for key in DEFAULTED:
        assert "default" in basis[key], (key, basis[key])
    assert "default lifetime 6 years" in basis["embodied"]
    assert "default use rate 0.85" in basis["embodied"]
    assert "default 150 kg per device" in basis["embodied"]
    assert "given" in basis["hours"] and "default" not in basis["hours"]
    assumptions: list[str] = data["assumptions"]  # type: ignore[assignment]
    assert [line for line in assumptions if line.split(":", 1)[0] in DEFAULTED] == [
        f"{key}: {basis[key]}" for key in basis if key in DEFAULTED]
    assert main(argv) == 0
    text = _text_basis(capfd.readouterr().out)
    for key, label in DEFAULTED.items():
        assert text[label] == basis[key]
    assert "given" in text["time"]


def test_embodied_without_lifetime_says_defaults(capfd: pytest.CaptureFixture[str]) -> None:
    data = _json(capfd, ["estimate", "--device", "H100", "--hours", "1", "--intensity", "100",
                         "--embodied-kg", "2000"])
    text = " ".join(data["assumptions"])  # type: ignore[arg-type]
    assert "2000 kg CO2e per device given" in text and "default lifetime 6 years" in text


def test_hardware_lists_and_filters(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["hardware", "a100", "--json"]) == 0
    rows = json.loads(capfd.readouterr().out)
    assert rows[0]["id"] == "a100-sxm-40gb" and rows[0]["power_w"] == 400
    assert main(["hardware", "--kind", "instance", "--json"]) == 0
    rows = json.loads(capfd.readouterr().out)
    assert rows and all(r["kind"] == "instance" for r in rows)
    assert main(["hardware", "h100"]) == 0
    assert "h100-sxm" in capfd.readouterr().out


def test_hardware_without_match_says_so(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["hardware", "qqqqqq"]) == 0
    assert "no hardware matches" in capfd.readouterr().err


def test_estimate_import_stays_light() -> None:
    code = ("import sys; from wattprint.estimate import estimate, load_hardware; "
            "estimate(device='T4', hours=1, intensity_g_per_kwh=1); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'pandas', 'httpx', 'sqlalchemy', 'click')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
