"""Published figures, reproduced from their inputs (see docs/estimate.md).

Inputs and outputs are those of the papers' tables, transcribed in
/work/shared/data/reference/papers; each test says which.
"""

from __future__ import annotations

import pytest

from wattprint.estimate import estimate
from wattprint.estimate.water import offsite_water_l, onsite_water_l

G_PER_LB = 453.59237


def test_strubell_2019_transformer_big() -> None:
    # Strubell et al. 2019, Table 3: T2T big, P100x8, 1515.43 W (CPU + DRAM + 8 GPUs
    # together), 84 h, PUE 1.58, 0.954 lb CO2/kWh -> 201 kWh, 192 lb.
    est = estimate(device="P100", count=8, hours=84, total_power_w=1515.43, pue=1.58,
                   intensity_g_per_kwh=0.954 * G_PER_LB)
    assert est.energy_kwh == pytest.approx(201, abs=0.5)
    assert est.co2e_kg / (G_PER_LB / 1000) == pytest.approx(192, abs=0.5)
    assert est.host_power_w == 0.0
    assert "1,515.43 W average for everything counted" in est.basis["power"]


@pytest.mark.parametrize(("power_w_total", "hours", "kwh", "lbs"), [
    (1415.78, 12, 27, 26),       # Transformer base, P100x8
    (12041.51, 79.2, 1507, 1438),  # BERT base, V100x64 (79.2 h per the paper's text)
    (1515.43, 274120, 656347, 626155),  # NAS, P100x8
])
def test_strubell_2019_other_rows(power_w_total: float, hours: float, kwh: float,
                                  lbs: float) -> None:
    est = estimate(total_power_w=power_w_total, hours=hours, pue=1.58,
                   intensity_g_per_kwh=0.954 * G_PER_LB)
    # The paper prints whole kWh and lb: agree to within rounding.
    assert est.energy_kwh == pytest.approx(kwh, abs=0.6)
    assert est.co2e_kg / (G_PER_LB / 1000) == pytest.approx(lbs, abs=0.6)


def test_patterson_2021_gpt3() -> None:
    # Patterson et al. 2021, Tables 1/4: 10,000 V100 x 14.8 days, 330 W average system
    # power per chip, PUE 1.1, 0.429 kg/kWh -> 1,287 MWh, 552.1 t CO2e.
    est = estimate(device="V100", count=10_000, hours=14.8 * 24, power_w=330, pue=1.1,
                   intensity_g_per_kwh=429)
    assert est.energy_kwh / 1000 == pytest.approx(1287, rel=0.002)
    assert est.co2e_kg / 1000 == pytest.approx(552.1, rel=0.002)


def test_patterson_2021_transformer_big_on_p100() -> None:
    # Patterson et al. 2021, Table 1: 8 P100 x 3.5 days at 296 W, PUE 1.59, 0.429 -> 316 kWh.
    est = estimate(device="P100", count=8, hours=3.5 * 24, power_w=296, pue=1.59,
                   intensity_g_per_kwh=429)
    assert est.energy_kwh == pytest.approx(316, abs=1)
    assert est.co2e_kg / 1000 == pytest.approx(0.1357, abs=0.001)


def test_luccioni_2022_bloom_dynamic_and_embodied() -> None:
    # Luccioni et al. 2022: 1,082,990 A100-hours at 400 W (TDP) -> 433,196 kWh; 57 g/kWh
    # -> 24.69 t; embodied 150 kg per GPU + 2,500 kg per 8-GPU server over 6 years at
    # 85 % use -> 3.64 t (GPUs) + 7.57 t (servers) = 11.2 t.
    est = estimate(device="A100 80GB", device_hours=1_082_990, intensity_g_per_kwh=57)
    assert est.it_energy_kwh == pytest.approx(433_196, abs=1)
    assert est.pue == 1.0
    assert est.co2e_kg / 1000 == pytest.approx(24.69, abs=0.01)
    assert est.embodied_kg_per_device == pytest.approx(150 + 2500 / 8)
    assert est.embodied_co2e_kg / 1000 == pytest.approx(11.2, abs=0.05)
    assert "Luccioni" in est.basis["embodied"]


def test_luccioni_2022_bloom_embodied_explicit() -> None:
    est = estimate(device="A100 80GB", device_hours=1_082_990, intensity_g_per_kwh=57,
                   embodied_kg=462.5, lifetime_years=6, lifetime_use_rate=0.85)
    assert est.embodied_co2e_kg / 1000 == pytest.approx(11.21, abs=0.01)
    assert "default" not in est.basis["embodied"]


def test_li_2023_gpt3_water_us_average() -> None:
    # Li et al. 2023, Table 1, U.S. average: 1,287 MWh of server energy, WUE 0.55,
    # PUE 1.17, EWIF 3.142 -> 0.708 / 4.731 / 5.439 million litres.
    it_kwh = 1_287_000.0
    onsite = onsite_water_l(it_kwh, 0.55)
    offsite = offsite_water_l(it_kwh * 1.17, 3.142)
    assert onsite / 1e6 == pytest.approx(0.708, abs=0.001)
    assert offsite / 1e6 == pytest.approx(4.731, abs=0.001)
    assert (onsite + offsite) / 1e6 == pytest.approx(5.439, abs=0.001)


def test_li_2023_water_through_estimate() -> None:
    # Same, through estimate(): 1,287 MWh of IT energy as 10,000 devices x 128.7 h at 1 kW.
    est = estimate(power_w=1000, count=10_000, hours=128.7, pue=1.17, intensity_g_per_kwh=0,
                   wue_l_per_kwh=0.55, water_intensity_l_per_kwh=3.142)
    assert est.water_total_l / 1e6 == pytest.approx(5.439, abs=0.001)
