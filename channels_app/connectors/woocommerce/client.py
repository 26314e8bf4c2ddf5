"""WooCommerce REST API v3 transport: authentication, bounded retries, paging, error messages.

Auth is HTTP Basic (production must be https). `query_string_auth=True` sends the key and secret
as query parameters instead, for hosts that strip the Authorization header (wc-api-python #16).
OAuth 1.0a for plain-http shops is not implemented. All HTTP goes through common.http.
No Django imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from common.http import (
    ApiError,
    Backoff,
    FatalApiError,
    OutcomeUnknownError,
    RetriableApiError,
    build_session,
    classify,
    send,
)

API_PREFIX = "/wp-json/wc/v3"
TRACKING_PREFIX = "/wp-json/wc-shipment-tracking/v3"

HINTS = {
    "woocommerce_rest_authentication_error": "Check the consumer key and secret in the channel settings.",
    "woocommerce_rest_cannot_view": (
        "WooCommerce saw no valid key: the key may lack read access, or the web server strips "
        "the Authorization header (turn on query-string authentication)."
    ),
    "rest_no_route": "Check the site URL, that WooCommerce is active and permalinks are not 'plain'.",
    "woocommerce_rest_request_entity_too_large": "More than 100 objects in one batch.",
}


class WooCommerceClient:
    """One shop's REST API; the base of every part of WooCommerceConnector."""

    page_size = 100
    max_tries = 5
    max_retry_after = 120.0  # seconds; a longer wait is the scheduler's job, not a sleeping worker

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        *,
        base_url: str,
        query_string_auth: bool = False,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        complete_on_ship: bool = True,
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.base_url = base_url.rstrip("/")
        self.query_string_auth = query_string_auth
        self.session = session if session is not None else build_session()
        self.sleep = sleep
        self.clock = clock
        self.complete_on_ship = complete_on_ship
        self._providers: frozenset[str] | None = None  # Shipment Tracking provider names
        self._has_tracking: bool | None = None

    # -- HTTP ---------------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        prefix: str = API_PREFIX,
        idempotent: bool = True,
    ) -> requests.Response:
        """One call with bounded retries: 429/5xx/timeouts wait (Retry-After first) and try again.

        A write that is not idempotent is not repeated when its outcome is unknown (read timeout,
        5xx after sending): the caller looks first (trackings, notes) on its next attempt.
        """
        url = f"{self.base_url}{prefix}{path}"
        query = dict(params or {})
        auth = None
        if self.query_string_auth:
            query.update(consumer_key=self.consumer_key, consumer_secret=self.consumer_secret)
        else:
            auth = (self.consumer_key, self.consumer_secret)
        delays = Backoff(tries=self.max_tries).delays()
        while True:
            try:
                response = send(self.session, method, url, params=query, json=body, auth=auth)
                if response.status_code < 300:
                    return response
                raise self._error(response, method, path)
            except RetriableApiError as exc:
                if isinstance(exc, OutcomeUnknownError) and not idempotent:
                    raise
                delay = next(delays, None)
                wait = exc.retry_after if exc.retry_after is not None else delay
                if delay is None or wait is None or wait > self.max_retry_after:
                    raise
                self.sleep(wait)

    def _error(self, response: requests.Response, method: str, path: str) -> ApiError:
        code, message = "", response.reason or f"HTTP {response.status_code}"
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("message"):
            code, message = str(data.get("code") or ""), str(data["message"])
        text = f"WooCommerce {method} {path}: {message}" + (f" ({code})" if code else "")
        error = classify(response, message=text, hint=HINTS.get(code, ""), method=method)
        error.url = error.url.split("?", 1)[0]  # never keep a query-string secret
        return error

    def _get(self, path: str, **params: Any) -> Any:
        return _json(self._request("GET", path, params=params))

    def _pages(
        self, path: str, params: Mapping[str, Any]
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Pages of a list endpoint with (rows, X-WP-Total), following X-WP-TotalPages."""
        page, previous = 1, None
        while True:
            rows, total, more = self._list_page(path, params, page, previous)
            previous = rows
            yield rows, total
            if not more:
                return
            page += 1

    def _list_page(
        self,
        path: str,
        params: Mapping[str, Any],
        page: int,
        previous: list[dict[str, Any]] | None = None,
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """One page of a list endpoint: (rows, X-WP-Total, whether a later page exists).

        `previous` is the page read before with the same query: the same rows again mean a proxy
        or plugin that ignores `page`, which would otherwise loop forever.
        """
        response = self._request(
            "GET", path, params={**params, "per_page": self.page_size, "page": page}
        )
        rows = _json(response)
        if not isinstance(rows, list):
            raise FatalApiError(
                f"WooCommerce GET {path}: expected a list", status=response.status_code
            )
        if rows and previous and [r.get("id") for r in rows] == [r.get("id") for r in previous]:
            raise FatalApiError(f"WooCommerce GET {path}: page {page} repeats page {page - 1}")
        total_pages = response.headers.get("X-WP-TotalPages")
        more = bool(rows) and (
            page < int(total_pages) if total_pages is not None else len(rows) == self.page_size
        )
        return rows, _int(response.headers.get("X-WP-Total"), len(rows)), more


# -- small parsers ------------------------------------------------------------------------------------
def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise FatalApiError(
            f"WooCommerce answered {response.status_code} without JSON",
            status=response.status_code,
            body=response.text,
        ) from exc


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
