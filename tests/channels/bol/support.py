"""Helpers shared by the bol.com tests (a controllable clock, a connector factory)."""

from __future__ import annotations

import threading

from channels_app.connectors.bol import BolConnector
from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from common.sandbox import SandboxServer

START = 1_760_000_000.0  # 2025-10-09T08:53:20Z, a Thursday


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

    def reset(self) -> None:
        self.now = START
        self.sleeps.clear()


def make_connector(server: SandboxServer, clock: FakeClock, **kw: object) -> BolConnector:
    return BolConnector(
        kw.pop("client_id", DEFAULT_CLIENT_ID),  # type: ignore[arg-type]
        kw.pop("client_secret", DEFAULT_CLIENT_SECRET),  # type: ignore[arg-type]
        base_url=server.url,
        token_url=f"{server.url}/token",
        sleep=clock.sleep,
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )
