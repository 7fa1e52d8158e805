"""The Transformers callback on a real Trainer: a tiny BERT, random init, CPU, real ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from wattprint import Tracker
from wattprint.errors import ConfigError
from wattprint.model import DeviceKind, Method, RunStatus
from wattprint.store.ledger import Ledger

_EXTRA = "needs the transformers extra: pip install 'wattprint[transformers]'"
torch = pytest.importorskip("torch", reason=_EXTRA)
transformers = pytest.importorskip("transformers", reason=_EXTRA)
pytest.importorskip("accelerate", reason=_EXTRA)

from wattprint.integrations.transformers import (  # noqa: E402
    WattprintCallback,
    eval_metrics,
    model_name,
)

SEQ = 8


class Tokens(torch.utils.data.Dataset):  # type: ignore[misc]
    """Random token ids; the label is the parity of the first token (learnable)."""

    def __init__(self, n: int, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 64, (n, SEQ), generator=gen)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(SEQ, dtype=torch.long),
                "labels": self.ids[i, 0] % 2}


def accuracy(pred: Any) -> dict[str, float]:
    return {"accuracy": float((pred.predictions.argmax(-1) == pred.label_ids).mean())}


def trainer(tmp_path: Path, callbacks: list[Any], **args: Any) -> Any:
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=SEQ, num_labels=2,
    )
    options = {"max_steps": 6, "eval_strategy": "steps", "eval_steps": 3, "logging_steps": 2,
               **args}
    training_args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8,
        per_device_eval_batch_size=16, save_strategy="no", report_to="none", use_cpu=True,
        disable_tqdm=True, **options,
    )
    return transformers.Trainer(
        model=transformers.BertForSequenceClassification(config), args=training_args,
        train_dataset=Tokens(64, seed=0), eval_dataset=Tokens(32, seed=1),
        compute_metrics=accuracy, callbacks=callbacks,
    )


class Recorder(transformers.TrainerCallback):  # type: ignore[misc]
    """Stands for a reporting integration: it keeps the logs it is given."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        self.logs.append(dict(logs))


class Boom(transformers.TrainerCallback):  # type: ignore[misc]
    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if state.global_step == 2:
            raise RuntimeError("boom at step 2")


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    led = Ledger(ledger_url)
    led.open()
    yield led
    led.close()


@pytest.mark.slow
def test_fit_is_one_run_with_phases_energy_in_logs_and_eval_metrics(
    tmp_path: Path, ledger: Ledger
) -> None:
    cb = WattprintCallback(project="sentiment", zone="DE", ledger=ledger, tags=["tiny"])
    recorder = Recorder()
    hf = trainer(tmp_path, callbacks=[recorder])
    cb.attach(hf)  # ahead of the recorder, as of a report_to integration
    with cb:
        out = hf.train()

    run = ledger.get_run(cb.run.id)
    assert run.status is RunStatus.FINISHED and cb.tracker is None
    assert run.project == "sentiment" and run.model == "BertForSequenceClassification"
    assert set(run.tags) == {"tiny", "integration:transformers"}
    # eval at steps 3 and 6; train reopens after the first, not after the last
    assert [p.name for p in run.phases] == ["train", "evaluation", "train", "evaluation"]
    assert all(p.energy_j > 0 for p in run.phases)
    cpu = [d for d in run.devices if d.device.kind is DeviceKind.CPU]
    assert cpu and cpu[0].energy_j > 0 and cpu[0].device.method in (Method.MODELLED, Method.COUNTER)
    assert run.energy_kwh > 0 and run.co2e_kg > 0

    history = hf.state.log_history
    assert len(history) == 6  # loss at 2, 4, 6; eval at 3, 6; the train summary
    assert all(h["energy_kwh"] > 0 and h["power_w"] >= 0 and "co2e_kg" in h for h in history)
    energies = [h["energy_kwh"] for h in history]
    assert energies == sorted(energies) and energies[-1] <= run.energy_kwh
    assert all("energy_kwh" in logs for logs in recorder.logs)
    assert out.metrics["energy_kwh"] == history[-1]["energy_kwh"]

    last_eval = [h for h in history if "eval_accuracy" in h][-1]
    assert run.metrics == {"eval_loss": pytest.approx(last_eval["eval_loss"]),
                           "eval_accuracy": pytest.approx(last_eval["eval_accuracy"])}


def test_a_training_that_raises_is_recorded_failed(tmp_path: Path, ledger: Ledger) -> None:
    cb = WattprintCallback(project="p", zone="DE", ledger=ledger)
    hf = trainer(tmp_path, callbacks=[cb, Boom()], eval_strategy="no")
    with pytest.raises(RuntimeError, match="boom"), cb:
        hf.train()
    run = ledger.get_run(cb.run.id)
    assert run.status is RunStatus.FAILED and run.error == "RuntimeError: boom at step 2"
    assert [p.name for p in run.phases] == ["train"] and run.energy_kwh > 0
    assert cb.tracker is None


@pytest.mark.slow
def test_a_run_left_open_is_failed_when_the_next_train_begins(
    tmp_path: Path, ledger: Ledger
) -> None:
    cb = WattprintCallback(project="p", zone="DE", ledger=ledger)
    with pytest.raises(RuntimeError, match="boom"):
        trainer(tmp_path, callbacks=[cb, Boom()], eval_strategy="no").train()
    assert cb.tracker is not None  # no hook told the callback
    trainer(tmp_path, callbacks=[cb], max_steps=2, eval_strategy="no").train()
    first, second = (ledger.get_run(r.id) for r in cb.runs)
    assert first.status is RunStatus.FAILED and "did not reach on_train_end" in first.error
    assert second.status is RunStatus.FINISHED and cb.tracker is None


def test_borrowed_tracker_keeps_data_loading_and_a_final_evaluate(
    tmp_path: Path, ledger: Ledger
) -> None:
    with Tracker(project="p", zone="DE", ledger=ledger, model="tiny-bert") as t:
        with t.phase("data_loading"):
            hf = trainer(tmp_path, callbacks=[], max_steps=2, eval_strategy="no")
        cb = WattprintCallback(tracker=t)
        hf.add_callback(cb)
        hf.train()
        assert t.run is None  # the owner stops it
        hf.evaluate()
    run = ledger.get_run(t.id)
    assert [p.name for p in run.phases] == ["data_loading", "train", "evaluation"]
    assert set(run.metrics) == {"eval_loss", "eval_accuracy"}
    assert run.model == "tiny-bert" and cb.runs == []
    with pytest.raises(ConfigError, match="not both"):
        WattprintCallback(project="p", tracker=t)


def test_model_name_and_eval_metrics() -> None:
    named = SimpleNamespace(config=SimpleNamespace(_name_or_path="prajjwal1/bert-tiny"))
    assert model_name(named) == "prajjwal1/bert-tiny"
    assert model_name(SimpleNamespace(config=SimpleNamespace(_name_or_path=""))) == (
        "SimpleNamespace"
    )
    metrics = {"eval_loss": 0.5, "eval_f1": 0.8, "eval_runtime": 1.0, "epoch": 2.0,
               "eval_samples_per_second": 9.0, "eval_steps_per_second": 1.0}
    assert eval_metrics(metrics) == {"eval_loss": 0.5, "eval_f1": 0.8}
