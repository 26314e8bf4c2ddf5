"""Orders in the Amazon sandbox: state, control methods and the Orders API routes.

Served: Orders 2026-01-01 `searchOrders` / `getOrder` (items included, PII by role, so always
shown), Orders v0 `getOrders` / `getOrder` / `getOrderItems` (PII only with a restricted data
token), `createRestrictedDataToken` and v0 `confirmShipment`. Paging tokens are keyset tokens
bound to the original filters: the same request plus the token gives the next page; other
filters give 400. The upper time bound is frozen in the token, so orders changed while paging
wait for the next window instead of shifting pages.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from channels_app.sandbox.amazon_data import (
    CARRIER_CODES,
    MARKETPLACES,
    STANDARD_VAT,
    STATUS_2026,
    V0_STATUSES,
    Listing,
    Order,
    OrderItem,
    Package,
    cents,
    decode_token,
    encode_token,
    invalid,
    iso,
    list_param,
    not_found,
    parse_iso,
    signature,
)
from channels_app.sandbox.amazon_render import order_2026, v0_item, v0_order
from common.sandbox import json_response

INCLUDED_DATA = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)
RESTRICTED_PATHS = {  # path template -> data elements it can unlock
    "/orders/v0/orders": {"buyerInfo", "shippingAddress", "buyerTaxInformation"},
    "/orders/v0/orders/{orderId}": {"buyerInfo", "shippingAddress", "buyerTaxInformation"},
    "/orders/v0/orders/{orderId}/address": set(),
    "/orders/v0/orders/{orderId}/buyerInfo": set(),
    "/orders/v0/orders/{orderId}/orderItems": {"buyerInfo"},
    "/orders/v0/orders/{orderId}/orderItems/buyerInfo": set(),
}
MIN_LAG = 120.0  # "before" bounds must be at least two minutes in the past
TOKEN_TTL = 24 * 3600.0

_PLACES = {
    "NL": [
        ("Utrecht", "3511 AB"),
        ("Amsterdam", "1012 AB"),
        ("Rotterdam", "3011 AD"),
        ("Eindhoven", "5611 AB"),
    ],
    "BE": [("Antwerpen", "2000"), ("Gent", "9000"), ("Brussel", "1000")],
    "DE": [("Berlin", "10115"), ("München", "80331"), ("Köln", "50667")],
    "FR": [("Paris", "75001"), ("Lyon", "69001")],
}
_STREETS = ["Dorpsstraat", "Kerkstraat", "Hauptstraße", "Rue de la Paix", "Stationsweg"]
_NAMES = ["Jan de Vries", "Anna Jansen", "Lukas Müller", "Sophie Peeters", "Emma Bakker"]


def _template_matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


class OrdersMixin:
    """Order state and routes; mixed into AmazonSandbox (which owns lock, clock, rng)."""

    lock: Any
    clock: Callable[[], float]
    rng: random.Random
    seller_id: str
    marketplace_ids: tuple[str, ...]
    orders: dict[str, Order]
    listings: dict[str, Listing]
    item_tax_mode: str
    v0_items_page_size: int

    # -- control ---------------------------------------------------------------------------------
    def place_order(
        self,
        lines: Iterable[tuple[str, int]] = (),
        *,
        afn: bool = False,
        country: str = "NL",
        business: bool = False,
        **kw: Any,
    ) -> dict[str, Any]:
        """Create an order. kw: status, marketplace_id, shipping, discount, vat_number, company,
        buyer_name, purchase_order, prime, ship_by_hours, cancel_requested."""
        with self.lock:
            now = self.clock()
            marketplace = kw.get("marketplace_id") or self.marketplace_ids[0]
            if marketplace not in MARKETPLACES:
                raise ValueError(f"unknown marketplace {marketplace}")
            default_status = "Shipped" if afn else "Unshipped"
            status = kw.get("status") or default_status
            if status not in V0_STATUSES:
                raise ValueError(f"unknown status {status}")
            vat_number = kw.get("vat_number") or (self._vat_number(country) if business else "")
            order = Order(
                order_id=self._new_order_id(),
                marketplace_id=marketplace,
                created=now,
                updated=now,
                status=status,
                afn=afn,
                business=business,
                country=country,
                buyer_name=kw.get("buyer_name") or self.rng.choice(_NAMES),
                buyer_email=f"{self.rng.randrange(10**12):012d}@marketplace.amazon.nl",
                address=self._address(country, kw.get("company", "") if business else ""),
                items=[],
                earliest_ship=now,
                latest_ship=now + 3600 * kw.get("ship_by_hours", 48),
                earliest_delivery=now + 86400 * 2,
                latest_delivery=now + 86400 * 4,
                company=(kw.get("company") or "Bakker Techniek B.V.") if business else "",
                vat_number=vat_number,
                purchase_order=kw.get("purchase_order", ""),
                prime=bool(kw.get("prime", False)),
            )
            order.address["company"] = order.company
            for code, qty in lines or [(next(iter(self.listings)), 1)]:
                order.items.append(self._order_item(order, code, int(qty)))
            order.items[0].shipping = cents(Decimal(str(kw.get("shipping", "0"))))
            discount = cents(Decimal(str(kw.get("discount", "0"))))
            if discount:
                order.items[0].discount = discount
                order.items[0].promotion_id = f"PROMO-{self.rng.randrange(10**6):06d}"
            if kw.get("cancel_requested"):
                order.items[0].cancel_requested = True
                order.items[0].cancel_reason = "Buyer changed mind"
            if status == "Shipped":
                for item in order.items:
                    item.shipped = item.quantity
            self.orders[order.order_id] = order
            return self._summary(order)

    def random_order(self, rng: random.Random) -> dict[str, Any]:
        """A plausible order: 1-3 listings, 1-3 each, sometimes AFN or business."""
        skus = rng.sample(sorted(self.listings), k=min(len(self.listings), rng.randint(1, 3)))
        return self.place_order(
            [(s, rng.randint(1, 3)) for s in skus],
            afn=rng.random() < 0.1,
            country=rng.choice(["NL", "NL", "NL", "BE", "DE"]),
            business=rng.random() < 0.15,
        )

    def cancel_order(self, order_id: str, *, by: str = "BUYER") -> None:
        """Cancel an order that has not shipped (as the buyer or Amazon would)."""
        with self.lock:
            order = self._order(order_id)
            if order.status in ("Shipped", "PartiallyShipped"):
                raise ValueError(f"order {order_id} has shipped items")
            order.status, order.cancelled_by, order.updated = "Canceled", by, self.clock()

    def set_order_status(self, order_id: str, status: str) -> None:
        """Move an order on (e.g. Pending -> Unshipped when payment clears)."""
        if status not in V0_STATUSES:
            raise ValueError(f"unknown status {status}")
        with self.lock:
            order = self._order(order_id)
            order.status, order.updated = status, self.clock()

    def request_cancellation(
        self, order_id: str, order_item_id: str | None = None, reason: str = "Buyer changed mind"
    ) -> None:
        """The buyer asks to cancel (BuyerRequestedCancel / cancellationRequest)."""
        with self.lock:
            order = self._order(order_id)
            for item in order.items:
                if order_item_id in (None, item.order_item_id):
                    item.cancel_requested, item.cancel_reason = True, reason
            order.updated = self.clock()

    def shipments(self, order_id: str) -> list[dict[str, Any]]:
        """Packages confirmed for an order, as sent."""
        with self.lock:
            return [p.as_dict() for p in self._order(order_id).packages.values()]

    def order_state(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return self._summary(self._order(order_id))

    # -- helpers ---------------------------------------------------------------------------------
    def _order(self, order_id: str) -> Order:
        if order_id not in self.orders:
            raise KeyError(f"no order {order_id}")
        return self.orders[order_id]

    def _new_order_id(self) -> str:
        while True:
            oid = (
                f"{self.rng.choice(['028', '302', '303', '304', '305', '403', '405'])}-"
                f"{self.rng.randrange(10**7):07d}-{self.rng.randrange(10**7):07d}"
            )
            if oid not in self.orders:
                return oid

    def _vat_number(self, country: str) -> str:
        digits = f"{self.rng.randrange(10**9):09d}"
        return {"NL": f"NL{digits}B01", "BE": f"BE0{digits}"}.get(country, f"{country}{digits}")

    def _address(self, country: str, company: str) -> dict[str, str]:
        city, postcode = self.rng.choice(_PLACES.get(country, _PLACES["NL"]))
        return {
            "name": self.rng.choice(_NAMES),
            "company": company,
            "street": f"{self.rng.choice(_STREETS)} {self.rng.randint(1, 250)}",
            "city": city,
            "postcode": postcode,
            "country": country,
            "phone": f"+31 6 {self.rng.randrange(10**8):08d}",
        }

    def _order_item(self, order: Order, code: str, qty: int) -> OrderItem:
        listing = self.listings.get(code) or next(
            (x for x in self.listings.values() if x.ean == code), None
        )
        if listing is None:
            raise ValueError(f"no listing with SKU or EAN {code!r}")
        if qty < 1:
            raise ValueError("quantity must be positive")
        rate = (
            listing.vat_rate
            if listing.vat_rate is not None
            else STANDARD_VAT.get(order.country, 21)
        )
        price = listing.price
        if order.reverse_charge:  # intra-EU B2B: Amazon charges the net price, no VAT
            price = cents(price * 100 / (100 + rate))
        return OrderItem(
            order_item_id=f"{self.rng.randrange(10**13, 10**14)}",
            sku=listing.sku,
            asin=listing.asin,
            title=listing.title,
            quantity=qty,
            unit_price=price,
            vat_rate=rate,
        )

    def _summary(self, order: Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "status": order.status,
            "fulfillment_channel": "AFN" if order.afn else "MFN",
            "marketplace_id": order.marketplace_id,
            "business": order.business,
            "vat_number": order.vat_number,
            "latest_ship_date": iso(order.latest_ship),
            "last_updated": iso(order.updated),
            "items": [
                {
                    "order_item_id": i.order_item_id,
                    "sku": i.sku,
                    "quantity": i.quantity,
                    "shipped": i.shipped,
                    "unit_price": f"{i.unit_price:.2f}",
                }
                for i in order.items
            ],
        }

    def _pii(self, request: Request) -> frozenset[str]:
        return frozenset(request.environ.get("amazon.pii", ()))

    # -- paging ----------------------------------------------------------------------------------
    def _page(
        self,
        *,
        version: str,
        filters: dict[str, Any],
        token: str | None,
        field: str,
        after: float,
        before: float,
        limit: int,
        keep: Callable[[Order], bool],
    ) -> tuple[list[Order], str | None, float] | Response:
        now = self.clock()
        sig, key = signature(filters), None
        if token:
            data = decode_token(token)
            if not data or data.get("v") != version:
                return invalid("Invalid pagination token.", "The token could not be parsed.")
            if data.get("s") != sig:
                return invalid(
                    "Invalid pagination token.",
                    "Send the parameters of the original request with the token.",
                )
            if float(data.get("x", 0)) < now:
                return invalid("Invalid pagination token.", "The token has expired.")
            before, key = float(data["b"]), (float(data["k"][0]), str(data["k"][1]))
        rows = sorted(
            ((getattr(o, field), o.order_id), o)
            for o in self.orders.values()
            if after <= getattr(o, field) <= before and keep(o)
        )
        if key is not None:
            rows = [r for r in rows if r[0] > key]
        page = [o for _, o in rows[:limit]]
        nxt = None
        if len(rows) > limit:
            last = rows[limit - 1][0]
            nxt = encode_token(
                {"v": version, "s": sig, "b": before, "k": list(last), "x": now + TOKEN_TTL}
            )
        return page, nxt, before

    def _window(
        self, args: Any, names: tuple[str, str, str, str]
    ) -> tuple[str, float, float] | Response:
        """Validate created/lastUpdated after/before; returns (field, after, before)."""
        c_after, c_before, u_after, u_before = (args.get(n) for n in names)
        if bool(c_after) == bool(u_after):
            return invalid(f"Exactly one of {names[0]} and {names[2]} must be specified.")
        if (c_after and u_before) or (u_after and c_before):
            return invalid(f"{names[0]}/{names[1]} cannot be combined with {names[2]}/{names[3]}.")
        field = "created" if c_after else "updated"
        raw_after, raw_before = (c_after, c_before) if c_after else (u_after, u_before)
        after = parse_iso(raw_after)
        if after is None:
            return invalid(f"Invalid date-time {raw_after!r}; expected ISO 8601.")
        latest = self.clock() - MIN_LAG
        before = latest
        if raw_before:
            parsed = parse_iso(raw_before)
            if parsed is None:
                return invalid(f"Invalid date-time {raw_before!r}; expected ISO 8601.")
            if parsed < after or parsed > latest:
                return invalid(
                    "The 'before' date must be on or after the 'after' date and at "
                    "least two minutes before the time of the request."
                )
            before = parsed
        if after > latest:
            return invalid("The 'after' date must be at least two minutes in the past.")
        return field, after, before

    @staticmethod
    def _max_results(raw: str | None) -> int | Response:
        try:
            value = int(raw) if raw else 100
        except ValueError:
            return invalid(f"Invalid page size {raw!r}.")
        if not 1 <= value <= 100:
            return invalid("The page size must be between 1 and 100.")
        return value

    # -- Orders 2026-01-01 -----------------------------------------------------------------------
    def api_search_orders(self, request: Request) -> Response:
        args = request.args
        window = self._window(
            args, ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        )
        if isinstance(window, Response):
            return window
        field, after, before = window
        limit = self._max_results(args.get("maxResultsPerPage"))
        if isinstance(limit, Response):
            return limit
        included = frozenset(list_param(args.getlist("includedData")))
        statuses = set(list_param(args.getlist("fulfillmentStatuses")))
        fulfilled_by = set(list_param(args.getlist("fulfilledBy")))
        markets = list_param(args.getlist("marketplaceIds"))
        bad = (
            (included - INCLUDED_DATA)
            | (statuses - set(STATUS_2026.values()))
            | (fulfilled_by - {"MERCHANT", "AMAZON"})
            | (set(markets) - set(MARKETPLACES))
        )
        if bad or len(markets) > 50:
            return invalid(
                f"Invalid parameter value(s): {', '.join(sorted(bad)) or 'marketplaceIds'}."
            )
        filters = {
            k: args.getlist(k)
            for k in sorted(args)
            if k not in ("paginationToken", "maxResultsPerPage", "includedData")
        }

        def keep(o: Order) -> bool:
            return (
                (not statuses or STATUS_2026[o.status] in statuses)
                and (not fulfilled_by or ("AMAZON" if o.afn else "MERCHANT") in fulfilled_by)
                and (not markets or o.marketplace_id in markets)
            )

        with self.lock:
            result = self._page(
                version="2026",
                filters=filters,
                token=args.get("paginationToken"),
                field=field,
                after=after,
                before=before,
                limit=limit,
                keep=keep,
            )
            if isinstance(result, Response):
                return result
            page, nxt, before = result
            body: dict[str, Any] = {
                "orders": [order_2026(o, mode=self.item_tax_mode, included=included) for o in page]
            }
        if nxt:
            body["pagination"] = {"nextToken": nxt}
        body["createdBefore" if field == "created" else "lastUpdatedBefore"] = iso(before)
        return json_response(body)

    def api_get_order(self, request: Request, order_id: str) -> Response:
        included = frozenset(list_param(request.args.getlist("includedData")))
        if included - INCLUDED_DATA:
            return invalid(f"Invalid includedData: {', '.join(sorted(included - INCLUDED_DATA))}.")
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return not_found(f"Order {order_id} was not found.")
            return json_response(
                {"order": order_2026(order, mode=self.item_tax_mode, included=included)}
            )

    # -- Orders v0 -------------------------------------------------------------------------------
    def api_get_orders_v0(self, request: Request) -> Response:
        args = request.args
        markets = list_param(args.getlist("MarketplaceIds"))
        if not markets:
            return invalid("Missing required parameter 'MarketplaceIds'.")
        if len(markets) > 50 or set(markets) - set(MARKETPLACES):
            return invalid("Invalid MarketplaceIds.")
        window = self._window(
            args, ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
        )
        if isinstance(window, Response):
            return window
        field, after, before = window
        limit = self._max_results(args.get("MaxResultsPerPage"))
        if isinstance(limit, Response):
            return limit
        statuses = set(list_param(args.getlist("OrderStatuses")))
        channels = set(list_param(args.getlist("FulfillmentChannels")))
        ids = set(list_param(args.getlist("AmazonOrderIds")))
        if statuses - set(V0_STATUSES) or channels - {"AFN", "MFN"} or len(ids) > 50:
            return invalid("Invalid OrderStatuses, FulfillmentChannels or AmazonOrderIds.")
        filters = {
            k: args.getlist(k) for k in sorted(args) if k not in ("NextToken", "MaxResultsPerPage")
        }

        def keep(o: Order) -> bool:
            return (
                o.marketplace_id in markets
                and (not statuses or o.status in statuses)
                and (not channels or ("AFN" if o.afn else "MFN") in channels)
                and (not ids or o.order_id in ids)
            )

        with self.lock:
            result = self._page(
                version="v0",
                filters=filters,
                token=args.get("NextToken"),
                field=field,
                after=after,
                before=before,
                limit=limit,
                keep=keep,
            )
            if isinstance(result, Response):
                return result
            page, nxt, before = result
            pii = self._pii(request)
            payload: dict[str, Any] = {
                "Orders": [v0_order(o, mode=self.item_tax_mode, pii=pii) for o in page]
            }
        if nxt:
            payload["NextToken"] = nxt
        payload["CreatedBefore" if field == "created" else "LastUpdatedBefore"] = iso(before)
        return json_response({"payload": payload})

    def api_get_order_v0(self, request: Request, order_id: str) -> Response:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return not_found(f"Order {order_id} was not found.")
            body = v0_order(order, mode=self.item_tax_mode, pii=self._pii(request))
        return json_response({"payload": body})

    def api_get_order_items(self, request: Request, order_id: str) -> Response:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return not_found(f"Order {order_id} was not found.")
            start = 0
            token = request.args.get("NextToken")
            if token:
                data = decode_token(token)
                if not data or data.get("v") != "items" or data.get("o") != order_id:
                    return invalid("Invalid NextToken.")
                start = int(data["i"])
            size = self.v0_items_page_size
            items = order.items[start : start + size]
            payload: dict[str, Any] = {
                "AmazonOrderId": order_id,
                "OrderItems": [v0_item(order, i, mode=self.item_tax_mode) for i in items],
            }
            if start + size < len(order.items):
                payload["NextToken"] = encode_token(
                    {"v": "items", "o": order_id, "i": start + size}
                )
        return json_response({"payload": payload})

    def api_create_rdt(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        resources = data.get("restrictedResources") if isinstance(data, dict) else None
        if not isinstance(resources, list) or not 1 <= len(resources) <= 50:
            return invalid("restrictedResources must hold 1 to 50 resources.")
        granted = []
        for res in resources:
            if not isinstance(res, dict) or res.get("method") != "GET":
                return invalid("Each restricted resource needs method GET and a path.")
            template = next(
                (
                    t
                    for t in RESTRICTED_PATHS
                    if _template_matches(t, str(res.get("path", ""))) or res.get("path") == t
                ),
                None,
            )
            elements = set(res.get("dataElements") or [])
            if template is None or elements - RESTRICTED_PATHS[template]:
                return invalid(
                    f"Invalid restricted resource: {res.get('path')!r} {sorted(elements)}."
                )
            granted.append((str(res["path"]), frozenset(elements)))
        token = self.issue_rdt(granted)  # type: ignore[attr-defined]
        return json_response({"restrictedDataToken": token, "expiresIn": 3600})

    # -- confirmShipment (v0, not deprecated) ----------------------------------------------------
    def api_confirm_shipment(self, request: Request, order_id: str) -> Response:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return not_found(f"Order {order_id} was not found.")
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return invalid("Request has missing or invalid parameters and cannot be parsed.")
            problem = self._shipment_problem(order, body)
            if problem:
                return invalid(*problem)
            detail = body["packageDetail"]
            ref = str(detail["packageReferenceId"])
            order.packages[ref] = Package(
                package_reference_id=ref,
                carrier_code=detail["carrierCode"],
                carrier_name=detail.get("carrierName", ""),
                shipping_method=detail.get("shippingMethod", ""),
                tracking_number=detail["trackingNumber"],
                ship_date=detail["shipDate"],
                created=self.clock(),
                items={str(i["orderItemId"]): int(i["quantity"]) for i in detail["orderItems"]},
            )
            for item in order.items:
                item.shipped = sum(
                    p.items.get(item.order_item_id, 0) for p in order.packages.values()
                )
            shipped = sum(i.shipped for i in order.items)
            order.status = (
                "Shipped" if shipped >= sum(i.quantity for i in order.items) else "PartiallyShipped"
            )
            order.updated = self.clock()
        return Response(status=204)

    def _shipment_problem(self, order: Order, body: dict[str, Any]) -> tuple[str, str] | None:
        detail = body.get("packageDetail")
        if body.get("marketplaceId") != order.marketplace_id:
            return "Invalid marketplaceId.", f"The order belongs to {order.marketplace_id}."
        if not isinstance(detail, dict):
            return "Missing required packageDetail.", ""
        for key in (
            "packageReferenceId",
            "carrierCode",
            "trackingNumber",
            "shipDate",
            "orderItems",
        ):
            if not detail.get(key):
                return f"Missing required field packageDetail.{key}.", ""
        ref = str(detail["packageReferenceId"])
        if not ref.isdigit() or int(ref) < 1:
            return "packageReferenceId must be a positive numeric string.", ref
        if detail["carrierCode"] not in CARRIER_CODES:
            return f"Invalid carrierCode '{detail['carrierCode']}'.", "Use Other with carrierName."
        if detail["carrierCode"] == "Other" and not detail.get("carrierName"):
            return "carrierName is required when carrierCode is Other.", ""
        ship_date = parse_iso(str(detail["shipDate"]))
        if ship_date is None:
            return (
                f"Invalid shipDate '{detail['shipDate']}'.",
                "shipDate must be an ISO 8601 date-time, e.g. 2025-10-06T15:00:00Z.",
            )
        if ship_date < order.created - 86400:
            return "shipDate cannot be before the purchase date.", ""
        if order.afn:
            return "Cannot confirm shipment of an order fulfilled by Amazon.", ""
        if order.status not in ("Unshipped", "PartiallyShipped", "Shipped"):
            return f"Cannot confirm shipment of an order in status {order.status}.", ""
        return self._quantity_problem(order, ref, detail["orderItems"])

    @staticmethod
    def _quantity_problem(order: Order, ref: str, lines: Any) -> tuple[str, str] | None:
        by_id = {i.order_item_id: i for i in order.items}
        if not isinstance(lines, list):
            return "packageDetail.orderItems must be a list.", ""
        for line in lines:
            item_id = str(line.get("orderItemId", "")) if isinstance(line, dict) else ""
            qty = line.get("quantity") if isinstance(line, dict) else None
            if item_id not in by_id:
                return f"Invalid orderItemId '{item_id}'.", ""
            if not isinstance(qty, int) or qty < 1:
                return f"Invalid quantity for orderItemId {item_id}.", ""
            elsewhere = sum(p.items.get(item_id, 0) for r, p in order.packages.items() if r != ref)
            if elsewhere + qty > by_id[item_id].quantity:
                return (
                    f"Quantity {qty} for orderItemId {item_id} exceeds the unshipped "
                    f"quantity {by_id[item_id].quantity - elsewhere}.",
                    "",
                )
        return None


__all__ = ["OrdersMixin"]
