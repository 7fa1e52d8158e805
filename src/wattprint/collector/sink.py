"""The collector sink: what the tracker records into instead of a local ledger.

:meth:`CollectorSink.save_run` writes the run to the spool first, then sends
it; only a 2xx answer for exactly that content deletes the file. So a run
is never lost (collector down, process killed mid-send: the file stays) and
never counted twice (the server upserts by run id, and a replay answers 200).
Running records of the tracker's periodic flush are sent too, with one
attempt each (the server keeps an ended run over a late running record);
the final record gets the client's retries. Whatever is spooled is sent
again when a sink opens (the next tracker start, in a background thread),
after each delivered final record, and by ``wattprint collector flush``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from wattprint.collector.client import CollectorClient, Delivery
from wattprint.collector.spool import Spool
from wattprint.errors import LedgerError
from wattprint.model import Run, RunStatus
from wattprint.store.serialize import run_to_dict

logger = logging.getLogger(__name__)


@dataclass
class FlushReport:
    """What one :meth:`CollectorSink.flush` did, by run id."""

    delivered: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    last_error: str = ""


class CollectorSink:
    """Ledger-like sink (``save_run``, ``close``) that delivers runs to a collector.

    Example::

        sink = CollectorSink(CollectorClient(url, token), Spool(spool_dir)).open()
        Tracker(ledger=sink)   # or set WATTPRINT_COLLECTOR_URL/_TOKEN

    Args:
        client: The HTTP client.
        spool: Where undelivered runs wait.
        flush_on_open: Re-send the spool in a daemon thread on :meth:`open`.
    """

    def __init__(self, client: CollectorClient, spool: Spool, *,
                 flush_on_open: bool = True) -> None:
        self.client = client
        self.spool = spool
        self._flush_on_open = flush_on_open
        self._flush_lock = threading.Lock()
        self._background: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"CollectorSink({self.client.url!r}, spool={str(self.spool.directory)!r})"

    def open(self) -> CollectorSink:
        """Start re-sending the spool in the background (when enabled); returns ``self``."""
        if self._flush_on_open and self._background is None and self.spool.paths():
            self._background = threading.Thread(
                target=self._flush_quietly, name="wattprint-collector", daemon=True)
            self._background.start()
        return self

    def close(self) -> None:
        """Close the HTTP client (a background flush still running is abandoned safely)."""
        self.client.close()

    def save_run(self, run: Run, *, stale_after_s: float | None = None) -> None:
        """Spool ``run``, send it, and delete the spooled copy once delivered.

        ``stale_after_s`` travels with it: the server stores the heartbeat as
        :meth:`~wattprint.store.ledger.Ledger.save_run` would.

        Raises:
            LedgerError: The spool cannot be written (the tracker then writes
                its JSON fallback file).
        """
        self._deliver(run, run.id, {"stale_after_s": stale_after_s})

    def save_part(self, run: Run, *, stale_after_s: float | None = None) -> None:
        """Like :meth:`save_run`, for host ``run.host``'s part of a shared run.

        The server records it with :meth:`~wattprint.store.ledger.Ledger.save_part`.
        """
        self._deliver(run, f"{run.id}@{run.host}", {"part": True, "stale_after_s": stale_after_s})

    def _deliver(self, run: Run, key: str, extra: dict[str, object]) -> None:
        text = json.dumps({**run_to_dict(run), **{k: v for k, v in extra.items() if v is not None}})
        try:
            path = self.spool.put(key, text)
        except OSError as e:
            raise LedgerError(f"cannot spool run {run.id} in {self.spool.directory}: "
                              f"{e.strerror or e}") from e
        running = run.status is RunStatus.RUNNING
        delivery = self.client.send(run.id, text, retries=0 if running else None)
        self._settle(run.id, path, text, delivery)
        if delivery.outcome == "delivered" and not running:
            self._flush_quietly()

    def flush(self) -> FlushReport:
        """Send every spooled run once (oldest first); stop at the first unreachable answer."""
        report = FlushReport()
        with self._flush_lock:
            for path in self.spool.paths():
                try:
                    text = path.read_text(encoding="utf-8")
                    run_id = str(json.loads(text).get("id", path.stem))
                except (OSError, ValueError) as e:
                    if isinstance(e, FileNotFoundError):
                        continue
                    self.spool.reject(path, f"unreadable spool file: {e}")
                    report.rejected.append(path.stem)
                    continue
                delivery = self.client.send(run_id, text)
                self._settle(run_id, path, text, delivery)
                if delivery.outcome == "retry":
                    report.kept.extend(p.stem.removeprefix("run-") for p in self.spool.paths())
                    report.last_error = delivery.detail
                    break
                getattr(report, delivery.outcome).append(run_id)
        return report

    def _settle(self, run_id: str, path: Path, text: str, delivery: Delivery) -> None:
        if delivery.outcome == "delivered":
            self.spool.discard(path, text)
            logger.debug("run %s delivered to %s (%s)", run_id, self.client.url, delivery.detail)
        elif delivery.outcome == "rejected":
            moved = self.spool.reject(path, delivery.detail)
            logger.warning("collector %s refused run %s (%s); kept in %s", self.client.url,
                           run_id, delivery.detail, moved)
        else:
            logger.warning("collector %s unreachable (%s); run %s spooled in %s",
                           self.client.url, delivery.detail, run_id, path)

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:  # a background re-send must never break the tracker
            logger.exception("re-sending the collector spool failed")
