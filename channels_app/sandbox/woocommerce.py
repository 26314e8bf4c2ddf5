"""A local WooCommerce (REST API wc/v3 + the Shipment Tracking extension + webhooks).

Behaves as /work/shared/reference/channel-apis.md section 3 describes the real thing:
- Auth: consumer key/secret as HTTP Basic or as `consumer_key`/`consumer_secret` query
  parameters. The sandbox serves plain http on loopback and accepts both there; a real shop
  accepts Basic only over https (plain http needs OAuth 1.0a, which is not simulated). Missing
  credentials answer 401 `woocommerce_rest_cannot_view` (etc.); a wrong key or secret answers 401
  `woocommerce_rest_authentication_error`. `settings(strip_authorization=True)` simulates a host
  that drops the Authorization header (then only query-string auth works).
- Lists: `page`, `per_page` (1..100, else 400 `rest_invalid_param`), `offset`, `orderby`, `order`;
  `X-WP-Total`, `X-WP-TotalPages` and a `Link` header with rel="prev"/"next" (WordPress core).
- Orders: filters `status` (comma list), `after`/`before`, `modified_after`/`modified_before`
  (strictly after/before; site time unless `dates_are_gmt=true` or an explicit offset),
  `orderby=date|id|include|title|slug|modified`. Stock is reduced when an order reaches
  processing/on-hold/completed and restored when it is cancelled.
- Products: `/products?sku=` also finds variations (WooCommerce switches the query to products and
  variations when a SKU is given). Batch endpoints take at most 100 objects in total (413
  `woocommerce_rest_request_entity_too_large`); a failing item comes back in place as
  `{"id": ..., "error": {"code", "message", "data": {"status"}}}` (WooCommerce core's shape).
  The batch path does no schema validation, so stock_quantity is cast like PHP's intval ("12abc"
  -> 12, "abc" -> 0), as in WooCommerce; the single PUT validates and answers 400.
- Shipment Tracking extension routes under `wc-shipment-tracking/v3` and `wc/v3`; the provider
  list lives at `orders/{id}/shipment-trackings/providers` (the extension's route) and, as the
  reference writes it, at `wc-shipment-tracking/v3/shipment-trackings/providers`.
  `reset(tracking_extension=False)` uninstalls it (routes answer 404 `rest_no_route`).
- Webhooks: deliveries from a background thread, signed with the webhook's own secret; a
  form-encoded, unsigned ping `webhook_id=<id>` on creation; disabled after 5 consecutive failed
  deliveries (the ping does not count).
- A host/WAF throttle (off by default): `throttle(per_second=N, retry_after=S)` answers 429 with
  Retry-After and an HTML body once N requests arrived within one clock second.

Python control surface (most also a JSON route under /_control/, see woocommerce_control.py):
reset, place_order, random_order, cancel_order, set_status, order, order_notes, product, stock,
delete_product, trackings, throttle, settings, add_webhook, webhook, redeliver_last,
flush_webhooks, webhook_deliveries. Layout: woocommerce_store.py (catalogue, tax maths, order
shape), woocommerce_rest.py (WordPress error and argument conventions), woocommerce_tracking.py,
woocommerce_webhooks.py, woocommerce_control.py (mixins). No Django imports.
"""

from __future__ import annotations

import copy
import hmac
import math
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from common.sandbox import SandboxApp, json_response

from .woocommerce_control import ControlRoutesMixin
from .woocommerce_rest import (
    API,
    WCError,
    body_of,
    date_arg,
    enum_arg,
    int_arg,
    invalid_param,
    php_intval,
    wc_error,
)
from .woocommerce_store import (
    ORDER_STATUSES,
    STOCK_REDUCING_STATUSES,
    IdSeq,
    LineSpec,
    build_catalogue,
    build_order,
    default_products,
    refresh_stock_status,
    stamp,
    variation_view,
)
from .woocommerce_tracking import ShipmentTrackingMixin, tracking_rules
from .woocommerce_webhooks import Delivery, Dispatcher, WebhooksMixin, webhook_rules

BATCH_LIMIT = 100
ORDER_ORDERBY = ("date", "id", "include", "title", "slug", "modified")
PRODUCT_ORDERBY = ("date", "id", "include", "title", "slug", "modified", "price", "menu_order")


def _ts(value: str | None) -> float:
    if not value:
        return 0.0
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


class WooCommerceSandbox(ShipmentTrackingMixin, WebhooksMixin, ControlRoutesMixin, SandboxApp):
    """The local WooCommerce shop. See the module docstring for what it simulates."""

    name = "woocommerce"

    def __init__(
        self,
        consumer_key: str = "ck_sandbox",
        consumer_secret: str = "cs_sandbox",  # noqa: S107 - the sandbox's public test key
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.clock = clock
        self.generation = 0
        self.dispatcher = Dispatcher(on_result=self._delivery_result)
        super().__init__()
        self.reset()

    # -- state --------------------------------------------------------------------------------------
    def reset(  # type: ignore[override]
        self,
        seed: int = 1,
        products: Sequence[dict[str, Any]] | None = None,
        *,
        tracking_extension: bool = True,
        strip_authorization: bool = False,
    ) -> WooCommerceSandbox:
        """Rebuild the shop: catalogue from `products` ({code, ean, title, price}) or 20 defaults."""
        with self.lock:
            super().reset()
            self.generation += 1
            self.dispatcher.discard_queued()
            self.seed = seed
            self.rng = random.Random(seed)
            rows = list(products) if products is not None else default_products(seed)
            self.items, next_id = build_catalogue(rows, seed=seed, ts=self.clock(), next_id=10)
            self.post_ids = IdSeq(max(next_id, 700))  # orders, notes share WordPress' post ids
            self.line_ids = IdSeq(100)
            self.meta_ids = IdSeq(1000)
            self.webhook_ids = IdSeq(0)
            self.orders: dict[int, dict[str, Any]] = {}
            self.notes: dict[int, list[dict[str, Any]]] = {}
            self.tracking_items: dict[int, list[dict[str, Any]]] = {}
            self.stock_reduced: set[int] = set()
            self.webhooks: dict[int, dict[str, Any]] = {}
            self.deliveries: list[Delivery] = []
            self.tracking_extension = tracking_extension
            self.strip_authorization = strip_authorization
            self._throttle: tuple[int | None, int] = (None, 1)
            self._window: tuple[int, int] = (-1, 0)
            self.ignore_page = False
        return self

    # -- routing ------------------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        edit = ["POST", "PUT", "PATCH"]
        rules = [
            Rule(f"{API}/orders", endpoint="list_orders", methods=["GET"]),
            Rule(f"{API}/orders/<int:order_id>", endpoint="get_order", methods=["GET"]),
            Rule(f"{API}/orders/<int:order_id>", endpoint="update_order", methods=edit),
            Rule(f"{API}/orders/<int:order_id>/notes", endpoint="list_notes", methods=["GET"]),
            Rule(f"{API}/orders/<int:order_id>/notes", endpoint="create_note", methods=["POST"]),
            Rule(f"{API}/products", endpoint="list_products", methods=["GET"]),
            Rule(f"{API}/products/batch", endpoint="batch_products", methods=edit),
            Rule(f"{API}/products/<int:pid>", endpoint="get_product", methods=["GET"]),
            Rule(f"{API}/products/<int:pid>", endpoint="update_product", methods=edit),
            Rule(
                f"{API}/products/<int:pid>/variations", endpoint="list_variations", methods=["GET"]
            ),
            Rule(
                f"{API}/products/<int:pid>/variations/batch",
                endpoint="batch_variations",
                methods=edit,
            ),
            Rule(
                f"{API}/products/<int:pid>/variations/<int:vid>",
                endpoint="get_variation",
                methods=["GET"],
            ),
            Rule(
                f"{API}/products/<int:pid>/variations/<int:vid>",
                endpoint="update_variation",
                methods=edit,
            ),
        ]
        return rules + webhook_rules() + tracking_rules()

    def dispatch(self, request: Request) -> Response:
        response = super().dispatch(request)
        if response.status_code == 405:  # WordPress matches routes and methods together
            return self.not_found(request)
        return response

    def not_found(self, request: Request) -> Response:
        return wc_error(
            "rest_no_route", "No route was found matching the URL and request method.", 404
        )

    # -- auth and throttling ------------------------------------------------------------------------
    def before_request(self, request: Request) -> Response | None:
        throttled = self._throttled()
        if throttled is not None:
            return throttled
        credentials = self._credentials(request)
        if credentials is None:
            return self._cannot(request)
        key, secret = credentials
        if not hmac.compare_digest(key.encode(), self.consumer_key.encode()):
            return wc_error(
                "woocommerce_rest_authentication_error", "Consumer key is invalid.", 401
            )
        if not hmac.compare_digest(secret.encode(), self.consumer_secret.encode()):
            return wc_error(
                "woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401
            )
        return None

    def _credentials(self, request: Request) -> tuple[str, str] | None:
        auth = None if self.strip_authorization else request.authorization
        if auth is not None and auth.type == "basic" and auth.username is not None:
            return auth.username, auth.password or ""
        if "consumer_key" in request.args and "consumer_secret" in request.args:
            return request.args["consumer_key"], request.args["consumer_secret"]
        return None

    @staticmethod
    def _cannot(request: Request) -> Response:
        last = request.path.rstrip("/").rsplit("/", 1)[-1]
        if request.method == "GET":
            what = "view this resource" if last.isdigit() else "list resources"
            return wc_error("woocommerce_rest_cannot_view", f"Sorry, you cannot {what}.", 401)
        if last == "batch":
            msg = "Sorry, you are not allowed to batch manipulate this resource."
            return wc_error("woocommerce_rest_cannot_batch", msg, 401)
        if request.method == "DELETE":
            msg = "Sorry, you are not allowed to delete this resource."
            return wc_error("woocommerce_rest_cannot_delete", msg, 401)
        if request.method == "POST" and not last.isdigit():
            msg = "Sorry, you are not allowed to create resources."
            return wc_error("woocommerce_rest_cannot_create", msg, 401)
        return wc_error(
            "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.", 401
        )

    def throttle(self, per_second: int | None = None, retry_after: int = 1) -> None:
        """A host/WAF limit: more than `per_second` requests in one clock second → 429."""
        with self.lock:
            self._throttle = (per_second or None, retry_after)
            self._window = (-1, 0)

    def _throttled(self) -> Response | None:
        with self.lock:
            per_second, retry_after = self._throttle
            if not per_second:
                return None
            second = int(self.clock())
            start, count = self._window
            count = count + 1 if start == second else 1
            self._window = (second, count)
            if count <= per_second:
                return None
        body = "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>"
        return Response(
            body, status=429, headers={"Retry-After": str(retry_after)}, content_type="text/html"
        )

    def settings(
        self,
        *,
        strip_authorization: bool | None = None,
        tracking_extension: bool | None = None,
        ignore_page: bool | None = None,
    ) -> None:
        """Host quirks: a proxy stripping Authorization, no tracking extension, or a caching
        proxy/plugin that ignores `page` (every page answers the first)."""
        with self.lock:
            if strip_authorization is not None:
                self.strip_authorization = strip_authorization
            if tracking_extension is not None:
                self.tracking_extension = tracking_extension
            if ignore_page is not None:
                self.ignore_page = ignore_page

    def _paged(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        """One page of `rows` with X-WP-Total, X-WP-TotalPages and Link, as WordPress sends them."""
        per_page = int_arg(request, "per_page", 10, 1, 100)
        page = 1 if self.ignore_page else int_arg(request, "page", 1, 1)
        offset = int_arg(request, "offset", -1, 0) if "offset" in request.args else None
        total = len(rows)
        pages = math.ceil(total / per_page) if total else 0
        start = offset if offset is not None else (page - 1) * per_page
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        query = {
            k: v for k, v in request.args.items() if k not in ("consumer_key", "consumer_secret")
        }
        links = []
        if page > 1:
            links.append((min(page - 1, max(pages, 1)), "prev"))
        if pages > page:
            links.append((page + 1, "next"))
        if links:
            base = f"{self.base_url}{request.path}"
            headers["Link"] = ", ".join(
                f'<{base}?{urlencode({**query, "page": p})}>; rel="{rel}"' for p, rel in links
            )
        return json_response(rows[start : start + per_page], headers=headers)

    @staticmethod
    def _sorted(
        rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any], order: str
    ) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda r: (key(r), r["id"]), reverse=order == "desc")

    # -- orders ---------------------------------------------------------------------------------------
    def list_orders(self, request: Request) -> Response:
        statuses = self._statuses(request)
        after, before = date_arg(request, "after"), date_arg(request, "before")
        m_after = date_arg(request, "modified_after")
        m_before = date_arg(request, "modified_before")
        orderby = enum_arg(request, "orderby", "date", ORDER_ORDERBY)
        order = enum_arg(request, "order", "desc", ("asc", "desc"))
        field = {"date": "date_created_gmt", "modified": "date_modified_gmt"}.get(orderby)
        with self.lock:
            rows = []
            for o in self.orders.values():
                created, modified = _ts(o["date_created_gmt"]), _ts(o["date_modified_gmt"])
                if o["status"] not in statuses:
                    continue
                if (after is not None and created <= after) or (
                    before is not None and created >= before
                ):
                    continue
                if (m_after is not None and modified <= m_after) or (
                    m_before is not None and modified >= m_before
                ):
                    continue
                rows.append(o)
            rows = self._sorted(rows, (lambda r: r[field]) if field else (lambda r: r["id"]), order)
            return self._paged(request, rows)

    def _statuses(self, request: Request) -> set[str]:
        raw = request.args.getlist("status") or request.args.getlist("status[]") or ["any"]
        wanted = {s.strip() for part in raw for s in part.split(",") if s.strip()}
        for status in wanted:
            if status != "any" and status not in ORDER_STATUSES:
                raise invalid_param(
                    "status", f"status[0] is not one of any, {', '.join(ORDER_STATUSES)}."
                )
        if "any" in wanted:
            wanted |= set(ORDER_STATUSES) - {"trash", "checkout-draft"}
        return wanted

    def _order(self, order_id: int, status: int = 404) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status)
        return order

    def get_order(self, request: Request, order_id: int) -> Response:
        with self.lock:
            return json_response(self._order(order_id))

    def update_order(self, request: Request, order_id: int) -> Response:
        body = body_of(request)
        with self.lock:
            order = self._order(order_id, status=400)
            if "status" in body:
                status = str(body["status"])
                if status not in ORDER_STATUSES:
                    raise invalid_param(
                        "status", f"status is not one of {', '.join(ORDER_STATUSES)}."
                    )
                self._set_status_locked(order, status)
            if "customer_note" in body:
                order["customer_note"] = str(body["customer_note"])
            for meta in body.get("meta_data") or []:
                self._set_meta(order, meta)
            self._touch_order(order)
            return json_response(order)

    def _set_meta(self, obj: dict[str, Any], meta: dict[str, Any]) -> None:
        """Update by meta id, else by key (update_meta_data), else add a row."""
        rows = obj["meta_data"]
        match = next((m for m in rows if "id" in meta and m["id"] == meta["id"]), None)
        match = match or next((m for m in rows if m["key"] == meta.get("key")), None)
        if match is not None:
            match["value"] = meta.get("value")
        elif meta.get("key"):
            rows.append({"id": self.meta_ids(), "key": meta["key"], "value": meta.get("value")})

    def _touch_order(self, order: dict[str, Any]) -> None:
        stamp(order, "modified", self.clock())
        self._fire("order.updated", order)

    def _set_status_locked(self, order: dict[str, Any], status: str) -> None:
        if order["status"] == status:
            return
        order["status"] = status
        now = self.clock()
        if status in STOCK_REDUCING_STATUSES and order["id"] not in self.stock_reduced:
            self._adjust_stock(order, -1)
            self.stock_reduced.add(order["id"])
        elif status in ("cancelled", "pending") and order["id"] in self.stock_reduced:
            self._adjust_stock(order, +1)  # wc_maybe_increase_stock_levels
            self.stock_reduced.discard(order["id"])
        if status in ("processing", "completed") and not order["date_paid_gmt"]:
            stamp(order, "paid", now)
        if status == "completed":
            stamp(order, "completed", now)

    def _adjust_stock(self, order: dict[str, Any], sign_: int) -> None:
        for line in order["line_items"]:
            item = self.items.get(line["variation_id"] or line["product_id"])
            if item is not None and item["manage_stock"] is True:
                item["stock_quantity"] = (item["stock_quantity"] or 0) + sign_ * line["quantity"]
                refresh_stock_status(item)
                stamp(item, "modified", self.clock())

    def list_notes(self, request: Request, order_id: int) -> Response:
        with self.lock:
            self._order(order_id)
            return json_response(list(reversed(self.notes.get(order_id, []))))

    def create_note(self, request: Request, order_id: int) -> Response:
        body = body_of(request)
        if not body.get("note"):
            raise WCError(
                "rest_missing_callback_param", "Missing parameter(s): note", 400, params=["note"]
            )
        with self.lock:
            self._order(order_id, status=400)
            note = {
                "id": self.post_ids(),
                "author": "WooCommerce" if not body.get("added_by_user") else "shop manager",
                "note": str(body["note"]),
                "customer_note": bool(body.get("customer_note", False)),
            }
            stamp(note, "created", self.clock())
            self.notes.setdefault(order_id, []).append(note)
            return json_response(note, 201)

    # -- products -------------------------------------------------------------------------------------
    def list_products(self, request: Request) -> Response:
        skus = {s.strip() for s in request.args.get("sku", "").split(",") if s.strip()}
        kind = request.args.get("type")
        orderby = enum_arg(request, "orderby", "date", PRODUCT_ORDERBY)
        order = enum_arg(request, "order", "desc", ("asc", "desc"))
        with self.lock:
            rows = [
                p
                for p in self.items.values()
                if (p["sku"] in skus if skus else p["type"] != "variation")
                and (kind is None or p["type"] == kind)
            ]
            key = {
                "date": "date_created_gmt",
                "modified": "date_modified_gmt",
                "title": "name",
                "slug": "slug",
            }
            field = key.get(orderby)
            rows = self._sorted(rows, (lambda r: r[field]) if field else (lambda r: r["id"]), order)
            return self._paged(request, rows)

    def _product(self, pid: int, status: int = 404) -> dict[str, Any]:
        item = self.items.get(pid)
        if item is None:
            raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", status)
        return item

    def _variation(self, pid: int, vid: int, status: int = 404) -> dict[str, Any]:
        item = self.items.get(vid)
        if item is None or item["type"] != "variation" or item["parent_id"] != pid:
            raise WCError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)
        return item

    def get_product(self, request: Request, pid: int) -> Response:
        with self.lock:
            return json_response(self._product(pid))

    def update_product(self, request: Request, pid: int) -> Response:
        body = body_of(request)
        with self.lock:
            item = self._product(pid, status=400)
            self._apply_update(item, body, validate=True)
            return json_response(item)

    def list_variations(self, request: Request, pid: int) -> Response:
        skus = {s.strip() for s in request.args.get("sku", "").split(",") if s.strip()}
        with self.lock:
            self._product(pid)
            rows = [
                variation_view(v)
                for v in self.items.values()
                if v["type"] == "variation"
                and v["parent_id"] == pid
                and (not skus or v["sku"] in skus)
            ]
            return self._paged(request, sorted(rows, key=lambda r: r["id"]))

    def get_variation(self, request: Request, pid: int, vid: int) -> Response:
        with self.lock:
            return json_response(variation_view(self._variation(pid, vid)))

    def update_variation(self, request: Request, pid: int, vid: int) -> Response:
        body = body_of(request)
        with self.lock:
            item = self._variation(pid, vid, status=400)
            self._apply_update(item, body, validate=True)
            return json_response(variation_view(item))

    def _apply_update(self, item: dict[str, Any], body: dict[str, Any], *, validate: bool) -> None:
        """Stock, price and name fields of a product or variation (what a connector writes)."""
        if "stock_quantity" in body and body["stock_quantity"] is not None:
            raw = body["stock_quantity"]
            if validate and (isinstance(raw, bool) or not isinstance(raw, int)):
                raise invalid_param("stock_quantity", "stock_quantity is not of type integer.")
        if "manage_stock" in body:
            value = body["manage_stock"]
            item["manage_stock"] = "parent" if value == "parent" else bool(value)
        if "stock_quantity" in body and item["manage_stock"] is True:
            raw = body["stock_quantity"]
            item["stock_quantity"] = None if raw is None else php_intval(raw)
        if "sku" in body and body["sku"] != item["sku"]:
            if any(o["sku"] == body["sku"] for o in self.items.values() if body["sku"]):
                raise WCError(
                    "product_invalid_sku", "Invalid or duplicated SKU.", 400, resource_id=item["id"]
                )
            item["sku"] = str(body["sku"])
        for key in ("name", "regular_price", "global_unique_id"):
            if key in body:
                item[key] = str(body[key])
                if key == "regular_price":
                    item["price"] = item[key]
        refresh_stock_status(item)
        stamp(item, "modified", self.clock())

    def batch_products(self, request: Request) -> Response:
        body = self._batch_body(request)
        with self.lock:
            result = self._batch(body, lambda i: self._product(i, status=400), lambda i: i)
            return json_response(result)

    def batch_variations(self, request: Request, pid: int) -> Response:
        body = self._batch_body(request)
        with self.lock:
            self._product(pid)
            result = self._batch(
                body, lambda i: self._variation(pid, i, status=400), variation_view
            )
            return json_response(result)

    def _batch_body(self, request: Request) -> dict[str, Any]:
        body = body_of(request)
        total = sum(len(body.get(k) or []) for k in ("create", "update", "delete"))
        if total > BATCH_LIMIT:
            raise WCError(
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                413,
            )
        return body

    def _batch(
        self,
        body: dict[str, Any],
        lookup: Callable[[int], dict[str, Any]],
        view: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, list[dict[str, Any]]]:
        """WooCommerce's batch_items: each item on its own, failures in place as `error`."""
        result: dict[str, list[dict[str, Any]]] = {}
        unsupported = {
            "code": "woocommerce_rest_sandbox_unsupported",
            "message": "Not simulated.",
            "data": {"status": 501},
        }
        if body.get("create"):
            result["create"] = [{"id": 0, "error": unsupported} for _ in body["create"]]
        if body.get("update"):
            rows = result["update"] = []
            for entry in body["update"]:
                entry_id = entry.get("id") if isinstance(entry, dict) else None
                try:
                    item = lookup(php_intval(entry_id))
                    self._apply_update(item, entry, validate=False)
                    rows.append(copy.deepcopy(view(item)))
                except WCError as exc:
                    error = {
                        "code": exc.wc_code,
                        "message": exc.message,
                        "data": {"status": exc.code},
                    }
                    rows.append({"id": entry_id, "error": error})
        if body.get("delete"):
            result["delete"] = [{"id": i, "error": unsupported} for i in body["delete"]]
        return result

    # -- Python control surface -----------------------------------------------------------------------
    def _find_item(self, code_or_ean: str | int) -> dict[str, Any]:
        wanted = str(code_or_ean)
        for field in ("sku", "global_unique_id"):
            for item in self.items.values():
                if item["type"] != "variable" and item[field] == wanted:
                    return item
        raise ValueError(f"no orderable product with SKU or EAN {wanted!r}")

    def place_order(
        self,
        lines: Sequence[tuple[str | int, int]],
        country: str = "NL",
        status: str = "processing",
        prices_include_tax: bool = True,
        company: str | None = None,
        vat_number: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """A checkout: an order for (SKU or EAN, quantity) lines; fires order.created.

        Extra keywords go to `woocommerce_store.build_order`: shipping (excl. tax), shipping_method,
        fees [(name, amount excl.)], discount (coupon, shop price convention), vat_exempt,
        first_name, last_name, email, currency, customer_note, meta_data.
        """
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            specs = []
            for code, qty in lines:
                item = self._find_item(code)
                specs.append(LineSpec(item, self.items.get(item["parent_id"]), int(qty)))
            order = build_order(
                order_id=self.post_ids(),
                ts=self.clock(),
                lines=specs,
                line_ids=self.line_ids,
                meta_ids=self.meta_ids,
                country=country,
                status=status,
                prices_include_tax=prices_include_tax,
                company=company,
                vat_number=vat_number,
                **kw,
            )
            self.orders[order["id"]] = order
            if status in STOCK_REDUCING_STATUSES:
                self._adjust_stock(order, -1)
                self.stock_reduced.add(order["id"])
            self._fire("order.created", order)
            return copy.deepcopy(order)

    def random_order(self, rng: random.Random | None = None) -> dict[str, Any]:
        """An order of 1-3 random products, sometimes B2B from Belgium or Germany."""
        rng = rng or self.rng
        with self.lock:
            orderable = sorted(i["sku"] for i in self.items.values() if i["type"] != "variable")
        picks = rng.sample(orderable, k=min(len(orderable), rng.randint(1, 3)))
        country = rng.choice(["NL", "NL", "NL", "BE", "DE"])
        b2b = rng.random() < 0.2
        return self.place_order(
            [(sku, rng.randint(1, 3)) for sku in picks],
            country=country,
            company="Groothandel Test B.V." if b2b else None,
            vat_number=f"{country}{rng.randrange(10**8, 10**9)}B01" if b2b else None,
            first_name=rng.choice(["Jan", "Anna", "Pieter", "Sanne"]),
            last_name=rng.choice(["Jansen", "de Vries", "Bakker", "Visser"]),
        )

    def set_status(self, order_id: int, status: str) -> dict[str, Any]:
        """Change an order's status as the shop manager would; fires order.updated."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            order = self._order(order_id)
            self._set_status_locked(order, status)
            self._touch_order(order)
            return copy.deepcopy(order)

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        return self.set_status(order_id, "cancelled")

    def order(self, order_id: int) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._order(order_id))

    def product(self, item_id: int) -> dict[str, Any]:
        """A product or variation as stored (products-endpoint shape)."""
        with self.lock:
            return copy.deepcopy(self._product(item_id))

    def stock(self, item_id: int) -> int | None:
        with self.lock:
            return self._product(item_id)["stock_quantity"]

    def delete_product(self, item_id: int) -> None:
        """Remove a product (with its variations) or a variation, as if deleted in the shop."""
        with self.lock:
            item = self.items.pop(item_id)
            for child in item.get("variations", []):
                self.items.pop(child, None)
            parent = self.items.get(item["parent_id"])
            if parent is not None:
                parent["variations"].remove(item_id)

    def order_notes(self, order_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.notes.get(order_id, []))
