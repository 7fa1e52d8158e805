"""The ``dashboard`` extra: which modules it provides, and the error when one is missing."""

from __future__ import annotations

import importlib.util

from wattprint.errors import MissingExtraError

#: Import name -> distribution name of every package the dashboard needs.
PACKAGES = {"fastapi": "fastapi", "uvicorn": "uvicorn", "jinja2": "jinja2", "plotly": "plotly"}


def require_extras(*names: str) -> None:
    """Check the dashboard's packages (or just ``names``) can be imported.

    Raises:
        MissingExtraError: One is missing; the message has the pip line.
    """
    for module in names or tuple(PACKAGES):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(PACKAGES.get(module, module), "dashboard")
