"""Ask intensity providers in order; fall back, warn once, never crash a run.

:class:`ProviderChain` implements the provider protocol itself. Each call
goes to the first provider; when it raises
:class:`~wattprint.errors.ProviderError` (network down, bad token, malformed
answer, zone not covered) the next one is asked, and the user is told once per
(provider, reason) with a :class:`ProviderFallbackWarning` and a log line.
With :class:`~wattprint.intensity.providers.static.StaticProvider` last, a
known zone always gets an answer. A series that does not cover the whole
window (a 48-hour forecast asked for 72 hours) is completed from the next
providers; its kind then becomes ``"mixed"``.

:func:`providers_from_settings` builds the chain the settings ask for.

Example::

    chain = providers_from_settings(load_settings())
    chain.forecast("DE", start, end)     # live if it works, else the embedded profile
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from wattprint.clock import Clock
from wattprint.config import PROVIDERS, Settings
from wattprint.errors import ConfigError, ProviderError
from wattprint.intensity.providers.base import IntensityProvider, ProviderStatus
from wattprint.intensity.series import IntensitySeries
from wattprint.model import Intensity

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_T = TypeVar("_T")
#: Names accepted by ``provider`` / ``--provider``; ``none`` and ``static`` = embedded only.
PROVIDER_NAMES = PROVIDERS
#: Live providers, in the order ``wattprint doctor`` lists them.
LIVE_PROVIDERS = ("electricitymaps", "watttime", "ukgrid")


class ProviderFallbackWarning(UserWarning):
    """A provider failed and the next one in the chain answered instead."""


class ProviderChain:
    """Several providers behind one :class:`IntensityProvider` face.

    Args:
        providers: Asked in this order; put the static provider last.

    Warnings are remembered per chain, so a planner asking 100 times while the
    network is down sees one warning, not 100.
    """

    name = "chain"

    def __init__(self, providers: Sequence[IntensityProvider]) -> None:
        if not providers:
            raise ConfigError("a provider chain needs at least one provider")
        self.providers = tuple(providers)
        self._warned: set[tuple[str, str]] = set()

    def probe(self) -> ProviderStatus:
        """Available when any provider is; the reason lists each one's status."""
        statuses = self.probes()
        available = [s.name for s in statuses if s.available]
        reason = "; ".join(str(s) for s in statuses)
        return ProviderStatus(self.name, bool(available), reason,
                              "" if available else "configure a provider or add the static one")

    def probes(self) -> list[ProviderStatus]:
        """Each provider's :meth:`probe`, in chain order (never raises)."""
        out = []
        for provider in self.providers:
            try:
                out.append(provider.probe())
            except Exception as exc:  # noqa: BLE001 - probe() must never raise, even if one does
                out.append(ProviderStatus(provider.name, False, f"probe failed: {exc}"))
        return out

    def current(self, zone: str) -> Intensity:
        """The first provider's answer that works."""
        value, _ = self._first("current", zone, lambda p: p.current(zone))
        return value

    def history(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """History from the first provider that works, completed by later ones if short."""
        return self._series("history", zone, start_utc, end_utc)

    def forecast(self, zone: str, start_utc: datetime, end_utc: datetime) -> IntensitySeries:
        """Forecast from the first provider that works, completed by later ones if short."""
        return self._series("forecast", zone, start_utc, end_utc)

    def close(self) -> None:
        """Close every provider that has a ``close()``."""
        for provider in self.providers:
            close = getattr(provider, "close", None)
            if callable(close):
                close()

    # -- internals --------------------------------------------------------------------

    def _series(
        self, method: str, zone: str, start_utc: datetime, end_utc: datetime
    ) -> IntensitySeries:
        def ask(provider: IntensityProvider) -> IntensitySeries:
            if method == "history":
                return provider.history(zone, start_utc, end_utc)
            return provider.forecast(zone, start_utc, end_utc)

        series, index = self._first(method, zone, ask, depth=5)
        if _complete(series, start_utc, end_utc) or index + 1 >= len(self.providers):
            return series
        try:
            rest, _ = self._first(method, zone, ask, start=index + 1, depth=5)
        except ProviderError:
            return series
        logger.info("%s of %s from %s completed with %s", method, zone, series.source,
                    rest.source)
        return series.extend(rest).between(start_utc, end_utc)

    def _first(
        self, method: str, zone: str, ask: Callable[[IntensityProvider], _T], start: int = 0,
        depth: int = 4,
    ) -> tuple[_T, int]:
        """The first answer from ``providers[start:]`` and its index.

        ``depth`` is the warning's stack level that points at the chain's caller.
        """
        failures = []
        for index in range(start, len(self.providers)):
            provider = self.providers[index]
            try:
                return ask(provider), index
            except ProviderError as exc:
                failures.append(f"{provider.name}: {exc}")
                following = self.providers[index + 1].name if index + 1 < len(self.providers) \
                    else None
                self._warn(provider.name, str(exc), following, depth)
        raise ProviderError(f"no provider could answer {method} for {zone}: "
                            + "; ".join(failures))

    def _warn(self, provider: str, reason: str, following: str | None, depth: int) -> None:
        if (provider, reason) in self._warned:
            return
        self._warned.add((provider, reason))
        then = f"; using {following} instead" if following else ""
        message = f"intensity provider {provider} failed: {reason}{then}"
        logger.warning("%s", message)
        warnings.warn(message, ProviderFallbackWarning, stacklevel=depth)


def _complete(series: IntensitySeries, start_utc: datetime, end_utc: datetime) -> bool:
    return series.covers(start_utc, end_utc) and series.between(start_utc, end_utc).missing == 0


def providers_from_settings(
    settings: Settings,
    *,
    provider: str | None = None,
    client: httpx.Client | None = None,
    cache_dir: Path | None = None,
    clock: Clock | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ProviderChain:
    """The chain the settings ask for: the live provider (if any), then static.

    Args:
        settings: Resolved settings (``provider``, credentials, URLs, cache TTL).
        provider: Overrides ``settings.provider`` (the CLI's ``--provider``).
        client: ``httpx.Client`` for the live provider (tests: a local server).
        cache_dir: Cache folder (default: the user cache dir).
        clock: UTC time for the live provider and cache.
        sleep: Wait between retries.

    Raises:
        ConfigError: ``provider`` names no known provider.
    """
    from wattprint.intensity.providers.static import StaticProvider
    from wattprint.intensity.providers.ukgrid import PARENT_ZONES

    name = (provider or settings.provider or "none").strip().lower()
    if name not in PROVIDER_NAMES:
        raise ConfigError(f"unknown provider {name!r}; known: {', '.join(PROVIDER_NAMES)}")
    live = [] if name in {"none", "static"} else [
        _live_provider(name, settings, client=client, cache_dir=cache_dir, clock=clock,
                       sleep=sleep)]
    return ProviderChain([*live, StaticProvider(parent_zones=PARENT_ZONES)])


def _live_provider(
    name: str, settings: Settings, *, client: httpx.Client | None, cache_dir: Path | None,
    clock: Clock | None, sleep: Callable[[float], None] | None,
) -> IntensityProvider:
    from wattprint.intensity.providers.cache import JsonCache

    cache = JsonCache(cache_dir, ttl_s=settings.provider_cache_ttl_s, clock=clock)
    common: dict[str, Any] = {"client": client, "cache": cache, "sleep": sleep,
                              "timeout_s": settings.provider_timeout_s}
    if name == "electricitymaps":
        from wattprint.intensity.providers.electricitymaps import ElectricityMapsProvider

        return ElectricityMapsProvider(settings.electricitymaps_token,
                                       base_url=settings.electricitymaps_url, clock=clock,
                                       **common)
    if name == "watttime":
        from wattprint.intensity.providers.watttime import WattTimeProvider

        return WattTimeProvider(settings.watttime_username, settings.watttime_password,
                                regions=settings.watttime_regions,
                                base_url=settings.watttime_url, clock=clock, **common)
    from wattprint.intensity.providers.ukgrid import UkGridProvider

    return UkGridProvider(base_url=settings.ukgrid_url, **common)


def probe_all(settings: Settings) -> list[tuple[ProviderStatus, bool]]:
    """Every provider's status from the settings (offline), and whether it is the configured one.

    Used by ``wattprint doctor``; never raises and sends no request.
    """
    from wattprint.intensity.providers.static import StaticProvider

    configured = (settings.provider or "none").lower()
    out: list[tuple[ProviderStatus, bool]] = []
    for name in LIVE_PROVIDERS:
        try:
            provider = _live_provider(name, settings, client=None, cache_dir=None, clock=None,
                                      sleep=None)
        except Exception as exc:  # noqa: BLE001 - a doctor must report, not crash
            out.append((ProviderStatus(name, False, f"cannot be built: {exc}"), name == configured))
            continue
        try:
            out.append((provider.probe(), name == configured))
        finally:
            close = getattr(provider, "close", None)
            if callable(close):
                close()
    out.append((StaticProvider().probe(), True))
    return out
