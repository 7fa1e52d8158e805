"""The Lightning callback on a real Trainer: an MLP on scikit-learn's digits, CPU, real ledger."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wattprint import Tracker
from wattprint.model import DeviceKind, Method, RunStatus
from wattprint.store.ledger import Ledger

_EXTRA = "needs the lightning extra: pip install 'wattprint[lightning]'"
torch = pytest.importorskip("torch", reason=_EXTRA)
L = pytest.importorskip("lightning", reason=_EXTRA)
datasets = pytest.importorskip("sklearn.datasets", reason="needs scikit-learn (dev extra)")

from lightning.pytorch.loggers import CSVLogger  # noqa: E402

from wattprint.integrations.lightning import WattprintCallback  # noqa: E402

pytestmark = [
    # Lightning 2.6 checks for torch's LeafSpec, which torch 2.13 deprecates; not ours to fix.
    pytest.mark.filterwarnings(
        r"ignore:`isinstance\(treespec, LeafSpec\)` is deprecated:FutureWarning"
    ),
]


class Digits(L.LightningModule):  # type: ignore[misc]
    def __init__(self, fail_at_step: int | None = None) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                       torch.nn.Linear(32, 10))
        self.fail_at_step = fail_at_step

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        if self.global_step == self.fail_at_step:
            raise RuntimeError(f"boom at step {self.global_step}")
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def _accuracy(self, batch: Any) -> Any:
        x, y = batch
        return (self.net(x).argmax(-1) == y).float().mean()

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.log("val_acc", self._accuracy(batch))

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self.log("test_acc", self._accuracy(batch))

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


@pytest.fixture(scope="module")
def loaders() -> tuple[Any, Any]:
    x, y = datasets.load_digits(return_X_y=True)
    data = torch.utils.data.TensorDataset(torch.tensor(x / 16, dtype=torch.float32),
                                          torch.tensor(y))
    train = torch.utils.data.Subset(data, range(1200))
    held_out = torch.utils.data.Subset(data, range(1200, 1797))
    return (torch.utils.data.DataLoader(train, batch_size=64),
            torch.utils.data.DataLoader(held_out, batch_size=256))


def trainer(tmp_path: Path, cb: Any, **kw: Any) -> Any:
    torch.manual_seed(0)
    options = {"max_epochs": 2, "limit_train_batches": 6, "limit_val_batches": 2,
               "log_every_n_steps": 3, **kw}
    return L.Trainer(
        accelerator="cpu", devices=1, logger=CSVLogger(tmp_path / "logs"),
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        callbacks=[cb], **options,
    )


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


@pytest.mark.slow
def test_fit_and_test_are_runs_with_phases_logged_energy_and_metrics(
    tmp_path: Path, ledger: Ledger, loaders: tuple[Any, Any]
) -> None:
    train, held_out = loaders
    cb = WattprintCallback(project="digits", zone="DE", ledger=ledger)
    pl = trainer(tmp_path, cb)
    model = Digits()
    pl.fit(model, train, held_out)
    assert float(pl.callback_metrics["energy_kwh"]) > 0
    results = pl.test(model, held_out, verbose=False)
    assert results[0]["energy_kwh"] > 0 and "test_acc" in results[0]

    fit, test = (ledger.get_run(r.id) for r in cb.runs)
    assert fit.status is RunStatus.FINISHED and test.status is RunStatus.FINISHED
    assert fit.model == "Digits" and "integration:lightning" in fit.tags
    # the sanity check, then each epoch's training split around its validation
    assert [p.name for p in fit.phases] == ["evaluation", "train", "evaluation", "train",
                                            "evaluation"]
    assert all(p.energy_j > 0 for p in fit.phases)
    cpu = [d for d in fit.devices if d.device.kind is DeviceKind.CPU]
    assert cpu and cpu[0].energy_j > 0 and cpu[0].device.method in (Method.MODELLED, Method.COUNTER)
    assert set(fit.metrics) == {"train_loss", "val_acc"}
    assert [p.name for p in test.phases] == ["test"] and set(test.metrics) == {"test_acc"}
    assert test.metrics["test_acc"] == pytest.approx(results[0]["test_acc"])

    with open(Path(pl.logger.log_dir) / "metrics.csv", newline="") as f:
        logged = list(csv.DictReader(f))
    last_val = [r["val_acc"] for r in logged if r["val_acc"]][-1]
    assert fit.metrics["val_acc"] == pytest.approx(float(last_val))
    rows = [r for r in logged if r["energy_kwh"]]
    # steps 3, 6, 9, 12 straight to the logger (0-based 2, 5, 8, 11), both epochs' ends, the test
    assert [int(r["step"]) for r in rows if not r["epoch"]] == [2, 5, 8, 11]
    assert len(rows) == 7 and all(float(r["energy_kwh"]) > 0 for r in rows)


def test_an_exception_records_the_fit_failed(
    tmp_path: Path, ledger: Ledger, loaders: tuple[Any, Any]
) -> None:
    train, held_out = loaders
    cb = WattprintCallback(project="digits", zone="DE", ledger=ledger)
    with pytest.raises(RuntimeError, match="boom"):
        trainer(tmp_path, cb, num_sanity_val_steps=0).fit(Digits(fail_at_step=2), train, held_out)
    (run,) = (ledger.get_run(r.id) for r in cb.runs)
    assert run.status is RunStatus.FAILED and run.error == "RuntimeError: boom at step 2"
    assert [p.name for p in run.phases] == ["train"] and run.energy_kwh > 0
    assert set(run.metrics) == {"train_loss"} and cb.tracker is None


def test_borrowed_tracker_spans_data_loading_fit_and_test(
    tmp_path: Path, ledger: Ledger
) -> None:
    with Tracker(project="digits", zone="DE", ledger=ledger, model="mlp") as t:
        with t.phase("data_loading"):
            x, y = datasets.load_digits(return_X_y=True)
            data = torch.utils.data.TensorDataset(torch.tensor(x / 16, dtype=torch.float32),
                                                  torch.tensor(y))
            loader = torch.utils.data.DataLoader(data, batch_size=128)
        cb = WattprintCallback(tracker=t)
        pl = trainer(tmp_path, cb, max_epochs=1, num_sanity_val_steps=0, limit_val_batches=1)
        model = Digits()
        pl.fit(model, loader, loader)
        pl.test(model, loader, verbose=False)
    run = ledger.get_run(t.id)
    assert [p.name for p in run.phases] == ["data_loading", "train", "evaluation", "test"]
    assert set(run.metrics) == {"train_loss", "val_acc", "test_acc"} and cb.runs == []


def test_the_pytorch_lightning_package_gets_the_same_callback(
    tmp_path: Path, ledger: Ledger, loaders: tuple[Any, Any]
) -> None:
    pl_pkg = pytest.importorskip("pytorch_lightning", reason=_EXTRA)
    from wattprint.integrations.pytorch_lightning import WattprintCallback as PlCallback

    class Small(pl_pkg.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(64, 10)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_acc", (self.net(x).argmax(-1) == y).float().mean())

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    train, held_out = loaders
    cb = PlCallback(project="digits", zone="DE", ledger=ledger)
    pl_pkg.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, accelerator="cpu",
                   devices=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, callbacks=[cb]).fit(Small(), train, held_out)
    run = ledger.get_run(cb.run.id)
    assert run.status is RunStatus.FINISHED and "integration:pytorch_lightning" in run.tags
    assert [p.name for p in run.phases] == ["evaluation", "train", "evaluation"]
    assert set(run.metrics) == {"val_acc"} and run.model == "Small"
