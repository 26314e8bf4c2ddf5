"""Amazon SP-API transport: the LWA access token, per-operation pacing, bounded retries.

Auth is the LWA refresh-token grant; the access token is cached and renewed 60 s before it
expires, and once more when Amazon answers 403 Unauthorized. No SigV4 (ignored since 2023-10).
Every operation is paced by a local token bucket (the default usage plan, corrected by
`x-amzn-RateLimit-Limit`); a 429 empties the bucket, shrinks its burst to 1 and waits
Retry-After or 1/rate before trying again (at most 5 tries).
No Django imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

from channels_app.connectors.base import ApiError, RetriableApiError
from common.http import (
    AuthenticationError,
    Backoff,
    OutcomeUnknownError,
    build_session,
    classify,
    parse_retry_after,
    send,
)

# operation -> (rate per second, burst): the default usage plans (reference 4.3)
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "patchListingsItem": (5.0, 5),
    "getListingsItem": (5.0, 10),
    "searchListingsItems": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
}
TOKEN_MARGIN = 60.0
MAX_TRIES = 5


class _Bucket:
    """Our estimate of Amazon's token bucket for one operation."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst, self.tokens, self.last = rate, burst, float(burst), now

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = now

    def wait(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate + 0.001

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def penalize(self, now: float) -> None:
        """Amazon said no: its bucket is emptier than ours, and smaller."""
        self.tokens, self.last, self.burst = 0.0, now, 1


class AmazonClient:
    """One seller account on the SP-API EU endpoint; the base of every part of AmazonConnector."""

    def __init__(
        self,
        lwa_client_id: str,
        lwa_client_secret: str,
        refresh_token: str,
        seller_id: str,
        marketplace_ids: Sequence[str],
        *,
        base_url: str = "https://sellingpartnerapi-eu.amazon.com",
        token_url: str = "https://api.amazon.com/auth/o2/token",  # noqa: S107 (a URL)
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        feed_threshold: int = 500,
        feed_timeout: float = 300.0,
        prices_include_tax: bool = True,
    ) -> None:
        self.lwa_client_id, self.lwa_client_secret = lwa_client_id, lwa_client_secret
        self.refresh_token, self.seller_id = refresh_token, seller_id
        self.marketplace_ids = (
            (marketplace_ids,) if isinstance(marketplace_ids, str) else tuple(marketplace_ids)
        )
        self.base_url, self.token_url = base_url.rstrip("/"), token_url
        self.session = session or build_session()
        self.sleep, self.clock = sleep, clock
        self.feed_threshold, self.feed_timeout = feed_threshold, feed_timeout
        self.prices_include_tax = prices_include_tax  # EU: ItemPrice includes VAT (unverified)
        self.throttled = 0  # 429s seen, for the run log
        self._token, self._token_expires = "", 0.0
        self._buckets: dict[str, _Bucket] = {}
        self._order_markets: dict[str, str] = {}

    # -- plumbing -------------------------------------------------------------------------------
    def _access_token(self) -> str:
        if not self._token or self.clock() >= self._token_expires - TOKEN_MARGIN:
            self._renew_token()
        return self._token

    def _renew_token(self) -> None:
        """LWA refresh-token grant. Reference: https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api"""
        data = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.lwa_client_id,
            "client_secret": self.lwa_client_secret,
        }

        def post() -> requests.Response:
            resp = send(self.session, "POST", self.token_url, data=data)
            if resp.status_code == 429 or resp.status_code >= 500:
                raise classify(resp, message="Login with Amazon is unavailable", method="POST")
            return resp

        resp = Backoff(tries=MAX_TRIES, sleep=self.sleep).run(post)
        body = _json(resp)
        if resp.status_code != 200 or "access_token" not in body:
            error = f"{body.get('error', resp.status_code)}: {body.get('error_description', '')}"
            raise AuthenticationError(
                f"Login with Amazon refused the credentials ({error})",
                status=resp.status_code,
                body=resp.text,
                url=resp.url,
                hint="Check the LWA client id/secret and re-authorise the "
                "seller to get a new refresh token.",
            )
        self._token = str(body["access_token"])
        self._token_expires = self.clock() + float(body.get("expires_in", 3600))

    def _bucket(self, operation: str) -> _Bucket:
        if operation not in self._buckets:
            rate, burst = USAGE_PLANS.get(operation, (1.0, 1))
            self._buckets[operation] = _Bucket(rate, burst, self.clock())
        return self._buckets[operation]

    def _pace(self, operation: str) -> None:
        bucket = self._bucket(operation)
        wait = bucket.wait(self.clock())
        if wait > 0:
            self.sleep(wait)
        bucket.take(self.clock())

    def _learn(self, operation: str, resp: requests.Response) -> None:
        try:
            rate = float(resp.headers.get("x-amzn-RateLimit-Limit", ""))
        except ValueError:
            return
        if rate > 0:
            self._bucket(operation).rate = rate

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """One SP-API operation: token, pacing, 403 renewal, 429 waits, bounded retries."""
        url, renewed, throttled = self.base_url + path, False, 0
        delays = Backoff(tries=MAX_TRIES, sleep=self.sleep).delays()
        while True:
            self._pace(operation)
            headers = {"x-amz-access-token": self._access_token(), "accept": "application/json"}
            try:
                resp = send(self.session, method, url, params=params, json=body, headers=headers)
            except RetriableApiError as exc:
                delay = next(delays, None)
                if delay is None or (isinstance(exc, OutcomeUnknownError) and not idempotent):
                    raise
                self.sleep(delay)
                continue
            self._learn(operation, resp)
            if resp.status_code < 400:
                return resp
            code = _errors(resp)[0]
            if resp.status_code == 403 and code == "Unauthorized" and not renewed:
                renewed = True
                self._renew_token()
                continue
            if resp.status_code == 429:
                self.throttled += 1
                throttled += 1
                bucket = self._bucket(operation)
                bucket.penalize(self.clock())
                if throttled < MAX_TRIES:
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    self.sleep(retry_after if retry_after is not None else 1 / bucket.rate)
                    continue
            error = self._error(operation, method, resp)
            retry = (
                error.retriable
                and resp.status_code != 429
                and (idempotent or not isinstance(error, OutcomeUnknownError))
            )
            delay = next(delays, None) if retry else None
            if delay is None:
                raise error
            self.sleep(max(delay, getattr(error, "retry_after", None) or 0.0))

    def _error(self, operation: str, method: str, resp: requests.Response) -> ApiError:
        code, message, details = _errors(resp)
        text = f"Amazon {operation}: {message or resp.reason}"
        text += f" ({details})" if details else ""
        text += f" [{code}]" if code else ""
        if resp.status_code == 403 and code == "Unauthorized":
            return AuthenticationError(
                text,
                status=403,
                body=resp.text,
                url=resp.url,
                hint="The token was refused twice: check the app's roles "
                "and that the seller still authorises it.",
            )
        return classify(resp, message=text, method=method)

    def _market_param(self) -> str:
        return ",".join(self.marketplace_ids)


def _json(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _errors(resp: requests.Response) -> tuple[str, str, str]:
    """(code, message, details) of SP-API's first error, or empty strings."""
    errors = _json(resp).get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    return (
        str(first.get("code", "")),
        str(first.get("message", "")),
        str(first.get("details", "") or ""),
    )
