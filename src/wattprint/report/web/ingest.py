"""``POST /api/v1/runs``: runs sent by remote collectors, written with ``Ledger.save_run``.

Hosts that must not hold database credentials send each run (the ``wattprint
show --json`` shape) here with a team token; see ``docs/collector.md``.

* **Tokens.** One bearer token per team, from a TOML file of ``team =
  "token"`` lines (:func:`load_ingest_tokens`). Every configured token is
  compared with :func:`secrets.compare_digest`; the token is never logged or
  echoed. Missing or unknown token: 401.
* **Team.** The run is stored with the tag ``team:<name>`` of its token (any
  ``team:`` tag the client sent is dropped), so a team cannot pose as
  another; a run id already stored for another team is refused with 403.
* **Size.** Bodies over ``max_bytes`` (default 5 MB) are refused with 413,
  from ``Content-Length`` or while reading a chunked body.
* **Shape.** Not JSON: 400; a missing or wrong field: 422 naming it
  (:mod:`wattprint.report.web.ingest_schema`).
* **Idempotency.** The key is the run id (an ``Idempotency-Key`` header, when
  sent, must equal it: else 400). :meth:`Ledger.save_run` is an upsert by run
  id, so a re-sent run never counts twice: 201 for a new run id, 200 for a
  known one. A ``running`` record never replaces a run already stored as
  ended (200, ``"result": "kept"``), so a late periodic flush cannot undo
  the final record.

Ledger failures are 503 (the app's handler), which clients retry.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from wattprint.errors import ConfigError
from wattprint.model import Run, RunStatus
from wattprint.report.web.context import context
from wattprint.report.web.ingest_schema import check_run
from wattprint.report.web.security import same
from wattprint.store.ledger import Ledger
from wattprint.store.schema import run_tags, runs
from wattprint.store.serialize import run_from_dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

logger = logging.getLogger(__name__)

#: Path of the ingest endpoint (the dashboard's guard lets POSTs to it through).
INGEST_PATH = "/api/v1/runs"
#: Environment variable naming the tokens file (the CLI's ``--ingest-tokens``).
TOKENS_ENV = "WATTPRINT_INGEST_TOKENS"
#: Default largest body accepted.
MAX_BYTES = 5 * 1024 * 1024
#: Shortest token accepted.
MIN_TOKEN_CHARS = 16
TEAM_PREFIX = "team:"
_TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

router = APIRouter()


@dataclass
class IngestState:
    """The ingest endpoint's configuration, kept on ``app.state.ingest``.

    Args:
        tokens: Team name -> bearer token.
        max_bytes: Largest body accepted.
    """

    tokens: Mapping[str, str] = field(repr=False)
    max_bytes: int = MAX_BYTES
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def team_of(self, header: str) -> str | None:
        """The team whose token the ``Authorization`` header carries, or None."""
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return None
        found = None
        for team, token in self.tokens.items():  # every token compared: no early exit
            if same(given.strip(), token):
                found = team
        return found


def load_ingest_tokens(path: Path) -> dict[str, str]:
    """Read a tokens file: TOML with one ``team = "token"`` line per team.

    Raises:
        ConfigError: The file cannot be read or parsed, a team name is not
            ``[A-Za-z0-9._-]``, a token is not text of at least
            :data:`MIN_TOKEN_CHARS` characters, two teams share a token, or
            there is none. Messages name the file and team, never a token.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read ingest tokens file {path}: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"ingest tokens file {path} is not TOML: {e}") from e
    tokens: dict[str, str] = {}
    for team, token in data.items():
        if not _TEAM_NAME.match(team):
            raise ConfigError(f"ingest tokens file {path}: team name {team!r} must be 1-64 "
                              "letters, digits, '.', '_' or '-'")
        if not isinstance(token, str) or len(token) < MIN_TOKEN_CHARS:
            raise ConfigError(f"ingest tokens file {path}: the token of team {team!r} must be "
                              f"text of at least {MIN_TOKEN_CHARS} characters "
                              "(e.g. the output of: openssl rand -hex 16)")
        if token in tokens.values():
            raise ConfigError(f"ingest tokens file {path}: team {team!r} shares its token "
                              "with another team")
        tokens[team] = token
    if not tokens:
        raise ConfigError(f"ingest tokens file {path} names no team (expected team = \"token\")")
    return tokens


def _error(status: int, message: str) -> JSONResponse:
    response = JSONResponse({"error": message, "status": status}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wattprint ingest"'
    return response


async def _read_body(request: Request, max_bytes: int) -> bytes | None:
    """The body, or None once it exceeds ``max_bytes`` (declared or read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class _Delivery:
    """A decoded body: the run, whether it is one host's part, the writer's heartbeat."""

    run: Run
    part: bool
    stale_after_s: float | None


def _decode(body: bytes, key: str | None) -> _Delivery | JSONResponse:
    """The run in ``body``, or the 400/422 answer saying what is wrong."""
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return _error(400, f"invalid JSON body: {e}")
    try:
        check_run(data)
        run = run_from_dict(data)
    except ValueError as e:
        return _error(422, f"invalid run: {e}")
    if key is not None and key != run.id:
        return _error(400, f"invalid Idempotency-Key {key!r}: it must equal the run's id "
                      f"{run.id!r}")
    return _Delivery(run, bool(data.get("part", False)), data.get("stale_after_s"))


@router.post(INGEST_PATH, status_code=201, tags=["ingest"], responses={
    200: {"description": "Run id already known: replaced (or kept when it had ended)"},
    400: {"description": "Body not JSON, or Idempotency-Key differs from the run id"},
    401: {"description": "Missing or unknown team token"},
    403: {"description": "The run id belongs to another team"},
    413: {"description": "Body larger than the limit"},
    422: {"description": "A field is missing or has the wrong type (named)"},
})
async def ingest_run(request: Request) -> JSONResponse:
    """Store one run sent by a collector (``Authorization: Bearer <team token>``)."""
    state: IngestState = request.app.state.ingest
    team = state.team_of(request.headers.get("authorization", ""))
    if team is None:
        return _error(401, "a team token is required: send 'Authorization: Bearer <token>' "
                      "with a token from the server's ingest tokens file")
    body = await _read_body(request, state.max_bytes)
    if body is None:
        return _error(413, f"run too large: the limit is {state.max_bytes} bytes")
    decoded = _decode(body, request.headers.get("idempotency-key"))
    if isinstance(decoded, JSONResponse):
        return decoded
    tags = [t for t in decoded.run.tags if not t.startswith(TEAM_PREFIX)]
    delivery = replace(decoded, run=replace(decoded.run, tags=(*tags, TEAM_PREFIX + team)))
    run = delivery.run
    ledger = context(request).ledger
    status, result = await run_in_threadpool(_store, ledger, state.lock, delivery, team)
    if status == 403:
        return _error(403, f"run {run.id!r} is stored for another team")
    logger.info("ingest: run %s from team %s %s", run.id, team, result)
    return JSONResponse({"id": run.id, "team": team, "result": result, "status": status},
                        status)


def _store(ledger: Ledger, lock: threading.Lock, delivery: _Delivery, team: str
           ) -> tuple[int, str]:
    """Upsert the run (or part): (201, created), (200, replaced), (200, kept) or (403, other team).

    A part is new (201) when its host has no part of that run yet, and kept
    when that host's part had already ended.
    """
    run = delivery.run

    def write() -> None:
        if delivery.part:
            ledger.save_part(run, stale_after_s=delivery.stale_after_s)
        else:
            ledger.save_run(run, stale_after_s=delivery.stale_after_s)

    with lock:  # one check-then-write at a time, so a run sent twice at once is 201 once
        stored = _stored_status(ledger, run.id)
        if stored is not None and stored[1] and TEAM_PREFIX + team not in stored[1]:
            return 403, "refused"
        if delivery.part:
            part = next((p for p in ledger.run_parts(run.id) if p.host == run.host), None)
            stored = None if part is None else (part.status.value, stored[1] if stored else set())
        if stored is None:
            write()
            return 201, "created"
        if stored[0] != RunStatus.RUNNING.value and run.status is RunStatus.RUNNING:
            return 200, "kept"
        write()
        return 200, "replaced"


def _stored_status(ledger: Ledger, run_id: str) -> tuple[str, set[str]] | None:
    """The stored status and ``team:`` tags of exactly ``run_id``, or None."""
    with ledger.reading() as conn:
        status = conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar()
        if status is None:
            return None
        tags = conn.execute(select(run_tags.c.tag).where(
            run_tags.c.run_id == run_id, run_tags.c.tag.startswith(TEAM_PREFIX))).scalars()
        return str(status), set(tags)
