"""Take the README's dashboard pictures: ``docs/img/dashboard-overview.png`` and ``-run.png``.

Run from the repository root with the dev extra installed and a Chromium
(Debian: ``sudo bash .ci/install-browser.sh``)::

    python tools/screenshots.py [--out docs/img] [--days 60]

The ledger is generated, with the browser tests' code (``tests/report/browser``):
weeks of plausible GPU runs over four projects saved through ``Ledger.save_run``
(short real runs cannot span days), plus one real run measured here by
``wattprint.Tracker`` (a scikit-learn MLP on the bundled digits data, 15 to 25
seconds) whose page is the second picture. The dashboard is served with
uvicorn on 127.0.0.1 and photographed in headless Chromium; a page that logs a
console error or fails a request stops the script.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "report" / "browser"))

from dashboard_browser import VIEWPORT, Tab, ThreadedServer, launch_options  # noqa: E402
from dashboard_data import history_runs, track_digits  # noqa: E402

from wattprint.intensity.providers.static import StaticProvider  # noqa: E402
from wattprint.model import Run  # noqa: E402
from wattprint.store.ledger import Ledger  # noqa: E402

#: Height of the run picture: summary, facts and the three charts.
RUN_HEIGHT_PX = 1480


def fill(ledger: Ledger, days: int) -> Run:
    """Save ``days`` of generated history and measure one real run; return the real one."""
    from sklearn.neural_network import MLPClassifier

    for run in history_runs(datetime.now(timezone.utc), days=days):
        ledger.save_run(run)
    return track_digits(
        ledger, project="vision", model="mlp-digits", tags=("baseline", "cpu"), rounds=30,
        make=lambda: MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=20,
                                   random_state=0),
        interval_s=0.2)


def photograph(url: str, run: Run, out: Path) -> list[Path]:
    """Screenshots of the overview (30 days, full page) and of the run's page."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    overview, detail = out / "dashboard-overview.png", out / "dashboard-run.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        try:
            tab = Tab(browser.new_page(viewport=VIEWPORT), url, screenshots=out)
            tab.open("/?period=30d")
            tab.page.screenshot(path=str(overview), full_page=True)
            tab.page.set_viewport_size({"width": VIEWPORT["width"], "height": RUN_HEIGHT_PX})
            tab.open(f"/runs/{run.id}")
            tab.page.screenshot(path=str(detail))
        finally:
            browser.close()
    return [overview, detail]


def main(argv: list[str] | None = None) -> None:
    """Generate the ledger, serve the dashboard, write the pictures."""
    from wattprint.report.web import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--days", type=int, default=60, help="days of generated history")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # The picture must not depend on this user's settings (PUE, zone, ledger).
        for name in [n for n in os.environ if n.startswith("WATTPRINT_")]:
            del os.environ[name]
        os.environ["WATTPRINT_CONFIG"] = str(Path(tmp) / "no-user-config.toml")
        with Ledger(f"sqlite:///{tmp}/ledger.db") as ledger:
            run = fill(ledger, args.days)
            with ThreadedServer(create_app(ledger, provider=StaticProvider())) as server:
                for path in photograph(server.url, run, args.out):
                    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                          f"{path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
