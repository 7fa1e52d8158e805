from __future__ import annotations

from pathlib import Path

import pytest

from wattprint.config import load_settings
from wattprint.errors import ConfigError


def _load(tmp_path: Path, args=None, env=None, user: str | None = None):  # type: ignore[no-untyped-def]
    ufile = tmp_path / "user.toml"
    if user is not None:
        ufile.write_text(user)
    return load_settings(args, env=env or {}, cwd=tmp_path, user_file=ufile)


def test_defaults(tmp_path: Path) -> None:
    s = _load(tmp_path)
    assert s.interval_s == 1.0 and s.scope == "process" and s.zone is None
    assert s.source_of("interval_s") == "default"


def test_precedence_argument_env_project_user(tmp_path: Path) -> None:
    (tmp_path / "wattprint.toml").write_text('zone = "FR"\npue = 1.2\ninterval_s = 2\n')
    user = 'zone = "GB"\npue = 1.5\ninterval_s = 3\nproject = "u"\n'
    s = _load(tmp_path, {"zone": "DE"}, {"WATTPRINT_PUE": "1.1"}, user)
    assert (s.zone, s.source_of("zone")) == ("DE", "argument")
    assert (s.pue, s.source_of("pue")) == (1.1, "env")
    assert s.interval_s == 2.0 and s.source_of("interval_s").endswith("wattprint.toml")
    assert s.project == "u" and s.source_of("project").endswith("user.toml")


def test_pyproject_tool_table_is_found_in_a_parent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.wattprint]\nproject = "from-pyproject"\n')
    child = tmp_path / "a" / "b"
    child.mkdir(parents=True)
    s = load_settings(env={}, cwd=child, user_file=tmp_path / "none.toml")
    assert s.project == "from-pyproject"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ({"interval_s": 0}, {}, "invalid interval_s from argument: must be > 0"),
        ({"interval_s": -1}, {}, "invalid interval_s from argument: must be > 0"),
        ({}, {"WATTPRINT_INTERVAL_S": "0.001"}, "invalid interval_s from WATTPRINT_INTERVAL_S"),
        ({"pue": -1.2}, {}, "invalid pue from argument: PUE is facility energy"),
        ({}, {"WATTPRINT_PUE": "abc"}, "invalid pue from WATTPRINT_PUE: expected a number"),
        ({"scope": "cluster"}, {}, "invalid scope from argument"),
    ],
)
def test_bad_values_name_key_and_source(tmp_path: Path, args, env, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, args, env)
    assert message in str(info.value)


def test_bad_value_in_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "wattprint.toml").write_text("pue = 0.5\n")
    with pytest.raises(ConfigError, match=r"invalid pue from .*wattprint.toml"):
        _load(tmp_path)


def test_unknown_key_in_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "wattprint.toml").write_text("zoen = 'DE'\n")
    with pytest.raises(ConfigError, match="unknown setting 'zoen'"):
        _load(tmp_path)


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "wattprint.toml").write_text("zone = \n")
    with pytest.raises(ConfigError, match="cannot read config file"):
        _load(tmp_path)
