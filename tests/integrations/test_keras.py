"""The Keras callback on a real model.fit: an MLP on scikit-learn's digits, torch backend, CPU."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from wattprint import Tracker
from wattprint.model import DeviceKind, RunStatus
from wattprint.store.ledger import Ledger

_EXTRA = "needs the keras extra: pip install 'wattprint[keras]'"
pytest.importorskip("torch", reason=_EXTRA)
# Keras reads its backend once, at import; torch is the one the extra installs.
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason=_EXTRA)
datasets = pytest.importorskip("sklearn.datasets", reason="needs scikit-learn (dev extra)")

from wattprint.integrations.keras import WattprintCallback  # noqa: E402


@pytest.fixture(scope="module")
def digits() -> tuple[Any, Any]:
    x, y = datasets.load_digits(return_X_y=True)
    return (x / 16).astype("float32"), y


def mlp() -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")], name="digits_mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class Boom(keras.callbacks.Callback):  # type: ignore[misc]
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if batch == 2:
            raise RuntimeError("boom at batch 2")


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


def test_fit_is_one_run_with_phases_energy_in_history_and_metrics(
    ledger: Ledger, digits: tuple[Any, Any]
) -> None:
    x, y = digits
    cb = WattprintCallback(project="digits", zone="DE", ledger=ledger)
    with cb:
        history = mlp().fit(x[:1200], y[:1200], validation_data=(x[1200:], y[1200:]), epochs=2,
                            batch_size=64, verbose=0, callbacks=[cb])
    run = ledger.get_run(cb.run.id)
    assert run.status is RunStatus.FINISHED and run.model == "digits_mlp"
    assert "integration:keras" in run.tags
    assert [p.name for p in run.phases] == ["train", "evaluation", "train", "evaluation"]
    assert all(p.energy_j > 0 for p in run.phases)
    cpu = [d for d in run.devices if d.device.kind is DeviceKind.CPU]
    assert cpu and cpu[0].energy_j > 0 and run.energy_kwh > 0
    energy = history.history["energy_kwh"]
    assert len(energy) == 2 and 0 < energy[0] < energy[1] <= run.energy_kwh
    assert len(history.history["power_w"]) == len(history.history["co2e_kg"]) == 2
    assert set(run.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert run.metrics["val_accuracy"] == pytest.approx(float(history.history["val_accuracy"][-1]))


def test_a_fit_that_raises_is_recorded_failed(ledger: Ledger, digits: tuple[Any, Any]) -> None:
    x, y = digits
    cb = WattprintCallback(project="digits", zone="DE", ledger=ledger)
    with pytest.raises(RuntimeError, match="boom"), cb:
        mlp().fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[cb, Boom()])
    run = ledger.get_run(cb.run.id)
    assert run.status is RunStatus.FAILED and run.error == "RuntimeError: boom at batch 2"
    assert [p.name for p in run.phases] == ["train"] and cb.tracker is None


# Keras' predict() on torch hands tensors to NumPy 2's __array__ protocol the old way.
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
def test_borrowed_tracker_gets_evaluate_metrics(ledger: Ledger, digits: tuple[Any, Any]) -> None:
    x, y = digits
    with Tracker(project="digits", zone="DE", ledger=ledger, model="mlp") as t:
        cb = WattprintCallback(tracker=t)
        model = mlp()
        model.fit(x, y, epochs=1, batch_size=128, verbose=0, callbacks=[cb])
        model.evaluate(x, y, verbose=0, callbacks=[cb])
        model.predict(x[:10], verbose=0, callbacks=[cb])
    run = ledger.get_run(t.id)
    assert [p.name for p in run.phases] == ["train", "evaluation", "predict"]
    # fit's epoch metrics, then evaluate()'s replace loss and accuracy
    assert set(run.metrics) == {"loss", "accuracy"} and cb.runs == []
