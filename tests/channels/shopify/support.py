"""Helpers for the Shopify tests: a fake clock, a webhook receiver, a raw GraphQL call."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from common.sandbox import SandboxServer

START = 1_790_000_000.0  # 2026-09-21T14:13:20Z
SHOP = "sandbox-shop.myshopify.com"
TOKEN = "shpat_test_token"
SECRET = "test-client-secret"


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
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint (WSGI): records every POST and answers `status`."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.received.append(Received(dict(request.headers), request.get_data()))
            status = self.status
        return Response("", status=status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        with self.lock:
            return list(self.received)


def gql(
    http: requests.Session,
    server: SandboxServer,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    version: str = "2026-04",
    token: str | None = TOKEN,
) -> requests.Response:
    """One raw GraphQL POST, as a client would send it."""
    headers = {"X-Shopify-Access-Token": token} if token is not None else {}
    return http.post(
        f"{server.url}/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers=headers,
    )
