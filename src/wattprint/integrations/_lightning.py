"""The Lightning callback's hooks, shared by ``lightning`` and ``pytorch_lightning``.

Both packages ship the same ``Trainer`` with their own ``Callback`` base
class, and each ``Trainer`` accepts only callbacks of its own package; so
:class:`LightningHooks` holds the behaviour and imports neither package, and
:mod:`wattprint.integrations.lightning` and
:mod:`wattprint.integrations.pytorch_lightning` each combine it with their
package's ``Callback``. Trainer and module are duck-typed (``Any``) here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wattprint.integrations._training import CallbackRuns, TrainingRun, outcome

if TYPE_CHECKING:
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

class LightningHooks(CallbackRuns):
    """One run per ``fit``/``validate``/``test``/``predict``, with phases and logged energy.

    Hook by hook: ``setup`` starts a tracker (model name: the LightningModule's
    class); ``on_train_epoch_start`` opens ``train`` and
    ``on_train_epoch_end`` closes it (each epoch is one ``train`` phase, split
    around the validation inside it); ``on_validation_start``/``_end`` bound
    ``evaluation`` (the sanity check included); ``on_test_start``/``_end``
    bound ``test`` and ``on_predict_start``/``_end`` ``predict``. Energy goes
    to the logs with ``pl_module.log`` at ``on_train_epoch_end`` (and at
    ``on_validation_epoch_end``/``on_test_epoch_end`` of ``validate``/``test``),
    so it is in ``trainer.callback_metrics``, the loggers and what
    ``trainer.test()`` returns, and straight to ``trainer.loggers`` every
    ``log_every_n_steps`` optimizer steps. ``teardown`` logs
    ``trainer.callback_metrics`` to the run, stops the tracker and records it;
    ``on_exception`` does the same with status ``failed`` (``interrupted``
    for Ctrl-C).
    """

    _integration = "lightning"

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
        super().__init__()
        self._fit = TrainingRun(
            self._integration, project=project, model=model, experiment=experiment, tags=tags,
            zone=zone, pue=pue, interval_s=interval_s, ledger=ledger, tracker=tracker,
        )
        self._stage = ""
        self._resume_train = False  # reopen ``train`` at the next batch after validation
        self._logged_step = -1

    # -- life cycle -----------------------------------------------------------
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        """Start the run of this ``fit``/``validate``/``test``/``predict``."""
        self._stage, self._resume_train, self._logged_step = str(stage), False, -1
        self._fit.begin(type(pl_module).__name__)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        """Log ``trainer.callback_metrics`` to the run, stop and record it."""
        self._fit.log_metrics(trainer.callback_metrics)
        self._fit.end()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        """Record the run as failed (interrupted for ``KeyboardInterrupt``)."""
        self._fit.log_metrics(trainer.callback_metrics)
        self._fit.end(*outcome(exception))

    # -- phases ---------------------------------------------------------------
    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        """Open ``train``."""
        self._resume_train = False
        self._fit.switch("train")

    def on_train_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
    ) -> None:
        """Reopen ``train`` after a validation inside the epoch."""
        if self._resume_train:
            self._resume_train = False
            self._fit.switch("train")

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Every ``log_every_n_steps`` optimizer steps, write the figures to the loggers."""
        every, step = trainer.log_every_n_steps, trainer.global_step
        if not every or step % every or step == self._logged_step or not self._fit.active:
            return
        self._logged_step = step
        figures = self._fit.figures()
        for lg in trainer.loggers:
            # Lightning's own rows number a step from 0 (the step just done is step - 1).
            lg.log_metrics(figures, step=step - 1)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the figures with ``pl_module.log`` and close ``train``."""
        self._log(pl_module)
        self._resume_train = False
        self._fit.switch(None)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        """Open ``evaluation`` (during ``fit``, ``train`` resumes at the next batch)."""
        self._resume_train = self._fit.phase == "train"
        self._fit.switch("evaluation")

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the figures of a ``trainer.validate()``."""
        if self._stage == "validate":
            self._log(pl_module)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        """Close ``evaluation``."""
        self._fit.switch(None)

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        """Open ``test``."""
        self._fit.switch("test")

    def on_test_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the figures of a ``trainer.test()``."""
        self._log(pl_module)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        """Close ``test``."""
        self._fit.switch(None)

    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        """Open ``predict``."""
        self._fit.switch("predict")

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        """Close ``predict``."""
        self._fit.switch(None)

    def _log(self, pl_module: Any) -> None:
        if self._fit.active:
            pl_module.log_dict(self._fit.figures(), on_step=False, on_epoch=True)
