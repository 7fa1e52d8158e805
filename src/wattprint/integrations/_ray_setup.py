"""Pure helpers of :mod:`wattprint.integrations.ray`: node names, the ledger, settings per node.

Nothing here imports Ray: the functions take what ``ray.nodes()`` returns
(a list of dicts with ``NodeID``, ``Alive``, ``NodeManagerHostname`` and
``NodeManagerAddress``) and the driver's resolved settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from wattprint.config import Settings
from wattprint.errors import ConfigError
from wattprint.model import Run, RunPart

#: Prefix of the tracker actors' names: ``wattprint:<node id>:<run id>``.
ACTOR_PREFIX = "wattprint:"


@dataclass(frozen=True)
class Node:
    """An alive node of the cluster, as the run names it.

    Attributes:
        node_id: Ray's node id (hex).
        host: The name of the node's part: its host name, or
            ``<host name>-<first 8 hex of the node id>`` when several nodes
            share a host name (a local test cluster).
        address: The node's IP address.
    """

    node_id: str
    host: str
    address: str


def actor_name(node_id: str, run_id: str) -> str:
    """The name of the tracker actor of run ``run_id`` on node ``node_id``."""
    return f"{ACTOR_PREFIX}{node_id}:{run_id}"


def alive_nodes(nodes: Sequence[Mapping[str, Any]]) -> list[Node]:
    """The alive nodes of ``ray.nodes()``, each with the host name of its part.

    Raises:
        ConfigError: No node is alive.
    """
    alive = [n for n in nodes if n.get("Alive")]
    if not alive:
        raise ConfigError("the Ray cluster has no alive node to track")
    counts = Counter(str(n.get("NodeManagerHostname") or n["NodeManagerAddress"]) for n in alive)
    out = []
    for n in alive:
        name = str(n.get("NodeManagerHostname") or n["NodeManagerAddress"])
        host = name if counts[name] == 1 else f"{name}-{str(n['NodeID'])[:8]}"
        out.append(Node(str(n["NodeID"]), host, str(n["NodeManagerAddress"])))
    return out


def ledger_url(settings: Settings, nodes: Sequence[Node], *, shared_sqlite: bool) -> str | None:
    """The ledger URL every node's tracker writes to (None: runs go to the collector).

    A SQLite file is only right when every node sees the same file: one
    machine, or a file system they all mount (``shared_sqlite``).

    Raises:
        ConfigError: An in-memory SQLite ledger, or a SQLite file while the
            nodes are on several machines and ``shared_sqlite`` is False.
        LedgerError: The URL cannot be parsed.
    """
    if settings.collector_url:
        return None
    from wattprint.store.engine import mask, sqlite_path, to_url
    from wattprint.store.ledger import default_url

    url = to_url(settings.db if settings.db else default_url())
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None:
            raise ConfigError(f"ledger {mask(url)} is an in-memory database, which each node "
                              "would hold on its own; give a file or PostgreSQL URL")
        machines = sorted({n.address for n in nodes})
        if len(machines) > 1 and not shared_sqlite:
            raise ConfigError(
                f"the ledger is the SQLite file {path} (db {settings.source_of('db')}), but the "
                f"cluster's nodes are on {len(machines)} machines ({', '.join(machines)}): each "
                "would write its part to a file of its own. Set WATTPRINT_DB to a PostgreSQL URL "
                "every node reaches (or a collector), or pass shared_sqlite=True if that file is "
                "on a file system every node mounts")
        url = url.set(database=str(path.expanduser().absolute()))
    return url.render_as_string(hide_password=False)


def node_settings(settings: Settings, host: str, db: str | None) -> Settings:
    """The driver's settings for the tracker of node ``host``.

    The node records its host's part at machine scope into ``db``. A value
    the driver took from its environment is labelled ``driver env``: the
    actor's own environment is not the driver's, and the tracker would
    otherwise look for it there (the zone).
    """
    sources = {k: "driver env" if v == "env" else v for k, v in settings.sources.items()}
    sources.update(host="argument", scope="argument")
    return replace(settings, host=host, scope="machine", db=db, sources=sources)


def merge_locally(run_id: str, runs: Sequence[Run], now: datetime) -> tuple[Run, list[RunPart]]:
    """The merged run and its parts from the node parts themselves (no ledger read)."""
    from wattprint.store.parts import StoredPart, merge_parts

    stored = [StoredPart(r, r.status, None, now) for r in runs]
    parts = [
        RunPart(run_id=run_id, host=r.host, status=r.status, started_utc=r.started_utc,
                ended_utc=r.ended_utc, duration_s=r.duration_s, energy_kwh=r.energy_kwh,
                co2e_kg=r.co2e_kg, updated_utc=now)
        for r in sorted(runs, key=lambda r: r.host)
    ]
    return merge_parts(run_id, stored), parts
