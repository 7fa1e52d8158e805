from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from wattprint.errors import ConfigError
from wattprint.intensity.forecast import (
    METHODS,
    ProfileForecaster,
    SeasonalNaive,
    backtest,
    make_forecaster,
)
from wattprint.intensity.series import IntensitySeries

UTC = timezone.utc
T0 = datetime(2023, 1, 2, tzinfo=UTC)  # a Monday
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data"


def _series(values: np.ndarray, step_s: int = 3600) -> IntensitySeries:  # type: ignore[type-arg]
    return IntensitySeries("DE", T0, step_s, values, source="test", signal="lifecycle")


def _daily(days: int, noise: float = 0.0, seed: int = 0) -> IntensitySeries:
    hours = np.arange(24 * days)
    base = 300 + 100 * np.sin(2 * np.pi * hours / 24)
    rng = np.random.default_rng(seed)
    return _series(base + rng.normal(0, noise, hours.size) if noise else base)


def test_seasonal_naive_repeats_previous_day() -> None:
    history = _series(np.arange(48, dtype=float))
    start = T0 + timedelta(days=2)
    fc = SeasonalNaive().forecast(history, start, start + timedelta(hours=30))
    assert fc.kind == "forecast" and fc.start_utc == start and fc.step_s == 3600
    expected = list(range(24, 48)) + list(range(24, 30))  # longer than a day: repeat last day
    assert fc.values_g_per_kwh.tolist() == expected
    assert fc.signal == "lifecycle" and "seasonal-naive" in fc.source


def test_seasonal_naive_weekly_and_missing_values_fall_back_a_period() -> None:
    values = np.arange(24 * 14, dtype=float)
    values[24 * 13 + 5] = np.nan
    history = _series(values)
    start = T0 + timedelta(days=14)
    weekly = SeasonalNaive(604800).forecast(history, start, start + timedelta(hours=2))
    assert weekly.values_g_per_kwh.tolist() == [24 * 7, 24 * 7 + 1]
    daily = SeasonalNaive().forecast(history, start, start + timedelta(hours=6))
    assert daily.values_g_per_kwh[5] == 24 * 12 + 5  # two days back where yesterday is missing
    assert SeasonalNaive(604800).name == "seasonal-naive-weekly"


def test_seasonal_naive_is_exact_on_a_periodic_series() -> None:
    score = backtest(_daily(20), SeasonalNaive())
    assert score.mae_g_per_kwh == pytest.approx(0, abs=1e-9) and score.n == 19
    assert score.n_points == 19 * 24 and score.mape_pct == pytest.approx(0, abs=1e-9)


def test_profile_is_mean_by_hour_of_day() -> None:
    # two days: hour h is h then h + 10 -> mean h + 5; no level shift, no day types
    values = np.concatenate([np.arange(24.0), np.arange(24.0) + 10])
    model = ProfileForecaster(lookback_days=28, by_day_type=False, level_adjust=False)
    start = T0 + timedelta(days=2, hours=3)
    fc = model.forecast(_series(values), start, start + timedelta(hours=3))
    assert fc.values_g_per_kwh.tolist() == [8, 9, 10]


def test_profile_lookback_and_level_adjust() -> None:
    values = np.concatenate([np.full(24, 1000.0), np.full(24, 100.0), np.full(24, 200.0)])
    start = T0 + timedelta(days=3)
    short = ProfileForecaster(lookback_days=2, by_day_type=False, level_adjust=False)
    assert short.forecast(_series(values), start, start + timedelta(hours=1)
                          ).values_g_per_kwh.tolist() == [150]
    adjusted = ProfileForecaster(lookback_days=2, by_day_type=False)
    assert adjusted.forecast(_series(values), start, start + timedelta(hours=1)
                             ).values_g_per_kwh.tolist() == [200]  # at the last day's level


def test_profile_day_types() -> None:
    # weekdays 100, weekends 300 (UTC days); T0 is a Monday
    days = [300.0 if (d % 7) >= 5 else 100.0 for d in range(28)]
    values = np.repeat(days, 24)
    start = T0 + timedelta(days=28)  # Monday again
    typed = ProfileForecaster(level_adjust=False)
    fc = typed.forecast(_series(values), start, start + timedelta(days=7))
    assert set(fc.values_g_per_kwh[: 5 * 24].tolist()) == {100}
    assert set(fc.values_g_per_kwh[5 * 24:].tolist()) == {300}


def test_backtest_uses_only_history_before_each_origin() -> None:
    class Spy:
        name = "spy"
        uncertainty_g_per_kwh = None
        min_history_s = 86400
        seen: list[tuple[datetime, datetime]] = []

        def fit(self, history: IntensitySeries) -> Spy:
            return self

        def forecast(self, history: IntensitySeries, start: datetime, end: datetime
                     ) -> IntensitySeries:
            self.seen.append((history.end_utc, start))
            return SeasonalNaive().forecast(history, start, end)

    spy = Spy()
    score = backtest(_daily(5), spy, horizon_s=12 * 3600, every_s=12 * 3600)
    assert score.n == 8 and len(spy.seen) == 8  # origins at 24, 36, ..., 108 h
    assert all(end == start for end, start in spy.seen)


def test_backtest_scores_known_errors() -> None:
    # constant 100, then one day at 150: seasonal naive misses that day by 50 (MAPE 33.3 %)
    # and the next day by 50 (MAPE 50 %)
    values = np.concatenate([np.full(48, 100.0), np.full(24, 150.0), np.full(24, 100.0)])
    score = backtest(_series(values), SeasonalNaive())
    assert score.n == 3 and score.n_points == 72
    assert score.mae_g_per_kwh == pytest.approx(100 / 3)
    assert score.mape_pct == pytest.approx((100 / 3 + 50) / 3)
    assert score.bias_g_per_kwh == pytest.approx(0)
    assert score.to_dict()["n_forecasts"] == 3


def test_fit_sets_uncertainty_from_backtest() -> None:
    history = _daily(30, noise=10.0)
    model = SeasonalNaive().fit(history)
    assert model.uncertainty_g_per_kwh is not None
    assert 5 < model.uncertainty_g_per_kwh < 25  # |N(0,10) - N(0,10)| has mean ~11.3
    start = history.end_utc
    fc = model.forecast(history, start, start + timedelta(hours=4))
    assert fc.uncertainty_g_per_kwh == model.uncertainty_g_per_kwh
    assert ProfileForecaster().fit(_series(np.full(10, 5.0))).uncertainty_g_per_kwh is None


def test_errors() -> None:
    with pytest.raises(ConfigError, match="too short to backtest"):
        backtest(_series(np.full(30, 1.0)), SeasonalNaive())
    with pytest.raises(ConfigError, match="unknown forecast method 'arima'"):
        make_forecaster("arima")
    with pytest.raises(ConfigError, match="no values"):
        SeasonalNaive().forecast(_series(np.full(3, np.nan)), T0, T0 + timedelta(hours=1))
    with pytest.raises(ConfigError, match="period"):
        SeasonalNaive(0)
    assert [make_forecaster(m).name for m in METHODS] == list(METHODS)


def test_sub_hourly_series() -> None:
    history = _series(np.tile(np.arange(96.0), 3), step_s=900)
    start = history.end_utc
    fc = SeasonalNaive().forecast(history, start, start + timedelta(hours=1))
    assert fc.step_s == 900 and fc.values_g_per_kwh.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("zone", ["DE", "FR"])
def test_real_data_smoke(zone: str) -> None:
    from wattprint.intensity.providers.file import FileProvider

    path = SHARED / f"carbon_intensity_{zone}_2023.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found at {SHARED} (run inside the project workspace)")
    series = FileProvider(path, column="carbon_intensity_lifecycle_g_per_kwh").series(zone)
    scores = {m: backtest(series, make_forecaster(m), warmup_s=28 * 86400) for m in METHODS}
    mean = series.mean()
    for score in scores.values():
        assert score.n == 337 and 0 < score.mae_g_per_kwh < 0.5 * mean
    # the level-adjusted profile is the best of the three on these zones
    assert scores["profile"].mae_g_per_kwh < scores["seasonal-naive"].mae_g_per_kwh
    assert scores["seasonal-naive"].mae_g_per_kwh < scores["seasonal-naive-weekly"].mae_g_per_kwh
