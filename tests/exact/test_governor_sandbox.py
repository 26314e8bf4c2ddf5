"""The governor against the sandbox's real limits (60 a minute), on a shared fake clock.

The sandbox and our governor read the same clock, sped up 60 times, so minutes pass in a second and
Exact's fixed windows roll over exactly as they would. Not faster: a call's HTTP time is sped up too,
and on a busy machine a call granted late in one window could land in the next.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from common.sandbox import SandboxServer
from exactsync.client import CallLog, Priority
from exactsync.models import ExactConnection
from exactsync.sandbox import ExactSandbox
from exactsync.services.exact import build_exact_client, store_token_response
from tests.exact.client.test_governor import ScaledClock as FakeClock
from tests.exact.conftest import reset_budget


@pytest.fixture
def limited(request: Any) -> Any:
    speed = getattr(request, "param", 60)
    clock = FakeClock(start=__import__("time").time(), speed=speed)
    app = ExactSandbox(clock=clock.time)
    server = SandboxServer(app).start()
    app.reset(seed=1, items=5)
    app.set_limits(minutely=60, daily=5000)
    yield app, clock
    server.stop()


def connect(app: ExactSandbox, clock: FakeClock) -> ExactConnection:
    connection = ExactConnection.objects.create(
        name="Limited", base_url=app.base_url, division=app.division
    )
    tokens = app.issue_tokens()
    store_token_response(connection, tokens, now=clock.time())
    reset_budget(app.division, minutely=60, daily=5000)
    return connection


def call_once(client: Any, priority: Priority) -> None:
    client.get_json(
        "sync/Logistics/Items",
        params={"$select": "ID", "$filter": "Timestamp gt 999999999L"},
        priority=priority,
    )


def run_workers(
    connection: ExactConnection,
    clock: FakeClock,
    plan: list[tuple[Priority, int]],
    log: list[tuple[float, Priority]] | None = None,
) -> list[float]:
    finished: list[float] = [0.0] * len(plan)
    errors: list[str] = []

    def worker(index: int, priority: Priority, count: int) -> None:
        client = build_exact_client(
            ExactConnection.objects.get(pk=connection.pk),
            calls=CallLog(),
            clock=clock.time,
            sleep=clock.sleep,
        )
        try:
            for _ in range(count):
                call_once(client, priority)
                if log is not None:
                    log.append((clock.time(), priority))
        except Exception as exc:
            errors.append(repr(exc))
        finished[index] = clock.time()
        connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, p, n)) for i, (p, n) in enumerate(plan)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return finished


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_500_calls_from_4_workers_never_earns_a_429(limited: Any) -> None:
    app, clock = limited
    connection = connect(app, clock)
    start = clock.time()
    run_workers(
        connection,
        clock,
        [
            (Priority.CATALOGUE, 125),
            (Priority.STOCK, 125),
            (Priority.ORDERS, 125),
            (Priority.PURCHASE, 125),
        ],
    )
    statuses = [c.status for c in app.calls if "/api/v1/" in c.path]
    assert statuses.count(200) == 500
    assert statuses.count(429) == 0
    # 500 calls at 60 a minute: the governor made the workers wait at least 8 minute boundaries.
    assert clock.time() - start >= 7 * 60


@pytest.mark.django_db(transaction=True)
def test_orders_are_served_before_catalogue_work_under_contention(limited: Any) -> None:
    app, clock = limited
    connection = connect(app, clock)
    log: list[tuple[float, Priority]] = []
    start = clock.time()
    run_workers(
        connection,
        clock,
        [
            (Priority.CATALOGUE, 90),
            (Priority.ORDERS, 90),
            (Priority.CATALOGUE, 90),
            (Priority.ORDERS, 90),
        ],
        log,
    )
    # While orders are waiting (the first three minutes: 180 order calls at 60 a minute), they
    # get the budget; catalogue work gets what is left. Without priorities it would be about even.
    early = [p for t, p in log if t < start + 180]
    assert early.count(Priority.ORDERS) >= 2 * early.count(Priority.CATALOGUE)
    assert len(log) == 360
    assert [c.status for c in app.calls if "/api/v1/" in c.path].count(429) == 0
