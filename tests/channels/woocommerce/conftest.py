"""Fixtures for the WooCommerce sandbox and connector tests: one loopback server per module.

Sandbox and connector share a FakeClock; the connector's `sleep` advances it, so waiting out a
Retry-After costs no real time and moves the sandbox's throttle window on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from channels_app.connectors.woocommerce import WooCommerceConnector
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from common.http import TimeoutSession, build_session
from common.sandbox import SandboxServer

START = 1_760_000_000.0  # 2025-10-09T08:53:20Z
KEY, SECRET = "ck_test_key", "cs_test_secret"


class FakeClock:
    """A clock that only moves when told to (or when someone sleeps on it)."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint: records every POST and answers `status`."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.received.append(Received(request.path, dict(request.headers), request.get_data()))
            status = self.status
        return Response("", status=status)(environ, start_response)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    server = SandboxServer(WooCommerceSandbox(KEY, SECRET, clock=clock)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[SandboxServer]:
    server = SandboxServer(Receiver()).start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server: SandboxServer) -> Receiver:
    app: Receiver = receiver_server.app
    with app.lock:
        app.received.clear()
        app.status = 200
    return app


@pytest.fixture
def shop(server: SandboxServer, clock: FakeClock) -> WooCommerceSandbox:
    clock.now = START
    clock.sleeps.clear()
    sandbox: WooCommerceSandbox = server.app
    return sandbox.reset(seed=1)


@pytest.fixture
def connector(
    server: SandboxServer, shop: WooCommerceSandbox, clock: FakeClock
) -> WooCommerceConnector:
    return WooCommerceConnector(KEY, SECRET, base_url=server.url, sleep=clock.sleep, clock=clock)


@pytest.fixture
def http(server: SandboxServer) -> TimeoutSession:
    """A raw session with valid Basic credentials, for sandbox-level tests."""
    session = build_session()
    session.auth = (KEY, SECRET)
    return session
