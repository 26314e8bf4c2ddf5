"""Fixtures: one Amazon sandbox per test module on loopback, reset per test, and a clock that
both the sandbox and the connector read, so waiting costs no real time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels_app.connectors.amazon import AmazonConnector
from channels_app.sandbox.amazon import AmazonSandbox
from common.sandbox import SandboxServer

SELLER = "A1SANDBOXSELLER"
NL = "A1805IZSGTT6HS"
DE = "A1PA6795UKMFR9"


class FakeClock:
    """time.time and time.sleep in one: sleeping moves the clock."""

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    srv = SandboxServer(AmazonSandbox(marketplace_ids=(NL, DE), clock=clock)).start()
    yield srv
    srv.stop()


@pytest.fixture
def amazon(server: SandboxServer, clock: FakeClock) -> AmazonSandbox:
    clock.slept.clear()
    return server.app.reset(seed=1)


def make_connector(server: SandboxServer, clock: FakeClock, **kw: object) -> AmazonConnector:
    args: dict[str, object] = {
        "base_url": server.url,
        "token_url": f"{server.url}/auth/o2/token",
        "sleep": clock.sleep,
        "clock": clock,
        **kw,
    }
    creds = {
        "lwa_client_id": "amzn-client",
        "lwa_client_secret": "amzn-secret",
        "refresh_token": "Atzr|sandbox",
        "seller_id": SELLER,
        "marketplace_ids": (NL,),
    }
    for key in list(creds):
        if key in args:
            creds[key] = args.pop(key)  # type: ignore[assignment]
    return AmazonConnector(**creds, **args)  # type: ignore[arg-type]


@pytest.fixture
def connector(amazon: AmazonSandbox, server: SandboxServer, clock: FakeClock) -> AmazonConnector:
    return make_connector(server, clock)
