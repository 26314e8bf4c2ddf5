"""A local Shopify Admin GraphQL API, faithful where our connector depends on it.

Routes (vendor API):
- `POST /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`. Versions 2025-10 ..
  2026-10 are served; an older quarterly version falls forward to 2025-10 (the response's
  `X-Shopify-API-Version` says which ran); anything else is 404. Bad or missing token -> 401.
  Queries are parsed, validated against a schema subset and priced like Shopify (see
  shopify_graphql); query errors are HTTP 200 with top-level `errors`. Every GraphQL answer
  carries `extensions.cost`; a leaky bucket on the sandbox clock (default 1000 points, 100/s
  restore) answers THROTTLED (HTTP 200, or 429 via `throttle(status=429)`) when the requested
  cost is more than what is left; a query over 1000 points is MAX_COST_EXCEEDED.
- `POST /admin/oauth/access_token` (client-credentials grant, 24 h tokens).

Python control surface (also JSON under /_control/..., see `control_rules`): reset, place_order,
random_order, cancel_order, hold_fulfillment_order, release_fulfillment_order, available,
set_available, fulfillments, throttle, add_webhook, redeliver_last, flush_webhooks,
webhook_deliveries, count_operations, inventory_item_for, location_gid. No Django imports.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from channels_app.sandbox.shopify_graph import SCHEMA
from channels_app.sandbox.shopify_graphql import RequestError, error, execute, prepare
from channels_app.sandbox.shopify_mutations import WEBHOOK_TOPICS, ShopifyMutations
from channels_app.sandbox.shopify_store import (
    FOLine,
    FulfillmentOrder,
    Level,
    Line,
    Location,
    Order,
    ShippingLine,
    ShopifyState,
    Variant,
    allocate_discount,
    apply_taxes,
    ean13,
    gid,
    iso,
    money,
    order_payload,
    parse_gid,
    random_address,
    shop_timezone,
    vat_for,
)
from channels_app.sandbox.shopify_webhooks import WebhookDispatcher
from common.sandbox import SandboxApp, json_response

DEFAULT_ACCESS_TOKEN = "shpat_sandbox"
DEFAULT_CLIENT_SECRET = "shopify-app-secret"
DEFAULT_CLIENT_ID = "shopify-sandbox-client-id"
ORDER_OPTIONS = {
    "taxes_included",
    "discount",
    "shipping",
    "email",
    "address",
    "billing_address",
    "po_number",
    "note",
    "currency",
    "discount_code",
}
SUPPORTED_VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
WEBHOOK_API_VERSION = "2026-04"
MAX_QUERY_COST = 1000
TOKEN_LIFETIME = 86_399
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
SCOPES = (
    "read_orders,read_products,read_inventory,write_inventory,read_locations,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders"
)


def resolve_version(requested: str) -> str | None:
    """The version that serves a request: supported as is, older quarters fall forward."""
    if requested in SUPPORTED_VERSIONS:
        return requested
    if re.fullmatch(r"20\d\d-(01|04|07|10)", requested) and requested < SUPPORTED_VERSIONS[0]:
        return SUPPORTED_VERSIONS[0]
    return None


class ShopifySandbox(ShopifyMutations, SandboxApp):
    """The sandbox shop: one app installation with a token, products, orders and webhooks."""

    name = "shopify"

    def __init__(
        self,
        shop_domain: str = "sandbox-shop.myshopify.com",
        access_token: str = DEFAULT_ACCESS_TOKEN,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        clock: Callable[[], float] = time.time,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
    ) -> None:
        self.shop_domain = shop_domain
        self.shop_name = "Sandbox Shop"
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        super().__init__()
        self.webhooks = WebhookDispatcher(
            secret=client_secret, shop_domain=shop_domain, api_version=WEBHOOK_API_VERSION
        )
        self.reset()

    # -- state ----------------------------------------------------------------------------------
    def reset(
        self,
        seed: int = 1,
        products: list[dict[str, Any]] | None = None,
        *,
        taxes_included: bool = True,
        **_: Any,
    ) -> ShopifySandbox:
        """Rebuild the shop: products (default 20 generated ART-00001..), two locations."""
        self.webhooks.clear()
        with self.lock:
            super().reset()
            now = self.clock()
            self.rng = random.Random(seed)
            self.state = ShopifyState(taxes_included=taxes_included)
            self.tz = shop_timezone(self.state.timezone_name)
            self.tokens: dict[str, float] = {}
            self.idempotency: dict[str, tuple[str, dict[str, Any]]] = {}
            self.adjustment_groups: list[dict[str, Any]] = []
            self.operations: list[dict[str, Any]] = []
            self.throttled = 0
            self.api_version_in_use = SUPPORTED_VERSIONS[0]
            self.bucket_size, self.restore_rate, self.throttle_status = 1000.0, 100.0, 200
            self.bucket, self.bucket_at = self.bucket_size, now
            for name in ("Warehouse", "Retail store"):
                loc = Location(self.state.next_id("Location"), name)
                self.state.locations[loc.id] = loc
            self.warehouse = next(iter(self.state.locations.values()))
            if products is None:
                products = [
                    {
                        "code": f"ART-{i:05d}",
                        "ean": ean13(f"871{self.rng.randrange(10**9):09d}"),
                        "title": f"Article {i}",
                        "price": str(Decimal(self.rng.randrange(250, 9995)) / 100),
                    }
                    for i in range(1, 21)
                ]
            for p in products:
                self._add_product(p, now)
        return self

    def _add_product(self, p: dict[str, Any], now: float) -> Variant:
        v = Variant(
            self.state.next_id("ProductVariant"),
            self.state.next_id("Product"),
            self.state.next_id("InventoryItem"),
            str(p["code"]),
            str(p.get("ean") or ""),
            str(p.get("title") or p["code"]),
            money(p.get("price", "9.95")),
            now,
            now,
        )
        self.state.variants[v.id] = v
        self.state.items[v.inventory_item_id] = v
        available = p.get("available")
        if available is None:
            available = self.rng.randrange(0, 51)
        self.state.levels[(v.inventory_item_id, self.warehouse.id)] = Level(
            v.inventory_item_id, self.warehouse.id, int(available), 0, now
        )
        return v

    # -- routing ----------------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        return [
            Rule("/admin/api/<version>/graphql.json", endpoint="graphql", methods=["POST"]),
            Rule("/admin/oauth/access_token", endpoint="oauth_token", methods=["POST"]),
        ]

    def control_rules(self) -> list[Rule]:
        return [
            Rule("/_control/state", endpoint="ctl_state", methods=["GET"]),
            Rule("/_control/orders", endpoint="ctl_place_order", methods=["POST"]),
            Rule("/_control/orders/random", endpoint="ctl_random_order", methods=["POST"]),
            Rule(
                "/_control/orders/<path:order_id>/cancel", endpoint="ctl_cancel", methods=["POST"]
            ),
            Rule("/_control/orders/<path:order_id>/hold", endpoint="ctl_hold", methods=["POST"]),
            Rule(
                "/_control/orders/<path:order_id>/release", endpoint="ctl_release", methods=["POST"]
            ),
            Rule(
                "/_control/orders/<path:order_id>/fulfillments",
                endpoint="ctl_fulfillments",
                methods=["GET"],
            ),
            Rule("/_control/inventory", endpoint="ctl_inventory", methods=["GET", "POST"]),
            Rule("/_control/throttle", endpoint="ctl_throttle", methods=["POST"]),
            Rule("/_control/webhooks", endpoint="ctl_webhooks", methods=["GET", "POST"]),
            Rule("/_control/webhooks/redeliver", endpoint="ctl_redeliver", methods=["POST"]),
            Rule("/_control/webhooks/flush", endpoint="ctl_flush", methods=["POST"]),
        ]

    def before_request(self, request: Request) -> Response | None:
        if not request.path.startswith("/admin/api/"):
            return None
        requested = request.path.split("/")[3]
        version = resolve_version(requested)
        if version is None:
            return json_response({"errors": "Not Found"}, status=404)
        request.environ["shopify.version"] = version
        token = request.headers.get("X-Shopify-Access-Token", "")
        with self.lock:
            expiry = self.tokens.get(token)
            valid = token == self.access_token or (expiry is not None and expiry > self.clock())
        if not token or not valid:
            return json_response({"errors": INVALID_TOKEN}, status=401)
        return None

    def decorate_response(self, request: Request, response: Response) -> Response:
        version = request.environ.get("shopify.version")
        if version:
            response.headers["X-Shopify-API-Version"] = version
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response

    # -- the GraphQL endpoint -----------------------------------------------------------------------
    def _refill(self) -> None:
        now = self.clock()
        self.bucket = min(
            self.bucket_size, self.bucket + max(0.0, now - self.bucket_at) * self.restore_rate
        )
        self.bucket_at = now

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": float(self.bucket_size),
                    "currentlyAvailable": round(self.bucket, 3),
                    "restoreRate": float(self.restore_rate),
                },
            }
        }

    def graphql(self, request: Request, version: str) -> Response:
        if request.mimetype == "application/graphql":
            body: dict[str, Any] = {"query": request.get_data(as_text=True)}
        else:
            body = request.get_json(silent=True) or {}
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return json_response(
                {"errors": {"query": "Required parameter missing or invalid"}}, status=400
            )
        variables = body.get("variables") or {}
        if isinstance(variables, str):  # some clients send the variables JSON-encoded
            try:
                variables = json.loads(variables) or {}
            except ValueError:
                variables = {}
        with self.lock:
            self._refill()
            entry: dict[str, Any] = {
                "operation": body.get("operationName"),
                "fields": [],
                "variables": variables,
                "query": query,
                "version": request.environ["shopify.version"],
                "status": "",
            }
            self.operations.append(entry)
            try:
                prepared = prepare(
                    SCHEMA, query, operation_name=body.get("operationName"), variables=variables
                )
            except RequestError as exc:
                entry["status"] = "error"
                return json_response({"errors": exc.errors, "extensions": self._cost(0, 0)})
            entry["operation"] = prepared.operation.name
            entry["fields"] = prepared.root_fields
            requested = prepared.requested_cost
            if requested > MAX_QUERY_COST:
                entry["status"] = "max_cost"
                return json_response(
                    {
                        "errors": [
                            error(
                                f"Query cost is {requested}, which exceeds the single query max cost limit "
                                f"({MAX_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/"
                                "rate-limits for more information on how the\ncost of a query is calculated."
                                "\n\nTo query larger amounts of data with fewer limits, bulk operations "
                                "should be used instead.",
                                code="MAX_COST_EXCEEDED",
                                cost=requested,
                                maxCost=MAX_QUERY_COST,
                            )
                        ],
                        "extensions": self._cost(requested, None),
                    }
                )
            if requested > self.bucket + 1e-3:  # float clocks drift by micro-points
                entry["status"] = "throttled"
                self.throttled += 1
                wait = (requested - self.bucket) / self.restore_rate
                headers = (
                    {"Retry-After": str(math.ceil(wait))} if self.throttle_status == 429 else {}
                )
                return json_response(
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": self._cost(requested, None),
                    },
                    status=self.throttle_status,
                    headers=headers,
                )
            self.bucket -= requested
            self.api_version_in_use = request.environ["shopify.version"]
            root = (
                self.mutation_root() if prepared.operation.kind == "mutation" else self.query_root()
            )
            try:
                data, errors, actual = execute(SCHEMA, prepared, root)
            except RequestError as exc:
                self.bucket += requested
                entry["status"] = "error"
                return json_response({"errors": exc.errors, "extensions": self._cost(requested, 0)})
            self.bucket = min(self.bucket_size, self.bucket + requested - actual)
            entry["status"] = "error" if errors else "ok"
            out: dict[str, Any] = {"data": data}
            if errors:
                out["errors"] = errors
            out["extensions"] = self._cost(requested, actual)
            return json_response(out)

    def oauth_token(self, request: Request) -> Response:
        data = request.get_json(silent=True) or request.form.to_dict()
        if data.get("grant_type") != "client_credentials":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The grant type is not supported.",
                },
                status=400,
            )
        if (
            data.get("client_id") != self.client_id
            or data.get("client_secret") != self.client_secret
        ):
            return json_response(
                {"error": "invalid_client", "error_description": "Client credentials are invalid."},
                status=400,
            )
        token = f"shpat_{uuid.uuid4().hex}"
        with self.lock:
            self.tokens[token] = self.clock() + TOKEN_LIFETIME
        return json_response({"access_token": token, "scope": SCOPES, "expires_in": TOKEN_LIFETIME})

    # -- webhooks -------------------------------------------------------------------------------------
    def emit(self, topic: str, order: Order) -> None:
        """Queue `topic` (orders/create ...) for every matching subscription; never blocks."""
        enum = next(k for k, v in WEBHOOK_TOPICS.items() if v == topic)
        subs = [s for s in self.state.subscriptions.values() if s["topic"] == enum]
        if not subs:
            return
        body = json.dumps(order_payload(order, self.tz), separators=(",", ":")).encode()
        triggered = iso(self.clock()) or ""
        for sub in subs:
            self.webhooks.send(topic, sub["uri"], body, triggered_at=triggered)

    def add_webhook(self, topic: str, url: str) -> str:
        """Subscribe url to a topic ("orders/create" or "ORDERS_CREATE"); returns the GID."""
        enum = topic if topic in WEBHOOK_TOPICS else topic.upper().replace("/", "_")
        if enum not in WEBHOOK_TOPICS:
            raise ValueError(f"unknown webhook topic {topic!r}")
        with self.lock:
            sub_id = self.state.next_id("WebhookSubscription")
            self.state.subscriptions[sub_id] = {
                "id": sub_id,
                "topic": enum,
                "uri": url,
                "created_at": self.clock(),
            }
        return gid("WebhookSubscription", sub_id)

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every delivery so far (topic, url, headers, body, status, event_id, webhook_id)."""
        return [d.as_dict() for d in self.webhooks.snapshot()]

    def flush_webhooks(self, timeout: float = 5) -> bool:
        return self.webhooks.flush(timeout)

    def redeliver_last(self, n: int = 1) -> list[dict[str, Any]]:
        """Send the last n deliveries again: same body and event id, new webhook id."""
        last = self.webhooks.snapshot()[-n:] if n > 0 else []
        triggered = iso(self.clock()) or ""
        return [self.webhooks.redeliver(d, triggered_at=triggered).as_dict() for d in last]

    # -- orders -----------------------------------------------------------------------------------------
    def _order(self, order_id: Any) -> Order:
        number = parse_gid(order_id, "Order")
        if number is None or number not in self.state.orders:
            raise KeyError(f"no such order: {order_id}")
        return self.state.orders[number]

    def get_order(self, order_id: Any) -> dict[str, Any]:
        """The order as its webhook payload (REST shape)."""
        with self.lock:
            return order_payload(self._order(order_id), self.tz)

    def place_order(
        self,
        lines: Iterable[tuple[str, int]],
        country: str = "NL",
        cancelled: bool = False,
        financial_status: str = "PAID",
        **kw: Any,
    ) -> dict[str, Any]:
        """Place an order as a customer would (fires orders/create); returns its payload.

        Options: taxes_included (default: the shop's), discount (order-level amount, spread
        over the lines), shipping (price in the shop's tax mode, default 4.95), email,
        address / billing_address (dicts), po_number, note, currency, discount_code.
        """
        unknown = set(kw) - ORDER_OPTIONS
        if unknown:
            raise TypeError(f"place_order() got unknown options: {', '.join(sorted(unknown))}")
        with self.lock:
            now = self.clock()
            rate, title = vat_for(country)
            order_lines = []
            for code, qty in lines:
                variant = self.state.variant_for(code)
                if variant is None:
                    raise ValueError(f"no product with SKU or EAN {code!r}")
                order_lines.append(
                    Line(
                        self.state.next_id("LineItem"),
                        variant,
                        variant.sku,
                        variant.title,
                        int(qty),
                        variant.price,
                        rate,
                        title,
                    )
                )
            if not order_lines:
                raise ValueError("an order needs at least one line")
            address = {**random_address(self.rng, country), **(kw.get("address") or {})}
            shipping = money(kw.get("shipping", "4.95"))
            order = Order(
                self.state.next_id("Order"),
                self.state.next_order_number,
                now,
                now,
                kw.get("currency", "EUR"),
                bool(kw.get("taxes_included", self.state.taxes_included)),
                financial_status.upper(),
                kw.get("email") or f"{address['first_name'].lower()}@example.com",
                address,
                {**address, **(kw.get("billing_address") or {})},
                order_lines,
                [
                    ShippingLine(
                        self.state.next_id("ShippingLine"),
                        "Standard",
                        "STANDARD",
                        shipping,
                        rate,
                        title,
                    )
                ],
                po_number=kw.get("po_number"),
                note=kw.get("note"),
                discount_codes=[kw["discount_code"]] if kw.get("discount_code") else [],
            )
            self.state.next_order_number += 1
            allocate_discount(order.lines, money(kw.get("discount", "0")))
            apply_taxes(order)
            fo = FulfillmentOrder(
                self.state.next_id("FulfillmentOrder"),
                order.id,
                self.warehouse.id,
                "OPEN",
                [],
                now,
                now,
            )
            for li in order.lines:
                fo.lines.append(
                    FOLine(
                        self.state.next_id("FulfillmentOrderLineItem"),
                        li.id,
                        li.quantity,
                        li.quantity,
                    )
                )
                level = self.state.levels.get(
                    (li.variant.inventory_item_id, self.warehouse.id) if li.variant else (0, 0)
                )
                if level is not None:  # Shopify moves ordered units from available to committed
                    level.available -= li.quantity
                    level.committed += li.quantity
                    level.updated_at = now
            order.fulfillment_orders.append(fo)
            self.state.orders[order.id] = order
            self.emit("orders/create", order)
            if financial_status.upper() == "PAID":
                self.emit("orders/paid", order)
        if cancelled:
            return self.cancel_order(order.id)
        return self.get_order(order.id)

    def random_order(self, rng: random.Random) -> dict[str, Any]:
        """A plausible order for the demo: 1-3 random products, 1-3 units each."""
        with self.lock:
            codes = [v.sku for v in self.state.variants.values()]
        picks = rng.sample(codes, k=min(len(codes), rng.randint(1, 3)))
        return self.place_order(
            [(c, rng.randint(1, 3)) for c in picks],
            country=rng.choice(["NL", "NL", "NL", "BE", "DE"]),
        )

    def cancel_order(self, order_id: Any, reason: str = "CUSTOMER") -> dict[str, Any]:
        """Cancel and restock (fires orders/cancelled and orders/updated)."""
        with self.lock:
            order = self._order(order_id)
            if order.cancelled_at is not None:
                raise ValueError(f"order {order.name} is already cancelled")
            now = self.clock()
            order.cancelled_at, order.cancel_reason, order.updated_at = now, reason.upper(), now
            order.financial_status = (
                "REFUNDED" if order.financial_status in ("PAID", "PARTIALLY_PAID") else "VOIDED"
            )
            for li in order.lines:
                li.current_quantity = order.fulfilled(li.id)
            for fo in order.fulfillment_orders:
                for fol in fo.lines:
                    li = next(x for x in order.lines if x.id == fol.line_id)
                    level = self.state.levels.get(
                        (li.variant.inventory_item_id if li.variant else 0, fo.location_id)
                    )
                    if level is not None and fol.remaining:
                        level.available += fol.remaining
                        level.committed = max(0, level.committed - fol.remaining)
                        level.updated_at = now
                    fol.remaining = 0
                fo.status, fo.updated_at = "CLOSED", now
            self.emit("orders/cancelled", order)
            self.emit("orders/updated", order)
            return order_payload(order, self.tz)

    def hold_fulfillment_order(self, order_id: Any) -> list[str]:
        """Put the order's open fulfillment orders ON_HOLD; returns their GIDs."""
        return self._set_fo_status(order_id, ("OPEN", "IN_PROGRESS"), "ON_HOLD")

    def release_fulfillment_order(self, order_id: Any) -> list[str]:
        return self._set_fo_status(order_id, ("ON_HOLD",), "OPEN")

    def _set_fo_status(self, order_id: Any, from_: tuple[str, ...], to: str) -> list[str]:
        with self.lock:
            order = self._order(order_id)
            now = self.clock()
            changed = []
            for fo in order.fulfillment_orders:
                if fo.status in from_:
                    fo.status, fo.updated_at = to, now
                    changed.append(gid("FulfillmentOrder", fo.id))
            order.updated_at = now
            return changed

    def fulfillments(self, order_id: Any) -> list[dict[str, Any]]:
        with self.lock:
            order = self._order(order_id)
            return [
                {
                    "id": gid("Fulfillment", f.id),
                    "status": f.status,
                    "tracking_info": [{"company": f.company, "number": f.number, "url": f.url}],
                    "notify_customer": f.notify_customer,
                    "created_at": iso(f.created_at),
                    "line_items": [
                        {
                            "fulfillment_order_line_item_id": gid("FulfillmentOrderLineItem", fol),
                            "line_item_id": gid("LineItem", lid),
                            "quantity": q,
                        }
                        for fol, lid, q in f.lines
                    ],
                }
                for f in order.fulfillments
            ]

    # -- inventory and throttling ---------------------------------------------------------------------
    def available(self, inventory_item_id: Any, location_id: Any = None) -> int | None:
        """The `available` quantity, or None when the item is not stocked there."""
        with self.lock:
            item = parse_gid(inventory_item_id, "InventoryItem") or 0
            loc = parse_gid(location_id, "Location") if location_id else self.warehouse.id
            level = self.state.levels.get((item, loc or 0))
            return None if level is None else level.available

    def set_available(self, inventory_item_id: Any, quantity: int, location_id: Any = None) -> None:
        """Change stock behind the connector's back (a sale in the shop's POS, say)."""
        with self.lock:
            item = parse_gid(inventory_item_id, "InventoryItem") or 0
            loc = parse_gid(location_id, "Location") if location_id else self.warehouse.id
            self.state.levels[(item, loc or 0)].available = int(quantity)

    def inventory_item_for(self, code: str) -> str:
        """The InventoryItem GID of the product with this SKU or EAN."""
        with self.lock:
            variant = self.state.variant_for(code)
            if variant is None:
                raise KeyError(code)
            return gid("InventoryItem", variant.inventory_item_id)

    def location_gid(self, name: str = "Warehouse") -> str:
        with self.lock:
            return next(
                gid("Location", loc.id) for loc in self.state.locations.values() if loc.name == name
            )

    def throttle(
        self, bucket: float | None = None, restore_rate: float | None = None, status: int = 200
    ) -> None:
        """Change the cost bucket (refilled to the new size) and the THROTTLED HTTP status."""
        with self.lock:
            if bucket is not None:
                self.bucket_size = float(bucket)
            if restore_rate is not None:
                self.restore_rate = float(restore_rate)
            self.throttle_status = int(status)
            self.bucket, self.bucket_at = self.bucket_size, self.clock()

    def count_operations(self, name: str = "", status: str | None = None) -> int:
        """GraphQL requests whose operation name or a root field equals name ("" = all)."""
        with self.lock:
            return sum(
                1
                for op in self.operations
                if (not name or op["operation"] == name or name in op["fields"])
                and (status is None or op["status"] == status)
            )

    # -- control routes (JSON) ------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        """As SandboxApp, but a bad control request is a 400 with the reason, not a 500."""
        if not request.path.startswith("/_control/"):
            return super().dispatch(request)
        try:
            return super().dispatch(request)
        except (KeyError, ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, status=400)

    def ctl_state(self, request: Request) -> Response:
        with self.lock:
            return json_response(
                {
                    "products": len(self.state.variants),
                    "orders": len(self.state.orders),
                    "webhook_subscriptions": len(self.state.subscriptions),
                    "throttled": self.throttled,
                    "operations": len(self.operations),
                    "bucket": {
                        "size": self.bucket_size,
                        "available": self.bucket,
                        "restore_rate": self.restore_rate,
                        "status": self.throttle_status,
                    },
                    "locations": [
                        {"id": gid("Location", loc.id), "name": loc.name}
                        for loc in self.state.locations.values()
                    ],
                }
            )

    def ctl_place_order(self, request: Request) -> Response:
        data = dict(request.get_json(force=True) or {})
        lines = [(str(code), int(qty)) for code, qty in data.pop("lines", [])]
        return json_response(self.place_order(lines, **data))

    def ctl_random_order(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        return json_response(self.random_order(random.Random(data.get("seed"))))

    def ctl_cancel(self, request: Request, order_id: str) -> Response:
        return json_response(self.cancel_order(order_id))

    def ctl_hold(self, request: Request, order_id: str) -> Response:
        return json_response({"held": self.hold_fulfillment_order(order_id)})

    def ctl_release(self, request: Request, order_id: str) -> Response:
        return json_response({"released": self.release_fulfillment_order(order_id)})

    def ctl_fulfillments(self, request: Request, order_id: str) -> Response:
        return json_response({"fulfillments": self.fulfillments(order_id)})

    def ctl_inventory(self, request: Request) -> Response:
        data = request.get_json(silent=True) or request.args.to_dict()
        item, loc = data.get("inventory_item_id"), data.get("location_id")
        if request.method == "POST":
            self.set_available(item, int(data["quantity"]), loc)
        return json_response({"inventory_item_id": item, "available": self.available(item, loc)})

    def ctl_throttle(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        self.throttle(data.get("bucket"), data.get("restore_rate"), int(data.get("status", 200)))
        return json_response({"ok": True})

    def ctl_webhooks(self, request: Request) -> Response:
        if request.method == "POST":
            data = request.get_json(force=True)
            return json_response({"id": self.add_webhook(data["topic"], data["url"])})
        return json_response({"deliveries": self.webhook_deliveries})

    def ctl_redeliver(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        return json_response({"deliveries": self.redeliver_last(int(data.get("n", 1)))})

    def ctl_flush(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        return json_response({"done": self.flush_webhooks(float(data.get("timeout", 5)))})
