"""Fixtures for the bol.com sandbox and connector tests: one loopback server per module.

Sandbox and connector share a FakeClock; the connector's `sleep` advances it, so waiting for a
token to expire, a rate-limit window or a process status costs no real time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels_app.connectors.bol import BolConnector
from channels_app.sandbox.bol import BolSandbox
from common.sandbox import SandboxServer

from .support import FakeClock, make_connector


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    srv = SandboxServer(BolSandbox(clock=clock)).start()
    yield srv
    srv.stop()


@pytest.fixture
def bol(server: SandboxServer, clock: FakeClock) -> BolSandbox:
    clock.reset()
    app: BolSandbox = server.app
    return app.reset(seed=1)


@pytest.fixture
def connector(server: SandboxServer, clock: FakeClock, bol: BolSandbox) -> BolConnector:
    return make_connector(server, clock)
