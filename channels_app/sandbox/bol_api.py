"""The bol.com sandbox's API handlers: orders, offers (stock, export), shipments, process status.

A mixin of BolSandbox (see channels_app.sandbox.bol): it uses the state that reset() builds.
No Django imports.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from channels_app.sandbox.bol_data import (
    iso,
    local_date,
    money,
    uuid_from,
)
from channels_app.sandbox.bol_models import (
    EXPORT_COLUMNS,
    MEDIA_CSV,
    PAGE_SIZE,
    REASON_CODES,
    ArmedOutcome,
    IdCounters,
    Item,
    Offer,
    Order,
    Process,
    Shipment,
    date_param,
    enum_param,
    int_param,
    locked,
    shipment_violations,
)


class BolApi:
    """Vendor-API handlers; every one runs under the sandbox lock."""

    lock: Any
    clock: Callable[[], float]
    rng: random.Random
    base_url: str
    orders: dict[str, Order]
    items: dict[str, Item]
    offers: dict[str, Offer]
    shipment_list: list[Shipment]
    processes: dict[str, Process]
    armed: list[ArmedOutcome]
    exports: dict[str, str]
    ids: IdCounters
    process_delay: float
    process_polls: int | None
    handled_visible_for: float

    # -- orders ---------------------------------------------------------------------------------
    @locked
    def api_orders(self, request: Request) -> Response:
        args = request.args
        violations: list[dict[str, str]] = []
        page = int_param(args, "page", 1, 1, None, violations)
        method = enum_param(args, "fulfilment-method", "FBR", ("FBR", "FBB", "ALL"), violations)
        status = enum_param(args, "status", "OPEN", ("OPEN", "SHIPPED", "ALL"), violations)
        interval = int_param(args, "change-interval-minute", None, 1, 60, violations)
        change_date = date_param(args, "latest-change-date", local_date(self.clock()), violations)
        if violations:
            return self._invalid(request, violations)
        now = self.clock()
        rows = []
        for order in sorted(self.orders.values(), key=lambda o: (o.placed, o.seq), reverse=True):
            items = [
                i
                for i in order.items
                if self._listed(i, method, status, interval, change_date, now)
            ]
            if items:
                rows.append(self._reduced_order(order, items))
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self._ok({"orders": chunk} if chunk else {})

    def _listed(
        self,
        item: Item,
        method: str,
        status: str,
        interval: int | None,
        change_date: date | None,
        now: float,
    ) -> bool:
        if method != "ALL" and item.method != method:
            return False
        if (status == "OPEN" and item.status != "OPEN") or (
            status == "SHIPPED" and item.status != "HANDLED"
        ):
            return False
        if item.status == "HANDLED" and now - item.changed > self.handled_visible_for:
            return False
        if interval is not None and item.changed < now - interval * 60:
            return False
        return change_date is None or local_date(item.changed) == change_date

    def _reduced_order(self, order: Order, items: list[Item]) -> dict[str, Any]:
        return {
            "orderId": order.id,
            "orderPlacedDateTime": iso(order.placed),
            "orderItems": [
                {
                    "orderItemId": i.id,
                    "ean": i.ean,
                    "fulfilmentMethod": i.method,
                    "fulfilmentStatus": i.status,
                    "quantity": i.quantity,
                    "quantityShipped": i.shipped,
                    "quantityCancelled": i.cancelled,
                    "cancellationRequest": i.cancellation_request,
                    "latestChangedDateTime": iso(i.changed),
                }
                for i in items
            ],
        }

    @locked
    def api_order(self, request: Request, order_id: str) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return self._problem(request, 404, "Not Found", f"Order {order_id} not found.")
        return self._ok(self._render_order(order))

    def _render_order(self, order: Order) -> dict[str, Any]:
        return {
            "orderId": order.id,
            "pickupPoint": order.pickup_point,
            "orderPlacedDateTime": iso(order.placed),
            "shipmentDetails": dict(order.shipment),
            "billingDetails": dict(order.billing),
            "orderItems": [self._render_item(i) for i in order.items],
        }

    def _render_item(self, item: Item) -> dict[str, Any]:
        total = item.unit_price * item.quantity
        return {
            "orderItemId": item.id,
            "cancellationRequest": item.cancellation_request,
            "fulfilment": {
                "method": item.method,
                "distributionParty": "BOL" if item.method == "FBB" else "RETAILER",
                "latestDeliveryDate": item.latest_delivery,
                "exactDeliveryDate": None,
                "expiryDate": item.expiry,
                "timeFrameType": "REGULAR",
            },
            "offer": {"offerId": item.offer_id, "reference": item.reference},
            "product": {"ean": item.ean, "title": item.title},
            "quantity": item.quantity,
            "quantityShipped": item.shipped,
            "quantityCancelled": item.cancelled,
            "unitPrice": float(item.unit_price),
            "totalPrice": float(total),
            "discounts": [],
            "commission": float(money(total * Decimal("0.15") + Decimal("0.15") * item.quantity)),
            "additionalServices": [],
            "latestChangedDateTime": iso(item.changed),
        }

    @locked
    def api_cancellation(self, request: Request) -> Response:
        body = self._body(request) or {}
        entries = body.get("orderItems")
        violations: list[dict[str, str]] = []
        if not isinstance(entries, list) or len(entries) != 1 or not isinstance(entries[0], dict):
            violations.append({"name": "orderItems", "reason": "size must be between 1 and 1"})
        else:
            if not entries[0].get("orderItemId"):
                violations.append(
                    {"name": "orderItems[0].orderItemId", "reason": "must not be blank"}
                )
            reason = entries[0].get("reasonCode")
            if reason not in REASON_CODES:
                violations.append(
                    {
                        "name": "orderItems[0].reasonCode",
                        "reason": f"Request contains invalid value(s): '{reason}', allowed values: "
                        f"{', '.join(REASON_CODES)}.",
                    }
                )
        if violations:
            return self._invalid(request, violations)
        item_id = str(entries[0]["orderItemId"])

        def apply(process: Process) -> str | None:
            item = self.items.get(item_id)
            if item is None:
                return f"Order item {item_id} does not exist."
            if item.open_qty <= 0:
                return f"Order item {item_id} has already been handled."
            item.cancelled += item.open_qty
            item.changed = process.finished or self.clock()
            return None

        process = self._start_process(
            "CANCEL_ORDER", item_id, f"Cancel order item {item_id}.", apply
        )
        return self._ok(self._render_process(process), 202)

    # -- offers ---------------------------------------------------------------------------------
    @locked
    def api_offer(self, request: Request, offer_id: str) -> Response:
        offer = self.offers.get(offer_id)
        if offer is None:
            return self._problem(request, 404, "Not Found", f"Offer {offer_id} not found.")
        return self._ok(self._render_offer(offer))

    def _corrected_stock(self, offer: Offer) -> int:
        reserved = sum(
            i.open_qty
            for i in self.items.values()
            if i.offer_id == offer.id
            and (not offer.managed or self.orders[i.order_id].placed > offer.stock_set_at)
        )
        return max(0, offer.amount - reserved)

    def _render_offer(self, offer: Offer) -> dict[str, Any]:
        return {
            "offerId": offer.id,
            "ean": offer.ean,
            "reference": offer.reference,
            "onHoldByRetailer": False,
            "unknownProductTitle": None,
            "pricing": {"bundlePrices": [{"quantity": 1, "unitPrice": float(offer.price)}]},
            "stock": {
                "amount": offer.amount,
                "correctedStock": self._corrected_stock(offer),
                "managedByRetailer": offer.managed,
            },
            "fulfilment": {
                "method": offer.method,
                "deliveryCode": "24uurs-23" if offer.method == "FBR" else None,
            },
            "store": {
                "productTitle": offer.title,
                "visible": [{"countryCode": "NL"}, {"countryCode": "BE"}],
            },
            "condition": {"name": "NEW", "category": "NEW"},
            "notPublishableReasons": [],
        }

    @locked
    def api_offer_stock(self, request: Request, offer_id: str) -> Response:
        body = self._body(request) or {}
        violations: list[dict[str, str]] = []
        amount = body.get("amount")
        if amount is None:
            violations.append({"name": "amount", "reason": "must not be null"})
        elif not isinstance(amount, int) or isinstance(amount, bool):
            violations.append({"name": "amount", "reason": "must be an integer"})
        elif amount < 0:
            violations.append({"name": "amount", "reason": "must be greater than or equal to 0"})
        elif amount > 999:
            violations.append({"name": "amount", "reason": "must be less than or equal to 999"})
        managed = body.get("managedByRetailer")
        if not isinstance(managed, bool):
            violations.append({"name": "managedByRetailer", "reason": "must not be null"})
        if violations:
            return self._invalid(request, violations)

        def apply(process: Process) -> str | None:
            offer = self.offers.get(offer_id)
            if offer is None:
                return f"Offer {offer_id} does not exist."
            if offer.method == "FBB":
                return f"Stock of offer {offer_id} is managed by bol.com (FBB)."
            offer.amount, offer.managed = int(amount), bool(managed)
            offer.stock_set_at = offer.mutated = process.finished or self.clock()
            return None

        process = self._start_process(
            "UPDATE_OFFER_STOCK", offer_id, f"Update stock for offer {offer_id}.", apply
        )
        return self._ok(self._render_process(process), 202)

    @locked
    def api_export(self, request: Request) -> Response:
        body = self._body(request) or {}
        if body.get("format") != "CSV":
            return self._invalid(
                request,
                [
                    {
                        "name": "format",
                        "reason": f"Request contains invalid value(s): '{body.get('format')}', "
                        "allowed values: CSV.",
                    }
                ],
            )

        def apply(process: Process) -> str | None:
            report_id = uuid_from(self.rng)
            self.exports[report_id] = self._export_csv()
            process.entity_id = report_id
            return None

        process = self._start_process("CREATE_OFFER_EXPORT", None, "Create offer export.", apply)
        return self._ok(self._render_process(process), 202)

    def _export_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for offer in self.offers.values():
            writer.writerow(
                [
                    offer.id,
                    offer.ean,
                    "NEW",
                    "NEW",
                    "",
                    f"{offer.price:.2f}",
                    "24uurs-23" if offer.method == "FBR" else "",
                    offer.amount,
                    "false",
                    offer.method,
                    iso(offer.mutated),
                    offer.reference,
                    self._corrected_stock(offer),
                ]
            )
        return out.getvalue()

    @locked
    def api_export_file(self, request: Request, report_id: str) -> Response:
        text = self.exports.get(report_id)
        if text is None:
            return self._problem(request, 404, "Not Found", f"Offer export {report_id} not found.")
        return Response(text, status=200, content_type=MEDIA_CSV)

    # -- shipments ------------------------------------------------------------------------------
    @locked
    def api_create_shipment(self, request: Request) -> Response:
        body = self._body(request) or {}
        violations = shipment_violations(body)
        if violations:
            return self._invalid(request, violations)
        entries = [(str(e["orderItemId"]), e.get("quantity")) for e in body["orderItems"]]
        transport = body.get("transport") or {}
        code = transport.get("transporterCode") or "TNT"
        track = transport.get("trackAndTrace")
        reference = body.get("shipmentReference")

        def apply(process: Process) -> str | None:
            rows: list[tuple[Item, int]] = []
            for item_id, wanted in entries:
                item = self.items.get(item_id)
                if item is None:
                    return f"Order item {item_id} does not exist."
                if item.method == "FBB":
                    return f"Order item {item_id} is fulfilled by bol.com and cannot be shipped."
                if item.open_qty <= 0:
                    if item.shipped > 0:
                        return f"Order item {item_id} has already been shipped."
                    return f"Order item {item_id} has been cancelled."
                quantity = wanted or item.open_qty
                if quantity > item.open_qty:
                    return (
                        f"Quantity {quantity} of order item {item_id} exceeds the quantity "
                        f"still to be shipped ({item.open_qty})."
                    )
                rows.append((item, quantity))
            if len({item.order_id for item, _ in rows}) > 1:
                return "All order items of a shipment must belong to the same order."
            self._ship(
                rows,
                self.orders[rows[0][0].order_id],
                reference,
                code,
                track,
                at=process.finished or self.clock(),
            )
            return None

        process = self._start_process(
            "CREATE_SHIPMENT",
            entries[0][0],
            f"Create shipment for order item {entries[0][0]}.",
            apply,
        )
        return self._ok(self._render_process(process), 202)

    def _ship(
        self,
        rows: list[tuple[Item, int]],
        order: Order,
        reference: str | None,
        code: str,
        track: str | None,
        *,
        at: float,
        method: str = "FBR",
    ) -> Shipment:
        self.ids.shipment += 1
        self.ids.transport += 1
        shipment = Shipment(
            id=str(self.ids.shipment),
            created=at,
            order_id=order.id,
            reference=reference,
            items=rows,
            transport_id=str(self.ids.transport),
            transporter=code,
            track=track,
            method=method,
        )
        for item, quantity in rows:
            item.shipped += quantity
            item.changed = at
        self.shipment_list.append(shipment)
        return shipment

    @locked
    def api_shipments(self, request: Request) -> Response:
        args = request.args
        violations: list[dict[str, str]] = []
        page = int_param(args, "page", 1, 1, None, violations)
        method = enum_param(args, "fulfilment-method", "FBR", ("FBR", "FBB"), violations)
        if violations:
            return self._invalid(request, violations)
        order_id = args.get("order-id")
        rows = [
            s
            for s in reversed(self.shipment_list)
            if s.method == method and (order_id is None or s.order_id == order_id)
        ]
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self._ok(
            {"shipments": [self._render_shipment(s, full=False) for s in chunk]} if chunk else {}
        )

    @locked
    def api_shipment(self, request: Request, shipment_id: str) -> Response:
        for shipment in self.shipment_list:
            if shipment.id == shipment_id:
                return self._ok(self._render_shipment(shipment, full=True))
        return self._problem(request, 404, "Not Found", f"Shipment {shipment_id} not found.")

    def _render_shipment(self, shipment: Shipment, *, full: bool) -> dict[str, Any]:
        order = self.orders[shipment.order_id]
        transport: dict[str, Any] = {"transportId": shipment.transport_id}
        if full:
            transport.update(
                {
                    "transporterCode": shipment.transporter,
                    "trackAndTrace": shipment.track,
                    "transportEvents": [],
                }
            )
        return {
            "shipmentId": shipment.id,
            "shipmentDateTime": iso(shipment.created),
            "shipmentReference": shipment.reference,
            "pickupPoint": order.pickup_point,
            "order": {"orderId": order.id, "orderPlacedDateTime": iso(order.placed)},
            "shipmentItems": [
                {"orderItemId": item.id, "ean": item.ean, "quantity": quantity}
                for item, quantity in shipment.items
            ],
            "transport": transport,
        }

    # -- process status -------------------------------------------------------------------------
    def _start_process(
        self,
        event_type: str,
        entity_id: str | None,
        description: str,
        apply: Callable[[Process], str | None],
    ) -> Process:
        self.ids.process += 1
        now = self.clock()
        process = Process(
            id=str(self.ids.process),
            event_type=event_type,
            entity_id=entity_id,
            description=description,
            created=now,
            due=now + self.process_delay,
            apply=apply,
            forced=self._take_armed(event_type),
        )
        self.processes[process.id] = process
        return process

    def _take_armed(self, event_type: str) -> tuple[str, str | None] | None:
        for armed in self.armed:
            if armed.count > 0 and armed.event_type in (None, event_type):
                armed.count -= 1
                if armed.count == 0:
                    self.armed.remove(armed)
                return armed.status, armed.message
        return None

    def _complete(self, process: Process) -> None:
        # A timed process finished at its due time, however late the next request noticed it.
        now = self.clock()
        process.finished = now if self.process_polls is not None else min(now, process.due)
        if process.forced is not None:
            process.status, process.error = process.forced
        else:
            error = process.apply(process) if process.apply else None
            process.status, process.error = ("FAILURE", error) if error else ("SUCCESS", None)

    def _poll(self, process: Process) -> dict[str, Any]:
        process.polls += 1
        if (
            self.process_polls is not None
            and process.status == "PENDING"
            and process.polls >= self.process_polls
        ):
            self._complete(process)
        return self._render_process(process)

    def _render_process(self, process: Process) -> dict[str, Any]:
        return {
            "processStatusId": process.id,
            "entityId": process.entity_id,
            "eventType": process.event_type,
            "description": process.description,
            "status": process.status,
            "errorMessage": process.error,
            "createTimestamp": iso(process.created),
            "links": [
                {
                    "rel": "self",
                    "method": "GET",
                    "href": f"{self.base_url}/shared/process-status/{process.id}",
                }
            ],
        }

    @locked
    def api_process(self, request: Request, process_id: str) -> Response:
        process = self.processes.get(process_id)
        if process is None:
            return self._problem(
                request, 404, "Not Found", f"Process status {process_id} not found."
            )
        return self._ok(self._poll(process))

    @locked
    def api_process_query(self, request: Request) -> Response:
        args = request.args
        violations = [
            {"name": name, "reason": "must not be null"}
            for name in ("entity-id", "event-type")
            if not args.get(name)
        ]
        page = int_param(args, "page", 1, 1, None, violations)
        if violations:
            return self._invalid(request, violations)
        rows = [
            p
            for p in reversed(self.processes.values())
            if p.entity_id == args["entity-id"] and p.event_type == args["event-type"]
        ]
        chunk = [self._poll(p) for p in rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
        return self._ok({"processStatuses": chunk} if chunk else {})

    @locked
    def api_process_bulk(self, request: Request) -> Response:
        body = self._body(request) or {}
        queries = body.get("processStatusQueries")
        if not isinstance(queries, list) or not 1 <= len(queries) <= 1000:
            return self._invalid(
                request,
                [{"name": "processStatusQueries", "reason": "size must be between 1 and 1000"}],
            )
        found = []
        for query in queries:
            process = self.processes.get(str((query or {}).get("processStatusId")))
            if process is not None:
                found.append(self._poll(process))
        return self._ok({"processStatuses": found} if found else {})
