"""The one place outgoing HTTP is set up and errors are classified.

Every client (Exact, bol.com, Shopify, WooCommerce, Amazon) builds its session here, so every
request has a timeout, and every failure becomes one of two kinds: retriable (429, 5xx, timeouts,
connection resets) or fatal (other 4xx). Clients add the vendor's message; nothing is swallowed.
No Django imports: clients are usable (and tested) without settings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)  # connect, read
USER_AGENT = "exact-backoffice/0.1 (+https://github.com/)"

T = TypeVar("T")


class ApiError(Exception):
    """Base of every error a client raises for an HTTP exchange that did not succeed."""

    retriable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        hint: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body[:2000]
        self.hint = hint
        self.url = url

    def for_staff(self) -> str:
        """The vendor's message verbatim, plus our plain-language reading when we have one."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


class RetriableApiError(ApiError):
    """429, 5xx, timeouts and dropped connections: worth another try after `retry_after` s."""

    retriable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class OutcomeUnknownError(RetriableApiError):
    """The request may have reached the server (read timeout, reset, 5xx after sending).

    A write that fails this way must be looked up before it is sent again.
    """


class FatalApiError(ApiError):
    """A 4xx the server will answer the same way next time (validation, not found, forbidden)."""


class AuthenticationError(FatalApiError):
    """Credentials were refused; a person must fix them (reconnect, new key)."""


class TimeoutSession(requests.Session):
    """A requests.Session that always sends a timeout and our User-Agent."""

    def __init__(
        self, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT, user_agent: str = USER_AGENT
    ):
        super().__init__()
        self.default_timeout = timeout
        self.headers["User-Agent"] = user_agent
        # No automatic retries at the transport level: retries are decided by the caller, which
        # knows whether the request was a read (safe) or a write (look up first).
        adapter = requests.adapters.HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=16)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def build_session(
    *, timeout: tuple[float, float] = DEFAULT_TIMEOUT, user_agent: str = USER_AGENT
) -> TimeoutSession:
    """The session factory every client uses."""
    return TimeoutSession(timeout=timeout, user_agent=user_agent)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds; HTTP dates are rare here)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return None
        return max(0.0, when - (now if now is not None else time.time()))


def send(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send one request; turn transport failures into the two error kinds.

    A connect failure never reached the server (plain retriable). A read timeout or a dropped
    connection after the request was sent might have: that is an OutcomeUnknownError.
    """
    try:
        return session.request(method, url, **kwargs)
    except requests.exceptions.ConnectTimeout as exc:
        raise RetriableApiError(f"Could not connect to {_host(url)} (timeout)", url=url) from exc
    except requests.exceptions.ConnectionError as exc:
        if _is_connect_refused(exc):
            raise RetriableApiError(f"Could not connect to {_host(url)}", url=url) from exc
        raise OutcomeUnknownError(f"Connection to {_host(url)} dropped", url=url) from exc
    except requests.exceptions.Timeout as exc:
        raise OutcomeUnknownError(f"{_host(url)} did not answer in time", url=url) from exc


def classify(
    response: requests.Response,
    *,
    message: str,
    hint: str = "",
    method: str = "GET",
) -> ApiError:
    """Map an unsuccessful response to the right error type, keeping the vendor's message."""
    status = response.status_code
    body = response.text[:2000] if response.content else ""
    common: dict[str, Any] = {"status": status, "body": body, "hint": hint, "url": response.url}
    if status == 429:
        return RetriableApiError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **common
        )
    if status >= 500:
        err_cls = OutcomeUnknownError if method.upper() != "GET" else RetriableApiError
        return err_cls(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **common
        )
    if status == 401:
        return AuthenticationError(message, **common)
    return FatalApiError(message, **common)


@dataclass
class Backoff:
    """Bounded exponential backoff with jitter; honours a server's Retry-After."""

    tries: int = 5
    base: float = 0.5
    cap: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delays(self) -> Iterator[float]:
        for attempt in range(self.tries - 1):
            yield min(self.cap, self.base * (2**attempt)) * (0.5 + random.random() / 2)

    def run(self, fn: Callable[[], T], *, retry_on: type[ApiError] = RetriableApiError) -> T:
        """Call fn until it succeeds, a non-retriable error occurs, or tries run out."""
        delays = self.delays()
        while True:
            try:
                return fn()
            except retry_on as exc:
                delay = next(delays, None)
                if delay is None:
                    raise
                retry_after = getattr(exc, "retry_after", None)
                self.sleep(min(self.cap, max(delay, retry_after or 0.0)))


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url


def _is_connect_refused(exc: Exception) -> bool:
    text = repr(exc)
    return any(
        s in text for s in ("Connection refused", "NewConnectionError", "NameResolutionError")
    )
