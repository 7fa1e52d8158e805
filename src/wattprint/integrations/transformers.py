"""Hugging Face Transformers: track a ``Trainer`` fit with phases and energy in its logs.

::

    from transformers import Trainer
    from wattprint.integrations.transformers import WattprintCallback

    cb = WattprintCallback(project="sentiment", zone="DE")
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=test,
                      callbacks=[cb])
    with cb:                    # records the run as failed if train() raises
        trainer.train()
    print(cb.run.energy_kwh, cb.run.metrics["eval_accuracy"])

What the callback does, hook by hook:

* ``on_train_begin`` starts a :class:`~wattprint.measure.tracker.Tracker`
  (model name by default from ``model.config._name_or_path``, else the
  model's class) and opens phase ``train`` (``evaluation`` first with
  ``eval_on_start``).
* Evaluation during training is phase ``evaluation``: it opens at the
  ``on_step_end``/``on_epoch_end`` that decides to evaluate
  (``control.should_evaluate``, set by ``DefaultFlowCallback``) and closes at
  ``on_evaluate``; an evaluation started any other way opens it at its first
  ``on_prediction_step``. ``train`` reopens at the next ``on_step_begin`` or
  ``on_epoch_begin``, so what follows the last evaluation (the final log,
  ``load_best_model_at_end``) is outside the phases.
* ``on_log`` adds ``energy_kwh`` and ``co2e_kg`` (facility, so far) and
  ``power_w`` (mean IT power since the previous log, over at least 1 s) to
  the logs, so they
  are in ``trainer.state.log_history``, the printed logs, and the metrics
  ``train()``/``evaluate()`` return; reporting integrations (``report_to``)
  get them too when the callback is added with :meth:`WattprintCallback.attach`.
* ``on_evaluate``/``on_predict`` log the evaluation metrics to the run
  (``tracker.log_metric``; the last value of each name is kept), without
  speed figures (``eval_runtime``, ``*_per_second``) and ``epoch``.
* ``on_train_end`` closes the phase, stops the tracker and records the run.

What is and is not separable in the Trainer's loop: the batches of each
optimizer step are fetched (``get_batch_samples``) after the previous step's
log/evaluate/save and before ``on_step_begin``; with
``dataloader_num_workers > 0`` worker processes load batches while the model
computes. So batch loading is counted in ``train``: no phase boundary can hold
it alone with workers, and without them one would cost two phase records per
step. Work before ``train()`` (tokenising, building the dataset) is separable:
start a tracker yourself, wrap it in ``t.phase("data_loading")``, and pass
``tracker=t`` so the fit lands in the same run (its owner stops it; a
``trainer.evaluate()`` after ``train()`` then also counts).

Failure: the Trainer has no exception hook; an exception leaves
``train()`` without ``on_train_end``. Use the callback as a context manager
around ``train()`` (the run is recorded ``failed``, ``interrupted`` for
Ctrl-C); otherwise a run left open is recorded ``failed`` when the process
exits (with the exception it died of) or when the next ``train()`` begins
(``auto_find_batch_size`` restarting after running out of memory included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wattprint.errors import MissingExtraError
from wattprint.integrations._training import CallbackRuns, TrainingRun

try:
    import transformers
except ImportError as e:  # pragma: no cover - exercised without the extra
    raise MissingExtraError("transformers", "transformers") from e

if TYPE_CHECKING:
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

__all__ = ["WattprintCallback"]

#: Suffixes of the Trainer's speed figures (``speed_metrics``), not quality metrics.
_SPEED_SUFFIXES = ("_runtime", "_per_second")
_STALE = "train() did not reach on_train_end (it raised, or auto_find_batch_size restarted it)"


def model_name(model: object) -> str:
    """``model.config._name_or_path`` when set, else the model's class name."""
    config = getattr(model, "config", None)
    name = getattr(config, "_name_or_path", "")
    if isinstance(name, str) and name:
        return name
    return type(model).__name__ if model is not None else ""


def eval_metrics(metrics: Mapping[str, object]) -> dict[str, object]:
    """The quality metrics of an evaluation: without speed figures and ``epoch``."""
    return {k: v for k, v in metrics.items()
            if k != "epoch" and not k.endswith(_SPEED_SUFFIXES)}


class WattprintCallback(CallbackRuns, transformers.TrainerCallback):
    """Tracks a ``Trainer.train()`` as a wattprint run (see the module docs).

    Args:
        project: Project of the run (default: settings).
        model: Model name (default: ``config._name_or_path``, else the class).
        experiment: Free-form experiment name.
        tags: Labels of the run (``integration:transformers`` is added).
        zone: Grid zone id (``"DE"``, ``"aws:eu-west-1"``; default: settings).
        pue: Power usage effectiveness (default per provider, else 1.0).
        interval_s: Sampling interval (default 1 s).
        ledger: Ledger to record into (default: from settings).
        tracker: A started tracker to attribute the fit to instead of starting
            one; excludes the options above.

    Raises:
        ConfigError: ``tracker`` given together with tracker options.

    Example::

        cb = WattprintCallback(project="sentiment")
        trainer = Trainer(..., callbacks=[cb])
        with cb:
            trainer.train()
        cb.run.energy_kwh, cb.run.metrics, trainer.state.log_history[-1]["energy_kwh"]
    """

    def __init__(
        self,
        project: str | None = None,
        *,
        model: str | None = None,
        experiment: str = "",
        tags: Sequence[str] = (),
        zone: str | None = None,
        pue: float | None = None,
        interval_s: float | None = None,
        ledger: Ledger | None = None,
        tracker: Tracker | None = None,
    ) -> None:
        self._fit = TrainingRun(
            "transformers", project=project, model=model, experiment=experiment, tags=tags,
            zone=zone, pue=pue, interval_s=interval_s, ledger=ledger, tracker=tracker,
        )
        self._resume_train = False  # reopen ``train`` at the next step or epoch

    def attach(self, trainer: transformers.Trainer) -> None:
        """Add this callback to ``trainer`` ahead of its reporting integrations.

        ``Trainer(callbacks=[...])`` puts user callbacks after the
        ``report_to`` integrations (TensorBoard, MLflow, W&B), which therefore
        log before the energy keys are added; attached here, right after
        ``DefaultFlowCallback``, the callback adds them first.
        """
        callbacks = trainer.callback_handler.callbacks
        if self in callbacks:
            callbacks.remove(self)
        flow = [i for i, cb in enumerate(callbacks)
                if isinstance(cb, transformers.DefaultFlowCallback)]
        callbacks.insert(flow[0] + 1 if flow else 0, self)

    # -- Trainer events -----------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Start the run and open ``train`` (``evaluation`` with ``eval_on_start``)."""
        self._fit.begin(model_name(kwargs.get("model")), stale=_STALE)
        self._resume_train = False
        first = "evaluation" if getattr(args, "eval_on_start", False) else "train"
        self._fit.switch(first)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Reopen ``train`` after an evaluation."""
        if self._resume_train:
            self._resume_train = False
            self._fit.switch("train")

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Reopen ``train`` after an evaluation."""
        self.on_epoch_begin(args, state, control, **kwargs)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Open ``evaluation`` when this step ends in an evaluation."""
        if self._fit.running and control.should_evaluate:
            self._fit.switch("evaluation")

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Open ``evaluation`` when this epoch ends in an evaluation."""
        self.on_step_end(args, state, control, **kwargs)

    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Open ``evaluation`` for an evaluation the step and epoch hooks did not announce."""
        if self._fit.active and self._fit.phase != "evaluation":
            self._fit.switch("evaluation")

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        """Log the evaluation's metrics to the run and close ``evaluation``.

        ``train`` reopens at the next step or epoch, so an evaluation that
        ends the fit leaves no empty ``train`` phase behind it.
        """
        self._fit.log_metrics(eval_metrics(metrics or {}))
        self._fit.switch(None)
        self._resume_train = self._fit.running

    def on_predict(
        self, args: Any, state: Any, control: Any, metrics: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        """Log a prediction loop's metrics (its labels' scores) like an evaluation's."""
        self.on_evaluate(args, state, control, metrics=metrics, **kwargs)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Add ``energy_kwh``, ``co2e_kg`` and ``power_w`` to the logs and the log history."""
        if logs is None or not self._fit.active:
            return
        figures = self._fit.figures()
        history = getattr(state, "log_history", None)
        # Trainer.log appended a copy of ``logs`` to the history before calling us.
        if history and isinstance(history[-1], dict) and logs.keys() <= history[-1].keys():
            history[-1].update(figures)
        logs.update(figures)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Close the phase, stop the tracker and record the run."""
        self._resume_train = False
        self._fit.end()
