"""The one HTTP client every live intensity provider uses.

:class:`HttpClient` wraps :mod:`httpx` with what each provider would
otherwise re-implement badly:

* a timeout on every request;
* retries with exponential backoff on connection errors, timeouts, HTTP 5xx
  and 429, honouring ``Retry-After`` up to a cap — the sleep function is
  injected, so tests never wait in real time;
* an optional :class:`~wattprint.intensity.providers.cache.JsonCache`;
* one mapping of every failure to :class:`~wattprint.errors.ProviderError`
  with a one-line reason (``raise ... from e``).

Credentials are passed as ``secrets`` and scrubbed from every message and
log line; they travel in headers or basic auth only, so they never reach a
cache key or a cache file.

Example::

    client = HttpClient("electricitymaps", "https://api.electricitymap.org",
                        headers={"auth-token": token}, secrets=(token,))
    body = client.get_json("/v3/carbon-intensity/latest", {"zone": "DE"})
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx

from wattprint.errors import ConfigError, ProviderError
from wattprint.intensity.providers.cache import JsonCache
from wattprint.intensity.series import IntensitySeries

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Statuses worth another try: rate limited, or a server/gateway hiccup.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REDACTED = "***"


class HttpClient:
    """GET JSON from one API with timeouts, retries, a cache and clean errors.

    Args:
        name: Provider name, the prefix of every error message.
        base_url: Scheme and host (and optional path prefix) of the API.
        headers: Headers sent with every request (e.g. the auth token).
        secrets: Values to scrub from messages and logs (tokens, passwords).
        auth_hint: Appended to 401/403 errors: how to fix the credentials.
        client: An ``httpx.Client`` to use (not closed by :meth:`close`).
        transport: An ``httpx`` transport for the client built here.
        timeout_s: Connect/read timeout of each request.
        retries: Extra attempts after the first on retryable failures.
        backoff_s: First backoff; doubled after each failed attempt.
        max_wait_s: Cap on any single wait, including ``Retry-After``.
        sleep: Called with the seconds to wait between attempts.
        cache: Where successful answers are kept; ``None`` disables caching.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
        auth_hint: str = "",
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        max_wait_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        cache: JsonCache | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers or {})
        self._secrets = tuple(s for s in secrets if s)
        self._auth_hint = auth_hint
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(
            transport=transport, timeout=timeout_s, follow_redirects=True)
        self._timeout_s = timeout_s
        self._retries = retries
        self._backoff_s = backoff_s
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self.cache = cache

    def add_secret(self, secret: str | None) -> None:
        """Scrub one more value (e.g. a token obtained at login) from messages."""
        if secret:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text

    def close(self) -> None:
        """Close the underlying client when this object created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        use_cache: bool = True,
    ) -> Any:
        """GET ``base_url + path`` and return the decoded JSON body.

        Args:
            path: Path below the base URL (``"/v3/carbon-intensity/latest"``).
            params: Query parameters; part of the cache key, so never secrets.
            headers: Extra headers for this request (merged over the defaults).
            auth: HTTP basic credentials for this request.
            use_cache: Read and write the cache (off for logins).

        Raises:
            ProviderError: Unreachable after retries, an HTTP error status,
                or a body that is not JSON.
        """
        url = f"{self.base_url}{path}"
        query = {str(k): str(v) for k, v in (params or {}).items()}
        if use_cache and self.cache is not None:
            cached = self.cache.get(url, query)
            if cached is not None:
                logger.debug("%s: cache hit for %s", self.name, path)
                return cached
        response = self._send(url, path, query, {**self._headers, **(headers or {})}, auth)
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(f"{self.name}: malformed JSON from {path}") from exc
        if use_cache and self.cache is not None:
            self.cache.put(url, query, body)
        return body

    # -- internals --------------------------------------------------------------------

    def _send(
        self, url: str, path: str, query: dict[str, str], headers: dict[str, str],
        auth: tuple[str, str] | None,
    ) -> httpx.Response:
        attempts = self._retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.get(url, params=query, headers=headers, auth=auth,
                                            timeout=self._timeout_s)
            except httpx.HTTPError as exc:
                reason = self.redact(_transport_reason(exc))
                if attempt == attempts or not isinstance(exc, httpx.TransportError):
                    raise ProviderError(
                        f"{self.name}: cannot reach {_host(self.base_url)}: {reason}"
                        f" (after {attempt} attempt{'s' if attempt > 1 else ''})"
                    ) from exc
                self._wait(attempt, None, path, reason)
                continue
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                self._wait(attempt, response.headers.get("retry-after"), path,
                           f"HTTP {response.status_code}")
                continue
            self._raise_for_status(response, path, attempt)
            return response
        raise AssertionError("unreachable")  # pragma: no cover - loop always returns/raises

    def _wait(self, attempt: int, retry_after: str | None, path: str, reason: str) -> None:
        delay_s = self._backoff_s * 2 ** (attempt - 1)
        hinted = _retry_after_s(retry_after)
        if hinted is not None:
            delay_s = max(delay_s, hinted)
        delay_s = min(delay_s, self._max_wait_s)
        logger.info("%s: %s on %s; retrying in %.1f s", self.name, reason, path, delay_s)
        self._sleep(delay_s)

    def _raise_for_status(self, response: httpx.Response, path: str, attempt: int) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in (401, 403):
            hint = f"; {self._auth_hint}" if self._auth_hint else ""
            raise ProviderError(f"{self.name}: authentication failed (HTTP {status}){hint}")
        detail = self.redact(_short_detail(response))
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        raise ProviderError(f"{self.name}: HTTP {status} from {path}{tries}"
                            + (f": {detail}" if detail else ""))


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _transport_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _short_detail(response: httpx.Response, limit: int = 160) -> str:
    """A one-line excerpt of an error body (APIs put the reason there)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        if isinstance(body, dict):
            text = str(body.get("message") or body.get("error") or body.get("detail") or body)
        else:
            text = str(body)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# -- helpers the provider modules share for reading answers ---------------------------


def parse_time_utc(text: Any, provider: str) -> datetime:
    """An aware UTC datetime from an API timestamp (``...Z``, ``+00:00`` or naive = UTC).

    Raises:
        ProviderError: ``text`` is not an ISO 8601 timestamp.
    """
    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ProviderError(f"{provider}: unexpected timestamp {str(text)[:40]!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_time_utc(when: datetime) -> str:
    """``2024-05-01T12:00:00Z`` (seconds precision, UTC) for query parameters."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expect(body: Any, key: str, provider: str, path: str) -> Any:
    """``body[key]``, or a ProviderError naming what the answer lacked."""
    if not isinstance(body, dict) or key not in body:
        raise ProviderError(f"{provider}: unexpected response from {path}: no {key!r} field")
    return body[key]


def points_series(
    provider: str,
    zone: str,
    points: Iterable[tuple[datetime, float | None]],
    start_utc: datetime,
    end_utc: datetime,
    *,
    step_s: int | None = None,
    **meta: Any,
) -> IntensitySeries:
    """The part of ``[start_utc, end_utc)`` that ``points`` cover, as a regular series.

    ``None`` values become NaN. ``meta`` goes to the series (kind, source, signal).

    Raises:
        ProviderError: No point falls inside the window.
    """
    pairs = [(t, float("nan") if v is None else float(v)) for t, v in points]
    window = f"{format_time_utc(start_utc)}..{format_time_utc(end_utc)}"
    if not pairs:
        raise ProviderError(f"{provider}: no data for {zone} in {window}")
    times, values = zip(*pairs, strict=True)
    try:
        series = IntensitySeries.from_points(zone, list(times), list(values), step_s=step_s,
                                             **meta)
    except ConfigError as exc:  # e.g. a negative value: the answer is bad, not the settings
        raise ProviderError(f"{provider}: unusable data for {zone}: {exc}") from exc
    part = series.between(start_utc, end_utc)
    if len(part) == 0 or part.missing == len(part):
        raise ProviderError(f"{provider}: no data for {zone} in {window}")
    return part
