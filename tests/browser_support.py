"""Browser fixtures shared by every area's browser tests: a live server and a headless Debian chromium page.

Registered as a plugin in ``tests/conftest.py``: ask for ``live_server`` and ``page`` in a test, call
``sign_in(page, live_server, username)``, and mark the module ``pytestmark = pytest.mark.browser``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from scanroom.web.app import STATIC_DIR
from tests.conftest import World, password_for

try:
    from playwright import sync_api as playwright_api
except ImportError:  # pragma: no cover - playwright is a test dependency
    playwright_api = None  # type: ignore[assignment]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def live_server(app, world: World) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not (STATIC_DIR / "viewer" / "viewer.js").exists():
        pytest.fail("The viewer is not built: run `make viewer` (make test does it).")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def page(live_server: str) -> Iterator[object]:
    if playwright_api is None:
        pytest.skip("playwright is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        browser_page = context.new_page()
        errors: list[str] = []
        browser_page.on("pageerror", lambda exc: errors.append(str(exc)))
        browser_page.errors = errors  # type: ignore[attr-defined]
        yield browser_page
        context.close()
        browser.close()


def sign_in(page, live_server: str, username: str = "trainee") -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login form, as a person would, and land on that person's home page."""
    page.goto(f"{live_server}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password_for(username))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def sign_in_as_trainee(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "trainee")
    page.wait_for_url(f"{live_server}/trainee")
