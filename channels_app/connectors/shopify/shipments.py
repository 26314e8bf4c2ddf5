"""Shopify shipments: fulfillmentCreate on the order's fulfillment orders, with tracking.

No Django imports.
"""

from __future__ import annotations

from typing import Any

from channels_app.connectors.base import ShipmentRequest, ShipmentResult
from common.http import ApiError, AuthenticationError, OutcomeUnknownError, RetriableApiError

from .client import ShopifyClient, ShopifyGraphQLError, _user_errors_text
from .orders import _order_gid
from .queries import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDER_LINES_QUERY,
    FULFILLMENT_ORDERS_QUERY,
    FULFILLMENTS_QUERY,
)

OPEN_FO_STATUSES = ("OPEN", "IN_PROGRESS")

# Our carrier keys -> Shopify's FulfillmentTrackingInfo.company spelling (exact, case-sensitive;
# channel-apis.md section 6). Carriers missing here are not on Shopify's list: send a URL.
CARRIER_COMPANIES: dict[str, str] = {
    "POSTNL_PARCEL": "PostNL",
    "POSTNL_MAILBOX": "PostNL",
    "POSTNL_EXTRA_AT_HOME": "PostNL",
    "POSTNL_EXPRESS": "PostNL",
    "DHL_PARCEL_NL": "DHL Parcel",
    "DHL_EXPRESS": "DHL Express",
    "DHL_DE": "DHL",
    "DHL_SAMEDAY": "DHL Parcel",
    "DHL_ECOMMERCE": "DHL eCommerce",
    "DEUTSCHE_POST": "Deutsche Post",
    "DPD_NL": "DPD",
    "DPD_BE": "DPD",
    "GLS": "GLS",
    "UPS": "UPS",
    "BPOST": "BPost",
    "FEDEX": "FedEx",
    "TNT_EXPRESS": "TNT",
}


class ShipmentsMixin(ShopifyClient):
    """Fulfilments; mixed into ShopifyConnector."""

    notify_customer = True  # Shopify e-mails the buyer the tracking link on fulfillmentCreate

    # -- shipments ----------------------------------------------------------------------------------
    def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """fulfillmentCreate for the requested lines on the order's fulfillment orders.

        Reference: https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentCreate
        """
        order_id = _order_gid(shipment.order_external_id)
        try:
            fulfillment_orders = self._fulfillment_orders(order_id)
        except AuthenticationError:
            raise
        except ApiError as exc:
            return ShipmentResult(ok=False, error=exc.for_staff(), retriable=exc.retriable)
        if fulfillment_orders is None:
            return ShipmentResult(ok=False, error=f"Shopify order {order_id} not found")
        plan, problem = self._plan_shipment(fulfillment_orders, shipment)
        if problem:
            return ShipmentResult(ok=False, error=problem)
        if not plan:
            existing = self._existing_fulfillment(order_id, shipment.tracking_number)
            if existing:
                return ShipmentResult(ok=True, external_id=existing)
            return ShipmentResult(ok=False, error=f"Nothing left to fulfil on order {order_id}")
        ids = []
        for group in plan:
            result = self._create_fulfillment(order_id, group, shipment)
            if not result.ok:
                if ids:
                    result.error = f"{result.error} (after creating {', '.join(ids)})"
                return result
            ids.append(result.external_id)
        return ShipmentResult(ok=True, external_id=",".join(ids))

    def _fulfillment_orders(self, order_id: str) -> list[dict[str, Any]] | None:
        order = self.graphql(
            FULFILLMENT_ORDERS_QUERY, {"id": order_id}, operation="FulfillmentOrders"
        )["order"]
        if order is None:
            return None
        nodes = order["fulfillmentOrders"]["nodes"]
        for fo in nodes:
            conn = fo["lineItems"]
            while conn["pageInfo"]["hasNextPage"]:
                more = self.graphql(
                    FULFILLMENT_ORDER_LINES_QUERY,
                    {"id": fo["id"], "cursor": conn["pageInfo"]["endCursor"]},
                    operation="FulfillmentOrderLines",
                )["fulfillmentOrder"]["lineItems"]
                conn = {"pageInfo": more["pageInfo"], "nodes": conn["nodes"] + more["nodes"]}
            fo["lineItems"] = conn
        return nodes

    def _plan_shipment(
        self, fulfillment_orders: list[dict[str, Any]], shipment: ShipmentRequest
    ) -> tuple[list[list[dict[str, Any]]], str]:
        """lineItemsByFulfillmentOrder groups (one per location), or a reason not to call."""
        usable = [
            fo
            for fo in fulfillment_orders
            if fo["status"] not in ("CLOSED", "CANCELLED", "INCOMPLETE")
        ]
        # Open ones first, then ours; ON_HOLD ones stay in so Shopify states its refusal.
        usable.sort(
            key=lambda fo: (
                fo["status"] not in OPEN_FO_STATUSES,
                _location_of(fo) != self.location_id,
            )
        )
        wanted: dict[str, dict[str, int]] = {}  # fo id -> fo line id -> quantity
        if not shipment.lines:
            for fo in usable:
                if any(li["remainingQuantity"] > 0 for li in fo["lineItems"]["nodes"]):
                    wanted.setdefault(fo["id"], {})
        for line in shipment.lines:
            found = [
                (fo, li)
                for fo in fulfillment_orders
                for li in fo["lineItems"]["nodes"]
                if li["lineItem"]["id"] == line.external_line_id
            ]
            if not found:
                return [], (
                    f"Line {line.external_line_id} is not on any fulfillment order of this "
                    "Shopify order"
                )
            candidates = [(fo, li) for fo, li in found if fo in usable]
            if not any(li["remainingQuantity"] > 0 for _, li in candidates):
                continue  # already fulfilled (or cancelled): nothing to send for this line
            left = line.quantity
            for fo, li in candidates:
                take = min(left, li["remainingQuantity"])
                if take > 0:
                    wanted.setdefault(fo["id"], {})[li["id"]] = take
                    left -= take
            if left > 0:  # more than remains: ask anyway, Shopify's answer says why not
                fo, li = candidates[0]
                entry = wanted.setdefault(fo["id"], {})
                entry[li["id"]] = entry.get(li["id"], 0) + left
        by_location: dict[str, list[dict[str, Any]]] = {}
        locations = {fo["id"]: _location_of(fo) for fo in usable}
        for fo_id, lines in wanted.items():
            by_location.setdefault(locations[fo_id], []).append(
                {
                    "fulfillmentOrderId": fo_id,
                    "fulfillmentOrderLineItems": [
                        {"id": k, "quantity": q} for k, q in lines.items()
                    ],
                }
            )
        return list(by_location.values()), ""

    def _create_fulfillment(
        self, order_id: str, groups: list[dict[str, Any]], shipment: ShipmentRequest
    ) -> ShipmentResult:
        tracking: dict[str, Any] = {
            "company": shipment.carrier_code or shipment.carrier_name,
            "number": shipment.tracking_number,
        }
        if shipment.tracking_url:
            tracking["url"] = shipment.tracking_url
        variables = {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": groups,
                "trackingInfo": tracking,
                "notifyCustomer": self.notify_customer,
            }
        }
        try:
            payload = self.graphql(
                FULFILLMENT_CREATE, variables, operation="FulfillmentCreate", retry=False
            )["fulfillmentCreate"]
        except AuthenticationError:
            raise
        except OutcomeUnknownError as exc:
            # Shopify may have created it: look before anyone sends it again.
            existing = self._existing_fulfillment(order_id, shipment.tracking_number)
            if existing:
                return ShipmentResult(ok=True, external_id=existing)
            return ShipmentResult(ok=False, error=exc.for_staff(), retriable=True)
        except ApiError as exc:
            return ShipmentResult(ok=False, error=exc.for_staff(), retriable=exc.retriable)
        if payload.get("userErrors"):
            return ShipmentResult(ok=False, error=_user_errors_text(payload["userErrors"]))
        return ShipmentResult(ok=True, external_id=payload["fulfillment"]["id"])

    def _existing_fulfillment(self, order_id: str, tracking_number: str) -> str:
        """The id of a fulfillment already carrying this tracking number, or ""."""
        if not tracking_number:
            return ""
        try:
            order = self.graphql(FULFILLMENTS_QUERY, {"id": order_id}, operation="Fulfillments")[
                "order"
            ]
        except (RetriableApiError, ShopifyGraphQLError):
            return ""
        for f in (order or {}).get("fulfillments") or []:
            if any(t.get("number") == tracking_number for t in f.get("trackingInfo") or []):
                return str(f["id"])
        return ""


def _location_of(fo: dict[str, Any]) -> str:
    return str(((fo.get("assignedLocation") or {}).get("location") or {}).get("id") or "")
