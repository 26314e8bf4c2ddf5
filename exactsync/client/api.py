"""The Exact Online API client: every call to Exact goes through here.

JSON only, `$select` always, both response envelopes, absolute `__next` paging as a generator,
`/Date(ms)/` parsing, typed errors with Exact's own message, the governor around every request,
one refresh-and-retry on a 401, bounded retries with backoff on 429/5xx/timeouts for reads.
No Django here: tokens and the budget come in through small interfaces.
Reference: exact-online-api.md sections 2-4 and 7.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from common.http import OutcomeUnknownError, RetriableApiError, build_session, send

from .errors import (
    ExactAuthError,
    ExactError,
    ExactRateLimitedError,
    error_from_response,
)
from .governor import Governor, Priority

ERROR_COUNTED = {400, 401, 403, 404}
MAX_TRIES = 5
DATE_RE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")


class TokenProvider(Protocol):
    """Where the client gets its bearer token (the Django layer serialises refreshes)."""

    def access_token(self) -> str: ...

    def after_unauthorized(self, used_token: str) -> str: ...


def parse_date(value: Any) -> datetime | None:
    """Exact's "/Date(1641034800000)/" (milliseconds since the epoch) -> aware UTC datetime."""
    if not value:
        return None
    if isinstance(value, str):
        match = DATE_RE.fullmatch(value.strip())
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def guid(value: str) -> str:
    return f"guid'{value}'"


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class Page:
    """One page of rows, and where it came from."""

    rows: list[dict[str, Any]]
    url: str

    @property
    def max_timestamp(self) -> int:
        return max((int(r.get("Timestamp") or 0) for r in self.rows), default=0)


@dataclass
class CallLog:
    """Counts calls; the sync run (or activity entry) that made them reads `count`."""

    count: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    listeners: list[Callable[[str, str, int], None]] = field(default_factory=list)

    def record(self, method: str, endpoint: str, status: int) -> None:
        self.count += 1
        self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1
        for listener in self.listeners:
            listener(method, endpoint, status)


class ExactClient:
    """Talks to one Exact division."""

    def __init__(
        self,
        *,
        base_url: str,
        division: int | None,
        tokens: TokenProvider,
        governor: Governor,
        session: requests.Session | None = None,
        priority: Priority = Priority.CATALOGUE,
        sleep: Callable[[float], None] = time.sleep,
        calls: CallLog | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.division = division
        self.tokens = tokens
        self.governor = governor
        self.session = session or build_session()
        self.session.headers["Accept"] = "application/json"
        self.priority = priority
        self.sleep = sleep
        self.calls = calls or CallLog()

    # -- URLs -----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """`logistics/Items` -> https://start.exactonline.nl/api/v1/{division}/logistics/Items."""
        if path.startswith("http"):
            return path
        if path.startswith("current/") or self.division is None:
            return f"{self.base_url}/api/v1/{path}"
        return f"{self.base_url}/api/v1/{self.division}/{path}"

    @staticmethod
    def endpoint_of(url: str) -> str:
        """The endpoint key the error limit is counted on: path after the division, no keys."""
        path = urlsplit(url).path
        parts = path.split("/api/v1/", 1)[-1].split("/")
        if parts and parts[0].isdigit():
            parts = parts[1:]
        return re.sub(r"\(.*\)$", "", "/".join(parts))

    # -- one request --------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        priority: Priority | None = None,
    ) -> requests.Response:
        """One logical call: governed, authenticated, retried where that is safe."""
        url = self.url(path)
        endpoint = self.endpoint_of(url)
        priority = self.priority if priority is None else priority
        is_read = method.upper() == "GET"
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self.governor.acquire(priority=priority, endpoint=endpoint)
            token = self.tokens.access_token()
            headers = {"Authorization": f"Bearer {token}"}
            if json is not None:
                headers["Content-Type"] = "application/json"
                headers["Prefer"] = "return=representation"
            try:
                response = send(
                    self.session, method, url, params=params, json=json, headers=headers
                )
            except OutcomeUnknownError:
                if is_read and attempt < MAX_TRIES:
                    self.sleep(min(30.0, 0.5 * 2**attempt))
                    continue
                raise
            except RetriableApiError:
                if attempt < MAX_TRIES:
                    self.sleep(min(30.0, 0.5 * 2**attempt))
                    continue
                raise
            self.calls.record(method.upper(), endpoint, response.status_code)
            self.governor.observe(
                {k: v for k, v in response.headers.items() if k.startswith("X-RateLimit")}
            )
            if response.status_code < 400:
                return response
            error = error_from_response(response, method=method)
            if response.status_code in ERROR_COUNTED:
                self.governor.error(endpoint)
            if isinstance(error, ExactAuthError) and not refreshed:
                refreshed = True
                self.tokens.after_unauthorized(token)
                continue
            if isinstance(error, ExactRateLimitedError):
                self.governor.rate_limited(getattr(error, "reset_ms", None))
                if attempt < MAX_TRIES:
                    continue  # the governor now waits for the next window
                raise error
            if (
                error.retriable
                and (is_read or not isinstance(error, OutcomeUnknownError))
                and attempt < MAX_TRIES
            ):
                self.sleep(min(30.0, (error.retry_after or 0.5 * 2**attempt)))  # type: ignore[attr-defined]
                continue
            raise error

    # -- reads ----------------------------------------------------------------------------------------
    def get_json(
        self, path: str, *, params: dict[str, Any] | None = None, priority: Priority | None = None
    ) -> Any:
        response = self.request("GET", path, params=params, priority=priority)
        try:
            return response.json()
        except ValueError as exc:
            raise ExactServerError_from(response) from exc

    def iter_pages(
        self,
        path: str,
        *,
        select: Sequence[str],
        filter: str | None = None,
        top: int | None = None,
        extra: dict[str, Any] | None = None,
        priority: Priority | None = None,
    ) -> Iterator[Page]:
        """Stream pages, following the absolute `__next` link; raise if a link repeats."""
        if not select:
            raise ValueError("$select is required: name the fields you need")
        params: dict[str, Any] = {"$select": ",".join(select)}
        if filter:
            params["$filter"] = filter
        if top is not None:
            params["$top"] = str(top)
        if extra:
            params.update(extra)
        url: str | None = self.url(path)
        seen: set[str] = set()
        request_params: dict[str, Any] | None = params
        while url:
            data = self.get_json(url, params=request_params, priority=priority)
            rows, next_url = unwrap(data)
            yield Page(rows=rows, url=url)
            if next_url:
                if next_url in seen:
                    raise ExactError(f"Exact returned the same next-page link twice: {next_url}")
                seen.add(next_url)
            url, request_params = next_url, None  # __next carries every query option itself

    def iter_rows(self, path: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for page in self.iter_pages(path, **kwargs):
            yield from page.rows

    def iter_sync(
        self, entity: str, *, select: Sequence[str], since: int, priority: Priority | None = None
    ) -> Iterator[Page]:
        """`sync/{entity}` rows with Timestamp > since, 1000 a page (reference 3.6)."""
        fields = list(select) if "Timestamp" in select else [*select, "Timestamp"]
        return self.iter_pages(
            f"sync/{entity}", select=fields, filter=f"Timestamp gt {int(since)}L", priority=priority
        )

    def iter_bulk(
        self,
        entity: str,
        *,
        select: Sequence[str],
        filter: str | None = None,
        priority: Priority | None = None,
    ) -> Iterator[Page]:
        """`bulk/{entity}`: 1000 a page; $select is mandatory there."""
        return self.iter_pages(f"bulk/{entity}", select=select, filter=filter, priority=priority)

    def iter_deleted(
        self, entity_type: int, *, since: int, priority: Priority | None = None
    ) -> Iterator[Page]:
        """`sync/Deleted` for one entity type (9 items, 2 accounts, ...)."""
        return self.iter_pages(
            "sync/Deleted",
            select=["EntityKey", "EntityType", "Timestamp"],
            filter=f"Timestamp gt {int(since)}L and EntityType eq {int(entity_type)}",
            priority=priority,
        )

    def find_one(
        self, path: str, *, select: Sequence[str], filter: str, priority: Priority | None = None
    ) -> dict[str, Any] | None:
        """The first row matching a filter, or None (one call)."""
        data = self.get_json(
            path,
            params={"$select": ",".join(select), "$filter": filter, "$top": "1"},
            priority=priority,
        )
        rows, _ = unwrap(data)
        return rows[0] if rows else None

    def me(self) -> dict[str, Any]:
        """`current/Me`: the logged-in user and their current division."""
        rows, _ = unwrap(
            self.get_json(
                "current/Me",
                params={"$select": "CurrentDivision,UserID,FullName,Email,LanguageCode"},
            )
        )
        if not rows:
            raise ExactError("Exact's current/Me returned no user")
        return rows[0]

    # -- writes ---------------------------------------------------------------------------------------
    def post(
        self, path: str, body: dict[str, Any], *, priority: Priority | None = None
    ) -> dict[str, Any]:
        """Create an entity; returns Exact's representation. A 5xx or timeout raises
        OutcomeUnknownError: the caller must look the entity up before posting again."""
        response = self.request("POST", path, json=body, priority=priority)
        data = response.json() if response.content else {}
        return data.get("d", data) if isinstance(data, dict) else {}

    def put(self, path: str, body: dict[str, Any], *, priority: Priority | None = None) -> None:
        self.request("PUT", path, json=body, priority=priority)

    def delete(self, path: str, *, priority: Priority | None = None) -> None:
        self.request("DELETE", path, priority=priority)


def unwrap(data: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Both envelopes: {"d": {"results": [...], "__next": url}} and the bare {"d": [...]}."""
    if not isinstance(data, dict) or "d" not in data:
        raise ExactError(f"Unexpected response from Exact (no 'd' envelope): {str(data)[:200]}")
    d = data["d"]
    if isinstance(d, list):
        return d, None
    if isinstance(d, dict):
        if "results" in d:
            return list(d["results"]), d.get("__next") or None
        return [d], None  # a single entity
    raise ExactError(f"Unexpected 'd' in Exact's response: {str(d)[:200]}")


def ExactServerError_from(response: requests.Response) -> ExactError:
    err = error_from_response(response, method="GET")
    err.message = f"Exact answered {response.status_code} with something that is not JSON"
    return err
