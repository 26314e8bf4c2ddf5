"""Token discipline: one refresh at a time per connection, across threads and processes.

Refresh tokens are single use and a refresh earlier than 570 s is refused: a lost race breaks the
chain and the connection needs a new login. These tests hammer one connection through token
expiries and count: exactly one refresh per expiry, zero lost chains, zero failed calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from common.sandbox import SandboxServer
from exactsync.client import CallLog, NeedsLoginError
from exactsync.models import ExactConnection, TokenState
from exactsync.sandbox import ExactSandbox
from exactsync.services.exact import build_exact_client, store_token_response
from tests.exact.conftest import reset_budget

HAMMER = Path(__file__).with_name("hammer.py")


@pytest.fixture
def sandbox() -> Any:
    app = ExactSandbox()
    server = SandboxServer(app).start()
    app.reset(seed=1, items=5)
    app.set_limits(minutely=100_000, daily=10_000_000)
    yield app
    server.stop()


def connect(app: ExactSandbox) -> ExactConnection:
    connection = ExactConnection.objects.create(
        name="Race", base_url=app.base_url, division=app.division
    )
    tokens = app.issue_tokens()
    store_token_response(connection, tokens)
    reset_budget(app.division)
    return connection


def expire_soon(app: ExactSandbox, connection: ExactConnection) -> None:
    """Move to 'the token expires in a moment': Exact's clock 575 s on, our row about to expire."""
    app.advance_clock(575)
    ExactConnection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=0.3)
    )


def wait_until(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def token_endpoint_refreshes(app: ExactSandbox) -> int:
    return sum(1 for c in app.calls if c.path == "/api/oauth2/token")


@pytest.mark.django_db(transaction=True)
def test_threads_hammering_one_connection_refresh_once_per_expiry(sandbox: ExactSandbox) -> None:
    connection = connect(sandbox)
    stop = threading.Event()
    results: list[tuple[int, list[str]]] = []

    def worker() -> None:
        client = build_exact_client(ExactConnection.objects.get(pk=connection.pk), calls=CallLog())
        ok, errors = 0, []
        while not stop.is_set():
            try:
                client.me()
                ok += 1
            except Exception as exc:
                errors.append(repr(exc))
            time.sleep(0.002)
        results.append((ok, errors))
        from django.db import connections

        connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for _ in range(3):
        time.sleep(0.4)
        expire_soon(sandbox, connection)
    time.sleep(0.6)
    stop.set()
    for t in threads:
        t.join()

    connection.refresh_from_db()
    assert [e for _, errors in results for e in errors] == []
    assert all(ok > 0 for ok, _ in results)
    assert connection.token_state == TokenState.VALID
    assert token_endpoint_refreshes(sandbox) == 3  # one refresh per expiry, never two


@pytest.mark.django_db(transaction=True)
def test_processes_hammering_one_connection_keep_the_refresh_chain(
    sandbox: ExactSandbox, tmp_path: Path
) -> None:
    connection = connect(sandbox)
    settings = db_connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{settings['NAME']}"
    else:
        url = (
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
            f"{settings['NAME']}"
        )
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_POOL": "false"}
    stop = tmp_path / "stop"
    workers = [
        subprocess.Popen(
            [sys.executable, str(HAMMER), str(connection.pk), str(stop)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    me_calls = lambda: sum(1 for c in sandbox.calls if c.path.endswith("current/Me"))  # noqa: E731
    wait_until(lambda: me_calls() >= 40)  # every worker is up and calling
    for expiry in range(1, 4):
        expire_soon(sandbox, connection)
        wait_until(lambda n=expiry: token_endpoint_refreshes(sandbox) >= n)
        calls = me_calls()
        wait_until(lambda c=calls: me_calls() >= c + 40)  # and they keep calling on the new token
    stop.touch()
    outputs = [w.communicate(timeout=60) for w in workers]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    connection.refresh_from_db()
    assert [e for r in reports for e in r["errors"]] == []
    assert all(r["ok"] > 0 for r in reports)
    assert connection.token_state == TokenState.VALID
    assert token_endpoint_refreshes(sandbox) == 3
    assert sum(r["refreshes"] for r in reports) == 3  # exactly one process refreshed each time


@pytest.mark.django_db
def test_a_401_triggers_one_refresh_and_a_retry(sandbox: ExactSandbox) -> None:
    connection = connect(sandbox)
    client = build_exact_client(connection, calls=CallLog())
    sandbox.advance_clock(575)  # Exact would now allow a refresh
    sandbox.expire_access_tokens()  # ...and refuses the current token
    me = client.me()
    assert int(me["CurrentDivision"]) == sandbox.division
    assert token_endpoint_refreshes(sandbox) == 1
    assert [c.status for c in sandbox.calls if c.path.endswith("current/Me")] == [401, 200]


@pytest.mark.django_db
def test_revoked_refresh_token_puts_the_connection_in_needs_login(
    sandbox: ExactSandbox, client: Any
) -> None:
    connection = connect(sandbox)
    sandbox.revoke_refresh_tokens()
    expire_soon(sandbox, connection)
    time.sleep(0.35)
    api = build_exact_client(ExactConnection.objects.get(pk=connection.pk), calls=CallLog())
    with pytest.raises(NeedsLoginError):
        api.me()
    connection.refresh_from_db()
    assert connection.token_state == TokenState.NEEDS_LOGIN
    assert "revoked" in connection.token_error
    # every later call stops before reaching Exact
    calls_before = len(sandbox.calls)
    with pytest.raises(NeedsLoginError):
        api.me()
    assert len(sandbox.calls) == calls_before
    # and staff see it on every admin page
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    page = client.get("/admin/").content.decode()
    assert "needs a new login" in page
    assert "revoked" in page


@pytest.mark.django_db
def test_old_refresh_token_is_needs_login_too(sandbox: ExactSandbox) -> None:
    connection = connect(sandbox)
    stale = ExactConnection.objects.get(pk=connection.pk).refresh_token
    # Another (misbehaving) client refreshes behind our back and uses the new pair.
    sandbox.advance_clock(575)
    from exactsync.services.exact import oauth_for

    fresh = oauth_for(connection).refresh(stale)  # our stored refresh token is now the rotated one
    assert fresh.refresh_token != stale
    from common.http import build_session

    session = build_session()
    session.get(
        f"{sandbox.base_url}/api/v1/current/Me",
        headers={"Authorization": f"Bearer {fresh.access_token}", "Accept": "application/json"},
    )
    ExactConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
    with pytest.raises(NeedsLoginError, match="Old refresh token used"):
        build_exact_client(ExactConnection.objects.get(pk=connection.pk), calls=CallLog()).me()
