"""wattprint.integrations.optuna with real Optuna studies tuning a scikit-learn model."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

import optuna
import pytest
from sklearn.datasets import load_digits
from sklearn.tree import DecisionTreeClassifier

from wattprint import Tracker
from wattprint.errors import ConfigError, MissingExtraError
from wattprint.integrations.optuna import (
    BUDGET_STOP_ATTR,
    EnergyBudgetStopper,
    energy_objective,
    pareto_front,
    track_trials,
)
from wattprint.model import DeviceKind, RunStatus
from wattprint.store.ledger import Ledger
from wattprint.testing import FakeClock, FakeSensor

POWER_W = 100.0
J_PER_KWH = 3.6e6


@pytest.fixture(scope="module")
def digits() -> tuple[Any, Any, Any, Any]:
    x, y = load_digits(return_X_y=True)  # bundled with scikit-learn: no download
    return x[:1200], y[:1200], x[1200:], y[1200:]


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


class Lab:
    """A fake clock and 100 W sensor per trial, so each trial's energy is exact.

    The objective trains a real decision tree and then moves the clock on by
    ``seconds_per_depth`` × depth: deeper trees "take longer".
    """

    def __init__(self, digits: tuple[Any, Any, Any, Any], ledger: Ledger | None = None) -> None:
        self.clock = FakeClock()
        self.digits = digits
        self.ledger = ledger
        self.seconds_per_depth = 2.0
        self.depths = (1, 12)

    def tracker(self, **kw: Any) -> Tracker:
        return Tracker(zone="DE", sensors=[FakeSensor([(0, POWER_W)], kind=DeviceKind.CPU)],
                       clock=self.clock, ledger=self.ledger, save=self.ledger is not None, **kw)

    def objective(self, trial: optuna.Trial) -> float:
        score = _train(trial, self.digits, self.depths)
        self.clock.advance(self.seconds_per_depth * trial.params["max_depth"])
        return score

    def expected_kwh(self, trial: optuna.trial.FrozenTrial) -> float:
        return POWER_W * self.seconds_per_depth * trial.params["max_depth"] / J_PER_KWH


def _train(trial: optuna.Trial, digits: tuple[Any, Any, Any, Any],
           depths: tuple[int, int] = (1, 12)) -> float:
    depth = trial.suggest_int("max_depth", *depths)
    x, y, xt, yt = digits
    model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(x, y)
    return float(model.score(xt, yt))


def _study(**kw: Any) -> optuna.Study:
    if "directions" not in kw:
        kw.setdefault("direction", "maximize")
    return optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), **kw)


def test_track_trials_records_each_trials_energy_and_run(digits: Any, ledger: Ledger) -> None:
    lab = Lab(digits, ledger)
    study = _study(study_name="digits-tree")
    study.optimize(track_trials(lab.objective, project="optuna-test", model="tree",
                                tags=("sweep",), tracker_factory=lab.tracker), n_trials=4)
    run_ids = set()
    for trial in study.trials:
        attrs = trial.user_attrs
        assert attrs["energy_kwh"] == pytest.approx(lab.expected_kwh(trial))
        run = ledger.get_run(attrs["wattprint_run_id"])
        run_ids.add(run.id)
        assert attrs["co2e_kg"] == pytest.approx(run.co2e_kg)
        assert run.co2e_kg == pytest.approx(
            run.energy_kwh * run.footprint.intensity.g_per_kwh / 1000)
        assert run.tags == ("sweep", "optuna:study=digits-tree", f"optuna:trial={trial.number}")
        assert (run.project, run.experiment, run.model) == ("optuna-test", "digits-tree", "tree")
        assert run.metrics == {"objective": pytest.approx(trial.value)}
        assert run.status is RunStatus.FINISHED
    assert len(run_ids) == 4
    assert 0.3 < max(t.value for t in study.trials if t.value is not None) <= 1.0


def test_failed_and_pruned_trials_keep_their_energy(digits: Any, ledger: Ledger) -> None:
    lab = Lab(digits, ledger)

    def objective(trial: optuna.Trial) -> float:
        score = lab.objective(trial)
        if trial.number == 1:
            raise ValueError("diverged")
        if trial.number == 2:
            raise optuna.TrialPruned()
        return score

    study = _study()
    study.optimize(track_trials(objective, tracker_factory=lab.tracker), n_trials=3,
                   catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL,
                      optuna.trial.TrialState.PRUNED]
    runs = [ledger.get_run(t.user_attrs["wattprint_run_id"]) for t in study.trials]
    for trial in study.trials:
        assert trial.user_attrs["energy_kwh"] == pytest.approx(lab.expected_kwh(trial))
    assert runs[1].status is RunStatus.FAILED and runs[1].error == "ValueError: diverged"
    assert runs[2].status is RunStatus.FINISHED
    assert "trial 2 pruned by Optuna" in runs[2].warnings


def test_energy_objective_and_its_pareto_front(digits: Any) -> None:
    lab = Lab(digits)
    both = energy_objective(lab.objective, tracker_factory=lab.tracker)
    assert both.directions == ["maximize", "minimize"]
    study = _study(directions=both.directions)
    study.optimize(both, n_trials=8)
    for trial in study.trials:
        assert trial.values[1] == pytest.approx(lab.expected_kwh(trial))
    front = pareto_front(study)
    done = [(t.values[0], t.values[1]) for t in study.trials]

    def dominated(q: float, e: float) -> bool:
        return any(q2 >= q and e2 <= e and (q2, e2) != (q, e) for q2, e2 in done)

    # Identical points (the sampler drew a depth twice) are all on the front.
    expected = sorted([(q, e) for q, e in done if not dominated(q, e)], key=lambda p: (p[1], -p[0]))
    assert [(p.quality, p.energy_kwh) for p in front] == expected
    by_number = {t.number: t for t in study.trials}
    for p in front:
        trial = by_number[p.number]
        assert p.params == trial.params and p.run_id == trial.user_attrs["wattprint_run_id"]
        assert p.co2e_kg == pytest.approx(trial.user_attrs["co2e_kg"])
    # Energy and CO2e are proportional here (one zone), so both fronts are the same trials.
    assert [p.number for p in pareto_front(study, measure="co2e_kg")] == [p.number for p in front]


def _with_trials(direction: str, points: list[tuple[float, float]]) -> optuna.Study:
    study = optuna.create_study(direction=direction)
    for q, e in points:
        study.add_trial(optuna.trial.create_trial(
            value=q, user_attrs={"energy_kwh": e, "co2e_kg": e / 2, "wattprint_run_id": "r"}))
    return study


def test_pareto_front_keeps_ties_and_follows_the_study_direction() -> None:
    pts = [(0.9, 3.0), (0.8, 1.0), (0.8, 1.0), (0.7, 2.0), (0.95, 3.0), (0.8, 2.5)]
    front = pareto_front(_with_trials("maximize", pts))
    assert [(p.quality, p.energy_kwh) for p in front] == [(0.8, 1.0), (0.8, 1.0), (0.95, 3.0)]
    # A loss (minimise): lower is better.
    front = pareto_front(_with_trials("minimize", [(0.5, 1.0), (0.2, 2.0), (0.6, 3.0)]))
    assert [(p.quality, p.energy_kwh) for p in front] == [(0.5, 1.0), (0.2, 2.0)]
    assert pareto_front(optuna.create_study()) == []


def test_pareto_front_of_an_untracked_study_says_what_to_do() -> None:
    study = optuna.create_study(study_name="plain")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ConfigError) as info:
        pareto_front(study)
    assert str(info.value) == (
        "no finished trial of study 'plain' carries energy_kwh: wrap the objective with "
        "track_trials or energy_objective"
    )


@pytest.mark.parametrize(
    ("limit", "per_trial", "unit"),
    [({"max_energy_kwh": 1e-3}, lambda run_kwh, _: run_kwh, "kWh"),
     ({"max_co2e_kg": 3e-4}, lambda _, run_kg: run_kg, "kg CO2e")],
)
def test_budget_stopper_stops_the_study_at_its_limit(
    digits: Any, caplog: pytest.LogCaptureFixture, limit: dict[str, float],
    per_trial: Callable[[float, float], float], unit: str,
) -> None:
    lab = Lab(digits)
    lab.depths = (5, 5)  # 10 s at 100 W: 1000 J, 2.78e-4 kWh per trial
    objective = lab.objective
    stopper = EnergyBudgetStopper(**limit)
    study = _study(study_name="budgeted")
    with caplog.at_level(logging.WARNING, logger="wattprint.integrations.optuna"):
        study.optimize(track_trials(objective, tracker_factory=lab.tracker), n_trials=50,
                       callbacks=[stopper])
    each = per_trial(study.trials[0].user_attrs["energy_kwh"],
                     study.trials[0].user_attrs["co2e_kg"])
    budget = next(iter(limit.values()))
    expected_trials = next(n for n in range(1, 50) if n * each >= budget * (1 - 1e-12))
    assert len(study.trials) == expected_trials
    used = EnergyBudgetStopper.used(study)["energy_kwh" if unit == "kWh" else "co2e_kg"]
    message = (f"study 'budgeted' stopped after trial {expected_trials - 1}: its trials used "
               f"{used:.6g} {unit}, budget {budget:g} {unit}")
    assert study.user_attrs[BUDGET_STOP_ATTR] == message
    assert [r.getMessage() for r in caplog.records if r.name.startswith("wattprint")] == [message]


def test_budget_stopper_warns_once_about_untracked_trials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    study = optuna.create_study(study_name="plain")
    with caplog.at_level(logging.WARNING, logger="wattprint.integrations.optuna"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3,
                       callbacks=[EnergyBudgetStopper(max_energy_kwh=1.0)])
    assert len(study.trials) == 3
    assert [r.getMessage() for r in caplog.records if r.name.startswith("wattprint")] == [
        "trial 0 of study 'plain' carries no energy: wrap the objective with track_trials so "
        "EnergyBudgetStopper can count it"
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({}, "EnergyBudgetStopper needs max_energy_kwh or max_co2e_kg"),
     ({"max_energy_kwh": 0}, "max_energy_kwh must be a positive number (kWh), got 0"),
     ({"max_energy_kwh": -1.5}, "max_energy_kwh must be a positive number (kWh), got -1.5"),
     ({"max_co2e_kg": float("nan")}, "max_co2e_kg must be a positive number (kg CO2e), got nan"),
     ({"max_co2e_kg": True}, "max_co2e_kg must be a positive number (kg CO2e), got True"),
     ({"max_co2e_kg": "2"}, "max_co2e_kg must be a positive number (kg CO2e), got '2'")],
)
def test_bad_budgets_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        EnergyBudgetStopper(**kwargs)
    assert str(info.value) == message


def test_bad_objective_arguments_are_refused(digits: Any) -> None:
    with pytest.raises(ConfigError, match="direction must be 'maximize' or 'minimize', got 'up'"):
        energy_objective(Lab(digits).objective, direction="up")
    with pytest.raises(ConfigError, match="measure must be 'energy_kwh' or 'co2e_kg', got 'w'"):
        energy_objective(Lab(digits).objective, measure="w")
    with pytest.raises(ConfigError, match="track_trials needs a callable objective, got int"):
        track_trials(3)  # type: ignore[arg-type]
    lab = Lab(digits)
    pair = energy_objective(lambda t: (lab.objective(t), 1.0), tracker_factory=lab.tracker)
    study = _study(directions=pair.directions)
    with pytest.raises(ConfigError, match=r"must return one number \(its quality\), got tuple"):
        study.optimize(pair, n_trials=1)


def test_real_sensors_measure_each_trial(digits: Any) -> None:
    study = _study()
    # The default tracker: the sensors this machine has, on the system clock.
    study.optimize(track_trials(lambda t: _train(t, digits), zone="DE", save=False), n_trials=2)
    energies = [t.user_attrs["energy_kwh"] for t in study.trials]
    assert all(e > 0 for e in energies)  # at least the RAM model's share of the elapsed time
    assert len({t.user_attrs["wattprint_run_id"] for t in study.trials}) == 2


def test_missing_optuna_names_the_pip_line(monkeypatch: pytest.MonkeyPatch) -> None:
    study = optuna.create_study()
    # A module set to None in sys.modules makes its import raise ImportError.
    monkeypatch.setitem(sys.modules, "optuna", None)
    calls: list[Callable[[], object]] = [
        lambda: track_trials(lambda t: 0.0),
        lambda: energy_objective(lambda t: 0.0),
        lambda: pareto_front(study),
        lambda: EnergyBudgetStopper(max_energy_kwh=1.0),
    ]
    for call in calls:
        with pytest.raises(MissingExtraError) as info:
            call()
        assert str(info.value) == "optuna is not installed; run: pip install 'wattprint[optuna]'"
