"""The rate-limit governor: one Exact budget per division, shared by every worker.

Exact allows 60 calls a minute and 5,000 a day per app and division, in fixed windows, and blocks
an endpoint for an hour after 10 error responses in an hour (exact-online-api.md section 4). The
governor waits rather than earn a 429, serves higher-priority work first, keeps a reserve for
orders, and stops calling an endpoint that nears its error limit.

The policy here is pure (a function of a state dict and the clock); a store makes each decision
atomic across processes: a database row under a lock, or Redis (see exactsync.governor_store).
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import BudgetExhaustedError, EndpointBlockedError


class Priority(enum.IntEnum):
    """Lower value = served first."""

    ORDERS = 0  # sales orders and tracking
    STOCK = 1
    PURCHASE = 2  # purchase orders
    CATALOGUE = 3  # products, suppliers, history


# Calls that must stay available for higher priorities: (per minute, per day).
RESERVES: dict[Priority, tuple[int, int]] = {
    Priority.ORDERS: (0, 0),
    Priority.STOCK: (2, 300),
    Priority.PURCHASE: (5, 600),
    Priority.CATALOGUE: (10, 1200),
}
ACTIVE_WINDOW = 3.0  # seconds a priority counts as busy after it last asked for a call
CONTENDED_SHARE = 0.8  # share of the minute kept for a busier, more urgent priority
ERROR_LIMIT = 10  # Exact's block threshold per endpoint per hour
ERROR_MARGIN = 2  # we stop at 8 to keep room for the errors in flight
WAITER_TTL = (
    10.0  # a waiter that has not asked again within this is gone (callers poll every <= 5 s)
)
MINUTE_MS = 60_000


def _next_minute_ms(now_ms: int) -> int:
    return (now_ms // MINUTE_MS + 1) * MINUTE_MS


def _next_midnight_ms(now_ms: int) -> int:
    day = 86_400_000
    return (now_ms // day + 1) * day


def new_state(*, minutely_limit: int = 60, daily_limit: int = 5000) -> dict[str, Any]:
    return {
        "minute_limit": minutely_limit,
        "minute_remaining": minutely_limit,
        "minute_reset": 0,
        "day_limit": daily_limit,
        "day_remaining": daily_limit,
        "day_reset": 0,
        "day_used": 0,
        "waiters": {},
        "errors": {},
        "blocked_until": {},
    }


def _roll_windows(state: dict[str, Any], now_ms: int) -> None:
    if now_ms >= state["minute_reset"]:
        state["minute_remaining"] = state["minute_limit"]
        state["minute_reset"] = _next_minute_ms(now_ms)
    if now_ms >= state["day_reset"]:
        state["day_remaining"] = state["day_limit"]
        state["day_reset"] = _next_midnight_ms(now_ms)
        state["day_used"] = 0


def decide(state: dict[str, Any], *, priority: Priority, now: float, waiter: str) -> float:
    """Take one call from the budget (return 0) or say how long to wait (seconds). Mutates state."""
    now_ms = int(now * 1000)
    _roll_windows(state, now_ms)
    waiters: dict[str, list[float]] = state["waiters"]
    for key in [k for k, (_, expires) in waiters.items() if expires < now]:
        del waiters[key]
    higher_waiting = any(p < priority for k, (p, _) in waiters.items() if k != waiter)
    minute_reserve, day_reserve = RESERVES[priority]
    # Work of a higher priority was asking for calls a moment ago: leave it most of this minute.
    active: dict[str, float] = state.setdefault("active", {})
    if any(int(p) < priority and seen > now - ACTIVE_WINDOW for p, seen in active.items()):
        minute_reserve = max(minute_reserve, int(state["minute_limit"] * CONTENDED_SHARE))
    active[str(int(priority))] = now
    if state["day_remaining"] <= day_reserve:
        waiters.pop(waiter, None)
        return -max(1.0, (state["day_reset"] - now_ms) / 1000)  # negative: the day is over for us
    if not higher_waiting and state["minute_remaining"] > minute_reserve:
        state["minute_remaining"] -= 1
        state["day_remaining"] -= 1
        state["day_used"] += 1
        hours: dict[str, int] = state.setdefault("hours", {})
        hour = str(now_ms // 3_600_000)
        hours[hour] = hours.get(hour, 0) + 1
        if len(hours) > 26:  # keep a day of hourly counts for the dashboard
            for old in sorted(hours, key=int)[:-26]:
                del hours[old]
        waiters.pop(waiter, None)
        return 0.0
    waiters[waiter] = [int(priority), now + WAITER_TTL]
    if higher_waiting and state["minute_remaining"] > minute_reserve:
        return 0.05  # let the more urgent caller go first, then ask again
    return max(0.05, (state["minute_reset"] - now_ms) / 1000 + 0.05)


def observe(state: dict[str, Any], headers: dict[str, str], *, now: float) -> None:
    """Correct the budget from Exact's X-RateLimit-* headers (epoch milliseconds)."""
    now_ms = int(now * 1000)
    _roll_windows(state, now_ms)

    def number(name: str) -> int | None:
        value = headers.get(name)
        return int(value) if value is not None and str(value).lstrip("-").isdigit() else None

    m_limit, m_left, m_reset = (
        number("X-RateLimit-Minutely-Limit"),
        number("X-RateLimit-Minutely-Remaining"),
        number("X-RateLimit-Minutely-Reset"),
    )
    if m_limit:
        state["minute_limit"] = m_limit
    if m_left is not None and m_reset:
        if m_reset > state["minute_reset"] + 1000:  # a later window than ours: take Exact's view
            state["minute_reset"], state["minute_remaining"] = m_reset, m_left
        else:  # same window: calls still in flight are not in Exact's count yet, keep the lower
            state["minute_reset"] = m_reset
            state["minute_remaining"] = min(state["minute_remaining"], m_left)
    d_limit, d_left, d_reset = (
        number("X-RateLimit-Limit"),
        number("X-RateLimit-Remaining"),
        number("X-RateLimit-Reset"),
    )
    if d_limit:
        state["day_limit"] = d_limit
    if d_left is not None and d_reset:
        if d_reset > state["day_reset"] + 1000:
            state["day_reset"], state["day_remaining"] = d_reset, d_left
        else:
            state["day_reset"] = d_reset
            state["day_remaining"] = min(state["day_remaining"], d_left)
        state["day_used"] = max(
            state.get("day_used", 0), state["day_limit"] - state["day_remaining"]
        )


def note_rate_limited(state: dict[str, Any], *, reset_ms: int | None, now: float) -> None:
    """A 429 arrived anyway: nothing more this minute."""
    now_ms = int(now * 1000)
    _roll_windows(state, now_ms)
    state["minute_remaining"] = 0
    if reset_ms and reset_ms > now_ms:
        state["minute_reset"] = reset_ms


def note_error(state: dict[str, Any], endpoint: str, *, now: float) -> None:
    """Count an error response (400/401/403/404) against the endpoint's hourly allowance."""
    errors: dict[str, list[float]] = state["errors"]
    recent = [t for t in errors.get(endpoint, []) if t > now - 3600]
    recent.append(now)
    errors[endpoint] = recent
    if len(recent) >= ERROR_LIMIT - ERROR_MARGIN:
        state["blocked_until"][endpoint] = recent[0] + 3600


def blocked_until(state: dict[str, Any], endpoint: str, *, now: float) -> float | None:
    until = state["blocked_until"].get(endpoint)
    if until and until > now:
        return until
    state["blocked_until"].pop(endpoint, None)
    return None


class BudgetStore(Protocol):
    """Runs `fn` on the division's state atomically (one process at a time) and saves it."""

    def update(self, division: int, fn: Callable[[dict[str, Any]], Any]) -> Any: ...

    def read(self, division: int) -> dict[str, Any]: ...


class MemoryBudgetStore:
    """A process-local store (tests, tools); real deployments use the database or Redis store."""

    def __init__(self, **limits: int) -> None:
        import threading

        self._lock = threading.Lock()
        self._states: dict[int, dict[str, Any]] = {}
        self._limits = limits

    def update(self, division: int, fn: Callable[[dict[str, Any]], Any]) -> Any:
        with self._lock:
            state = self._states.setdefault(division, new_state(**self._limits))
            return fn(state)

    def read(self, division: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._states.get(division) or new_state(**self._limits))


@dataclass
class Governor:
    """What the client calls around every request."""

    store: BudgetStore
    division: int
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    max_wait: float = 900.0  # beyond this a caller gives up with BudgetExhaustedError
    waited: float = 0.0  # total seconds this governor held its callers back

    def acquire(self, *, priority: Priority, endpoint: str) -> None:
        """Block until a call may be made (or raise when the endpoint or the day is closed)."""
        until = self.store.update(
            self.division, lambda s: blocked_until(s, endpoint, now=self.clock())
        )
        if until:
            raise EndpointBlockedError(
                f"Calls to {endpoint} are paused until {time.strftime('%H:%M', time.localtime(until))}: "
                "Exact blocks an endpoint after 10 errors in an hour.",
                retry_after=until - self.clock(),
            )
        waiter = uuid.uuid4().hex
        started = self.clock()
        while True:
            wait = self.store.update(
                self.division,
                lambda s: decide(s, priority=priority, now=self.clock(), waiter=waiter),
            )
            if wait == 0:
                self.waited += self.clock() - started
                return
            if wait < 0:
                raise BudgetExhaustedError(
                    f"Today's Exact budget for {priority.name.lower()} work is used up "
                    f"(reserve kept for more urgent work); it resets in {int(-wait // 60)} minutes.",
                    retry_after=-wait,
                )
            if self.clock() - started + wait > self.max_wait:
                raise BudgetExhaustedError(
                    "Waited too long for Exact's rate limit", retry_after=wait
                )
            self.sleep(min(wait, 5.0))

    def observe(self, headers: dict[str, str]) -> None:
        self.store.update(self.division, lambda s: observe(s, headers, now=self.clock()))

    def rate_limited(self, reset_ms: int | None) -> None:
        self.store.update(
            self.division, lambda s: note_rate_limited(s, reset_ms=reset_ms, now=self.clock())
        )

    def error(self, endpoint: str) -> None:
        self.store.update(self.division, lambda s: note_error(s, endpoint, now=self.clock()))

    def usage(self) -> dict[str, Any]:
        state = self.store.read(self.division)
        return {
            "day_used": state.get("day_used", 0),
            "day_remaining": state["day_remaining"],
            "day_limit": state["day_limit"],
            "minute_remaining": state["minute_remaining"],
            "blocked": {k: v for k, v in state["blocked_until"].items() if v > self.clock()},
        }
