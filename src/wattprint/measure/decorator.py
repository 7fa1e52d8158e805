"""``@track``: run a function under a :class:`~wattprint.measure.tracker.Tracker`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])


@overload
def track(func: F) -> F: ...


@overload
def track(func: None = None, **tracker_kwargs: Any) -> Callable[[F], F]: ...


def track(func: F | None = None, **tracker_kwargs: Any) -> F | Callable[[F], F]:
    """Track every call of the decorated function as one run.

    Use bare (``@track``) or with :class:`Tracker` arguments
    (``@track(project="etl", zone="FR")``). Each call is its own run; the
    finished run is available as ``wrapper.last_run``. Exceptions propagate
    unchanged and the run is recorded as ``failed``.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from wattprint.measure.tracker import Tracker

            tracker = Tracker(**tracker_kwargs)
            try:
                with tracker:
                    return fn(*args, **kwargs)
            finally:
                wrapper.last_run = tracker.run  # type: ignore[attr-defined]

        wrapper.last_run = None  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    if func is not None:
        return decorate(func)
    return decorate
