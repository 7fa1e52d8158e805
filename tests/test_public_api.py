from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import wattprint

HEAVY = ("sqlalchemy", "alembic", "numpy", "pandas", "pydantic", "rich", "click", "psutil")


def test_public_api_is_small_and_resolvable() -> None:
    assert 10 <= len(wattprint.__all__) <= 20
    for name in wattprint.__all__:
        assert getattr(wattprint, name) is not None


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        wattprint.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_pulls_in_no_heavy_dependency() -> None:
    code = (
        "import sys, wattprint\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_log_metric_is_public_and_stays_light(tmp_path: Path) -> None:
    assert "log_metric" in wattprint.__all__
    target = tmp_path / "metrics.jsonl"
    code = (
        "import sys, wattprint\n"
        "wattprint.log_metric('accuracy', 0.5)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    env = {**os.environ, "WATTPRINT_METRICS_FILE": str(target)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "[]"
    assert json.loads(target.read_text()) == {"name": "accuracy", "value": 0.5}
