"""PyTorch Lightning (``pytorch_lightning`` package): the Lightning callback for it.

The same behaviour as :mod:`wattprint.integrations.lightning` (read its
docs), on ``pytorch_lightning.Callback``, for code that imports
``pytorch_lightning`` rather than ``lightning``::

    import pytorch_lightning as pl
    from wattprint.integrations.pytorch_lightning import WattprintCallback

    trainer = pl.Trainer(max_epochs=3, callbacks=[WattprintCallback(project="vision")])
"""

from __future__ import annotations

from wattprint.errors import MissingExtraError
from wattprint.integrations._lightning import LightningHooks

try:
    import pytorch_lightning as pl
except ImportError as e:  # pragma: no cover - exercised without the package
    # The ``lightning`` extra installs it: the ``lightning`` package depends on it.
    raise MissingExtraError("pytorch_lightning", "lightning") from e

__all__ = ["WattprintCallback"]


class WattprintCallback(LightningHooks, pl.Callback):
    """Records each ``pytorch_lightning`` trainer call as a wattprint run.

    Arguments as :class:`wattprint.integrations.lightning.WattprintCallback`;
    runs are tagged ``integration:pytorch_lightning``.
    """

    _integration = "pytorch_lightning"
