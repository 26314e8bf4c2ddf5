"""JSON twins of the local WooCommerce's Python control methods, under /_control/.

POST /_control/orders {"lines": [[code_or_ean, qty]], "country", "status", ...} -> the order
POST /_control/orders/random {"seed"?}            POST /_control/orders/<id>/status {"status"}
POST /_control/orders/<id>/cancel                 GET  /_control/orders/<id>/trackings
GET  /_control/products/<id>                      POST /_control/products/<id>/delete
GET  /_control/stock/<id>                         POST /_control/throttle {"per_second", "retry_after"}
POST /_control/settings {"strip_authorization", "tracking_extension"}
POST /_control/webhooks {"topic", "url", "secret"}   POST /_control/webhooks/redeliver {"n"}
POST /_control/webhooks/flush {"timeout"}            GET  /_control/webhooks/deliveries
plus the shared /_control/reset, /_control/fail and /_control/calls of common.sandbox.
No Django imports.
"""

from __future__ import annotations

import random
from decimal import Decimal

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from common.sandbox import json_response


class ControlRoutesMixin:
    """Each handler calls the Python method of the same name on the sandbox."""

    def control_rules(self) -> list[Rule]:
        c = "/_control"
        return [
            Rule(f"{c}/orders", endpoint="ctl_place_order", methods=["POST"]),
            Rule(f"{c}/orders/random", endpoint="ctl_random_order", methods=["POST"]),
            Rule(f"{c}/orders/<int:order_id>/status", endpoint="ctl_set_status", methods=["POST"]),
            Rule(
                f"{c}/orders/<int:order_id>/cancel", endpoint="ctl_cancel_order", methods=["POST"]
            ),
            Rule(f"{c}/orders/<int:order_id>/trackings", endpoint="ctl_trackings", methods=["GET"]),
            Rule(f"{c}/products/<int:item_id>", endpoint="ctl_product", methods=["GET"]),
            Rule(
                f"{c}/products/<int:item_id>/delete",
                endpoint="ctl_delete_product",
                methods=["POST"],
            ),
            Rule(f"{c}/stock/<int:item_id>", endpoint="ctl_stock", methods=["GET"]),
            Rule(f"{c}/throttle", endpoint="ctl_throttle", methods=["POST"]),
            Rule(f"{c}/settings", endpoint="ctl_settings", methods=["POST"]),
            Rule(f"{c}/webhooks", endpoint="ctl_add_webhook", methods=["POST"]),
            Rule(f"{c}/webhooks/redeliver", endpoint="ctl_redeliver", methods=["POST"]),
            Rule(f"{c}/webhooks/flush", endpoint="ctl_flush", methods=["POST"]),
            Rule(f"{c}/webhooks/deliveries", endpoint="ctl_deliveries", methods=["GET"]),
        ]

    def ctl_place_order(self, request: Request) -> Response:
        data = request.get_json(force=True)
        lines = [(code, int(qty)) for code, qty in data.pop("lines")]
        for key in ("shipping", "discount"):
            if key in data:
                data[key] = Decimal(str(data[key]))
        if "fees" in data:
            data["fees"] = [(name, Decimal(str(amount))) for name, amount in data["fees"]]
        try:
            return json_response(self.place_order(lines, **data), 201)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)

    def ctl_random_order(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        rng = random.Random(data["seed"]) if "seed" in data else None
        return json_response(self.random_order(rng), 201)

    def ctl_set_status(self, request: Request, order_id: int) -> Response:
        return json_response(self.set_status(order_id, request.get_json(force=True)["status"]))

    def ctl_cancel_order(self, request: Request, order_id: int) -> Response:
        return json_response(self.cancel_order(order_id))

    def ctl_trackings(self, request: Request, order_id: int) -> Response:
        return json_response(self.trackings(order_id))

    def ctl_product(self, request: Request, item_id: int) -> Response:
        return json_response(self.product(item_id))

    def ctl_delete_product(self, request: Request, item_id: int) -> Response:
        self.delete_product(item_id)
        return json_response({"ok": True})

    def ctl_stock(self, request: Request, item_id: int) -> Response:
        return json_response({"id": item_id, "stock_quantity": self.stock(item_id)})

    def ctl_throttle(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        self.throttle(
            per_second=data.get("per_second"), retry_after=int(data.get("retry_after", 1))
        )
        return json_response({"ok": True})

    def ctl_settings(self, request: Request) -> Response:
        data = request.get_json(force=True)
        self.settings(
            strip_authorization=data.get("strip_authorization"),
            tracking_extension=data.get("tracking_extension"),
        )
        return json_response({"ok": True})

    def ctl_add_webhook(self, request: Request) -> Response:
        data = request.get_json(force=True)
        return json_response(
            self.add_webhook(data["topic"], data["url"], data.get("secret", "")), 201
        )

    def ctl_redeliver(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        return json_response([d.as_json() for d in self.redeliver_last(int(data.get("n", 1)))])

    def ctl_flush(self, request: Request) -> Response:
        data = request.get_json(silent=True) or {}
        return json_response({"flushed": self.flush_webhooks(float(data.get("timeout", 5)))})

    def ctl_deliveries(self, request: Request) -> Response:
        return json_response([d.as_json() for d in self.webhook_deliveries])
