"""The rate-limit governor's policy: windows, reserves, priorities, the error guard."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from exactsync.client import (
    BudgetExhaustedError,
    EndpointBlockedError,
    Governor,
    MemoryBudgetStore,
    Priority,
)
from exactsync.client.governor import decide, new_state, note_error, observe

T0 = 1_800_000_000.0  # a fixed instant (a whole minute boundary is at T0 - T0 % 60)


class FakeClock:
    """Time that only moves when someone sleeps; shared by threads."""

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.lock = threading.Lock()

    def time(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class ScaledClock:
    """Real time, sped up: a minute passes in 60/speed seconds, for every thread alike."""

    def __init__(self, start: float, speed: float = 600.0) -> None:
        import time

        self._time = time
        self.start = start
        self.speed = speed
        self.origin = time.monotonic()

    def time(self) -> float:
        return self.start + (self._time.monotonic() - self.origin) * self.speed

    def sleep(self, seconds: float) -> None:
        self._time.sleep(max(0.0, seconds) / self.speed)


def test_a_fresh_minute_allows_exactly_the_limit_then_waits_for_the_boundary() -> None:
    state = new_state(minutely_limit=60)
    now = 1_800_000_030.0  # 30 s into a minute
    waits = [decide(state, priority=Priority.ORDERS, now=now, waiter=f"w{i}") for i in range(61)]
    assert waits[:60] == [0.0] * 60
    assert waits[60] == pytest.approx(30.05)  # until the next minute boundary, not 60 s


def test_catalogue_leaves_a_reserve_that_orders_can_still_use() -> None:
    state = new_state(minutely_limit=60)
    taken = 0
    while decide(state, priority=Priority.CATALOGUE, now=T0, waiter="cat") == 0:
        taken += 1
    assert taken == 50  # 10 kept back this minute
    assert [decide(state, priority=Priority.ORDERS, now=T0, waiter=f"o{i}") for i in range(10)] == [
        0.0
    ] * 10
    assert decide(state, priority=Priority.ORDERS, now=T0, waiter="o11") > 0


def test_a_waiting_order_goes_before_waiting_catalogue_work() -> None:
    state = new_state(minutely_limit=12)
    assert [decide(state, priority=Priority.ORDERS, now=T0, waiter=f"o{i}") for i in range(12)] == [
        0.0
    ] * 12
    # Both wait for the next minute...
    assert decide(state, priority=Priority.CATALOGUE, now=T0, waiter="cat") > 0
    assert decide(state, priority=Priority.ORDERS, now=T0, waiter="order") > 0
    minute_end = (T0 // 60 + 1) * 60
    assert (
        decide(state, priority=Priority.ORDERS, now=minute_end - 1, waiter="order") > 0
    )  # still waiting
    later = minute_end + 0.05
    # ...the catalogue worker happens to ask first, but an order is waiting: it must yield.
    assert decide(state, priority=Priority.CATALOGUE, now=later, waiter="cat") == pytest.approx(
        0.05
    )
    assert decide(state, priority=Priority.ORDERS, now=later, waiter="order") == 0


def test_daily_budget_reserve_stops_catalogue_but_not_orders() -> None:
    state = new_state(minutely_limit=60, daily_limit=5000)
    state["day_remaining"], state["day_reset"] = 1200, int((T0 + 3600) * 1000)
    assert (
        decide(state, priority=Priority.CATALOGUE, now=T0, waiter="c") < 0
    )  # negative = closed for today
    assert decide(state, priority=Priority.ORDERS, now=T0, waiter="o") == 0


def test_headers_correct_the_budget_downwards_within_the_same_window() -> None:
    state = new_state()
    decide(state, priority=Priority.ORDERS, now=T0, waiter="x")
    reset = state["minute_reset"]
    observe(
        state,
        {
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": "12",
            "X-RateLimit-Minutely-Reset": str(reset),
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4100",
            "X-RateLimit-Reset": str(reset + 3_600_000),
        },
        now=T0,
    )
    assert state["minute_remaining"] == 12
    assert state["day_remaining"] == 4100
    assert state["day_used"] == 900


def test_error_guard_blocks_an_endpoint_before_exacts_tenth_error() -> None:
    clock = FakeClock()
    governor = Governor(store=MemoryBudgetStore(), division=1, clock=clock.time, sleep=clock.sleep)
    for _ in range(7):
        governor.error("logistics/Items")
    governor.acquire(
        priority=Priority.CATALOGUE, endpoint="logistics/Items"
    )  # 7 errors: still open
    governor.error("logistics/Items")
    with pytest.raises(EndpointBlockedError):
        governor.acquire(priority=Priority.CATALOGUE, endpoint="logistics/Items")
    governor.acquire(
        priority=Priority.CATALOGUE, endpoint="crm/Accounts"
    )  # other endpoints unaffected
    clock.sleep(3601)
    governor.acquire(
        priority=Priority.CATALOGUE, endpoint="logistics/Items"
    )  # an hour later: open again


def test_old_errors_fall_out_of_the_hour() -> None:
    state = new_state()
    for i in range(7):
        note_error(state, "e", now=T0 + i)
    note_error(state, "e", now=T0 + 4000)  # the first seven are more than an hour old
    assert state["errors"]["e"] == [T0 + 4000]
    assert "e" not in state["blocked_until"]


class GrantCountingStore(MemoryBudgetStore):
    """Counts each granted call against the minute window it was granted in, inside the store's
    own lock (reading the clock after acquire() returns would race with other threads' sleeps)."""

    def __init__(self) -> None:
        super().__init__()
        self.per_minute: dict[int, int] = {}

    def update(self, division: int, fn: Any) -> Any:
        def counted(state: dict[str, Any]) -> Any:
            used = state["day_used"]
            result = fn(state)
            if state["day_used"] > used:
                window = state["minute_reset"]
                self.per_minute[window] = self.per_minute.get(window, 0) + 1
            return result

        return super().update(division, counted)


def test_many_threads_never_exceed_the_minute_limit() -> None:
    clock = FakeClock()
    store = GrantCountingStore()

    def worker(priority: Priority) -> None:
        governor = Governor(store=store, division=7, clock=clock.time, sleep=clock.sleep)
        for _ in range(50):
            governor.acquire(priority=priority, endpoint="x")

    threads = [
        threading.Thread(target=worker, args=(p,))
        for p in (Priority.ORDERS, Priority.STOCK, Priority.ORDERS, Priority.STOCK)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(store.per_minute.values()) == 200
    assert max(store.per_minute.values()) <= 60
    assert len(store.per_minute) >= 4  # 200 calls at 60 a minute span at least four windows


def test_budget_exhausted_for_the_day_raises_with_the_wait() -> None:
    clock = FakeClock()
    store = MemoryBudgetStore(daily_limit=3)
    governor = Governor(store=store, division=1, clock=clock.time, sleep=clock.sleep)
    for _ in range(3):
        governor.acquire(priority=Priority.ORDERS, endpoint="x")
    with pytest.raises(BudgetExhaustedError) as info:
        governor.acquire(priority=Priority.ORDERS, endpoint="x")
    assert info.value.retry_after > 0


def test_while_orders_are_busy_catalogue_work_only_gets_the_top_of_the_minute() -> None:
    state = new_state(minutely_limit=60)
    assert decide(state, priority=Priority.ORDERS, now=T0, waiter="o") == 0  # orders are active
    taken = 0
    while decide(state, priority=Priority.CATALOGUE, now=T0 + 1, waiter="c") == 0:
        taken += 1
    assert taken == 11  # 59 left -> catalogue stops at 48 (80% of the minute kept for orders)
    later = T0 + 10  # orders went quiet: catalogue may use the minute down to its own reserve
    while decide(state, priority=Priority.CATALOGUE, now=later, waiter="c") == 0:
        taken += 1
    assert taken == 49
