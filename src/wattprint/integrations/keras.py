"""Keras 3: track ``model.fit`` with phases and energy in the epoch logs.

::

    from wattprint.integrations.keras import WattprintCallback

    cb = WattprintCallback(project="digits", zone="DE")
    with cb:                                   # records the run as failed if fit() raises
        history = model.fit(x, y, validation_split=0.2, epochs=5, callbacks=[cb])
    print(history.history["energy_kwh"], cb.run.metrics["val_accuracy"])

Works with every Keras 3 backend (tested on ``KERAS_BACKEND=torch``): the
callback only uses Keras' callback hooks, and wattprint measures the process
and its devices whatever computes. Hook by hook: ``on_train_begin`` starts a
tracker (model name: the model's ``name``); ``on_epoch_begin`` opens
``train``; ``on_test_begin``/``on_test_end`` bound ``evaluation`` (the
validation at the end of each epoch, or ``model.evaluate()`` with a borrowed
tracker); ``on_predict_begin``/``_end`` bound ``predict``; ``on_epoch_end``
adds ``energy_kwh``, ``co2e_kg`` (facility, so far) and ``power_w`` (mean IT
power since the previous epoch, over at least 1 s) to the epoch's logs, so they are in
``History.history``, the progress bar and the callbacks listed after this
one (list it first for ``CSVLogger``/``TensorBoard`` to get them), and logs
that epoch's metrics (``loss``, ``val_accuracy``, ...) to the run;
``on_train_end`` stops the tracker and records the run.

Not separable: Keras draws each batch from its epoch iterator just before
``on_train_batch_begin``, so batch loading is inside ``train``. Keras has no
exception hook: use the callback as a context manager around ``fit()``;
otherwise a run left open is recorded ``failed`` when the process exits or
the next ``fit()`` begins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wattprint.errors import MissingExtraError
from wattprint.integrations._training import CallbackRuns, TrainingRun

try:
    import keras  # type: ignore[import-untyped]  # Keras 3 ships no type information
except ImportError as e:  # pragma: no cover - exercised without the extra
    raise MissingExtraError("keras", "keras") from e

if TYPE_CHECKING:
    from wattprint.measure.tracker import Tracker
    from wattprint.store.ledger import Ledger

__all__ = ["WattprintCallback"]

_STALE = "fit() did not reach on_train_end (it raised or was interrupted)"


class WattprintCallback(CallbackRuns, keras.callbacks.Callback):  # type: ignore[misc]  # untyped base
    """Tracks a Keras ``model.fit()`` as a wattprint run (see the module docs).

    Args:
        project: Project of the run (default: settings).
        model: Model name (default: the Keras model's ``name``).
        experiment: Free-form experiment name.
        tags: Labels of the run (``integration:keras`` is added).
        zone: Grid zone id (``"DE"``, ``"azure:westeurope"``; default: settings).
        pue: Power usage effectiveness (default per provider, else 1.0).
        interval_s: Sampling interval (default 1 s).
        ledger: Ledger to record into (default: from settings).
        tracker: A started tracker to attribute the fit to instead of starting
            one; excludes the options above.

    Raises:
        ConfigError: ``tracker`` given together with tracker options.
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
        super().__init__()
        self._fit = TrainingRun(
            "keras", project=project, model=model, experiment=experiment, tags=tags,
            zone=zone, pue=pue, interval_s=interval_s, ledger=ledger, tracker=tracker,
        )

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start the run."""
        self._fit.begin(str(getattr(self.model, "name", "") or type(self.model).__name__),
                        stale=_STALE)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Open ``train``."""
        self._fit.switch("train")

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open ``evaluation``."""
        self._fit.switch("evaluation")

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close ``evaluation``; outside ``fit()`` its metrics go to the run."""
        self._fit.switch(None)
        if not self._fit.running:  # fit() logs them at on_epoch_end, as val_*
            self._fit.log_metrics(logs or {})

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open ``predict``."""
        self._fit.switch("predict")

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close ``predict``."""
        self._fit.switch(None)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Add the figures to the epoch's logs, log its metrics to the run, close ``train``."""
        self._fit.switch(None)
        if logs is None or not self._fit.active:
            return
        self._fit.log_metrics(logs)
        logs.update(self._fit.figures())

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Stop the tracker and record the run."""
        self._fit.end()
