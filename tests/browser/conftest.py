"""A live server and a headless Chromium (Debian's, driven by Playwright) for the dashboard's browser tests.

Without /usr/bin/chromium or Playwright the tests skip, unless CI is set: then they fail, because CI installs
both (tests/browser/install-chromium.sh and the dev extra).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Every comment is held for spam; toxic ones are flagged for toxicity too.
HOLD_ALL = {"spam": {"hold_at": 0.0, "reject_at": 1.0}, "toxicity": {"hold_at": 0.5, "reject_at": 1.0}}


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: tests/browser/install-chromium.sh and the dev extra)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, launched headless by Playwright once per module: Playwright's sync API allows one
    running instance per thread, and the WordPress tests start their own."""
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(app_config):
    """The app, holding every comment and running training jobs, served over HTTP on a free port."""
    app = create_app({**app_config, "THRESHOLDS": HOLD_ALL})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join()


@pytest.fixture
def base_url(live_app):
    """The live server's address."""
    return live_app.config["LIVE_URL"]


class Console:
    """What the page printed to its console, and the CSP violations among it."""

    def __init__(self):
        self.messages: list[str] = []

    def __call__(self, message) -> None:
        self.messages.append(message.text)

    @property
    def csp_violations(self) -> list[str]:
        """Console messages about a refused script, style or connection."""
        return [m for m in self.messages if "Content Security Policy" in m]


def open_page(chromium, base_url, **context_options):
    """A new page in its own context (its own cookies), with its console and dialogs recorded."""
    context = chromium.new_context(base_url=base_url, **context_options)
    page = context.new_page()
    page.console = Console()
    page.dialogs = []
    page.on("console", page.console)
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(20_000)
    return context, page


@pytest.fixture
def page(chromium, base_url):
    """A desktop-sized page; the test fails if any Content-Security-Policy violation reached the console."""
    context, page = open_page(chromium, base_url, viewport={"width": 1280, "height": 900})
    yield page
    violations = page.console.csp_violations
    context.close()
    assert violations == [], violations
