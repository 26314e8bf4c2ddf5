"""Read-only questions about shipping: which orders are close to (or past) their ship-by time,
and which shipments need a person. The dashboard, the order list filter and the morning report
all ask here."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from channels_app.models import (
    Channel,
    ChannelOrder,
    ChannelOrderLine,
    FulfilmentMode,
    OrderState,
    Shipment,
    ShipmentState,
)

DUE_SOON = timedelta(hours=4)
CLOSED_STATES = (OrderState.CANCELLED, OrderState.MARKETPLACE)


def orders_due_to_ship(
    *, within: timedelta = DUE_SOON, now: datetime | None = None
) -> QuerySet[ChannelOrder]:
    """Orders not fully shipped and confirmed whose ship-by time is less than `within` away or
    past, soonest first, annotated `ship_status` ("late" or "due") and `late` (bool).

    "Shipped" is the channel's own word per line or our shipments confirmed on the channel
    (`shipped_at`, set once every line is). Channels with fulfilment off are left out: nothing
    is confirmed from here for them. Every order has a ship-by time (intake sets the channel's,
    else placed_at + the channel's ship_by_hours); an order stored without one uses that rule.
    """
    now = now or timezone.now()
    horizon = now + within
    open_line = ChannelOrderLine.objects.filter(
        order=OuterRef("pk"),
        marketplace_fulfilled=False,
        quantity__gt=F("quantity_cancelled") + F("quantity_shipped"),
    )
    due = Q(ship_by__lte=horizon)
    for channel_id, hours in Channel.objects.values_list("pk", "ship_by_hours"):
        due |= Q(
            channel_id=channel_id,
            ship_by__isnull=True,
            placed_at__lte=horizon - timedelta(hours=hours),
        )
    return (
        ChannelOrder.objects.filter(
            due,
            Exists(open_line),
            shipped_at__isnull=True,
            cancelled=False,
            marketplace_fulfilled=False,
            channel__is_active=True,
        )
        .exclude(state__in=CLOSED_STATES)
        .exclude(channel__fulfilment_mode=FulfilmentMode.OFF)
        .annotate(
            late=Case(When(ship_by__lt=now, then=Value(True)), default=Value(False)),
            ship_status=Case(When(ship_by__lt=now, then=Value("late")), default=Value("due")),
        )
        .select_related("channel")
        .order_by(F("ship_by").asc(nulls_first=True), "pk")
    )


def shipments_needing_attention() -> QuerySet[Shipment]:
    """Shipments a person must act on: blocked (fix and retry) or refused by the channel."""
    return (
        Shipment.objects.filter(state__in=[ShipmentState.BLOCKED, ShipmentState.FAILED])
        .select_related("order", "order__channel")
        .order_by("created_at")
    )
