"""Remote collector: send runs to a wattprint server instead of a local ledger.

For hosts that must not hold database credentials. Set
``WATTPRINT_COLLECTOR_URL`` and ``WATTPRINT_COLLECTOR_TOKEN`` (or
``collector_url``/``collector_token`` in a settings file) and every
:class:`~wattprint.Tracker` records through a :class:`CollectorSink`: the run
is spooled (``collector_spool``, default ``<user data dir>/spool``), sent to
the server's ``POST /api/v1/runs`` and deleted from the spool after a 2xx.
``wattprint collector flush`` re-sends what is left; ``wattprint collector
status`` counts it. See ``docs/collector.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wattprint.collector.client import CollectorClient, Delivery
from wattprint.collector.sink import CollectorSink, FlushReport
from wattprint.collector.spool import Spool, default_spool_dir

if TYPE_CHECKING:
    from wattprint.config import Settings

__all__ = ["CollectorClient", "CollectorSink", "Delivery", "FlushReport", "Spool",
           "default_spool_dir", "sink_from_settings"]


def sink_from_settings(settings: Settings, *, retries: int = 2) -> CollectorSink:
    """The sink the settings configure (not yet opened).

    Args:
        settings: Resolved settings (``collector_url``, ``collector_token``,
            ``collector_spool``, ``provider_timeout_s`` as the timeout).
        retries: Extra attempts per run on transient failures.

    Raises:
        ConfigError: ``collector_url`` is set without ``collector_token``, or neither is.
    """
    from pathlib import Path

    from wattprint.errors import ConfigError

    if not settings.collector_url or not settings.collector_token:
        missing = "collector_url" if not settings.collector_url else "collector_token"
        raise ConfigError(f"{missing} is not set: set WATTPRINT_COLLECTOR_URL and "
                          "WATTPRINT_COLLECTOR_TOKEN (or collector_url/collector_token "
                          "in wattprint.toml)")
    folder = Path(settings.collector_spool) if settings.collector_spool else default_spool_dir()
    client = CollectorClient(settings.collector_url, settings.collector_token,
                             timeout_s=settings.provider_timeout_s, retries=retries)
    return CollectorSink(client, Spool(folder))
