"""POST /api/shipments/ - a shipping tool reports a shipment made outside Exact (bearer token).

Body:
    {"order": "<the channel's order number>",
     "channel": "<channel name or id>"              (optional: when the number is on several),
     "carrier": "PostNL",                           (our carrier name, mapped per channel)
     "tracking_number": "3SABCD0123456789",
     "tracking_url": "https://..."                  (optional),
     "shipped_at": "2025-10-06T15:00:00+02:00"      (optional, ISO 8601; default now),
     "lines": [{"line": "ART-1", "quantity": 2}]}   (optional; "line" = our product code, the
                                                     channel SKU, EAN or line id; no lines = all
                                                     still to ship)
Answer: 201 with {"shipment", "order", "channel", "state", "reason", "lines"} when recorded; 200
with the same for a repeat (same order and tracking number: a retry is safe); 400 with
{"error", "fields"} when nothing was recorded (unknown order, a line not on the order, more than
is still to ship, the channel ships through Exact). A carrier without mapping is recorded
"blocked" with the reason (staff add the mapping and retry; nothing is sent before that).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from channels_app.models import ChannelOrder, Shipment, ShipmentSource
from common.api import BadInput, json_endpoint

from .service import LineQuantity, ShipmentRefused, find_lines, record_shipment


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment": shipment.pk,
        "order": shipment.order.number,
        "channel": shipment.order.channel.name,
        "state": shipment.state,
        "reason": shipment.error,
        "carrier": shipment.carrier,
        "channel_carrier_code": shipment.channel_carrier_code,
        "tracking_number": shipment.tracking_number,
        "lines": [
            {
                "line": sl.order_line.external_line_id,
                "sku": sl.order_line.sku,
                "quantity": sl.quantity,
            }
            for sl in shipment.lines.select_related("order_line")
        ],
    }


def _order(body: dict[str, Any]) -> ChannelOrder:
    number = str(body.get("order") or "").strip()
    if not number:
        raise BadInput({"order": "give the channel's order number"})
    orders = ChannelOrder.objects.filter(
        number__in={number, number.lstrip("#"), f"#{number.lstrip('#')}"}
    ).select_related("channel")
    channel = str(body.get("channel") or "").strip()
    found = [
        o
        for o in orders
        if not channel or o.channel.name.lower() == channel.lower() or str(o.channel_id) == channel
    ]
    if not found:
        raise BadInput(
            {"order": f"unknown order {number!r}" + (f" on {channel}" if channel else "")}
        )
    if len(found) > 1:
        names = ", ".join(sorted(o.channel.name for o in found))
        raise BadInput({"channel": f"order {number!r} is on several channels ({names}): name one"})
    return found[0]


def _lines(order: ChannelOrder, raw: Any) -> list[LineQuantity] | None:
    if raw in (None, []):
        return None
    if not isinstance(raw, list):
        raise BadInput({"lines": 'a list of {"line": ..., "quantity": ...}'})
    errors: dict[str, str] = {}
    lines = []
    for i, item in enumerate(raw):
        ref = str((item or {}).get("line") or "") if isinstance(item, dict) else ""
        matches = find_lines(order, ref) if ref else []
        if len(matches) != 1:
            errors[f"lines[{i}].line"] = (
                f"order {order.number} has no line {ref!r}"
                if not matches
                else f"{ref!r} matches {len(matches)} lines: give the channel's line id"
            )
            continue
        try:
            quantity = int(item.get("quantity"))
        except (TypeError, ValueError):
            errors[f"lines[{i}].quantity"] = "a whole number of at least 1"
            continue
        lines.append(LineQuantity(matches[0], quantity))
    if errors:
        raise BadInput(errors)
    return lines


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadInput({"shipped_at": "use ISO 8601, e.g. 2025-10-06T15:00:00+02:00"}) from None
    return moment if moment.tzinfo else timezone.make_aware(moment)


@json_endpoint
def create_shipment(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Record a shipment made outside Exact; it is confirmed on the channel in the background."""
    try:
        order = _order(body)
        lines = _lines(order, body.get("lines"))
        shipped_at = _moment(body.get("shipped_at"))
        shipment, created = record_shipment(
            order,
            carrier=str(body.get("carrier") or ""),
            tracking_number=str(body.get("tracking_number") or ""),
            lines=lines,
            source=ShipmentSource.API,
            tracking_url=str(body.get("tracking_url") or ""),
            shipped_at=shipped_at,
            actor_label="api",
            strict_carrier=False,
        )
    except BadInput as exc:
        return JsonResponse(
            {"error": "The shipment was not recorded.", "fields": exc.errors}, status=400
        )
    except ShipmentRefused as exc:
        fields: dict[str, str] = {}
        for name, message in exc.problems:
            fields[name] = f"{fields[name]} {message}" if name in fields else message
        return JsonResponse(
            {"error": "The shipment was not recorded.", "fields": fields}, status=400
        )
    return JsonResponse(shipment_json(shipment), status=201 if created else 200)
