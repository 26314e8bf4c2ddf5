"""Browser journeys: Debian's Chromium, driven by Playwright (sync API), against the live server.

One Chromium per session, a fresh context (cookies, storage) per test. The browser may only talk
to loopback: other host names do not resolve inside Chromium, and every request a page makes goes
through a guard that refuses (and reports) anything not on loopback. A page that throws a
JavaScript error fails the test too. Screenshots go to tests/screenshots/<test>-<step>.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = f"{CHROMIUM} is not installed: the browser journeys need Debian's Chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
PASSWORD = "pass-Word-123"  # what tests.factories.UserFactory sets
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Loopback only: no proxy, and no other host name resolves inside the browser.
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE [::1]",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API marks its event loop as running in this thread between calls, so
    # Django would refuse the (synchronous) ORM calls the tests make between browser steps. Set
    # for as long as the browser lives (the rest of the session), then restored.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's outcome on the item, so the page fixture can screenshot failures."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def _browser_settings(settings: Any) -> None:
    """The live server speaks plain http on localhost; logins need not hash slowly."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page(
    browser: Any, live_server: Any, _browser_settings: None, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A page in a fresh browser context, pointed at the live server."""
    for old in SCREENSHOTS.glob(f"{_file_name(request.node.name)}-*.png"):
        old.unlink()  # the folder shows the latest run of each journey only
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1920, "height": 1080},
        locale="en-GB",
        timezone_id="Europe/Amsterdam",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    refused: list[str] = []

    def loopback_only(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            refused.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", loopback_only)
    errors: list[str] = []
    browser_page = context.new_page()
    browser_page.on("pageerror", lambda exc: errors.append(f"{browser_page.url}: {exc}"))
    yield browser_page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        _save(browser_page, request.node.name, "failure")
    context.close()
    assert not refused, f"the browser tried to leave loopback: {refused}"
    assert not errors, f"JavaScript errors on the pages: {errors}"


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _save(page: Any, test_name: str, step: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{_file_name(test_name)}-{_file_name(step)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """shot("step") saves tests/screenshots/<test name>-<step>.png of the whole page."""

    def take(step: str) -> Path:
        return _save(page, request.node.name, step)

    return take


@pytest.fixture
def log_in(page: Any) -> Callable[..., None]:
    """Log in through the admin's login page, as a person would; checks that it worked."""
    from playwright.sync_api import expect

    def run(username: str, password: str = PASSWORD, *, next_url: str = "/admin/") -> None:
        page.goto(f"/admin/login/?next={next_url}")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("#login-form [type=submit]").click()
        expect(page.locator("#user-tools")).to_contain_text(username)

    return run


# -- the bol.com sandbox on loopback (as in tests/channels_app/conftest.py) --------------------------
@pytest.fixture(scope="session")
def clock() -> Any:
    from tests.channels_app.conftest import Clock

    return Clock()


@pytest.fixture(scope="session")
def bol_server(clock: Any) -> Iterator[Any]:
    from channels_app.sandbox.bol import BolSandbox
    from common.sandbox import SandboxServer

    server = SandboxServer(BolSandbox(clock=clock)).start()
    yield server
    server.stop()


@pytest.fixture
def bol(bol_server: Any, clock: Any) -> Any:
    """The bol.com sandbox, reset to the channel tests' catalogue."""
    from tests.channels_app.conftest import CATALOGUE

    clock.reset()
    return bol_server.app.reset(seed=1, products=CATALOGUE)


@pytest.fixture
def connector_for(clock: Any) -> Callable[[Any], Any]:
    """The channel's real connector, on the shared clock (no real waiting)."""
    from channels_app.connectors.registry import build_connector

    return lambda channel: build_connector(channel, sleep=clock.sleep, clock=clock)
