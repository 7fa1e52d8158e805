"""Fixtures of the browser tests: a ledger of real runs, the dashboard over it, Chromium.

Without Playwright or a Chromium the tests skip with the fix, except in CI
(``CI=true``), where ``.ci/run`` installs both and a skip would hide a bug.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dashboard_browser import (
    VIEWPORT,
    Dashboard,
    Tab,
    ThreadedServer,
    launch_options,
    why_no_browser,
)
from dashboard_data import Recorded, record_real_runs

from wattprint.intensity.providers.static import StaticProvider
from wattprint.store.ledger import Ledger

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

#: Longest wait of any Playwright action or auto-waiting assertion.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Chromium (Debian's when installed), one profile for every browser test.

    A profile on disk keeps the HTTP cache and V8's code cache, so Plotly's
    4.7 MB bundle is compiled once, not on every page: a page then loads in
    about 0.5 s instead of 2 s here.
    """
    missing = why_no_browser()
    if missing is not None:
        if os.environ.get("CI") == "true":  # .ci/run installs both: a skip there is a bug
            pytest.fail(f"CI must run the browser tests, but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), viewport=VIEWPORT,
                                                       **launch_options())
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def dashboard_ledger(tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[tuple[Ledger, Recorded, Path]]:
    """A SQLite ledger filled by real tracked runs (5 to 10 seconds of work)."""
    base = tmp_path_factory.mktemp("dashboard")
    home = base / "home"
    home.mkdir()
    ledger = Ledger(f"sqlite:///{base / 'ledger.db'}").open()
    try:
        # Settings isolated as tests/conftest.py does for each test, but only while the
        # Trackers read them: the environment of the tests that follow stays untouched.
        with pytest.MonkeyPatch.context() as mp:
            for name in [n for n in os.environ if n.startswith("WATTPRINT_")]:
                mp.delenv(name)
            mp.setenv("XDG_DATA_HOME", str(home / "data"))
            mp.setenv("XDG_CONFIG_HOME", str(home / "config"))
            mp.setenv("WATTPRINT_CONFIG", str(home / "no-user-config.toml"))
            recorded = record_real_runs(ledger, home)
        yield ledger, recorded, home
    finally:
        ledger.close()


@pytest.fixture(scope="session")
def dashboard(browser: BrowserContext, dashboard_ledger: tuple[Ledger, Recorded, Path]
              ) -> Iterator[Dashboard]:
    """The dashboard app under uvicorn on 127.0.0.1, no token, over the real ledger."""
    from wattprint.report.web import create_app

    ledger, recorded, home = dashboard_ledger
    app = create_app(ledger, provider=StaticProvider())
    with ThreadedServer(app) as server:
        yield Dashboard(server.url, ledger.url, home, ledger, recorded)


@pytest.fixture
def tab(browser: BrowserContext, dashboard: Dashboard) -> Iterator[Tab]:
    """A browser tab on the dashboard; at the end nothing may have gone wrong in it."""
    opened = Tab(browser.new_page(), dashboard.url)
    yield opened
    opened.page.close()
    assert opened.problems == [], f"{opened.page.url}: {opened.problems}"


@pytest.fixture
def new_tab(browser: BrowserContext) -> Iterator[Callable[[str], Tab]]:
    """A factory of tabs on any server, starting with no cookies (cleared again after)."""
    pages: list[Page] = []
    browser.clear_cookies()

    def make(base_url: str) -> Tab:
        pages.append(browser.new_page())
        return Tab(pages[-1], base_url)

    yield make
    for page in pages:
        page.close()
    browser.clear_cookies()
