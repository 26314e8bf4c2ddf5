"""Function-style and system reads (`read/logistics/StockPosition`, `read/sync/Sync/SyncTimestamp`,
`system/Divisions`, `current/Me`) and webhook subscriptions (reference 2, 3.6, 5.4, 6.1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from . import schema
from .formats import BusinessError, PayloadError, date_ms, parse_iso, wire_date
from .odata import SYNTAX, parse_key, parse_query
from .payload import clean
from .store import DivisionState, Row
from .webhooks import TOPIC_NAMES


class SystemMixin:
    """Reads that are not plain entity collections, and webhook subscriptions."""

    lock: Any
    divisions: dict[int, DivisionState]
    state: DivisionState
    client_id: str
    user_id: str
    now: Callable[[], float]
    respond: Callable[..., Response]
    api_error: Callable[..., Response]
    _guid: Callable[[], str]
    schedule_validation: Callable[[Row], None]

    # -- function-style and system reads -------------------------------------------------------
    def _special_read(
        self, request: Request, state: DivisionState, resource: str
    ) -> Response | None:
        path = resource.lower()
        if path not in (
            "read/logistics/stockposition",
            "read/sync/sync/synctimestamp",
            "system/divisions",
            "hrm/divisions",
        ):
            return None
        if request.method != "GET":
            return self.api_error(
                request,
                f"The requested resource does not support http method '{request.method}'.",
                405,
            )
        with self.lock:
            if path == "read/logistics/stockposition":
                return self.respond(request, {"d": self._stock_position(request, state)})
            if path == "read/sync/sync/synctimestamp":
                return self.respond(request, {"d": [self._sync_timestamp(request, state)]})
            return self.respond(request, {"d": {"results": self._divisions(request, state)}})

    def _stock_position(self, request: Request, state: DivisionState) -> list[Row]:
        """`read/logistics/StockPosition?itemId=guid'..'`: bare array, summed over warehouses
        (reference 5.4; whether Exact sums warehouses is unverified)."""
        if "$filter" in request.args:
            raise PayloadError(SYNTAX)
        raw = next((v for k, v in request.args.items() if k.lower() == "itemid"), None)
        item_id = parse_key(raw or "")
        if item_id is None:
            raise PayloadError(SYNTAX)
        if item_id not in state["items"].rows:
            return []
        keys = (state.position_by_pair.get((item_id, wh)) for wh in state["warehouses"].rows)
        positions = [state["stock_positions"].rows[k] for k in keys if k]
        total = {
            name: round(sum(p[src] for p in positions), 6)
            for name, src in (
                ("InStock", "CurrentStock"),
                ("PlanningIn", "PlanningIn"),
                ("PlanningOut", "PlanningOut"),
                ("FreeStock", "FreeStock"),
                ("ProjectedStock", "ProjectedStock"),
                ("ReservedStock", "ReservedStock"),
            )
        }
        uri = f"{request.host_url.rstrip('/')}/api/v1/{state.code}/read/logistics/StockPosition(guid'{item_id}')"
        return [
            {
                "__metadata": {"uri": uri, "type": "Exact.Web.Api.Models.Logistics.StockPosition"},
                "ItemId": item_id,
                **total,
            }
        ]

    def _sync_timestamp(self, request: Request, state: DivisionState) -> Row:
        """`read/sync/Sync/SyncTimestamp?modified=datetime'..'&endPoint='Items'` (reference 3.6)."""
        args = {k.lower(): v for k, v in request.args.items()}
        modified, endpoint = args.get("modified", ""), args.get("endpoint", "").strip("'")
        text = re.sub(r"^datetime'(.*)'$", r"\1", modified.strip(), flags=re.IGNORECASE)
        if not text or not endpoint:
            raise PayloadError(SYNTAX)
        try:
            ms = date_ms(parse_iso(text))
        except ValueError as exc:
            raise PayloadError(SYNTAX) from exc
        return {
            "EndPoint": endpoint,
            "Modified": wire_date(ms or 0),
            "TimeStampAsBigInt": state.timestamp_before(ms or 0),
        }

    def _divisions(self, request: Request, state: DivisionState) -> list[Row]:
        query = parse_query(request.args, schema.DIVISION, "Exact.Web.Api.Models.HRM.Division")
        out = []
        for code, division in self.divisions.items():
            row = {
                "Code": code,
                "Description": "Demo Groothandel B.V."
                if code == self.state.code
                else "Demo Holding B.V.",
                "HID": code,
                "Country": "NL",
                "Currency": "EUR",
                "Current": code == self.state.code,
                "Blocked": False,
                "Main": code == self.state.code,
                "Customer": None,
                "CustomerName": None,
            }
            if query.filter and not query.filter.predicate(row):
                continue
            uri = f"{request.host_url.rstrip('/')}/api/v1/{division.code}/system/Divisions({code})"
            out.append(
                {
                    "__metadata": {"uri": uri, "type": "Exact.Web.Api.Models.HRM.Division"},
                    **{n: row.get(n) for n in query.select or schema.DIVISION},
                }
            )
        return out

    def api_me(self, request: Request) -> Response:
        """`GET /api/v1/current/Me`: one row in `d.results` (reference 2)."""
        try:
            query = parse_query(request.args, schema.ME, "Exact.Web.Api.System.Me")
        except PayloadError as exc:
            return self.api_error(request, str(exc), 400)
        row = {
            "UserID": self.user_id,
            "UserName": "demo",
            "FullName": "Demo Gebruiker",
            "FirstName": "Demo",
            "LastName": "Gebruiker",
            "Email": "demo@example.com",
            "CurrentDivision": self.state.code,
            "DivisionCustomer": None,
            "LanguageCode": "nl-NL",
            "Language": "NL",
            "Legislation": "NL",
            "PackageCode": "WD-PREMIUM",
            "ServerTime": wire_date(self.now() * 1000),
            "ServerUtcOffset": 0.0,
        }
        uri = f"{request.host_url.rstrip('/')}/api/v1/current/Me(guid'{self.user_id}')"
        selected = {n: row[n] for n in query.select or schema.ME}
        return self.respond(
            request,
            {
                "d": {
                    "results": [
                        {"__metadata": {"uri": uri, "type": "Exact.Web.Api.System.Me"}, **selected}
                    ]
                }
            },
        )

    # -- webhook subscriptions -----------------------------------------------------------------
    def create_subscription(self, payload: Any) -> Row:
        """POST webhooks/WebhookSubscriptions {CallbackURL, Topic} (reference 6.1)."""
        data = clean(
            payload,
            schema.WEBHOOK_SUBSCRIPTION,
            "Exact.Web.Api.Models.WebhookSubscription",
            schema.WRITABLE["WebhookSubscription"],
        )
        url, topic = data.get("CallbackURL"), data.get("Topic")
        if not url:
            raise BusinessError("Verplicht: CallbackURL")
        if topic not in TOPIC_NAMES:
            raise BusinessError(f"Ongeldige waarde: Topic ({topic})")
        if data.get("IsInstant") and topic != "GoodsDeliveries":
            raise BusinessError("IsInstant is only supported for topic GoodsDeliveries")
        table = self.state["webhook_subscriptions"]
        if any(
            s["CallbackURL"] == url and s["Topic"] == topic and s["ClientID"] == self.client_id
            for s in table.values()
        ):
            raise BusinessError("Er bestaat al een abonnement voor deze callback URL en dit topic")
        row = table.insert(
            {
                "ID": self._guid(),
                "CallbackURL": url,
                "Topic": topic,
                "ClientID": self.client_id,
                "UserID": self.user_id,
                "Description": data.get("Description"),
                "IsInstant": bool(data.get("IsInstant")),
            }
        )
        self.schedule_validation(row)
        return row
