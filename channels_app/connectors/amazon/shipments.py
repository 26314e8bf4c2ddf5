"""Amazon shipments: Orders v0 `confirmShipment` (not deprecated), one package per shipment.

No Django imports.
"""

from __future__ import annotations

import zlib
from typing import Any
from urllib.parse import quote

from channels_app.connectors.base import ApiError, ShipmentRequest, ShipmentResult
from common.http import AuthenticationError

from .client import AmazonClient
from .orders import _iso

# Internal carrier key -> (Amazon carrierCode, carrierName). Reference section 6: only codes a
# primary source confirms are used; everything else is "Other" + a carrierName.
CARRIER_CODES: dict[str, tuple[str, str]] = {
    "POSTNL_PARCEL": ("Other", "PostNL"),
    "POSTNL_MAILBOX": ("Other", "PostNL"),
    "POSTNL_EXTRA_AT_HOME": ("Other", "PostNL"),
    "POSTNL_EXPRESS": ("Other", "PostNL"),
    "DHL_PARCEL_NL": ("DHL", ""),
    "DHL_EXPRESS": ("DHL", ""),
    "DHL_DE": ("DHL", ""),
    "DHL_SAMEDAY": ("DHL", ""),
    "DPD_NL": ("DPD", ""),
    "DPD_BE": ("DPD", ""),
    "GLS": ("GLS", ""),
    "UPS": ("UPS", ""),
    "BPOST": ("Other", "bpost"),
    "FEDEX": ("FedEx", ""),
    "TNT_EXPRESS": ("TNT", ""),
    "BUDBEE": ("Other", "Budbee"),
    "TRUNKRS": ("Other", "Trunkrs"),
    "OTHER": ("Other", ""),
}


class ShipmentsMixin(AmazonClient):
    """Shipment confirmations; mixed into AmazonConnector.

    With several marketplaces, `_order_market` relies on `fetch_order` (orders.py), which
    records the marketplace of every order it maps.
    """

    # -- shipments ------------------------------------------------------------------------------
    def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """Orders v0 confirmShipment: 204 = done, 400 = refused with Amazon's message.

        Reference: https://developer-docs.amazon.com/sp-api/docs/orders-api-v0-reference#confirmshipment
        """
        code, name = CARRIER_CODES.get(shipment.carrier_code, (shipment.carrier_code, ""))
        name = shipment.carrier_name or name
        ref = _package_reference(shipment)
        detail: dict[str, Any] = {
            "packageReferenceId": ref,
            "carrierCode": code,
            "trackingNumber": shipment.tracking_number,
            "shipDate": _iso(
                shipment.shipped_at.timestamp() if shipment.shipped_at else self.clock()
            ),
            "orderItems": [
                {"orderItemId": line.external_line_id, "quantity": line.quantity}
                for line in shipment.lines
            ],
        }
        if code == "Other" and name:
            detail["carrierName"] = name
        try:
            market = self._order_market(shipment.order_external_id)
            self._call(
                "confirmShipment",
                "POST",
                f"/orders/v0/orders/{quote(shipment.order_external_id)}/shipmentConfirmation",
                body={"marketplaceId": market, "packageDetail": detail},
            )
        except AuthenticationError:
            raise
        except ApiError as exc:
            return ShipmentResult(ok=False, error=exc.for_staff(), retriable=exc.retriable)
        return ShipmentResult(ok=True, external_id=ref)

    def _order_market(self, order_id: str) -> str:
        if len(self.marketplace_ids) == 1:
            return self.marketplace_ids[0]
        if order_id not in self._order_markets:
            self.fetch_order(order_id)
        return self._order_markets[order_id]


def _package_reference(shipment: ShipmentRequest) -> str:
    """A positive numeric id, stable per shipment: resending edits instead of duplicating."""
    ref = shipment.reference.strip()
    if ref.isdigit() and int(ref) > 0:
        return str(int(ref))
    return str(zlib.crc32((ref or shipment.tracking_number).encode()) or 1)
