"""Fixtures for tests that talk to the Exact sandbox through our real client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from common.sandbox import SandboxServer
from exactsync.client.governor import new_state
from exactsync.governor_store import budget_store
from exactsync.models import ExactConnection
from exactsync.sandbox import ExactSandbox
from exactsync.services.exact import store_token_response

# Generous limits by default so unrelated tests never wait on Exact's 60 a minute; the governor
# tests set Exact's real numbers themselves.
TEST_MINUTELY = 100_000
TEST_DAILY = 10_000_000


@pytest.fixture(scope="session")
def exact_server() -> Iterator[ExactSandbox]:
    app = ExactSandbox()
    server = SandboxServer(app).start()
    yield app
    server.stop()


@pytest.fixture
def exact(exact_server: ExactSandbox) -> ExactSandbox:
    """The Exact sandbox, reset to a small deterministic catalogue."""
    exact_server.reset(seed=1, items=30)
    exact_server.set_limits(minutely=TEST_MINUTELY, daily=TEST_DAILY)
    exact_server.webhook_validation_delay = 0.01
    return exact_server


def reset_budget(division: int, *, minutely: int = TEST_MINUTELY, daily: int = TEST_DAILY) -> None:
    def replace(state: dict[str, Any]) -> None:
        state.clear()
        state.update(new_state(minutely_limit=minutely, daily_limit=daily))

    budget_store().update(division, replace)


@pytest.fixture
def exact_connection(db: Any, exact: ExactSandbox) -> ExactConnection:
    """A connection to the sandbox's division with a fresh token pair (as after a login)."""
    connection = ExactConnection.objects.create(
        name="Sandbox BV", base_url=exact.base_url, division=exact.division
    )
    tokens = exact.issue_tokens()
    store_token_response(connection, tokens)
    reset_budget(exact.division)
    return connection


def relogin(exact: ExactSandbox, connection: ExactConnection) -> ExactConnection:
    """After `exact.reset(...)` (which forgets every token), log in again."""
    tokens = exact.issue_tokens()
    store_token_response(connection, tokens)
    reset_budget(exact.division)
    return connection
