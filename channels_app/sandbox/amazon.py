"""A local Amazon Selling Partner API: LWA tokens, Orders, Listings Items, Feeds, shipments.

Behaviour follows the shared reference (section 4) and the public SP-API models:
- LWA `POST /auth/o2/token` (refresh_token grant; client_credentials for grantless scopes),
  access tokens live 3600 s on the sandbox clock. API calls need `x-amz-access-token`;
  a missing, unknown or expired token gets 403 `Unauthorized` "Access to requested resource is
  denied." No SigV4 (Amazon ignores signatures since 2023-10-02).
- A token bucket per operation (USAGE_PLANS, `throttle()` to change one); a throttled call gets
  429 `QuotaExceeded` without Retry-After (none is documented, and a captured 429 carries none)
  and `x-amzn-ErrorType: TooManyRequestsException`; every other answer of an operation carries
  `x-amzn-RateLimit-Limit` (the rate in requests per second) and `x-amzn-RequestId`.
- Errors are SP-API's `{"errors": [{"code", "message", "details"}]}`, injected faults too.
- Orders (amazon_orders), listings (amazon_listings) and feeds (amazon_feeds) live in mixins.

Control: the Python methods below and JSON routes under /_control/ (see control_rules).
Knobs restored by reset(): item_tax_mode, unknown_sku_policy, listing_apply_delay,
feed_queue_seconds, feed_processing_seconds, compress_reports, v0_items_page_size.
No Django imports.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from channels_app.sandbox.amazon_data import (
    MARKETPLACES,
    USAGE_PLANS,
    Document,
    Feed,
    Listing,
    Order,
    ean13,
    sp_error,
)
from channels_app.sandbox.amazon_feeds import FeedsMixin
from channels_app.sandbox.amazon_listings import ListingsMixin, Submission
from channels_app.sandbox.amazon_orders import OrdersMixin, _template_matches
from common.sandbox import Fault, SandboxApp, json_response

ENDPOINT_OPERATIONS = {
    "api_search_orders": "searchOrders",
    "api_get_order": "getOrder",
    "api_get_orders_v0": "getOrders",
    "api_get_order_v0": "getOrderV0",
    "api_get_order_items": "getOrderItems",
    "api_confirm_shipment": "confirmShipment",
    "api_create_rdt": "createRestrictedDataToken",
    "api_patch_listing": "patchListingsItem",
    "api_get_listing": "getListingsItem",
    "api_search_listings": "searchListingsItems",
    "api_create_feed_document": "createFeedDocument",
    "api_get_feed_document": "getFeedDocument",
    "api_create_feed": "createFeed",
    "api_get_feed": "getFeed",
    "api_cancel_feed": "cancelFeed",
}
UNAUTHORIZED = "Access to requested resource is denied."
QUOTA = "You exceeded your quota for the requested resource."
TOKEN_TTL = 3600
PRODUCT_TYPES = ("HOME", "KITCHEN", "TOOLS", "OFFICE_PRODUCTS")
DEFAULTS: dict[str, Any] = {
    "item_tax_mode": "zero",
    "unknown_sku_policy": "invalid",
    "listing_apply_delay": 0.0,
    "feed_queue_seconds": 10.0,
    "feed_processing_seconds": 20.0,
    "compress_reports": True,
    "v0_items_page_size": 20,
}
FAULT_CODES = {
    400: "InvalidInput",
    403: "Unauthorized",
    404: "NotFound",
    429: "QuotaExceeded",
    500: "InternalFailure",
    503: "ServiceUnavailable",
}


@dataclass
class Bucket:
    rate: float
    burst: int
    tokens: float
    last: float


class AmazonSandbox(OrdersMixin, ListingsMixin, FeedsMixin, SandboxApp):
    """Amazon SP-API (EU) for one seller, in memory."""

    name = "amazon"

    def __init__(
        self,
        client_id: str = "amzn-client",
        client_secret: str = "amzn-secret",  # noqa: S107 (sandbox credentials)
        refresh_token: str = "Atzr|sandbox",  # noqa: S107
        seller_id: str = "A1SANDBOXSELLER",
        marketplace_ids: Sequence[str] = ("A1805IZSGTT6HS",),
        clock: Callable[[], float] = time.time,
    ) -> None:
        unknown = [m for m in marketplace_ids if m not in MARKETPLACES]
        if unknown or not marketplace_ids:
            raise ValueError(f"unknown marketplace ids: {unknown}")
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token, self.seller_id = refresh_token, seller_id
        self.marketplace_ids = tuple(marketplace_ids)
        self.clock = clock
        super().__init__()
        self.reset()

    # -- state -----------------------------------------------------------------------------------
    def reset(
        self, seed: int = 1, products: Iterable[dict[str, Any]] | None = None, **_: Any
    ) -> AmazonSandbox:
        """Fresh state: listings from products ({code, ean, title, price}; default 20)."""
        super().reset()
        with self.lock:
            self.rng = random.Random(seed)
            for key, value in DEFAULTS.items():
                setattr(self, key, value)
            now = self.clock()
            self.orders: dict[str, Order] = {}
            self.feeds: dict[str, Feed] = {}
            self.documents: dict[str, Document] = {}
            self.submissions: list[Submission] = []
            self.access_tokens: dict[str, float] = {}
            self.rdts: dict[str, tuple[float, list[tuple[str, frozenset[str]]]]] = {}
            self.token_requests = 0
            self._fatal_next = False
            self.buckets = {
                op: Bucket(rate, burst, float(burst), now)
                for op, (rate, burst) in USAGE_PLANS.items()
            }
            rows = list(products) if products is not None else self._default_products()
            self.listings: dict[str, Listing] = {}
            for row in rows:
                listing = self._listing(row, now)
                self.listings[listing.sku] = listing
        return self

    def _default_products(self) -> list[dict[str, Any]]:
        return [
            {
                "code": f"ART-{i:05d}",
                "ean": ean13(self.rng),
                "title": f"Sample product {i}",
                "price": Decimal(self.rng.randint(495, 4995)) / 100,
            }
            for i in range(1, 21)
        ]

    def _listing(self, row: dict[str, Any], now: float) -> Listing:
        asin = "B0" + "".join(
            self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8)
        )
        return Listing(
            sku=str(row["code"]),
            ean=str(row.get("ean", "")),
            title=str(row.get("title", "")),
            price=Decimal(str(row.get("price", "0"))),
            asin=str(row.get("asin", asin)),
            product_type=str(row.get("product_type") or self.rng.choice(PRODUCT_TYPES)),
            created=now,
            updated=now,
            vat_rate=row.get("vat"),
            fulfillment=[
                {
                    "fulfillment_channel_code": "DEFAULT",
                    "quantity": int(row.get("quantity", 10)),
                    "lead_time_to_ship_max_days": 2,
                }
            ],
        )

    # -- control: auth and limits ----------------------------------------------------------------
    def throttle(self, operation: str, rate: float | None = None, burst: int | None = None) -> None:
        """Change an operation's usage plan (and refill its bucket)."""
        with self.lock:
            if operation not in self.buckets:
                raise ValueError(f"unknown operation {operation!r}; known: {sorted(self.buckets)}")
            bucket = self.buckets[operation]
            bucket.rate = bucket.rate if rate is None else float(rate)
            bucket.burst = bucket.burst if burst is None else int(burst)
            bucket.tokens, bucket.last = float(bucket.burst), self.clock()

    def expire_tokens(self) -> None:
        """Every access and restricted data token issued so far expires now."""
        with self.lock:
            now = self.clock()
            self.access_tokens = dict.fromkeys(self.access_tokens, now)
            self.rdts = {t: (now, res) for t, (_, res) in self.rdts.items()}

    def issue_rdt(self, granted: list[tuple[str, frozenset[str]]]) -> str:
        with self.lock:
            token = f"Atz.sprdt|{self.rng.getrandbits(160):040x}"
            self.rdts[token] = (self.clock() + TOKEN_TTL, granted)
            return token

    # -- LWA ------------------------------------------------------------------------------------
    def lwa_token(self, request: Request) -> Response:
        form = request.form
        with self.lock:
            self.token_requests += 1
            if (
                form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                return json_response(
                    {
                        "error_description": "Client authentication failed",
                        "error": "invalid_client",
                    },
                    status=401,
                )
            grant = form.get("grant_type")
            token = f"Atza|{self.rng.getrandbits(256):064x}"
            if grant == "refresh_token":
                if form.get("refresh_token") != self.refresh_token:
                    return json_response(
                        {
                            "error_description": "The request has an invalid "
                            "grant parameter : refresh_token",
                            "error": "invalid_grant",
                        },
                        status=400,
                    )
                self.access_tokens[token] = self.clock() + TOKEN_TTL
                return json_response(
                    {
                        "access_token": token,
                        "refresh_token": self.refresh_token,
                        "token_type": "bearer",
                        "expires_in": TOKEN_TTL,
                    }
                )
            if grant == "client_credentials":  # grantless: not valid for seller data
                if not form.get("scope", "").startswith("sellingpartnerapi::"):
                    return json_response(
                        {
                            "error_description": "An unknown scope was requested",
                            "error": "invalid_scope",
                        },
                        status=400,
                    )
                return json_response(
                    {
                        "access_token": token,
                        "scope": form["scope"],
                        "token_type": "bearer",
                        "expires_in": TOKEN_TTL,
                    }
                )
        return json_response(
            {
                "error_description": "The authorization grant type is not "
                "supported by the authorization server",
                "error": "unsupported_grant_type",
            },
            status=400,
        )

    # -- SandboxApp hooks -----------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        item = "/listings/2021-08-01/items/<seller_id>/<path:sku>"
        return [
            Rule("/auth/o2/token", endpoint="lwa_token", methods=["POST"]),
            Rule("/orders/2026-01-01/orders", endpoint="api_search_orders", methods=["GET"]),
            Rule("/orders/2026-01-01/orders/<order_id>", endpoint="api_get_order", methods=["GET"]),
            Rule("/orders/v0/orders", endpoint="api_get_orders_v0", methods=["GET"]),
            Rule("/orders/v0/orders/<order_id>", endpoint="api_get_order_v0", methods=["GET"]),
            Rule(
                "/orders/v0/orders/<order_id>/orderItems",
                endpoint="api_get_order_items",
                methods=["GET"],
            ),
            Rule(
                "/orders/v0/orders/<order_id>/shipmentConfirmation",
                endpoint="api_confirm_shipment",
                methods=["POST"],
            ),
            Rule(
                "/tokens/2021-03-01/restrictedDataToken",
                endpoint="api_create_rdt",
                methods=["POST"],
            ),
            Rule(
                "/listings/2021-08-01/items/<seller_id>",
                endpoint="api_search_listings",
                methods=["GET"],
            ),
            Rule(item, endpoint="api_get_listing", methods=["GET"]),
            Rule(item, endpoint="api_patch_listing", methods=["PATCH"]),
            Rule(
                "/feeds/2021-06-30/documents", endpoint="api_create_feed_document", methods=["POST"]
            ),
            Rule(
                "/feeds/2021-06-30/documents/<doc_id>",
                endpoint="api_get_feed_document",
                methods=["GET"],
            ),
            Rule("/feeds/2021-06-30/feeds", endpoint="api_create_feed", methods=["POST"]),
            Rule("/feeds/2021-06-30/feeds/<feed_id>", endpoint="api_get_feed", methods=["GET"]),
            Rule(
                "/feeds/2021-06-30/feeds/<feed_id>", endpoint="api_cancel_feed", methods=["DELETE"]
            ),
            Rule("/_s3/upload/<doc_id>", endpoint="s3_upload", methods=["PUT"]),
            Rule("/_s3/download/<doc_id>", endpoint="s3_download", methods=["GET"]),
        ]

    def before_request(self, request: Request) -> Response | None:
        endpoint, _ = self.url_map.bind_to_environ(request.environ).match()
        with self.lock:
            self._process_submissions()
            self._advance_feeds()
        operation = ENDPOINT_OPERATIONS.get(endpoint)
        if operation is None:  # LWA and the pre-signed document urls
            return None
        request.environ["amazon.operation"] = operation
        return self._authorise(request) or self._take(request, operation)

    def _authorise(self, request: Request) -> Response | None:
        token = request.headers.get("x-amz-access-token", "")
        with self.lock:
            now = self.clock()
            if token in self.access_tokens:
                if self.access_tokens[token] > now:
                    return None
                return sp_error(
                    403, "Unauthorized", UNAUTHORIZED, "The access token you provided has expired."
                )
            if token in self.rdts:
                expires, granted = self.rdts[token]
                covering = [
                    els
                    for path, els in granted
                    if path == request.path or _template_matches(path, request.path)
                ]
                if expires > now and covering and request.method == "GET":
                    request.environ["amazon.pii"] = frozenset().union(*covering)
                    return None
        details = (
            "" if not token else "The access token you provided is revoked, malformed or invalid."
        )
        return sp_error(403, "Unauthorized", UNAUTHORIZED, details)

    def _take(self, request: Request, operation: str) -> Response | None:
        with self.lock:
            bucket, now = self.buckets[operation], self.clock()
            bucket.tokens = min(
                float(bucket.burst), bucket.tokens + max(0.0, now - bucket.last) * bucket.rate
            )
            bucket.last = now
            if bucket.tokens >= 1 - 1e-9:
                bucket.tokens -= 1
                request.environ["amazon.metered"] = True
                return None
        return sp_error(
            429, "QuotaExceeded", QUOTA, headers={"x-amzn-ErrorType": "TooManyRequestsException"}
        )

    def decorate_response(self, request: Request, response: Response) -> Response:
        operation = request.environ.get("amazon.operation")
        if operation is None:
            return response
        response.headers["x-amzn-RequestId"] = f"{random.getrandbits(128):032x}"
        if request.environ.get("amazon.metered"):
            response.headers["x-amzn-RateLimit-Limit"] = f"{self.buckets[operation].rate:g}"
        return response

    def fault_response(self, fault: Fault) -> Response:
        if fault.body:
            return super().fault_response(fault)
        code = FAULT_CODES.get(fault.status, "InternalFailure")
        message = (
            QUOTA
            if fault.status == 429
            else (UNAUTHORIZED if fault.status == 403 else f"Injected failure ({fault.status}).")
        )
        return sp_error(fault.status, code, message, headers=fault.headers)

    def not_found(self, request: Request) -> Response:
        return sp_error(404, "NotFound", f"Resource not found: {request.path}")

    # -- JSON control routes --------------------------------------------------------------------
    def control_rules(self) -> list[Rule]:
        c = "/_control"
        return [
            Rule(f"{c}/orders", endpoint="ctl_place_order", methods=["POST"]),
            Rule(f"{c}/orders/random", endpoint="ctl_random_order", methods=["POST"]),
            Rule(f"{c}/orders/<order_id>", endpoint="ctl_order", methods=["GET"]),
            Rule(f"{c}/orders/<order_id>/cancel", endpoint="ctl_cancel_order", methods=["POST"]),
            Rule(f"{c}/orders/<order_id>/status", endpoint="ctl_order_status", methods=["POST"]),
            Rule(
                f"{c}/orders/<order_id>/cancel-request",
                endpoint="ctl_cancel_request",
                methods=["POST"],
            ),
            Rule(f"{c}/orders/<order_id>/shipments", endpoint="ctl_shipments", methods=["GET"]),
            Rule(f"{c}/listings/<path:sku>/issue", endpoint="ctl_arm_issue", methods=["POST"]),
            Rule(f"{c}/listings/<path:sku>", endpoint="ctl_listing", methods=["GET"]),
            Rule(f"{c}/feeds/fatal-next", endpoint="ctl_feed_fatal", methods=["POST"]),
            Rule(f"{c}/throttle", endpoint="ctl_throttle", methods=["POST"]),
            Rule(f"{c}/tokens/expire", endpoint="ctl_expire_tokens", methods=["POST"]),
            Rule(f"{c}/config", endpoint="ctl_config", methods=["POST"]),
            Rule(f"{c}/state", endpoint="ctl_state", methods=["GET"]),
        ]

    def _ctl(self, fn: Callable[[], Any]) -> Response:
        try:
            result = fn()
        except KeyError as exc:
            return json_response({"error": str(exc.args[0])}, status=404)
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, status=400)
        return json_response(result if result is not None else {"ok": True})

    def _body(self, request: Request) -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    def ctl_reset(self, request: Request) -> Response:
        return self._ctl(lambda: self.reset(**self._body(request)) and None)

    def ctl_place_order(self, request: Request) -> Response:
        data = self._body(request)
        lines = [(str(code), int(qty)) for code, qty in data.pop("lines", [])]
        return self._ctl(lambda: self.place_order(lines, **data))

    def ctl_random_order(self, request: Request) -> Response:
        seed = self._body(request).get("seed")
        return self._ctl(lambda: self.random_order(random.Random(seed)))

    def ctl_order(self, request: Request, order_id: str) -> Response:
        return self._ctl(lambda: self.order_state(order_id))

    def ctl_cancel_order(self, request: Request, order_id: str) -> Response:
        return self._ctl(lambda: self.cancel_order(order_id, **self._body(request)))

    def ctl_order_status(self, request: Request, order_id: str) -> Response:
        return self._ctl(
            lambda: self.set_order_status(order_id, str(self._body(request).get("status")))
        )

    def ctl_cancel_request(self, request: Request, order_id: str) -> Response:
        return self._ctl(lambda: self.request_cancellation(order_id, **self._body(request)))

    def ctl_shipments(self, request: Request, order_id: str) -> Response:
        return self._ctl(lambda: {"shipments": self.shipments(order_id)})

    def ctl_listing(self, request: Request, sku: str) -> Response:
        def read() -> dict[str, Any]:
            if sku not in self.listings:
                raise KeyError(f"no listing {sku}")
            return {
                "sku": sku,
                "quantity": self.listing_quantity(sku),
                "issues": self.listing_issues(sku),
            }

        return self._ctl(read)

    def ctl_arm_issue(self, request: Request, sku: str) -> Response:
        data = self._body(request)
        return self._ctl(
            lambda: self.arm_listing_issue(
                sku, str(data.get("message", "")), str(data.get("code", "99300"))
            )
        )

    def ctl_feed_fatal(self, request: Request) -> Response:
        return self._ctl(self.feed_fatal_next)

    def ctl_throttle(self, request: Request) -> Response:
        return self._ctl(lambda: self.throttle(**self._body(request)))

    def ctl_expire_tokens(self, request: Request) -> Response:
        return self._ctl(self.expire_tokens)

    def ctl_config(self, request: Request) -> Response:
        def configure() -> dict[str, Any]:
            data = self._body(request)
            unknown = set(data) - set(DEFAULTS)
            if unknown:
                raise ValueError(f"unknown settings {sorted(unknown)}")
            with self.lock:
                for key, value in data.items():
                    setattr(self, key, value)
                return {k: getattr(self, k) for k in DEFAULTS}

        return self._ctl(configure)

    def ctl_state(self, request: Request) -> Response:
        with self.lock:
            return json_response(
                {
                    "token_requests": self.token_requests,
                    "orders": len(self.orders),
                    "listings": len(self.listings),
                    "feeds": len(self.feeds),
                    "seller_id": self.seller_id,
                    "marketplace_ids": list(self.marketplace_ids),
                    **{k: getattr(self, k) for k in DEFAULTS},
                }
            )


__all__ = ["ENDPOINT_OPERATIONS", "AmazonSandbox"]
