"""What every dashboard route needs: the ledger, the clock, the provider, the catalogue."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone

from starlette.requests import Request

from wattprint.clock import Clock, SystemClock
from wattprint.intensity.providers.base import IntensityProvider
from wattprint.intensity.zones import ZoneCatalog
from wattprint.store.ledger import Ledger


class DashboardContext:
    """Shared state of one app; the provider and catalogue are built on first use.

    Args:
        ledger: Open ledger.
        token: Access token, or None (loopback only).
        clock: Source of "now".
        provider: Intensity provider of the grid page (default: the configured chain).
        catalog: Zone catalogue (default: the embedded one).
    """

    def __init__(
        self, ledger: Ledger, *, token: str | None, clock: Clock | None,
        provider: IntensityProvider | None, catalog: ZoneCatalog | None,
    ) -> None:
        self.ledger = ledger
        self.token = token
        self.clock: Clock = clock or SystemClock()
        self._provider = provider
        self._catalog = catalog
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current UTC time."""
        return self.clock.now().astimezone(timezone.utc)

    def today(self) -> date:
        """The current UTC day."""
        return self.now().date()

    @property
    def provider(self) -> IntensityProvider:
        """The intensity provider: given, or the chain the settings configure."""
        with self._lock:
            if self._provider is None:
                from wattprint.config import load_settings
                from wattprint.intensity.providers.chain import providers_from_settings

                self._provider = providers_from_settings(load_settings())
            return self._provider

    @property
    def catalog(self) -> ZoneCatalog:
        """The zone catalogue."""
        with self._lock:
            if self._catalog is None:
                from wattprint.intensity.zones import load_catalog

                self._catalog = load_catalog()
            return self._catalog


def context(request: Request) -> DashboardContext:
    """The app's context (a FastAPI dependency)."""
    ctx: DashboardContext = request.app.state.dashboard
    return ctx
