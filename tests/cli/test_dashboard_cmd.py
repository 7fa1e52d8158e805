from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from wattprint.cli.dashboard_cmd import check_binding, dashboard_url
from wattprint.cli.main import main
from wattprint.errors import ConfigError
from wattprint.store.ledger import Ledger

TOKEN = "0123456789abcdef0123"


def test_non_loopback_host_without_token_is_refused(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--host", "0.0.0.0"]) == 2
    err = capfd.readouterr().err
    assert "--host 0.0.0.0 makes the dashboard reachable from the network" in err
    assert "WATTPRINT_DASHBOARD_TOKEN" in err


def test_short_token_is_refused(capfd: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTPRINT_DASHBOARD_TOKEN", "short")
    assert main(["dashboard", "--host", "10.0.0.5"]) == 2
    assert "--token is 5 characters; use at least 16" in capfd.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    check_binding(host, None)


def test_any_host_with_a_token_is_allowed() -> None:
    check_binding("0.0.0.0", TOKEN)
    with pytest.raises(ConfigError, match="needs a token"):
        check_binding("192.168.1.20", None)


def test_printed_url() -> None:
    assert dashboard_url("127.0.0.1", 8050, None) == "http://127.0.0.1:8050/"
    assert dashboard_url("::1", 9000, "a/b c") == "http://[::1]:9000/?token=a%2Fb%20c"
    assert dashboard_url("0.0.0.0", 80, None) == f"http://{socket.gethostname()}:80/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serves_the_ledger_on_loopback(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    Ledger(str(db)).open().close()
    port = _free_port()
    env = {**os.environ, "WATTPRINT_DASHBOARD_TOKEN": TOKEN}
    with subprocess.Popen(
        [sys.executable, "-m", "wattprint.cli.main", "dashboard", "--port", str(port),
         "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as proc:
        try:
            _check_server(proc, port)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _check_server(proc: subprocess.Popen[str], port: int) -> None:
    assert proc.stdout is not None and proc.stderr is not None
    printed = proc.stdout.readline()
    assert printed.strip() == f"wattprint dashboard: open http://127.0.0.1:{port}/?token={TOKEN}"
    for line in proc.stderr:  # blocks until uvicorn has bound the port
        if "Uvicorn running on" in line:
            break
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{base}/api/v1/meta").status_code == 401
    ok = httpx.get(f"{base}/api/v1/meta", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["projects"] == []


def test_a_bad_ingest_tokens_file_is_refused(tmp_path: Path,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    teams = tmp_path / "teams.toml"
    teams.write_text('vision = "short"\n')
    assert main(["dashboard", "--ingest-tokens", str(teams), "--db",
                 str(tmp_path / "l.db")]) == 2
    err = capfd.readouterr().err
    assert "the token of team 'vision' must be text of at least 16 characters" in err
