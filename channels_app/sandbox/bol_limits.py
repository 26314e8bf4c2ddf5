"""Per-endpoint rate limiting for the bol.com sandbox.

bol configures limits per endpoint (method + path pattern) in second/minute windows and reports
the budget on every response as X-RateLimit-Limit / -Remaining / -Reset. The real numbers are not
published (the conventions page calls its figures examples), so DEFAULT_LIMITS below is our
choice: generous for single-object calls, tight for the orders list (the often-quoted 25/min).
X-RateLimit-Reset is sent as whole seconds until the window refills (the unit bol's own
docs show, `x-ratelimit-reset: 1`). Windows are fixed and start with the first request.
No Django imports.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    per_second: int | None = None
    per_minute: int | None = None
    retry_after: bool = True  # False: 429s come without a Retry-After header

    def windows(self) -> list[tuple[float, int]]:
        out = []
        if self.per_second is not None:
            out.append((1.0, self.per_second))
        if self.per_minute is not None:
            out.append((60.0, self.per_minute))
        return out


# Endpoint key = "METHOD /path" with {id} for every path parameter.
DEFAULT_LIMITS: dict[str, Limit] = {
    "POST /token": Limit(),  # login.bol.com has no published budget; we only count requests
    "GET /retailer/orders": Limit(per_minute=25),
    "GET /retailer/orders/{id}": Limit(per_second=25),
    "PUT /retailer/orders/cancellation": Limit(per_second=25),
    "GET /retailer/offers/{id}": Limit(per_second=25),
    "PUT /retailer/offers/{id}/stock": Limit(per_second=25),
    "POST /retailer/offers/export": Limit(per_minute=10),
    "GET /retailer/offers/export/{id}": Limit(per_minute=10),
    "POST /retailer/shipments": Limit(per_second=25),
    "GET /retailer/shipments": Limit(per_second=10),
    "GET /retailer/shipments/{id}": Limit(per_second=10),
    "GET /shared/process-status": Limit(per_second=100),
    "GET /shared/process-status/{id}": Limit(per_second=100),
    "POST /shared/process-status": Limit(per_second=100),
}


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]
    retry_after: int = 0
    send_retry_after: bool = True


class RateLimiter:
    """Fixed windows per (endpoint, window length); thread safety comes from the app's lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.limits: dict[str, Limit] = dict(DEFAULT_LIMITS)
        self._windows: dict[tuple[str, float], list[float]] = {}  # -> [start, count]

    def reset(self) -> None:
        self.limits = dict(DEFAULT_LIMITS)
        self._windows.clear()

    def throttle(
        self,
        pattern: str,
        *,
        per_second: int | None = None,
        per_minute: int | None = None,
        retry_after: bool = True,
    ) -> list[str]:
        """Replace the limits of every endpoint matching `pattern` (exact key or fnmatch glob;
        without a method, any method). Returns the keys changed."""
        keys = [k for k in self.limits if _matches(pattern, k)]
        if not keys:
            raise ValueError(f"no endpoint matches {pattern!r}; known: {sorted(self.limits)}")
        for key in keys:
            self.limits[key] = Limit(per_second, per_minute, retry_after)
            for window in [w for w in self._windows if w[0] == key]:
                del self._windows[window]
        return keys

    def check(self, key: str) -> Verdict:
        """Count one request against `key` (unless refused) and say whether it may proceed."""
        limit = self.limits.get(key)
        if limit is None or not limit.windows():
            return Verdict(True, {})
        now = self.clock()
        states = []
        for length, allowed in limit.windows():
            window = self._windows.setdefault((key, length), [now, 0])
            if now >= window[0] + length:
                window[0], window[1] = now, 0
            reset = max(1, math.ceil(window[0] + length - now))
            states.append((length, allowed, window, reset))
        exceeded = [s for s in states if s[2][1] >= s[1]]
        if exceeded:
            wait = max(s[3] for s in exceeded)
            tight = max(exceeded, key=lambda s: s[3])
            headers = _headers(tight[1], 0, wait)
            return Verdict(False, headers, retry_after=wait, send_retry_after=limit.retry_after)
        for state in states:
            state[2][1] += 1
        tight = min(states, key=lambda s: (s[1] - s[2][1], -s[3]))
        return Verdict(True, _headers(tight[1], tight[1] - int(tight[2][1]), tight[3]))


def _matches(pattern: str, key: str) -> bool:
    if " " not in pattern:
        key = key.split(" ", 1)[1]
    return pattern == key or fnmatch.fnmatchcase(key, pattern)


def _headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, remaining)),
        "X-RateLimit-Reset": str(reset),
    }
