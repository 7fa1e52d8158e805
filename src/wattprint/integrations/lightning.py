"""Lightning (``lightning`` package): track fits, validations and tests as wattprint runs.

::

    import lightning as L
    from wattprint.integrations.lightning import WattprintCallback

    cb = WattprintCallback(project="vision", zone="DE")
    trainer = L.Trainer(max_epochs=3, callbacks=[cb])
    trainer.fit(model, train_loader, val_loader)
    print(cb.run.energy_kwh, cb.run.metrics["val_acc"], trainer.callback_metrics["energy_kwh"])

Each trainer call (``fit``, ``validate``, ``test``, ``predict``) is one run,
from the callback's ``setup`` to its ``teardown`` (or ``on_exception``: the
run is then ``failed``, ``interrupted`` for Ctrl-C). Phases: ``train`` (each
training epoch, split around the validation inside it), ``evaluation``
(validation, the sanity check included), ``test`` and ``predict``. Energy is
logged with ``pl_module.log`` at each epoch's end (``energy_kwh``,
``co2e_kg``: facility, so far; ``power_w``: mean IT power since the previous
figures, over at least 1 s) and written to ``trainer.loggers`` every ``log_every_n_steps``
steps; ``trainer.callback_metrics`` at the end become the run's metrics.

Not separable: Lightning fetches each batch before ``on_train_batch_start``
(with ``num_workers > 0`` workers load while the model computes), so batch
loading is inside ``train``; ``prepare_data`` and the datamodule's ``setup``
run before any callback hook. To put data preparation in the same run, start
a tracker yourself, wrap it in ``t.phase("data_loading")`` and pass
``tracker=t`` (a ``fit`` and a ``test`` then share that run too).
The same callback for the ``pytorch_lightning`` package is
:mod:`wattprint.integrations.pytorch_lightning`.
"""

from __future__ import annotations

from wattprint.errors import MissingExtraError
from wattprint.integrations._lightning import LightningHooks

try:
    import lightning.pytorch as pl
except ImportError as e:  # pragma: no cover - exercised without the extra
    raise MissingExtraError("lightning", "lightning") from e

__all__ = ["WattprintCallback"]


class WattprintCallback(LightningHooks, pl.Callback):
    """Records each trainer call as a wattprint run (see the module docs).

    Args:
        project: Project of the runs (default: settings).
        model: Model name (default: the LightningModule's class name).
        experiment: Free-form experiment name.
        tags: Labels of the runs (``integration:lightning`` is added).
        zone: Grid zone id (``"DE"``, ``"gcp:europe-west3"``; default: settings).
        pue: Power usage effectiveness (default per provider, else 1.0).
        interval_s: Sampling interval (default 1 s).
        ledger: Ledger to record into (default: from settings).
        tracker: A started tracker to attribute the trainer calls to instead
            of starting one per call; excludes the options above.

    Raises:
        ConfigError: ``tracker`` given together with tracker options.

    Example::

        cb = WattprintCallback(project="vision")
        trainer = L.Trainer(max_epochs=3, callbacks=[cb])
        trainer.fit(model, datamodule=dm)
        trainer.test(model, datamodule=dm)
        fit_run, test_run = cb.runs
    """
