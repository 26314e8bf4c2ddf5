"""`/_control/...`: the sandbox's own JSON control surface (never part of Exact's API), so the demo
and benchmarks can drive a sandbox in another process.

- `POST /_control/<method>` with a JSON object of keyword arguments calls the Python method of
  the same name (whitelisted below) and answers `{"result": ...}`; errors answer 400 `{"error"}`.
- `GET /_control/state/<table>?Field=value&limit=N&division=D` lists rows (equality filters).
- `GET /_control/usage`, `GET /_control/webhook_deliveries`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from common.sandbox import json_response

from .formats import BusinessError, PayloadError
from .store import DivisionState

CONTROL_METHODS = frozenset(
    [
        "reset",
        "add_item",
        "update_item",
        "delete_item",
        "add_account",
        "update_account",
        "delete_account",
        "add_supplier_item",
        "update_supplier_item",
        "delete_supplier_item",
        "set_stock",
        "change_stock",
        "add_assembly_bom",
        "add_manufacturing_bom",
        "add_purchase_order",
        "receive_purchase_order",
        "add_sales_order",
        "deliver_sales_order",
        "cancel_sales_order",
        "set_delivery_tracking",
        "expire_access_tokens",
        "revoke_refresh_tokens",
        "set_limits",
        "usage",
        "random_stock_change",
        "random_stock_changes",
        "flush_webhooks",
        "issue_tokens",
        "issue_code",
        "advance_clock",
        "get_item",
        "get_account",
        "stock",
        "purchase_orders",
        "sales_orders",
        "deliveries",
        "receipts",
    ]
)
TABLE_ALIASES = {
    "positions": "stock_positions",
    "stock": "stock_positions",
    "subscriptions": "webhook_subscriptions",
}


class ControlMixin:
    """Control routes of ExactSandbox."""

    divisions: dict[int, DivisionState]
    division: int
    lock: Any
    # provided by ExactSandbox
    reset: Callable[..., Any]
    summary: Callable[[], dict[str, Any]]
    usage: Callable[[], dict[str, Any]]
    webhook_deliveries: list[dict[str, Any]]

    def control_rules(self) -> list[Rule]:
        """Routes on top of the shared `/_control/reset|fail|calls`."""
        return [
            Rule("/_control/state/<entity>", endpoint="ctl_state", methods=["GET"]),
            Rule("/_control/usage", endpoint="ctl_usage", methods=["GET"]),
            Rule(
                "/_control/webhook_deliveries", endpoint="ctl_webhook_deliveries", methods=["GET"]
            ),
            Rule("/_control/<name>", endpoint="ctl_call", methods=["POST"]),
        ]

    def ctl_call(self, request: Request, name: str) -> Response:
        """Call a whitelisted data helper with the JSON body as keyword arguments."""
        if name not in CONTROL_METHODS:
            return json_response({"error": f"unknown control method {name!r}"}, status=404)
        kwargs: dict[str, Any] = request.get_json(silent=True) or {}
        if name in ("random_stock_change", "random_stock_changes"):
            seed = kwargs.pop("seed", None)
            if seed is not None:
                kwargs["rng"] = random.Random(seed)
        try:
            result = getattr(self, name)(**kwargs)
        except (BusinessError, PayloadError, LookupError, ValueError, TypeError) as exc:
            return json_response({"error": str(exc), "type": type(exc).__name__}, status=400)
        if result is self:
            result = self.summary()
        return json_response({"result": result})

    def ctl_reset(self, request: Request) -> Response:
        """`POST /_control/reset` with reset's keyword arguments; answers the new row counts."""
        try:
            self.reset(**(request.get_json(silent=True) or {}))
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc), "type": type(exc).__name__}, status=400)
        return json_response({"ok": True, "result": self.summary()})

    def ctl_state(self, request: Request, entity: str) -> Response:
        """Rows of one table, optionally filtered by `Field=value` (codes compared trimmed)."""
        args = request.args.to_dict()
        division = int(args.pop("division", self.division))
        limit = int(args.pop("limit", 1000))
        table = TABLE_ALIASES.get(entity, entity)
        state = self.divisions.get(division)
        if state is None or table not in state.tables:
            return json_response(
                {
                    "error": f"unknown entity {entity!r}",
                    "tables": sorted(state.tables if state else []),
                },
                status=404,
            )
        with self.lock:
            rows = [
                dict(row)
                for row in state[table].values()
                if all(str(row.get(k, "")).strip() == v.strip() for k, v in args.items())
            ]
        return json_response(
            {"rows": rows[:limit], "count": len(rows), "timestamp": state.timestamp}
        )

    def ctl_usage(self, request: Request) -> Response:
        """Rate-limit and token-endpoint usage of the default division."""
        return json_response(self.usage())

    def ctl_webhook_deliveries(self, request: Request) -> Response:
        """Every webhook delivery attempt so far (since the last reset)."""
        return json_response({"deliveries": self.webhook_deliveries})
