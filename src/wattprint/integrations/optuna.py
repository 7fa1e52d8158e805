"""Energy per Optuna trial, energy-aware studies and energy budgets.

Example::

    import optuna
    from wattprint.integrations.optuna import (
        EnergyBudgetStopper, energy_objective, pareto_front, track_trials)

    # 1. measure each trial: user attributes energy_kwh, co2e_kg, wattprint_run_id
    study = optuna.create_study(direction="maximize")
    study.optimize(track_trials(objective, project="digits"), n_trials=20,
                   callbacks=[EnergyBudgetStopper(max_energy_kwh=0.5)])

    # 2. trade quality against energy: a two-objective study and its Pareto front
    both = energy_objective(objective, project="digits")   # -> (quality, energy_kwh)
    study = optuna.create_study(directions=both.directions)
    study.optimize(both, n_trials=20)
    for point in pareto_front(study):
        print(point.number, point.quality, point.energy_kwh)

Each trial runs under its own :class:`~wattprint.Tracker` (recorded in the
ledger like any run) tagged ``optuna:study=<name>`` and ``optuna:trial=<n>``,
with the study name as its experiment; a single-number objective value is
kept as the run's ``objective`` metric. A trial that fails still has its
energy recorded (and counts towards a budget); a pruned one is recorded as
finished with a warning saying so. Optuna is imported here only; without it
every function raises :class:`~wattprint.errors.MissingExtraError`.
"""

from __future__ import annotations

import logging
import math
import numbers
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from wattprint.errors import ConfigError, MissingExtraError
from wattprint.model import Run, RunStatus

if TYPE_CHECKING:
    from optuna import Study, Trial
    from optuna.trial import FrozenTrial

    from wattprint.measure.tracker import Tracker

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Trial user attributes written by :func:`track_trials`.
ENERGY_ATTR, CO2E_ATTR, RUN_ID_ATTR = "energy_kwh", "co2e_kg", "wattprint_run_id"
#: Study user attribute that says why :class:`EnergyBudgetStopper` stopped the study.
BUDGET_STOP_ATTR = "wattprint_budget_stop"
_MEASURES = {"energy_kwh": ENERGY_ATTR, "co2e_kg": CO2E_ATTR}


def track_trials(
    objective: Callable[[Trial], Any],
    *,
    project: str | None = None,
    tracker_factory: Callable[..., Tracker] | None = None,
    **tracker_kwargs: Any,
) -> Callable[[Trial], Any]:
    """Wrap ``objective`` so that every trial runs under a wattprint tracker.

    After each trial (finished, pruned or failed) the trial has the user
    attributes ``energy_kwh``, ``co2e_kg`` and ``wattprint_run_id``.

    Args:
        objective: The study's objective, ``trial -> value(s)``.
        project: wattprint project of the trials' runs (default: settings).
        tracker_factory: Builds each trial's tracker from keyword arguments
            (default :class:`~wattprint.Tracker`; tests pass one with fakes).
        **tracker_kwargs: More :class:`~wattprint.Tracker` arguments (``zone``,
            ``model``, ``tags``, ``experiment``, ...), the same for every trial.

    Returns:
        The objective to pass to ``study.optimize``.

    Raises:
        MissingExtraError: Optuna is not installed.
    """
    optuna = _optuna()
    if not callable(objective):
        raise ConfigError(
            f"track_trials needs a callable objective, got {type(objective).__name__}"
        )
    factory = tracker_factory or _default_tracker
    extra_tags = tuple(tracker_kwargs.pop("tags", ()))

    def tracked(trial: Trial) -> Any:
        # A FixedTrial (re-running chosen params outside a study) has no study.
        study = getattr(getattr(trial, "study", None), "study_name", None)
        kwargs = {"experiment": study or "", **tracker_kwargs}
        tags = (*extra_tags, *([f"optuna:study={study}"] if study else []),
                f"optuna:trial={trial.number}")
        tracker = factory(project=project, tags=tags, **kwargs).start()
        try:
            value = objective(trial)
        except optuna.TrialPruned:
            tracker.add_warning(f"trial {trial.number} pruned by Optuna")
            _finish(trial, tracker, RunStatus.FINISHED)
            raise
        except KeyboardInterrupt:
            _finish(trial, tracker, RunStatus.INTERRUPTED, "KeyboardInterrupt")
            raise
        except BaseException as e:
            _finish(trial, tracker, RunStatus.FAILED, f"{type(e).__name__}: {e}")
            raise
        for name, number in _objective_metrics(value).items():
            tracker.log_metric(name, number)
        _finish(trial, tracker, RunStatus.FINISHED)
        return value

    return tracked


def _default_tracker(**kwargs: Any) -> Tracker:
    from wattprint.measure.tracker import Tracker

    return Tracker(**kwargs)


def _finish(trial: Trial, tracker: Tracker, status: RunStatus, error: str = "") -> Run:
    run = tracker.stop(status, error)
    trial.set_user_attr(ENERGY_ATTR, run.energy_kwh)
    trial.set_user_attr(CO2E_ATTR, run.co2e_kg)
    trial.set_user_attr(RUN_ID_ATTR, run.id)
    return run


def _objective_metrics(value: Any) -> dict[str, float]:
    """The objective value(s) as run metrics, when they are finite numbers."""
    if _is_number(value):
        return {"objective": float(value)} if math.isfinite(value) else {}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return {f"objective_{i}": float(v) for i, v in enumerate(value)
                if _is_number(v) and math.isfinite(v)}
    return {}


class EnergyObjective:
    """A two-objective version of a quality objective: ``trial -> (quality, energy)``.

    Made by :func:`energy_objective`; ``directions`` is what
    ``optuna.create_study(directions=...)`` needs.
    """

    def __init__(
        self, tracked: Callable[[Trial], Any], quality_direction: str, measure: str
    ) -> None:
        self._tracked = tracked
        self.measure = measure
        self.directions = [quality_direction, "minimize"]

    def __call__(self, trial: Trial) -> tuple[float, float]:
        """Run the trial under a tracker; return its quality and its energy (or CO2e)."""
        quality = self._tracked(trial)
        if not _is_number(quality):
            raise ConfigError(
                "the objective given to energy_objective must return one number (its "
                f"quality), got {type(quality).__name__}"
            )
        return float(quality), float(trial.user_attrs[_MEASURES[self.measure]])


def energy_objective(
    objective: Callable[[Trial], float],
    *,
    direction: str = "maximize",
    measure: str = "energy_kwh",
    project: str | None = None,
    tracker_factory: Callable[..., Tracker] | None = None,
    **tracker_kwargs: Any,
) -> EnergyObjective:
    """Turn a quality objective into (quality, energy) for a multi-objective study.

    Args:
        objective: ``trial -> quality`` (one number).
        direction: Whether quality is maximised (default) or minimised (a loss).
        measure: What to minimise besides: ``"energy_kwh"`` or ``"co2e_kg"``.
        project: wattprint project of the trials' runs.
        tracker_factory: As in :func:`track_trials`.
        **tracker_kwargs: As in :func:`track_trials`.

    Returns:
        The objective; create the study with ``directions=objective.directions``.

    Raises:
        MissingExtraError: Optuna is not installed.
        ConfigError: A ``direction`` or ``measure`` wattprint does not know.
    """
    if direction not in ("maximize", "minimize"):
        raise ConfigError(f"direction must be 'maximize' or 'minimize', got {direction!r}")
    if measure not in _MEASURES:
        raise ConfigError(f"measure must be 'energy_kwh' or 'co2e_kg', got {measure!r}")
    tracked = track_trials(objective, project=project, tracker_factory=tracker_factory,
                           **tracker_kwargs)
    return EnergyObjective(tracked, direction, measure)


@dataclass(frozen=True)
class ParetoPoint:
    """A trial no other trial beats on both quality and energy.

    Attributes:
        number: The trial's number in the study.
        quality: Its first objective value.
        energy_kwh: Facility energy of the trial.
        co2e_kg: Its emissions.
        run_id: The wattprint run that measured it.
        params: The trial's parameters.
    """

    number: int
    quality: float
    energy_kwh: float
    co2e_kg: float
    run_id: str
    params: Mapping[str, Any]


def pareto_front(study: Study, *, measure: str = "energy_kwh") -> list[ParetoPoint]:
    """The completed trials not dominated in (quality, energy), cheapest first.

    Quality is each trial's first objective value, better in the direction of
    the study's first objective; energy (``measure``: ``"energy_kwh"`` or
    ``"co2e_kg"``) comes from the user attributes :func:`track_trials`
    writes, so a single-objective tracked study has a front too. A trial is
    dominated when another is at least as good on both and better on one;
    identical points are all kept.

    Raises:
        MissingExtraError: Optuna is not installed.
        ConfigError: Completed trials exist but none carries the energy, or
            ``measure`` is unknown.
    """
    optuna = _optuna()
    if measure not in _MEASURES:
        raise ConfigError(f"measure must be 'energy_kwh' or 'co2e_kg', got {measure!r}")
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    points = [p for p in (_point(t) for t in done) if p is not None]
    if done and not points:
        raise ConfigError(
            f"no finished trial of study {study.study_name!r} carries {ENERGY_ATTR}: wrap the "
            "objective with track_trials or energy_objective"
        )
    sign = 1.0 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1.0
    energy = operator.attrgetter(measure)  # ParetoPoint's fields carry the measures' names
    front: list[ParetoPoint] = []
    best = -math.inf
    # Cheapest first, best quality first among equals: a point is on the front
    # exactly when its quality beats every cheaper point's (or repeats the last kept).
    for p in sorted(points, key=lambda p: (energy(p), -sign * p.quality)):
        q = sign * p.quality
        if q > best or (front and q == best and energy(p) == energy(front[-1])):
            front.append(p)
            best = q
    return front


def _point(trial: FrozenTrial) -> ParetoPoint | None:
    attrs = trial.user_attrs
    values = trial.values
    if not values or not all(_is_number(attrs.get(a)) for a in (ENERGY_ATTR, CO2E_ATTR)):
        return None
    return ParetoPoint(trial.number, float(values[0]), float(attrs[ENERGY_ATTR]),
                       float(attrs[CO2E_ATTR]), str(attrs.get(RUN_ID_ATTR, "")),
                       dict(trial.params))


class EnergyBudgetStopper:
    """An Optuna callback that stops the study once its trials used up a budget.

    After each trial it adds up the energy and CO2e that :func:`track_trials`
    recorded on all of the study's trials (finished, pruned and failed; in
    shared storage, every worker's) and, at or past a limit, calls
    ``study.stop()``, logs a warning and sets the study user attribute
    ``wattprint_budget_stop`` to the same message. Running trials finish first.

    Args:
        max_energy_kwh: Facility energy budget of the study (kWh).
        max_co2e_kg: Emissions budget of the study (kg CO2e).

    Raises:
        MissingExtraError: Optuna is not installed.
        ConfigError: No limit, or a limit that is not a positive number.

    Example::

        study.optimize(track_trials(objective), n_trials=100,
                       callbacks=[EnergyBudgetStopper(max_co2e_kg=0.2)])
    """

    def __init__(
        self, max_energy_kwh: float | None = None, max_co2e_kg: float | None = None
    ) -> None:
        _optuna()
        if max_energy_kwh is None and max_co2e_kg is None:
            raise ConfigError("EnergyBudgetStopper needs max_energy_kwh or max_co2e_kg")
        self.limits: dict[str, tuple[float, str]] = {}
        for attr, limit, unit in ((ENERGY_ATTR, max_energy_kwh, "kWh"),
                                  (CO2E_ATTR, max_co2e_kg, "kg CO2e")):
            if limit is None:
                continue
            name = f"max_{attr}"
            if not _is_number(limit) or not math.isfinite(limit) or limit <= 0:
                raise ConfigError(f"{name} must be a positive number ({unit}), got {limit!r}")
            self.limits[attr] = (float(limit), unit)
        self._warned_untracked = False

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Add up the study's energy after ``trial``; stop the study at a limit."""
        used = self.used(study)
        if ENERGY_ATTR not in trial.user_attrs and not self._warned_untracked:
            self._warned_untracked = True
            logger.warning(
                "trial %d of study %r carries no energy: wrap the objective with "
                "track_trials so EnergyBudgetStopper can count it", trial.number,
                study.study_name,
            )
        for attr, (limit, unit) in self.limits.items():
            if used[attr] >= limit:
                message = (
                    f"study {study.study_name!r} stopped after trial {trial.number}: its "
                    f"trials used {used[attr]:.6g} {unit}, budget {limit:g} {unit}"
                )
                logger.warning("%s", message)
                study.set_user_attr(BUDGET_STOP_ATTR, message)
                study.stop()
                return

    @staticmethod
    def used(study: Study) -> dict[str, float]:
        """Energy (kWh) and CO2e (kg) recorded on the study's trials so far."""
        totals = {ENERGY_ATTR: 0.0, CO2E_ATTR: 0.0}
        for t in study.get_trials(deepcopy=False):
            for attr in totals:
                value = t.user_attrs.get(attr)
                if _is_number(value) and math.isfinite(value):
                    totals[attr] += float(value)
        return totals


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _optuna() -> Any:
    try:
        import optuna
    except ImportError as e:
        raise MissingExtraError("optuna", "optuna") from e
    return optuna
