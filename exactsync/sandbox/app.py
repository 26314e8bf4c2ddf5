"""ExactSandbox: a local Exact Online built on `common.sandbox.SandboxApp`.

It ties the parts together: OAuth (auth.py), the REST surface (api.py), the data and order
helpers (catalogue.py, purchasing.py, sales.py, deliveries.py), limits (limits.py), webhook
delivery (webhooks.py) and the control routes (control.py). One RLock (`self.lock`, from the
base class) guards all state; webhook delivery runs on its own thread and never takes it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from common.sandbox import SandboxApp

from .api import ApiMixin
from .auth import OAuthMixin
from .catalogue import CatalogueMixin
from .control import ControlMixin
from .deliveries import DeliveryMixin
from .formats import EntityNotFound, iso_utc
from .limits import ErrorBlocker, RateLimiter
from .purchasing import PurchasingMixin
from .receipts import ReceiptMixin
from .sales import SalesMixin
from .seed import Seeder
from .store import DivisionState, Row
from .system import SystemMixin
from .webhooks import TOPICS, WebhookDispatcher, event_body

CTX = "exact_sandbox.ctx"


class ExactSandbox(
    OAuthMixin,
    ApiMixin,
    SystemMixin,
    CatalogueMixin,
    PurchasingMixin,
    ReceiptMixin,
    SalesMixin,
    DeliveryMixin,
    ControlMixin,
    SandboxApp,
):
    """A faithful local Exact Online: OAuth2, REST/OData with sync and bulk endpoints, limits,
    webhooks, and Python/HTTP controls for tests, the demo and benchmarks."""

    name = "exact"
    DIVISION = 123456
    SECOND_DIVISION = 654321
    USER_ID = "7c4a5e2b-3f1d-4e6a-9b8c-2d1e0f3a4b5c"

    def __init__(
        self,
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-secret",  # noqa: S107 - demo credentials of a local fake
        webhook_secret: str = "sandbox-webhook-secret",  # noqa: S107 - idem
        clock: Callable[[], float] = time.time,
        minutely_limit: int = 60,
        daily_limit: int = 5000,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_secret = webhook_secret
        self._clock = clock
        self._clock_offset = 0.0
        self.users = {"demo": "demo"}
        self.user_id = self.USER_ID
        self.division = self.DIVISION
        # knobs for behaviour the reference marks unverified
        self.webhook_validation_delay = 0.2
        self.supplier_item_deleted_entity_type: int | None = None
        self.bare_array_on_top = True
        self.error_block_status = 429
        self.limiter = RateLimiter(minutely_limit, daily_limit)
        self.blocker = ErrorBlocker()
        self.webhooks = WebhookDispatcher()
        self.divisions: dict[int, DivisionState] = {}
        self.create_handlers = {
            "purchase_orders": self.create_purchase_order,
            "sales_orders": self.create_sales_order,
            "goods_deliveries": self.create_goods_delivery,
            "goods_receipts": self.create_goods_receipt,
            "webhook_subscriptions": self.create_subscription,
            "accounts": self.create_account,
        }
        self._init_auth()
        super().__init__()
        self.reset()

    # -- clock and state -----------------------------------------------------------------------
    def now(self) -> float:
        """The sandbox clock (epoch seconds): the injected clock plus `advance_clock` offsets."""
        return self._clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward (token expiry, rate windows) and return the new time."""
        with self.lock:
            self._clock_offset += float(seconds)
            return self.now()

    @property
    def state(self) -> DivisionState:
        """The default division's data."""
        return self.divisions[self.division]

    def reset(
        self,
        seed: int = 1,
        items: int = 50,
        suppliers: int | None = None,
        warehouses: int = 2,
        customers: int | None = None,
        kits: int | None = None,
        stock_positions_per_item: int | None = None,
        keep_tokens: bool = False,
    ) -> ExactSandbox:
        """Rebuild all data deterministically; clears calls, faults, limit counters, webhooks,
        `advance_clock` offsets (and tokens unless `keep_tokens`). `customers` = B2B customers
        besides the five channel customers; `stock_positions_per_item` = put every stock item in
        the first N warehouses (e.g. 2 -> about 2 positions per item)."""
        with self.lock:
            self._clock_offset = 0.0
            self.calls.clear()
            self.faults.clear()
            self.webhooks.clear()
            self.limiter = RateLimiter(self.limiter.minutely, self.limiter.daily)
            self.blocker = ErrorBlocker()
            if not keep_tokens:
                self._init_auth()
            self._rng = random.Random(f"runtime:{seed}")
            for old in self.divisions.values():
                old.clear()
            main = DivisionState(self.DIVISION, clock=self.now)
            Seeder(main, seed, self.now()).build(
                items=items,
                suppliers=suppliers,
                warehouses=warehouses,
                customers=customers,
                kits=kits,
                stock_positions_per_item=stock_positions_per_item,
            )
            second = DivisionState(self.SECOND_DIVISION, clock=self.now)
            Seeder(second, seed, self.now()).reference_data(1)
            main.on_change = self._on_change
            self.divisions = {self.DIVISION: main, self.SECOND_DIVISION: second}
        return self

    def summary(self) -> dict[str, Any]:
        """Row counts per table and the current Timestamp of the default division."""
        with self.lock:
            return {
                "division": self.division,
                "timestamp": self.state.timestamp,
                "counts": {name: len(table) for name, table in self.state.tables.items()},
            }

    # -- routing, auth, limits ----------------------------------------------------------------
    def rules(self) -> list[Rule]:
        """Exact's URL space (reference 1.2, 2)."""
        return [
            Rule("/api/oauth2/auth", endpoint="oauth_auth", methods=["GET", "POST"]),
            Rule("/api/oauth2/token", endpoint="oauth_token", methods=["POST"]),
            Rule("/api/v1/current/Me", endpoint="api_me", methods=["GET"]),
            Rule(
                "/api/v1/<int:division>/<path:resource>",
                endpoint="api_resource",
                methods=["GET", "POST", "PUT", "DELETE"],
            ),
        ]

    def before_request(self, request: Request) -> Response | None:
        """Error block, bearer token, division access and rate limits for `/api/v1/...`."""
        if not request.path.startswith("/api/v1/"):
            return None
        token = self.check_bearer(request)
        parts = request.path.split("/")
        division = int(parts[3]) if parts[3].isdigit() else self.division
        endpoint = "/".join(parts[4 if parts[3].isdigit() else 3 :]).split("(")[0].lower()
        client = token.client_id if token else self.client_id
        ctx: dict[str, Any] = {"block": (client, division, endpoint), "headers": {}}
        request.environ[CTX] = ctx
        with self.lock:
            blocked = self.blocker.blocked_for(ctx["block"], self.now())
            if blocked:
                ctx["block"] = None  # a refusal because of the block is not itself an error
                return self.api_error(
                    request,
                    "API rate limit exceeded: more than 10 errors on this endpoint in an hour; "
                    f"blocked for {blocked} more seconds.",
                    self.error_block_status,
                    {"Retry-After": str(blocked)},
                )
            if token is None:
                return self.api_error(
                    request,
                    "Unauthorized: the access token is missing, invalid or expired.",
                    401,
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            if division not in self.divisions:
                return self.api_error(
                    request,
                    "Forbidden - User division is not within division scope",
                    403,
                    {"Reason": "NoDivisionAccess"},
                )
            decision = self.limiter.hit((client, division), self.now())
            ctx["headers"] = decision.headers
            if not decision.allowed:
                return self.api_error(request, "Too many requests", 429, decision.headers)
        return None

    def decorate_response(self, request: Request, response: Response) -> Response:
        """Add the rate-limit headers and count error responses for the error block."""
        ctx = request.environ.get(CTX)
        if ctx is None:
            return response
        for name, value in ctx["headers"].items():
            response.headers[name] = value
        if ctx["block"] is not None:
            with self.lock:
                self.blocker.record(ctx["block"], response.status_code, self.now())
        return response

    def not_found(self, request: Request) -> Response:
        """Unknown URLs answer like Exact (an error envelope)."""
        return self.api_error(
            request,
            f"Resource not found for the segment '{request.path.rstrip('/').split('/')[-1]}'.",
            404,
        )

    def set_limits(self, minutely: int | None = None, daily: int | None = None) -> dict[str, Any]:
        """Change the per-minute / per-day call limits (counters are kept)."""
        with self.lock:
            if minutely is not None:
                self.limiter.minutely = int(minutely)
            if daily is not None:
                self.limiter.daily = int(daily)
            return self.usage()

    def usage(self) -> dict[str, Any]:
        """Calls used and left in the minutely and daily windows, plus the token endpoint."""
        with self.lock:
            out: dict[str, Any] = self.limiter.usage((self.client_id, self.division), self.now())
            out["token_endpoint"] = self.token_endpoint_usage()
            return out

    # -- writes dispatched from api.py ---------------------------------------------------------
    def update_handler(self, table: str, key: str, body: Any) -> None:
        """PUT by table (lock held)."""
        handlers = {
            "purchase_orders": self.update_purchase_order,
            "sales_orders": self.update_sales_order,
            "goods_deliveries": self.update_goods_delivery,
        }
        handlers[table](key, body)

    def delete_handler(self, table: str, key: str) -> None:
        """DELETE by table (lock held)."""
        if table == "purchase_orders":
            self.delete_purchase_order(key, self.user_id)
        elif table == "sales_orders":
            self.delete_sales_order(key, self.user_id)
        else:
            row = self.state[table].get(key)
            if row is None or row.get("ClientID") != self.client_id:
                raise EntityNotFound("WebhookSubscriptions")
            self.state[table].remove(key)

    # -- webhooks ------------------------------------------------------------------------------
    def schedule_validation(self, row: Row) -> None:
        """The empty validation POST shortly after subscribing; a failure drops the subscription."""

        def drop() -> None:
            with self.lock:
                self.state["webhook_subscriptions"].remove(row["ID"])

        self.webhooks.send_validation(
            row["CallbackURL"], row["Topic"], self.webhook_validation_delay, drop
        )

    def _on_change(self, table: str, action: str, row: Row) -> None:
        """One signed callback per changed row for each subscription on its topic."""
        info = TOPICS.get(table)
        if info is None:
            return
        topic, path = info
        subs = [s for s in self.state["webhook_subscriptions"].values() if s["Topic"] == topic]
        if not subs:
            return
        base = f"{self.base_url}/api/v1/{self.division}/{path}"
        if table == "stock_positions":
            key = row["ItemId"]
            endpoint = f"{base}?itemId=guid'{key}'"
        else:
            key = row[self.state[table].key]
            endpoint = f"{base}(guid'{key}')"
        created = iso_utc(self.now())
        for sub in subs:
            content = {
                "Topic": topic,
                "ClientId": sub["ClientID"],
                "Division": self.division,
                "Action": action,
                "Key": key,
                "ExactOnlineEndpoint": endpoint,
                "EventCreatedOn": created,
            }
            self.webhooks.send_event(
                sub["CallbackURL"],
                event_body(content, self.webhook_secret),
                topic=topic,
                key=key,
                action=action,
            )

    def flush_webhooks(self, timeout: float = 5) -> bool:
        """Wait until every queued webhook delivery has been attempted."""
        return self.webhooks.flush(timeout)

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """Delivery attempts since the last reset: url, kind, topic, key, action, status, error."""
        return list(self.webhooks.deliveries)
