"""The dashboard served for real and driven by headless Chromium (a top-level module:
pytest puts this directory on sys.path; ``tools/screenshots.py`` adds it too).

:class:`ThreadedServer` runs the app with uvicorn on 127.0.0.1 in a thread;
:class:`CliServer` runs ``wattprint dashboard`` in a subprocess. :class:`Tab` is
a browser page that records every console error, uncaught page error and
failed request to the dashboard, and waits for the page's charts (``app.js``
sets ``data-charts-rendered`` on ``<body>`` once every Plotly figure is drawn)
instead of sleeping.
"""

from __future__ import annotations

import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from dashboard_data import Recorded

from wattprint.store.ledger import Ledger

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

#: Repository root (this file is tests/report/browser/dashboard_browser.py).
ROOT = Path(__file__).resolve().parents[3]
#: Where full-page screenshots go; CI keeps this folder as an artifact.
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
#: Browsers looked for on PATH, Debian's first.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Chromium flags: root in containers needs --no-sandbox; /dev/shm is small there.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 860}
START_TIMEOUT_S = 30.0


def system_chromium() -> str | None:
    """Path of an installed Chromium or Chrome, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def why_no_browser() -> str | None:
    """None when Playwright and a Chromium are here, else what is missing and the fix."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[dev]')"
    if system_chromium() is None and not _playwright_chromium():
        return ("no Chromium found (Debian: sudo bash .ci/install-browser.sh; "
                "elsewhere: playwright install chromium)")
    return None


def _playwright_chromium() -> str | None:
    """Playwright's own Chromium build when one was downloaded, else None."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        path = p.chromium.executable_path
    return path if path and Path(path).exists() else None


def launch_options() -> dict[str, Any]:
    """Keyword arguments of ``playwright.chromium.launch`` for this machine."""
    path = system_chromium()
    options: dict[str, Any] = {"args": CHROMIUM_ARGS, "headless": True}
    if path is not None:
        options["executable_path"] = path
    return options


@dataclass(frozen=True)
class Dashboard:
    """A running dashboard and what its ledger holds."""

    url: str
    db_url: str
    home: Path
    ledger: Ledger
    recorded: Recorded


class ThreadedServer:
    """``app`` under uvicorn on 127.0.0.1 in a daemon thread, on a port the OS picks."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ThreadedServer:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="off", ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="dashboard-uvicorn", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:  # set by uvicorn once it listens
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the dashboard's uvicorn server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(timeout=15)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CliServer:
    """``wattprint dashboard ARGS`` in a subprocess, until it answers; stopped on exit.

    ``printed_url`` is the address the command told the user to open.
    """

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.args = [str(Path(sys.executable).with_name("wattprint")), "dashboard",
                     "--port", str(self.port), *args]
        self.env = {**env, "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.url = f"http://127.0.0.1:{self.port}"
        self.printed_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> CliServer:
        self._stderr = self.log.open("w")
        self._proc = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE,
                                      stderr=self._stderr, text=True)
        try:
            self.printed_url = self._first_line().removeprefix("wattprint dashboard: open ")
            self._wait_until_answers()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _first_line(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], START_TIMEOUT_S)
        if not ready:
            raise RuntimeError(f"wattprint dashboard printed nothing; stderr: {self._errors()}")
        return self._proc.stdout.readline().strip()

    def _wait_until_answers(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"wattprint dashboard exited {self._proc.returncode}: "
                                   f"{self._errors()}")
            try:
                httpx.get(f"{self.url}/static/app.css", timeout=2.0)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("wattprint dashboard did not answer") from None
                time.sleep(0.05)

    def _errors(self) -> str:
        self._stderr.flush()
        return self.log.read_text()[-2000:]

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._proc is not None
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=15)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()


class Tab:
    """A browser page on the dashboard that records what went wrong.

    ``problems`` collects console messages of type error, uncaught exceptions
    and failed or refused (status >= 400) requests to ``base_url``.
    """

    def __init__(self, page: Page, base_url: str, screenshots: Path = SCREENSHOTS) -> None:
        self.page = page
        self.base_url = base_url
        self.screenshots = screenshots
        self.problems: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.problems.append(f"console error: {message.text} ({where})")

    def _on_request_failed(self, request: Any) -> None:
        if request.url.startswith(self.base_url):
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _on_response(self, response: Any) -> None:
        if response.url.startswith(self.base_url) and response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def open(self, path: str) -> Response:
        """Go to ``path``, wait until its charts are drawn; assert it loaded cleanly."""
        response = self.page.goto(self.base_url + path)
        assert response is not None, path
        assert response.status == 200, f"{path}: HTTP {response.status}"
        self.settle()
        return response

    def settle(self) -> None:
        """Wait for the current page's charts; assert nothing went wrong so far."""
        self.page.wait_for_selector("body[data-charts-rendered='true']", state="attached")
        assert self.problems == [], f"{self.page.url}: {self.problems}"

    def screenshot(self, name: str) -> Path:
        """A full-page PNG of the current page under :data:`SCREENSHOTS`."""
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def charts(self) -> list[dict[str, Any]]:
        """Each chart of the page: id, SVG roots, drawn traces and the figure's traces."""
        return list(self.page.evaluate(CHARTS_JS))


#: What Plotly drew for every ``.chart`` box (``gd.data`` is the figure Plotly holds).
CHARTS_JS = """() => Array.from(document.querySelectorAll('.chart[data-figure]')).map(gd => ({
  id: gd.id,
  rendered: gd.getAttribute('data-rendered') === 'true',
  svgs: gd.querySelectorAll('svg.main-svg').length,
  drawn: gd.querySelectorAll('g.trace, g.hm, image').length,
  traces: (gd.data || []).map(t => ({name: t.name || '', type: t.type || 'scatter',
                                     points: (t.x || t.z || []).length,
                                     x: Array.from(t.x || []), y: Array.from(t.y || [])})),
  shapes: ((gd.layout || {}).shapes || []).length,
  annotations: ((gd.layout || {}).annotations || []).map(a => a.text),
}))"""

