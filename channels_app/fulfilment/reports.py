"""Morning report sections for shipping: deadlines and shipments that need a person."""

from __future__ import annotations

from django.utils import timezone

from channels_app.models import ShipmentState
from exactsync.reports import section

from .selectors import orders_due_to_ship, shipments_needing_attention


def _when(moment: object) -> str:
    return f"{timezone.localtime(moment):%a %d %b %H:%M}" if moment else "no ship-by time"  # type: ignore[arg-type]


@section
def ship_by_deadlines() -> tuple[str, list[str]]:
    rows = orders_due_to_ship()[:200]
    return "Orders due to ship (ship-by within 4 h or past, no confirmed shipment)", [
        f"{o.channel.name} {o.number}: {'LATE, ' if o.late else ''}ship by {_when(o.ship_by)}"
        for o in rows
    ]


@section
def blocked_shipments() -> tuple[str, list[str]]:
    """Blocked before sending (refusals by the channel are failed writes: listed there)."""
    rows = shipments_needing_attention().filter(state=ShipmentState.BLOCKED)[:200]
    return "Shipments blocked (fix and retry)", [
        f"{s.order.channel.name} {s.order.number} ({s.tracking_number or 'no tracking'}): "
        f"{s.error[:200]}"
        for s in rows
    ]
