"""The HTTP side of the collector: one ``POST /api/v1/runs`` with timeouts and retries.

:meth:`CollectorClient.send` never raises for a network or server failure:
it answers a :class:`Delivery` whose ``outcome`` says what to do with the
spooled file — ``delivered`` (2xx: delete it), ``rejected`` (400, 413, 422:
the run itself is bad, retrying cannot help: set it aside) or ``retry``
(connection failure, timeout, 401/403 — a token can be fixed —, 408, 429,
5xx: keep it). Connection failures, timeouts, 429 and 5xx are retried
``retries`` times with doubling backoff before ``retry`` is answered. The
token travels only in the ``Authorization`` header and is scrubbed from
every message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

logger = logging.getLogger(__name__)

#: Path of the ingest endpoint on the dashboard server.
INGEST_PATH = "/api/v1/runs"
#: Answers that mean the run itself is refused: retrying cannot help.
PERMANENT = frozenset({400, 413, 422})
#: Answers worth another attempt now.
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Delivery:
    """What became of one send.

    Attributes:
        outcome: ``delivered``, ``rejected`` or ``retry``.
        status: HTTP status, or None when no answer came.
        detail: The server's message or the network error (never the token).
    """

    outcome: str
    status: int | None
    detail: str


class CollectorClient:
    """Sends runs to a wattprint dashboard server with ingest enabled.

    Args:
        url: The server's base address (``https://wattprint.example.org``).
        token: The team's ingest token.
        timeout_s: Connect/read timeout of each attempt.
        retries: Extra attempts after the first on transient failures.
        backoff_s: First wait between attempts; doubled after each.
        sleep: Called with the seconds to wait (tests pass a no-op).
        transport: An ``httpx`` transport (tests: ``httpx.MockTransport``).
    """

    def __init__(
        self, url: str, token: str, *, timeout_s: float = 10.0, retries: int = 2,
        backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.url = url.rstrip("/")
        self._token = token
        self.retries = retries
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def __repr__(self) -> str:
        return f"CollectorClient({self.url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def send(self, run_id: str, body: str, *, retries: int | None = None) -> Delivery:
        """POST one run's JSON text (``retries`` overrides the client's count)."""
        headers = {"Authorization": f"Bearer {self._token}", "Idempotency-Key": run_id,
                   "Content-Type": "application/json"}
        attempts = 1 + (self.retries if retries is None else retries)
        delivery = Delivery("retry", None, "not sent")
        for attempt in range(attempts):
            if attempt:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            delivery = self._attempt(headers, body.encode("utf-8"))
            if delivery.outcome != "retry" or delivery.status not in (None, *TRANSIENT):
                return delivery
            logger.debug("collector attempt %d for run %s: %s", attempt + 1, run_id,
                         delivery.detail)
        return delivery

    def _attempt(self, headers: dict[str, str], body: bytes) -> Delivery:
        try:
            response = self._http.post(self.url + INGEST_PATH, content=body, headers=headers)
        except httpx.HTTPError as e:
            return Delivery("retry", None, self._redact(f"{type(e).__name__}: {e}"))
        detail = self._redact(_message(response))
        if 200 <= response.status_code < 300:
            return Delivery("delivered", response.status_code, detail)
        outcome = "rejected" if response.status_code in PERMANENT else "retry"
        return Delivery(outcome, response.status_code, detail)

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:160]}"
    if isinstance(data, dict) and "error" in data:
        return f"HTTP {response.status_code}: {data['error']}"
    if isinstance(data, dict) and "result" in data:
        return f"HTTP {response.status_code}: {data['result']}"
    return f"HTTP {response.status_code}"
