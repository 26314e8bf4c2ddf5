"""The WooCommerce Shipment Tracking extension's REST routes, for the local WooCommerce.

Routes exist under `wc-shipment-tracking/v3` and `wc/v3` (the extension registers both); the
provider list is at `orders/{id}/shipment-trackings/providers` (the order id is required by the
route but unused). Trackings are kept in the order meta `_wc_shipment_tracking_items`, as the
extension does. No Django imports.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from common.sandbox import json_response

from .woocommerce_rest import API, WCError, body_of
from .woocommerce_store import SITE_TZ

TRACKING_NAMESPACES = ("/wp-json/wc-shipment-tracking/v3", API)

# Shipment Tracking's provider list, grouped by country (a subset; names as the extension has
# them). Placeholders: %1$s tracking number, %2$s postcode, %3$s country.
PROVIDERS: dict[str, dict[str, str]] = {
    "Netherlands": {
        "PostNL": "https://jouw.postnl.nl/track-and-trace/%1$s-%3$s-%2$s",
        "DPD.NL": "https://tracking.dpd.de/status/nl_NL/parcel/%1$s",
        "UPS Netherlands": "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=%1$s",
    },
    "Belgium": {
        "bpost": "https://track.bpost.be/btr/web/#/search?itemCode=%1$s",
    },
    "Germany": {
        "DHL Intraship (DE)": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=%1$s",
        "Hermes": "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#%1$s",
        "Deutsche Post DHL": "https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer=%1$s",
        "UPS Germany": "https://wwwapps.ups.com/WebTracking/processInputRequest?sort_by=status&tracknums_displayed=1&TypeOfInquiryNumber=T&loc=de_DE&InquiryNumber1=%1$s",
        "DPD.de": "https://tracking.dpd.de/status/de_DE/parcel/%1$s",
    },
    "United Kingdom": {
        "DHL": "https://www.dhl.com/content/g0/en/express/tracking.shtml?brand=DHL&AWB=%1$s",
        "Royal Mail": "https://www.royalmail.com/track-your-item#/tracking-results/%1$s",
    },
}


def tracking_rules() -> list[Rule]:
    rules = [
        Rule(
            "/wp-json/wc-shipment-tracking/v3/shipment-trackings/providers",
            endpoint="tracking_providers",
            methods=["GET"],
        )
    ]
    for ns in TRACKING_NAMESPACES:
        base = f"{ns}/orders/<int:order_id>/shipment-trackings"
        rules += [
            Rule(base, endpoint="list_trackings", methods=["GET"]),
            Rule(base, endpoint="create_tracking", methods=["POST"]),
            Rule(f"{base}/providers", endpoint="tracking_providers", methods=["GET"]),
            Rule(f"{base}/<tracking_id>", endpoint="get_tracking", methods=["GET"]),
            Rule(f"{base}/<tracking_id>", endpoint="delete_tracking", methods=["DELETE"]),
        ]
    return rules


class ShipmentTrackingMixin:
    """Handlers; the sandbox provides lock, clock, base_url, orders, tracking_items, _order, _set_meta."""

    def _require_extension(self) -> None:
        if not self.tracking_extension:
            raise NotFound()

    def tracking_providers(self, request: Request, order_id: int | None = None) -> Response:
        self._require_extension()
        return json_response(PROVIDERS)

    def list_trackings(self, request: Request, order_id: int) -> Response:
        self._require_extension()
        with self.lock:
            self._order(order_id)
            return json_response(
                [self._tracking_view(order_id, t) for t in self.tracking_items.get(order_id, [])]
            )

    def get_tracking(self, request: Request, order_id: int, tracking_id: str) -> Response:
        self._require_extension()
        with self.lock:
            return json_response(
                self._tracking_view(order_id, self._tracking(order_id, tracking_id))
            )

    def delete_tracking(self, request: Request, order_id: int, tracking_id: str) -> Response:
        self._require_extension()
        with self.lock:
            item = self._tracking(order_id, tracking_id)
            self.tracking_items[order_id].remove(item)
            self._sync_tracking_meta(order_id)
            return json_response({"tracking_id": tracking_id, "deleted": True})

    def _tracking(self, order_id: int, tracking_id: str) -> dict[str, Any]:
        self._order(order_id)
        for item in self.tracking_items.get(order_id, []):
            if item["tracking_id"] == tracking_id:
                return item
        raise WCError("woocommerce_shipment_tracking_invalid_id", "Invalid tracking ID.", 404)

    def create_tracking(self, request: Request, order_id: int) -> Response:
        self._require_extension()
        body = body_of(request)
        if not body.get("tracking_number"):
            raise WCError(
                "rest_missing_callback_param",
                "Missing parameter(s): tracking_number",
                400,
                params=["tracking_number"],
            )
        with self.lock:
            self._order(order_id, status=400)
            items = self.tracking_items.setdefault(order_id, [])
            shipped = (
                body.get("date_shipped")
                or datetime.fromtimestamp(self.clock(), SITE_TZ).date().isoformat()
            )
            seed = f"{order_id}-{body['tracking_number']}-{len(items)}-{self.clock()}"
            item = {
                "tracking_id": hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest(),
                "tracking_provider": self._provider_name(str(body.get("tracking_provider") or "")),
                "custom_tracking_provider": str(body.get("custom_tracking_provider") or ""),
                "custom_tracking_link": str(body.get("custom_tracking_link") or ""),
                "tracking_number": str(body["tracking_number"]),
                "date_shipped": str(shipped)[:10],
            }
            items.append(item)
            self._sync_tracking_meta(order_id)
            return json_response(self._tracking_view(order_id, item), 201)

    @staticmethod
    def _provider_name(name: str) -> str:
        """The extension matches providers on their slug; it keeps unknown names as given."""
        slug = name.strip().lower().replace(" ", "-")
        for group in PROVIDERS.values():
            for known in group:
                if known.lower().replace(" ", "-") == slug:
                    return known
        return name

    def _tracking_view(self, order_id: int, item: dict[str, Any]) -> dict[str, Any]:
        order = self.orders[order_id]
        provider = item["custom_tracking_provider"] or item["tracking_provider"]
        template = item["custom_tracking_link"]
        if not item["custom_tracking_provider"]:
            template = next(
                (
                    g[item["tracking_provider"]]
                    for g in PROVIDERS.values()
                    if item["tracking_provider"] in g
                ),
                "",
            )
        postcode = order["shipping"]["postcode"].replace(" ", "")
        link = (
            template.replace("%1$s", quote(item["tracking_number"]))
            .replace("%2$s", quote(postcode))
            .replace("%3$s", order["shipping"]["country"])
        )
        base = (
            f"{self.base_url}/wp-json/wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings"
        )
        return {
            "tracking_id": item["tracking_id"],
            "tracking_provider": provider,
            "tracking_link": link,
            "tracking_number": item["tracking_number"],
            "date_shipped": item["date_shipped"],
            "_links": {
                "self": [{"href": f"{base}/{item['tracking_id']}"}],
                "collection": [{"href": base}],
                "up": [{"href": f"{self.base_url}{API}/orders/{order_id}"}],
            },
        }

    def _sync_tracking_meta(self, order_id: int) -> None:
        value = [dict(t) for t in self.tracking_items.get(order_id, [])]
        self._set_meta(
            self.orders[order_id], {"key": "_wc_shipment_tracking_items", "value": value}
        )

    def trackings(self, order_id: int) -> list[dict[str, Any]]:
        """The order's trackings as the extension's GET shows them."""
        with self.lock:
            return [self._tracking_view(order_id, t) for t in self.tracking_items.get(order_id, [])]
