"""Exact's API budgets (reference section 4): fixed minutely and daily windows per (client,
division) with the six `X-RateLimit-*` headers in epoch milliseconds, and the error rule
("max 10 error responses per endpoint per hour; 400/401/403/404 count").

Sandbox choices: the daily window resets at midnight UTC of the sandbox clock; a blocked endpoint
answers 429 with an Exact error body and `Retry-After` (seconds) for one hour (the growing block
on repeat offences is not modelled); requests refused with 429 do not count as calls.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

ERROR_STATUSES = frozenset({400, 401, 403, 404})
ERRORS_PER_HOUR = 10
BLOCK_SECONDS = 3600


@dataclass
class _Window:
    """Counters of the current minute and day (fixed windows)."""

    minute: int = -1
    minute_used: int = 0
    day: int = -1
    day_used: int = 0


@dataclass
class LimitDecision:
    """The outcome of counting one call: allowed or not, and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    exceeded: str = ""  # "minutely" or "daily" when refused


class RateLimiter:
    """Fixed-window call counters per key (client_id, division)."""

    def __init__(self, minutely: int, daily: int) -> None:
        self.minutely = minutely
        self.daily = daily
        self._windows: dict[tuple[str, int], _Window] = {}

    def _roll(self, key: tuple[str, int], now: float) -> _Window:
        window = self._windows.setdefault(key, _Window())
        minute, day = int(now // 60), int(now // 86400)
        if window.minute != minute:
            window.minute, window.minute_used = minute, 0
        if window.day != day:
            window.day, window.day_used = day, 0
        return window

    def hit(self, key: tuple[str, int], now: float) -> LimitDecision:
        """Count one call unless a window is exhausted (then say which one)."""
        window = self._roll(key, now)
        if window.day_used >= self.daily:
            return LimitDecision(False, self._daily_headers(window), "daily")
        if window.minute_used >= self.minutely:
            return LimitDecision(False, self._minutely_headers(window), "minutely")
        window.minute_used += 1
        window.day_used += 1
        return LimitDecision(
            True, {**self._daily_headers(window), **self._minutely_headers(window)}
        )

    def _daily_headers(self, window: _Window) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.daily),
            "X-RateLimit-Remaining": str(max(0, self.daily - window.day_used)),
            "X-RateLimit-Reset": str((window.day + 1) * 86_400_000),
        }

    def _minutely_headers(self, window: _Window) -> dict[str, str]:
        return {
            "X-RateLimit-Minutely-Limit": str(self.minutely),
            "X-RateLimit-Minutely-Remaining": str(max(0, self.minutely - window.minute_used)),
            "X-RateLimit-Minutely-Reset": str((window.minute + 1) * 60_000),
        }

    def usage(self, key: tuple[str, int], now: float) -> dict[str, dict[str, int]]:
        """Used/remaining/reset (ms) of both windows for `key`."""
        window = self._roll(key, now)
        return {
            "minutely": {
                "limit": self.minutely,
                "used": window.minute_used,
                "remaining": max(0, self.minutely - window.minute_used),
                "reset": (window.minute + 1) * 60_000,
            },
            "daily": {
                "limit": self.daily,
                "used": window.day_used,
                "remaining": max(0, self.daily - window.day_used),
                "reset": (window.day + 1) * 86_400_000,
            },
        }


@dataclass
class ErrorBlocker:
    """Counts error responses per (client, division, endpoint) over a sliding hour."""

    limit: int = ERRORS_PER_HOUR
    block_seconds: int = BLOCK_SECONDS
    _errors: dict[tuple[str, int, str], deque[float]] = field(default_factory=dict)
    _blocked: dict[tuple[str, int, str], float] = field(default_factory=dict)

    def blocked_for(self, key: tuple[str, int, str], now: float) -> int:
        """Seconds the endpoint stays blocked (0 = not blocked)."""
        until = self._blocked.get(key, 0.0)
        return math.ceil(until - now) if until > now else 0

    def record(self, key: tuple[str, int, str], status: int, now: float) -> None:
        """Remember an error response; more than `limit` in an hour blocks the endpoint."""
        if status not in ERROR_STATUSES:
            return
        errors = self._errors.setdefault(key, deque())
        errors.append(now)
        while errors and errors[0] <= now - 3600:
            errors.popleft()
        if len(errors) > self.limit:
            self._blocked[key] = now + self.block_seconds
            errors.clear()
