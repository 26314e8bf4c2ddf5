"""Exact's goods deliveries -> shipments of our forwarded channel orders.

Receives `goods_deliveries_read` (inside the sync page's transaction): delivery lines are matched
to our order lines by `SalesOrderLineID` == the line's `exact_line_id` (stored when forwarding),
else by `SalesOrderNumber` == the order's `exact_order_number` and the item. One Shipment per
Exact delivery per channel order, with the delivered quantities, so a partial delivery is a
partial shipment. The tracking number comes from the delivery's header, else from its lines;
the carrier is Exact's shipping method code (mapped per channel, carriers.py).

Channels in "exact" mode get the shipment confirmed; "off" records it as skipped; "here" (staff
record shipments themselves) ignores Exact's deliveries. A shipment is only considered for the
channel once the pass is over (`deliveries_changed`), so a delivery read over several pages, or
its tracking number added a moment later, is never sent half-known.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from channels_app.models import (
    ChannelOrder,
    ChannelOrderLine,
    FulfilmentMode,
    Shipment,
    ShipmentLine,
    ShipmentSource,
    ShipmentState,
)
from exactsync.models import ActivityLevel, ExactConnection, record_activity
from exactsync.sync.deliveries import Delivery, DeliveryLine, DeliveryOutcome

from .service import describe, line_label

UNSENT = (ShipmentState.PENDING, ShipmentState.BLOCKED, ShipmentState.FAILED)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def apply_deliveries(connection: ExactConnection, deliveries: list[Delivery]) -> DeliveryOutcome:
    """Create or update the shipments these deliveries describe (no API calls)."""
    outcome = DeliveryOutcome()
    headers = {d.entry_id: d for d in deliveries if d.lines is None}
    if headers:
        _apply_headers(connection, headers, outcome)
    with_lines = [d for d in deliveries if d.lines]
    if with_lines:
        _apply_lines(connection, with_lines, outcome)
    return outcome


def _apply_headers(
    connection: ExactConnection, deliveries: dict[str, Delivery], outcome: DeliveryOutcome
) -> None:
    """A header changed (a tracking number added): update the shipments made from it."""
    ids = [u for u in (_uuid(e) for e in deliveries) if u]
    for shipment in Shipment.objects.filter(
        order__channel__connection=connection, exact_delivery_id__in=ids
    ).select_related("order", "order__channel"):
        delivery = deliveries[str(shipment.exact_delivery_id)]
        if _refresh(shipment, delivery, delivery.tracking_numbers):
            outcome.updated += 1
        else:
            outcome.unchanged += 1


def _apply_lines(
    connection: ExactConnection, deliveries: list[Delivery], outcome: DeliveryOutcome
) -> None:
    matcher = _Matcher(connection, deliveries)
    for delivery in deliveries:
        per_order: dict[int, dict[ChannelOrderLine, int]] = defaultdict(dict)
        tracking: dict[int, list[str]] = defaultdict(list)
        for dline in delivery.lines or []:
            line = matcher.line_for(dline)
            if line is None:
                continue  # not one of our channel orders (most deliveries are not)
            quantity = _whole(dline.quantity)
            if quantity is None:
                outcome.skipped.append(
                    (
                        f"delivery {delivery.header.number} order {dline.sales_order_number}",
                        f"{dline.item_code}: delivered quantity {dline.quantity} is not a whole "
                        "positive number",
                    )
                )
                continue
            per_order[line.order_id][line] = per_order[line.order_id].get(line, 0) + quantity
            if dline.tracking_number and dline.tracking_number not in tracking[line.order_id]:
                tracking[line.order_id].append(dline.tracking_number)
        for order_id, quantities in per_order.items():
            order = matcher.orders[order_id]
            numbers = (
                [delivery.header.tracking_number]
                if delivery.header.tracking_number
                else tracking[order_id]
            )
            result = _upsert(order, delivery, quantities, numbers)
            setattr(outcome, result, getattr(outcome, result) + 1)


def _whole(quantity: Decimal) -> int | None:
    if quantity <= 0 or quantity != quantity.to_integral_value():
        return None
    return int(quantity)


class _Matcher:
    """Delivery lines -> our order lines, with one query per kind for the whole page."""

    def __init__(self, connection: ExactConnection, deliveries: list[Delivery]) -> None:
        dlines = [dl for d in deliveries for dl in d.lines or []]
        ids = {u for u in (_uuid(dl.sales_order_line_id) for dl in dlines) if u}
        self.by_exact_line = {
            str(line.exact_line_id): line
            for line in ChannelOrderLine.objects.filter(
                order__channel__connection=connection, exact_line_id__in=ids
            ).select_related("order", "order__channel", "product")
        }
        numbers = {
            dl.sales_order_number
            for dl in dlines
            if dl.sales_order_number and dl.sales_order_line_id not in self.by_exact_line
        }
        self.by_number: dict[int, list[ChannelOrderLine]] = defaultdict(list)
        for line in ChannelOrderLine.objects.filter(
            order__channel__connection=connection, order__exact_order_number__in=numbers
        ).select_related("order", "order__channel", "product"):
            self.by_number[line.order.exact_order_number].append(line)  # type: ignore[index]
        self.orders: dict[int, ChannelOrder] = {
            line.order_id: line.order for line in self.by_exact_line.values()
        }
        for lines in self.by_number.values():
            self.orders.update({line.order_id: line.order for line in lines})

    def line_for(self, dline: DeliveryLine) -> ChannelOrderLine | None:
        line = self.by_exact_line.get(dline.sales_order_line_id)
        if line is not None or not dline.sales_order_number:
            return line
        # Fallback (an order linked by hand, no line ids): the order number and the item.
        candidates = [
            ln
            for ln in self.by_number.get(dline.sales_order_number, [])
            if ln.product is not None
            and (
                str(ln.product.exact_id or "").lower() == dline.item_id
                or ln.product.code.lower() == dline.item_code.lower()
            )
        ]
        candidates.sort(key=lambda ln: (ln.exact_line_id is not None, ln.pk))
        return candidates[0] if candidates else None


def _upsert(
    order: ChannelOrder,
    delivery: Delivery,
    quantities: dict[ChannelOrderLine, int],
    numbers: list[str],
) -> str:
    """One shipment per (delivery, order); returns the count it adds to: created/updated/..."""
    mode = order.channel.fulfilment_mode
    if mode == FulfilmentMode.HERE:
        return "unchanged"  # the channel's shipments are recorded here by staff, not from Exact
    entry_id = _uuid(delivery.entry_id)
    shipment = (
        Shipment.objects.select_for_update()
        .select_related("order", "order__channel")
        .filter(order=order, exact_delivery_id=entry_id)
        .first()
    )
    if shipment is None:
        header = delivery.header
        shipment = Shipment.objects.create(
            order=order,
            source=ShipmentSource.EXACT,
            exact_delivery_id=entry_id,
            exact_delivery_number=header.number,
            carrier=header.shipping_method_code[:60],
            tracking_number=(numbers[0] if numbers else "")[:120],
            shipped_at=header.date or timezone.now(),
            state=ShipmentState.SKIPPED if mode == FulfilmentMode.OFF else ShipmentState.PENDING,
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line=ln, quantity=q)
                for ln, q in quantities.items()
            ]
        )
        _recorded(shipment, delivery, numbers)
        return "created"
    changed = _merge_lines(shipment, quantities)
    changed = _refresh(shipment, delivery, numbers) or changed
    return "updated" if changed else "unchanged"


def _recorded(shipment: Shipment, delivery: Delivery, numbers: list[str]) -> None:
    off = shipment.state == ShipmentState.SKIPPED
    message = f"Exact delivery {delivery.header.number}: shipment {describe(shipment)}" + (
        " - not confirmed: fulfilment is off." if off else "."
    )
    if len(numbers) > 1:
        message += f" The delivery lines carry several tracking numbers ({', '.join(numbers)}); "
        message += f"{numbers[0]} is sent."
    record_activity(
        "shipment.recorded",
        subject=shipment.order,
        level=ActivityLevel.WARNING if len(numbers) > 1 else ActivityLevel.INFO,
        message=message,
        payload={
            "shipment": shipment.pk,
            "source": "exact",
            "delivery": delivery.header.number,
            "entry_id": delivery.entry_id,
        },
    )


def _merge_lines(shipment: Shipment, quantities: dict[ChannelOrderLine, int]) -> bool:
    """Lines read again: a delivered quantity does not shrink (rows re-read one at a time)."""
    existing = {sl.order_line_id: sl for sl in shipment.lines.all()}
    changed = False
    for line, quantity in quantities.items():
        current = existing.get(line.pk)
        if current is not None and current.quantity >= quantity:
            continue
        if shipment.state not in UNSENT:
            record_activity(
                "shipment.changed_after_confirmation",
                subject=shipment.order,
                level=ActivityLevel.WARNING,
                message=f"Exact delivery {shipment.exact_delivery_number} now holds "
                f"{line_label(line)} x {quantity}, but the shipment was sent already; "
                "the channel keeps what it was sent.",
            )
            continue
        if current is None:
            ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity)
        else:
            ShipmentLine.objects.filter(pk=current.pk).update(quantity=quantity)
        changed = True
    return changed


def _refresh(shipment: Shipment, delivery: Delivery, numbers: list[str]) -> bool:
    """Header facts onto a shipment: number, carrier and tracking while nothing was sent."""
    header = delivery.header
    updates: dict[str, Any] = {}
    if header.number and shipment.exact_delivery_number != header.number:
        updates["exact_delivery_number"] = header.number
    tracking = (numbers[0] if numbers else "")[:120]
    carrier = header.shipping_method_code[:60]
    if shipment.state in UNSENT:
        if tracking and tracking != shipment.tracking_number:
            updates["tracking_number"] = tracking
        if carrier and carrier != shipment.carrier:
            updates["carrier"] = carrier
    elif tracking and tracking != shipment.tracking_number:
        record_activity(
            "shipment.changed_after_confirmation",
            subject=shipment.order,
            level=ActivityLevel.WARNING,
            message=f"Exact delivery {header.number} now has tracking number {tracking}, but "
            f"{shipment.tracking_number or 'none'} was sent already; the channel keeps that one.",
        )
    if not updates:
        return False
    Shipment.objects.filter(pk=shipment.pk).update(**updates, updated_at=timezone.now())
    for name, value in updates.items():
        setattr(shipment, name, value)
    if "tracking_number" in updates:
        record_activity(
            "shipment.tracking",
            subject=shipment.order,
            message=f"Tracking number {tracking} from Exact delivery {header.number}.",
            payload={"shipment": shipment.pk},
        )
    return True
