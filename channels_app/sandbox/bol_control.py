"""The bol.com sandbox's control surface: Python methods and the same over /_control/ routes.

A mixin of BolSandbox (see channels_app.sandbox.bol). No Django imports.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from channels_app.sandbox.bol_data import (
    add_days,
    business_details,
    buyer_address,
    money,
    order_id_from,
)
from channels_app.sandbox.bol_limits import RateLimiter
from channels_app.sandbox.bol_models import (
    DEFAULT_FAILURE_MESSAGES,
    ArmedOutcome,
    IdCounters,
    Item,
    Offer,
    Order,
    Process,
    Shipment,
    locked,
)
from common.sandbox import json_response


class BolControl:
    """Test and demo levers: place and cancel orders, read offers, arm failures, throttle."""

    lock: Any
    clock: Callable[[], float]
    rng: random.Random
    products: list[dict[str, Any]]
    orders: dict[str, Order]
    items: dict[str, Item]
    offers: dict[str, Offer]
    offer_by_code: dict[tuple[str, str], str]
    shipment_list: list[Shipment]
    processes: dict[str, Process]
    armed: list[ArmedOutcome]
    tokens: dict[str, float]
    token_requests: int
    account_active: bool
    ids: IdCounters
    limiter: RateLimiter
    calls: list[Any]

    def control_rules(self) -> list[Rule]:
        return [
            Rule("/_control/orders", endpoint="ctl_place_order", methods=["POST"]),
            Rule("/_control/orders/random", endpoint="ctl_random_order", methods=["POST"]),
            Rule("/_control/orders/<order_id>", endpoint="ctl_order", methods=["GET"]),
            Rule(
                "/_control/orders/<order_id>/request-cancellation",
                endpoint="ctl_request_cancellation",
                methods=["POST"],
            ),
            Rule(
                "/_control/orders/<order_id>/cancel", endpoint="ctl_cancel_order", methods=["POST"]
            ),
            Rule("/_control/offers", endpoint="ctl_offers", methods=["GET"]),
            Rule("/_control/offers/<offer_id>", endpoint="ctl_offer", methods=["GET"]),
            Rule("/_control/shipments", endpoint="ctl_shipments", methods=["GET"]),
            Rule("/_control/fail-process", endpoint="ctl_fail_process", methods=["POST"]),
            Rule("/_control/throttle", endpoint="ctl_throttle", methods=["POST"]),
            Rule("/_control/expire-tokens", endpoint="ctl_expire_tokens", methods=["POST"]),
            Rule("/_control/account", endpoint="ctl_account", methods=["POST"]),
            Rule("/_control/state", endpoint="ctl_state", methods=["GET"]),
        ]

    # -- Python control surface -----------------------------------------------------------------
    @locked
    def place_order(
        self,
        lines: Sequence[Sequence[Any]],
        *,
        fbb: bool = False,
        country: str = "NL",
        buyer: dict[str, Any] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """Place an order as a customer would. lines: [(code_or_ean, qty)] or (code, qty, price).

        Extra keywords: business (bool: company, VAT and KvK numbers, PO reference), billing
        (dict merged into billingDetails), pickup_point (bool), order_id, placed_at (epoch s),
        delivery_days (latestDeliveryDate offset, default 2; FBB 1), rng (random.Random).
        """
        allowed = {
            "business",
            "billing",
            "pickup_point",
            "order_id",
            "placed_at",
            "delivery_days",
            "rng",
        }
        unknown = set(kw) - allowed
        if unknown:
            raise TypeError(f"unknown place_order arguments: {sorted(unknown)}")
        if not lines:
            raise ValueError("an order needs at least one line")
        self._tick()
        rng: random.Random = kw.get("rng") or self.rng
        now = float(kw.get("placed_at") or self.clock())
        order_id = kw.get("order_id") or self._new_order_id(rng)
        if order_id in self.orders:
            raise ValueError(f"order {order_id} exists")
        shipment = buyer_address(rng, country.upper())
        shipment.update(buyer or {})
        billing = {
            k: v
            for k, v in shipment.items()
            if k not in ("pickupPointName", "deliveryPhoneNumber", "language")
        }
        billing.update({"vatNumber": None, "kvkNumber": None, "orderReference": None})
        if kw.get("business"):
            billing.update(business_details(rng, country.upper()))
            shipment["company"] = billing["company"]
        billing.update(kw.get("billing") or {})
        if kw.get("pickup_point"):
            shipment["pickupPointName"] = "PostNL-punt Primera Centrum"
        method = "FBB" if fbb else "FBR"
        days = int(kw.get("delivery_days") or (1 if fbb else 2))
        items = []
        for line in lines:
            product = self._product(str(line[0]))
            quantity = int(line[1])
            if quantity < 1:
                raise ValueError("quantity must be at least 1")
            offer_id = self.offer_by_code.get((product["code"], method))
            if offer_id is None:
                offer_id = self._new_offer(product, method, rng.randint(10, 50), now).id
            self.ids.item += 1
            items.append(
                Item(
                    id=str(self.ids.item),
                    order_id=order_id,
                    offer_id=offer_id,
                    ean=product["ean"],
                    title=product["title"],
                    reference=product["code"],
                    quantity=quantity,
                    unit_price=money(line[2]) if len(line) > 2 else product["price"],
                    method=method,
                    latest_delivery=add_days(now, days),
                    expiry=add_days(now, days + 3),
                    changed=now,
                )
            )
        self.ids.seq += 1
        order = Order(
            id=order_id,
            placed=now,
            seq=self.ids.seq,
            pickup_point=bool(kw.get("pickup_point")),
            shipment=shipment,
            billing=billing,
            items=items,
        )
        self.orders[order_id] = order
        self.items.update({item.id: item for item in items})
        return self._render_order(order)

    def _new_order_id(self, rng: random.Random) -> str:
        while True:
            candidate = order_id_from(rng)
            if candidate not in self.orders:
                return candidate

    @locked
    def random_order(self, rng: random.Random | None = None) -> dict[str, Any]:
        """A realistic order from the catalogue: 1-3 lines, ~10% FBB, ~15% Belgian, ~15% business."""
        rng = rng or self.rng
        products = rng.sample(
            self.products, min(len(self.products), rng.choice([1, 1, 1, 2, 2, 3]))
        )
        lines = [(p["code"], rng.choice([1, 1, 1, 2, 2, 3, 5])) for p in products]
        return self.place_order(
            lines,
            fbb=rng.random() < 0.1,
            country="BE" if rng.random() < 0.15 else "NL",
            business=rng.random() < 0.15,
            rng=rng,
        )

    @locked
    def request_cancellation(
        self, order_id: str, order_item_id: str | None = None
    ) -> dict[str, Any]:
        """The customer asks to cancel (cancellationRequest: true) one item or every open item."""
        order = self.orders[order_id]
        items = [
            i
            for i in order.items
            if i.open_qty > 0 and (order_item_id is None or i.id == order_item_id)
        ]
        if not items:
            raise KeyError(f"no open item {order_item_id or ''} on order {order_id}")
        for item in items:
            item.cancellation_request = True
            item.changed = self.clock()
        return self._render_order(order)

    @locked
    def cancel_order(self, order_id: str) -> dict[str, Any]:
        """bol (or the customer) cancels every open item of the order."""
        order = self.orders[order_id]
        for item in order.items:
            if item.open_qty > 0:
                item.cancelled += item.open_qty
                item.changed = self.clock()
        return self._render_order(order)

    @locked
    def order(self, order_id: str) -> dict[str, Any]:
        self._tick()
        return self._render_order(self.orders[order_id])

    @locked
    def offer(self, offer_id: str) -> dict[str, Any]:
        self._tick()
        return self._render_offer(self.offers[offer_id])

    @locked
    def offer_stock(self, offer_id: str) -> dict[str, Any]:
        return dict(self.offer(offer_id)["stock"])

    @locked
    def offer_for(self, code: str, method: str = "FBR") -> dict[str, Any]:
        """The offer of a product code (FBR by default)."""
        return self.offer(self.offer_by_code[(code, method)])

    @locked
    def shipments(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """Shipments in the order they were made (full shape, transporter and tracking included)."""
        self._tick()
        return [
            self._render_shipment(s, full=True)
            for s in self.shipment_list
            if order_id is None or s.order_id == order_id
        ]

    @locked
    def fail_process_next(
        self,
        k: int = 1,
        status: str = "FAILURE",
        message: str | None = None,
        event_type: str | None = None,
    ) -> None:
        """The next k processes (of event_type, or any) end in FAILURE or TIMEOUT, unapplied."""
        if status not in ("FAILURE", "TIMEOUT"):
            raise ValueError("status must be FAILURE or TIMEOUT")
        self.armed.append(
            ArmedOutcome(k, status, message or DEFAULT_FAILURE_MESSAGES[status], event_type)
        )

    @locked
    def throttle(
        self,
        endpoint_pattern: str,
        per_second: int | None = None,
        per_minute: int | None = None,
        retry_after: bool = True,
    ) -> list[str]:
        """Set the limits of matching endpoints ("PUT /retailer/offers/{id}/stock", "*/stock")."""
        return self.limiter.throttle(
            endpoint_pattern, per_second=per_second, per_minute=per_minute, retry_after=retry_after
        )

    @locked
    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (401 "Expired JWT")."""
        now = self.clock()
        self.tokens = {token: min(expires, now) for token, expires in self.tokens.items()}

    @locked
    def set_account_active(self, active: bool = True) -> None:
        """An inactive seller account gets 403 "Account is not active" on every API call."""
        self.account_active = active

    @locked
    def count_status(self, status: int, path_contains: str = "") -> int:
        """How many vendor-API responses had this status (e.g. 429s sent)."""
        return sum(1 for c in self.calls if c.status == status and path_contains in c.path)

    # -- control routes -------------------------------------------------------------------------
    def _control(self, fn: Callable[[], Any]) -> Response:
        try:
            return json_response(fn())
        except KeyError as exc:
            return json_response({"error": str(exc.args[0] if exc.args else exc)}, 404)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)

    def ctl_place_order(self, request: Request) -> Response:
        data = dict(request.get_json(force=True, silent=True) or {})
        lines = [tuple(line) for line in data.pop("lines", [])]
        return self._control(lambda: self.place_order(lines, **data))

    def ctl_random_order(self, request: Request) -> Response:
        data = request.get_json(force=True, silent=True) or {}
        rng = random.Random(data["seed"]) if "seed" in data else None
        return self._control(lambda: self.random_order(rng))

    def ctl_order(self, request: Request, order_id: str) -> Response:
        return self._control(lambda: self.order(order_id))

    def ctl_request_cancellation(self, request: Request, order_id: str) -> Response:
        data = request.get_json(force=True, silent=True) or {}
        return self._control(lambda: self.request_cancellation(order_id, data.get("order_item_id")))

    def ctl_cancel_order(self, request: Request, order_id: str) -> Response:
        return self._control(lambda: self.cancel_order(order_id))

    def ctl_offers(self, request: Request) -> Response:
        return self._control(lambda: {"offers": [self.offer(o) for o in list(self.offers)]})

    def ctl_offer(self, request: Request, offer_id: str) -> Response:
        return self._control(lambda: self.offer(offer_id))

    def ctl_shipments(self, request: Request) -> Response:
        return self._control(lambda: {"shipments": self.shipments(request.args.get("order-id"))})

    def ctl_fail_process(self, request: Request) -> Response:
        data = request.get_json(force=True, silent=True) or {}
        return self._control(
            lambda: (
                self.fail_process_next(
                    int(data.get("count", 1)),
                    data.get("status", "FAILURE"),
                    data.get("message"),
                    data.get("event_type"),
                )
                or {"ok": True}
            )
        )

    def ctl_throttle(self, request: Request) -> Response:
        data = request.get_json(force=True, silent=True) or {}
        return self._control(
            lambda: {
                "endpoints": self.throttle(
                    str(data.get("endpoint", "")),
                    data.get("per_second"),
                    data.get("per_minute"),
                    bool(data.get("retry_after", True)),
                )
            }
        )

    def ctl_account(self, request: Request) -> Response:
        data = request.get_json(force=True, silent=True) or {}
        return self._control(
            lambda: self.set_account_active(bool(data.get("active", True))) or {"ok": True}
        )

    def ctl_expire_tokens(self, request: Request) -> Response:
        return self._control(lambda: self.expire_tokens() or {"ok": True})

    def ctl_state(self, request: Request) -> Response:
        def state() -> dict[str, Any]:
            with self.lock:
                return {
                    "token_requests": self.token_requests,
                    "orders": len(self.orders),
                    "offers": len(self.offers),
                    "shipments": len(self.shipment_list),
                    "processes": len(self.processes),
                    "responses_429": self.count_status(429),
                }

        return self._control(state)
