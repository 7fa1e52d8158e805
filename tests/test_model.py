from __future__ import annotations

import dataclasses
import enum
import pickle
from datetime import datetime, timezone

import wattprint.model as model
from wattprint import model_accounting, model_energy, model_run

HOMES = (model_energy, model_run, model_accounting)


def test_model_re_exports_every_value_once() -> None:
    defined = {
        name
        for home in HOMES
        for name, value in vars(home).items()
        if isinstance(value, type) and value.__module__ == home.__name__
    }
    assert sorted(model.__all__) == sorted(defined)
    for name in model.__all__:
        value = getattr(model, name)
        assert dataclasses.is_dataclass(value) or issubclass(value, enum.Enum)


def test_values_pickle_round_trip() -> None:
    when = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    footprint = model.Footprint(
        {"cpu": 1.0}, 1.2, "default", model.Intensity("DE", 380.0, "test", 2024)
    )
    run = model.Run(
        id="r1", project="p", status=model.RunStatus.FINISHED, started_utc=when,
        ended_utc=when, duration_s=1.0, host="h", footprint=footprint,
        zone_choice=model.ZoneChoice("DE", "argument"),
        phases=(model.Phase("train", when, when, 1.0, {"cpu:0": 3.6e6}),),
    )
    budget = model.Budget("p", "*", 1.0, when, when)
    for value in (run, budget, model.RunStatus.FAILED):
        assert pickle.loads(pickle.dumps(value)) == value
