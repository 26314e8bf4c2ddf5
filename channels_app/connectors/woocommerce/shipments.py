"""WooCommerce shipments: tracking or a customer note, then `completed` once all is shipped.

- Shipments: the Shipment Tracking extension when the shop has it (detected once per connector
  via the providers route), else a customer note. What was shipped per line is kept in the order
  meta SHIPPED_META_KEY, so the order is completed once every line is fully shipped, across
  partial shipments and retries.

No Django imports.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from channels_app.connectors.base import ShipmentRequest, ShipmentResult
from common.http import FatalApiError

from .client import TRACKING_PREFIX, WooCommerceClient, _json

NOT_SHIPPABLE_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
SHIPPED_META_KEY = "_backoffice_shipped_lines"  # {shipment key: {line id: quantity}}

# Internal carrier key -> Shipment Tracking provider name (reference section 6). Names that the
# shop's provider list does not contain are sent as a custom provider with the tracking URL.
TRACKING_PROVIDERS: dict[str, str] = {
    "POSTNL_PARCEL": "PostNL",
    "POSTNL_MAILBOX": "PostNL",
    "POSTNL_EXTRA_AT_HOME": "PostNL",
    "POSTNL_EXPRESS": "PostNL",
    "DPD_NL": "DPD.NL",
    "UPS": "UPS Netherlands",
    "DHL_PARCEL_NL": "DHL Parcel",
    "DHL_EXPRESS": "DHL Express",
    "DHL_DE": "DHL Paket",
    "DHL_SAMEDAY": "DHL Parcel",
    "DPD_BE": "DPD",
    "GLS": "GLS",
    "BPOST": "bpost",
    "FEDEX": "FedEx",
    "TNT_EXPRESS": "TNT",
    "BUDBEE": "Budbee",
    "TRUNKRS": "Trunkrs",
    "OTHER": "",
}


class ShipmentsMixin(WooCommerceClient):
    """Shipment confirmations; mixed into WooCommerceConnector."""

    note_template = "Verzonden met {carrier}: {tracking_number}"

    # -- shipments ----------------------------------------------------------------------------------
    def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """Tracking (extension, else a customer note), then `completed` once all lines shipped.

        Reference: https://woocommerce.com/document/shipment-tracking/#rest-api-support and
        https://woocommerce.github.io/woocommerce-rest-api-docs/#create-an-order-note
        """
        order_id = int(shipment.order_external_id)
        order = self._get(f"/orders/{order_id}")
        if order.get("status") in NOT_SHIPPABLE_STATUSES:
            return ShipmentResult(
                ok=False,
                error=f"Order {order.get('number', order_id)} is {order['status']} on WooCommerce",
            )
        if self._tracking_available(order_id):
            external_id = self._add_tracking(order_id, shipment)
        else:
            external_id = self._add_note(order_id, shipment)
        shipped, all_shipped = _shipped_lines(order, shipment)
        update: dict[str, Any] = {"meta_data": [{"key": SHIPPED_META_KEY, "value": shipped}]}
        if self.complete_on_ship and all_shipped and order.get("status") != "completed":
            update["status"] = "completed"
        self._request("PUT", f"/orders/{order_id}", body=update)
        return ShipmentResult(ok=True, external_id=external_id)

    def _tracking_available(self, order_id: int) -> bool:
        """Ask the extension's providers route once; a missing route means no extension."""
        if self._has_tracking is None:
            try:
                groups = self._get_tracking(f"/orders/{order_id}/shipment-trackings/providers")
            except FatalApiError as exc:
                if exc.status != 404:
                    raise
                self._has_tracking = False
            else:
                names = [
                    name
                    for group in (groups or {}).values()
                    if isinstance(group, dict)
                    for name in group
                ]
                self._providers = frozenset(names)
                self._has_tracking = True
        return self._has_tracking

    def _get_tracking(self, path: str) -> Any:
        return _json(self._request("GET", path, prefix=TRACKING_PREFIX))

    def _add_tracking(self, order_id: int, shipment: ShipmentRequest) -> str:
        path = f"/orders/{order_id}/shipment-trackings"
        for existing in self._get_tracking(path) or []:
            if existing.get("tracking_number") == shipment.tracking_number:
                return str(existing.get("tracking_id", ""))
        shipped_at = shipment.shipped_at or datetime.fromtimestamp(self.clock(), UTC)
        body: dict[str, Any] = {
            "tracking_number": shipment.tracking_number,
            "date_shipped": shipped_at.date().isoformat(),
        }
        provider = self._known_provider(shipment.carrier_code)
        if provider:
            body["tracking_provider"] = provider
        else:
            body["custom_tracking_provider"] = (
                shipment.carrier_name or shipment.carrier_code or "Vervoerder"
            )
            body["custom_tracking_link"] = shipment.tracking_url
        created = _json(
            self._request("POST", path, body=body, prefix=TRACKING_PREFIX, idempotent=False)
        )
        return str(created.get("tracking_id", ""))

    def _known_provider(self, carrier: str) -> str:
        """The shop's own spelling of `carrier` when its provider list has it (case-insensitive)."""
        wanted = carrier.strip().lower()
        return next((name for name in sorted(self._providers or ()) if name.lower() == wanted), "")

    def _add_note(self, order_id: int, shipment: ShipmentRequest) -> str:
        path = f"/orders/{order_id}/notes"
        for note in self._get(path) or []:
            if shipment.tracking_number in str(note.get("note", "")):
                return str(note.get("id", ""))
        text = self.note_template.format(
            carrier=shipment.carrier_name or shipment.carrier_code,
            tracking_number=shipment.tracking_number,
        )
        if shipment.tracking_url:
            text += f" ({shipment.tracking_url})"
        body = {"note": text, "customer_note": True}
        return str(_json(self._request("POST", path, body=body, idempotent=False)).get("id", ""))


def _shipped_lines(
    order: Mapping[str, Any], shipment: ShipmentRequest
) -> tuple[dict[str, dict[str, int]], bool]:
    """Shipped quantities per shipment key (stored in order meta) and whether all is shipped now."""
    previous = _meta_value(order, SHIPPED_META_KEY)
    ordered = {str(i["id"]): int(i.get("quantity") or 0) for i in order.get("line_items") or []}
    this = (
        {line.external_line_id: line.quantity for line in shipment.lines}
        if shipment.lines
        else dict(ordered)
    )
    shipped = {str(k): dict(v) for k, v in previous.items() if isinstance(v, dict)}
    shipped[shipment.reference or shipment.tracking_number] = this
    totals: dict[str, int] = defaultdict(int)
    for lines in shipped.values():
        for line_id, qty in lines.items():
            totals[str(line_id)] += int(qty)
    return shipped, all(totals[line_id] >= qty for line_id, qty in ordered.items())


def _meta_value(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    for meta in data.get("meta_data") or []:
        if meta.get("key") == key:
            value = meta.get("value")
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return {}
            return value if isinstance(value, dict) else {}
    return {}
