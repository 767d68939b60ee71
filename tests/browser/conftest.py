"""Browser tests of the console: Playwright driving the system's headless Chromium (Debian's
``chromium`` package; no browser is downloaded) against the real app served by uvicorn on
loopback, over the embedded stack seeded from tests/e2e/data.

Without Chromium the tests skip with a loud reason, except under CI=true where that fails
the run. Screenshots go to ``build/screenshots/`` (desktop and phone widths).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn

from access.scopes import Scope
from api.app import create_app
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from tests.e2e.conftest import small_env
from tests.support.auth import key_header
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("OMNIROUTE_TEST_CHROMIUM", "/usr/bin/chromium")
# Flags for a machine without internet: no background calls home, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if found is None:
        reason = (
            f"!!! CHROMIUM NOT FOUND at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium) or set OMNIROUTE_TEST_CHROMIUM !!!"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: a missing browser fails the run)", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the browser tests, closed after them: Playwright's sync API keeps an
    event loop running in the main thread while it is open, which the later suites' own
    ``asyncio.run`` calls would trip over."""
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclass
class Console:
    """The app served on loopback, its services, and helpers to sign in."""

    url: str
    services: Services

    def key(
        self, *scopes: Scope, name: str | None = None, locations: list[str] | None = None
    ) -> str:
        header = key_header(self.services, *scopes, name=name, locations=locations)
        return header["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    env = small_env(f"sqlite:///{tmp_path / 'console.db'}")
    services = bootstrap(Settings.from_env(env))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console's server did not start")
        time.sleep(0.05)
    try:
        yield Console(f"http://127.0.0.1:{port}", services)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Any, console: Console, key: str, then: str = "/console") -> None:
    page.goto(f"{console.url}/console/sign-in?next={quote(then)}")
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def fits(page: Any) -> bool:
    """Nothing wider than the screen (no sideways scrolling)."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= int(page.viewport_size["width"])


def screenshot(page: Any, name: str) -> Path:
    """Write ``build/screenshots/<name>-<width>.png`` (the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    kind = "phone" if width < 600 else "desktop"
    path = SCREENSHOTS / f"{name}-{kind}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
