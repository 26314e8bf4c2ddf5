"""Fixtures for the Exact sandbox's own tests: one sandbox served on loopback for the session,
reset per test, with a controllable clock; an authenticated HTTP helper; a webhook receiver.

The tests check the sandbox against /work/shared/reference/exact-online-api.md (sections cited
in the tests), never against a client's assumptions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common.sandbox import SandboxServer
from exactsync.sandbox import ExactSandbox

from .support import START, Api, FakeClock, Receiver


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def served(clock: FakeClock) -> Iterator[ExactSandbox]:
    app = ExactSandbox(clock=clock)
    server = SandboxServer(app).start()
    yield app
    server.stop()


@pytest.fixture
def exact(served: ExactSandbox, clock: FakeClock) -> ExactSandbox:
    """The sandbox, reset to seed 1 with 50 items at a fixed time (10:00:00 UTC)."""
    clock.t = START
    served.set_limits(minutely=60, daily=5000)
    served.webhook_validation_delay = 0.05
    served.supplier_item_deleted_entity_type = None
    return served.reset(seed=1, items=50)


@pytest.fixture
def api(exact: ExactSandbox) -> Api:
    client = Api(exact)
    client.login()
    return client


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = SandboxServer(receiver).start()
    yield receiver, server.url
    server.stop()


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, str]) -> tuple[Receiver, str]:
    receiver_server[0].clear()
    return receiver_server
