"""Fixtures for the Shopify sandbox and connector tests: one loopback server per module.

Sandbox and connector share a FakeClock: the connector's `sleep` advances it, so waiting out a
THROTTLED answer costs no real time and refills the sandbox's cost bucket by exactly that much.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from channels_app.connectors.shopify import ShopifyConnector
from channels_app.sandbox.shopify import ShopifySandbox
from common.http import build_session
from common.sandbox import SandboxServer

from .support import SECRET, SHOP, TOKEN, FakeClock, Receiver


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    app = ShopifySandbox(SHOP, access_token=TOKEN, client_secret=SECRET, clock=clock)
    server = SandboxServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def shopify(server: SandboxServer, clock: FakeClock) -> ShopifySandbox:
    clock.sleeps.clear()
    app: ShopifySandbox = server.app
    return app.reset(seed=1)


@pytest.fixture
def connector(server: SandboxServer, shopify: ShopifySandbox, clock: FakeClock) -> ShopifyConnector:
    return ShopifyConnector(SHOP, TOKEN, base_url=server.url, sleep=clock.sleep, clock=clock)


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


@pytest.fixture(scope="module")
def http() -> requests.Session:
    return build_session()
