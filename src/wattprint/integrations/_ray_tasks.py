"""The task side of :mod:`wattprint.integrations.ray`: report a task's CPU time to its node.

:func:`attribute` (a context manager) and :func:`tracked` (a decorator) run
in Ray workers. They find this job's tracker actors on the worker's node by
name (``wattprint:<node id>:<run id>``, in the job's namespace, so another
job's run never receives them) and hand each the block's CPU seconds; the
actor turns them into a share of the node's CPU energy (:mod:`._ray_shares`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar, overload

from wattprint.errors import ConfigError
from wattprint.integrations._ray_setup import ACTOR_PREFIX

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def attribute(name: str, *, timeout_s: float = 10.0) -> Iterator[None]:
    """Report the CPU time this process spends in the block as task ``name``.

    Inside a Ray task or actor method on a tracked node, the worker process'
    CPU seconds (user + system, and those of children it waited for) go to
    every cluster tracker of this job on the node, once the block ends, also
    when it raises. The report waits for the tracker (at most ``timeout_s``),
    so a share is recorded before the task's result reaches the driver. It
    never raises: outside a tracked Ray job it does nothing. A threaded or
    async actor running several calls at once counts the process' CPU time
    in each of them.

    Raises:
        ConfigError: An empty name.
    """
    if not name.strip():
        raise ConfigError("attribute() needs a task name")
    import psutil  # type: ignore[import-untyped, unused-ignore]

    process = psutil.Process()
    cpu0_s, t0_s = _cpu_s(process), time.monotonic()
    started = datetime.now(timezone.utc)
    try:
        yield
    finally:
        wall_s = time.monotonic() - t0_s
        cpu_s = _cpu_s(process) - cpu0_s
        try:
            _report(name.strip(), cpu_s, wall_s, started, started + timedelta(seconds=wall_s),
                    timeout_s)
        except Exception as e:  # attribution must never break the task
            logger.warning("task %s: CPU time not reported to wattprint: %s", name, e)


@overload
def tracked(fn: F, *, name: str | None = None) -> F: ...


@overload
def tracked(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...


def tracked(fn: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
    """Decorate a function (under ``@ray.remote``) so each call is :func:`attribute`-d.

    ``@tracked`` names the share after the function's qualified name;
    ``@tracked(name="tokenize")`` chooses it.

    Raises:
        ConfigError: ``fn`` is an async or generator function, whose work runs
            after the call returns (use :func:`attribute` inside it).
    """
    def wrap(func: F) -> F:
        label = name or getattr(func, "__qualname__", None) or repr(func)
        if inspect.iscoroutinefunction(func) or inspect.isgeneratorfunction(func) or (
                inspect.isasyncgenfunction(func)):
            # The work happens after the call returns: the block would measure nothing.
            raise ConfigError(f"@tracked wraps plain functions, not the async or generator "
                              f"function {label}; use `with attribute(...)` inside it")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with attribute(label):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return wrap(fn) if fn is not None else wrap


def _cpu_s(process: Any) -> float:
    t = process.cpu_times()
    return float(t.user + t.system + getattr(t, "children_user", 0.0)
                 + getattr(t, "children_system", 0.0))


def _report(name: str, cpu_s: float, wall_s: float, started: datetime, ended: datetime,
            timeout_s: float) -> None:
    try:
        import ray
    except ImportError:
        return
    if not ray.is_initialized():
        return
    prefix = f"{ACTOR_PREFIX}{ray.get_runtime_context().get_node_id()}:"
    refs = []
    for actor in ray.util.list_named_actors():
        if isinstance(actor, str) and actor.startswith(prefix):
            with contextlib.suppress(ValueError):  # it ended meanwhile
                handle = ray.get_actor(actor)
                refs.append(handle.record.remote(name, cpu_s, wall_s, started, ended))
    if refs:
        ray.get(refs, timeout=timeout_s)
