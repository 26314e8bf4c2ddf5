"""Shopify Admin GraphQL transport: access token, cost pacing, THROTTLED waits, typed errors.

Every response's `extensions.cost.throttleStatus` paces the next call; a THROTTLED answer (HTTP
200 or 429) waits `(requested - currentlyAvailable) / restoreRate` seconds and retries (bounded).
No Django imports.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from common.http import (
    Backoff,
    FatalApiError,
    RetriableApiError,
    build_session,
    classify,
    send,
)

from .queries import API_VERSION, DETAIL_BATCH

MAX_THROTTLE_RETRIES = 8


class ShopifyGraphQLError(FatalApiError):
    """Top-level GraphQL `errors` (bad query, MAX_COST_EXCEEDED, invalid input...)."""

    def __init__(self, message: str, *, errors: list[dict[str, Any]], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.errors = errors
        self.codes = [str((e.get("extensions") or {}).get("code") or "") for e in errors]


class ShopifyUserError(FatalApiError):
    """A mutation answered with `userErrors` (Shopify refused the business operation)."""

    def __init__(self, message: str, *, user_errors: list[dict[str, Any]], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.user_errors = user_errors


class ShopifyThrottledError(RetriableApiError):
    """Still THROTTLED after our bounded waits; try again after `retry_after` seconds."""


class ShopifyQueryCostError(FatalApiError):
    """The query's requested cost is larger than the whole bucket: it can never run as is."""

    def __init__(self, message: str, *, requested: float, maximum: float, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.requested = requested
        self.maximum = maximum


class ShopifyClient:
    """One store's Admin GraphQL endpoint; the base of every part of ShopifyConnector."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        base_url: str | None = None,
        location_id: str = "",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.base_url = (base_url or f"https://{shop_domain}").rstrip("/")
        self.endpoint = f"{self.base_url}/admin/api/{api_version}/graphql.json"
        self.location_id = location_id
        self.session = session or build_session()
        self.sleep = sleep
        self.clock = clock
        self._headers = {
            "X-Shopify-Access-Token": access_token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        # last throttleStatus seen: (currentlyAvailable, maximumAvailable, restoreRate, at)
        self._bucket: tuple[float, float, float, float] | None = None
        # Shopify prices every mutation at 10 points: pace them before the first answer too
        self._op_cost: dict[str, float] = {
            "SetStock": 10.0,
            "FulfillmentCreate": 10.0,
            "WebhookSubscriptionCreate": 10.0,
        }
        self._detail_batch = DETAIL_BATCH

    # -- transport --------------------------------------------------------------------------------
    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        operation: str,
        retry: bool = True,
        expected_cost: float | None = None,
    ) -> dict[str, Any]:
        """POST one operation; return `data`. Waits out THROTTLED; raises typed errors.

        retry=False for writes that must not be re-sent blindly (fulfillmentCreate): transport
        failures then surface at once as OutcomeUnknownError.
        """
        payload = {"query": query, "variables": variables or {}, "operationName": operation}
        delays = Backoff(sleep=self.sleep).delays() if retry else iter(())
        throttles = 0
        while True:
            self._pace(operation, expected_cost)
            try:
                response = send(
                    self.session, "POST", self.endpoint, json=payload, headers=self._headers
                )
                body = self._body(response)
                if response.status_code >= 400 and not _throttled(body):
                    raise classify(
                        response,
                        message=_message(body, response),
                        method="GET" if retry else "POST",
                    )
            except RetriableApiError as exc:
                delay = next(delays, None)
                if delay is None:
                    raise
                self.sleep(max(delay, exc.retry_after or 0.0))
                continue
            cost = self._note_cost(operation, body)
            if _throttled(body) or response.status_code == 429:
                throttles += 1
                wait = self._throttle_wait(cost, response)
                if throttles > MAX_THROTTLE_RETRIES:
                    raise ShopifyThrottledError(
                        f"Shopify kept throttling {operation} ({throttles} times)",
                        retry_after=wait,
                        status=response.status_code,
                        url=self.endpoint,
                    )
                self.sleep(wait)
                continue
            if body is None:
                raise FatalApiError(
                    f"Shopify answered {operation} with something not JSON",
                    status=response.status_code,
                    body=response.text,
                    url=self.endpoint,
                )
            if body.get("errors"):
                errors = body["errors"]
                raise ShopifyGraphQLError(
                    f"Shopify refused {operation}: "
                    + "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)),
                    errors=errors,
                    status=response.status_code,
                    body=response.text,
                    url=self.endpoint,
                )
            return body.get("data") or {}

    def _body(self, response: requests.Response) -> dict[str, Any] | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _note_cost(self, operation: str, body: dict[str, Any] | None) -> dict[str, Any]:
        cost = ((body or {}).get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if status:
            self._bucket = (
                float(status["currentlyAvailable"]),
                float(status["maximumAvailable"]),
                float(status["restoreRate"]),
                self.clock(),
            )
        if cost.get("requestedQueryCost") is not None:
            self._op_cost[operation] = float(cost["requestedQueryCost"])
        return cost

    def _throttle_wait(self, cost: dict[str, Any], response: requests.Response) -> float:
        status = cost.get("throttleStatus") or {}
        requested = cost.get("requestedQueryCost")
        if not status or requested is None:  # a bare 429: honour Retry-After, else 1 s
            retry_after = response.headers.get("Retry-After")
            return float(retry_after) if retry_after and retry_after.isdigit() else 1.0
        if float(requested) > float(status["maximumAvailable"]):
            raise ShopifyQueryCostError(
                f"Query cost {requested} is more than the bucket ({status['maximumAvailable']})",
                requested=float(requested),
                maximum=float(status["maximumAvailable"]),
                status=response.status_code,
                url=self.endpoint,
            )
        restore = float(status["restoreRate"])
        # at least one point's worth: the server just said no, so never retry at once
        return max(
            1.0 / restore, (float(requested) - float(status["currentlyAvailable"])) / restore
        )

    def _pace(self, operation: str, expected_cost: float | None) -> None:
        """Sleep until the bucket should hold what this operation cost last time."""
        expected = expected_cost if expected_cost is not None else self._op_cost.get(operation)
        if expected is None or self._bucket is None:
            return
        available, maximum, restore, at = self._bucket
        if expected > maximum or restore <= 0:
            return
        now_available = min(maximum, available + max(0.0, self.clock() - at) * restore)
        if expected > now_available:
            self.sleep((expected - now_available) / restore)


def _user_errors_text(errors: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{e['code']}: {e.get('message')}" if e.get("code") else str(e.get("message"))
        for e in errors
    )


def _throttled(body: dict[str, Any] | None) -> bool:
    errors = (body or {}).get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


def _message(body: dict[str, Any] | None, response: requests.Response) -> str:
    errors = (body or {}).get("errors")
    if isinstance(errors, str):
        return f"Shopify: {errors}"
    if isinstance(errors, list):
        return "Shopify: " + "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
        )
    if isinstance(errors, dict):
        return "Shopify: " + json.dumps(errors)
    return f"Shopify answered HTTP {response.status_code}"
