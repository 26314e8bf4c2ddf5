"""Storing one channel order: created or updated once, mapped, held, announced.

`store_order` is the one way an order gets in (polling, webhooks, staff);
`remap_parked_orders` retries the mapping of parked orders after a listing was linked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from channels_app.connectors.base import ChannelOrderData
from channels_app.holds import sync_holds
from channels_app.intake.values import (
    IDENTITY_FIELDS,
    changed_fields,
    line_key,
    line_values,
    order_values,
)
from channels_app.mapping import ListingIndex, Resolution
from channels_app.models import Channel, ChannelOrder, ChannelOrderLine, OrderState
from channels_app.signals import channel_order_stored
from exactsync.models import ActivityLevel, record_activity

# States intake decides; later states belong to forwarding (issue 7) and are left alone.
INTAKE_STATES = frozenset(
    {OrderState.RECEIVED, OrderState.NEEDS_MAPPING, OrderState.CANCELLED, OrderState.MARKETPLACE}
)
# On its way to or in Exact: a cancellation there is forwarding's to handle, the state stays.
IN_EXACT_STATES = frozenset({OrderState.QUEUED, OrderState.FORWARDED, OrderState.MANUAL})


@dataclass(frozen=True)
class Before:
    """What an order looked like before this change (for the timeline)."""

    state: str | None = None
    cancelled: bool = False
    requested: bool = False
    problems: tuple[str, ...] = ()

    @classmethod
    def of(cls, order: ChannelOrder) -> Before:
        return cls(
            order.state, order.cancelled, order.cancellation_requested, tuple(order.problems)
        )


@dataclass
class StoreResult:
    order: ChannelOrder
    created: bool
    changed: bool


def store_order(
    channel: Channel, data: ChannelOrderData, *, source: str
) -> tuple[ChannelOrder, bool]:
    """Store or update one channel order with its lines; returns (order, created).

    source: "poll", "webhook", ... (goes into the timeline). One row per (channel, external id);
    an older version of an order than the stored one is ignored. Lines are mapped to products
    through listings; an order with an unmapped line waits in "needs mapping". Holds follow
    the open quantities; `channel_order_stored` is sent when anything changed.
    """
    result = store_order_result(channel, data, source=source)
    return result.order, result.created


def store_order_result(channel: Channel, data: ChannelOrderData, *, source: str) -> StoreResult:
    """store_order, also saying whether anything changed (for counts)."""
    with transaction.atomic():
        order = _locked(channel, data.external_id)
        if order is None:
            try:
                with transaction.atomic():
                    order = ChannelOrder.objects.create(
                        channel=channel,
                        external_id=data.external_id,
                        raw=data.raw,
                        **order_values(channel, data),
                    )
            except IntegrityError:  # stored by a webhook and a poll at the same moment
                order = _locked(channel, data.external_id)
                if order is None:
                    raise
            else:
                return _store_new(order, data, source)
        return _store_update(order, data, source)


def _locked(channel: Channel, external_id: str) -> ChannelOrder | None:
    return (
        ChannelOrder.objects.select_for_update()
        .filter(channel=channel, external_id=external_id)
        .first()
    )


def _store_new(order: ChannelOrder, data: ChannelOrderData, source: str) -> StoreResult:
    lines = [
        ChannelOrderLine(
            order=order,
            external_line_id=line.external_line_id[:120],
            **line_values(line, marketplace=data.marketplace_fulfilled),
        )
        for line in data.lines
    ]
    problems = _map_lines(order, lines)
    for line in lines:
        line.save()
    _apply_state(order, problems)
    order.save(update_fields=["state", "problems"])
    n = len(lines)
    record_activity(
        "order.received",
        subject=order,
        message=f"Received from {order.channel} by {source}: {n} line(s), "
        f"{order.get_state_display().lower()}.",
        payload={"source": source, "status": order.channel_status, "lines": n},
    )
    _record_transitions(order, source, Before())
    sync_holds(order, source=source)
    channel_order_stored.send(sender=ChannelOrder, order=order, created=True)
    return StoreResult(order, created=True, changed=True)


def _store_update(order: ChannelOrder, data: ChannelOrderData, source: str) -> StoreResult:
    if order.channel_updated_at and data.updated_at < order.channel_updated_at:
        return StoreResult(order, created=False, changed=False)  # an older version, late
    values = order_values(order.channel, data)
    if data.ship_by is None and order.ship_by:
        values["ship_by"] = order.ship_by  # our own deadline rule was applied once, on arrival
    changes = changed_fields(order, values)
    before = Before.of(order)
    for name in changes:
        setattr(order, name, values[name])
    lines, dirty, line_changes = _merge_lines(order, data)
    problems = _map_lines(order, lines, dirty=dirty, changes=line_changes)
    _apply_state(order, problems)
    if not (changes or line_changes or Before.of(order) != before):
        return StoreResult(order, created=False, changed=False)
    order.raw = data.raw
    # only what intake owns: forwarding may be writing Exact ids on the same row
    order.save(update_fields=[*changes, "state", "problems", "raw", "updated_at"])
    for line in lines:
        if line.pk is None or line in dirty:
            line.save()
    record_activity(
        "order.updated",
        subject=order,
        message=f"Updated from {order.channel} by {source}: "
        f"{', '.join([*changes, *line_changes]) or 'mapping'}.",
        payload={"source": source, "fields": changes, "lines": line_changes},
    )
    _record_transitions(order, source, before)
    sync_holds(order, source=source)
    channel_order_stored.send(sender=ChannelOrder, order=order, created=False)
    return StoreResult(order, created=False, changed=True)


def _merge_lines(
    order: ChannelOrder, data: ChannelOrderData
) -> tuple[list[ChannelOrderLine], set[ChannelOrderLine], list[str]]:
    """Stored lines updated from the payload (new ones added); lines gone count as cancelled."""
    existing = {line.external_line_id: line for line in order.lines.all()}
    lines, dirty, changes = [], set(), []
    for item in data.lines:
        values = line_values(item, marketplace=data.marketplace_fulfilled)
        line = existing.pop(item.external_line_id[:120], None)
        if line is None:
            line = ChannelOrderLine(order=order, external_line_id=item.external_line_id[:120])
            changes.append(f'line "{values["title"] or values["sku"]}" added')
        for name in IDENTITY_FIELDS:
            if not values[name] and getattr(line, name):
                values[name] = getattr(line, name)
        diff = changed_fields(line, values) if line.pk else []
        for name, value in values.items():
            setattr(line, name, value)
        if diff:
            dirty.add(line)
            changes.append(f'line "{line.title or line.sku}": {", ".join(diff)}')
        lines.append(line)
    for line in existing.values():  # removed from the order on the channel
        if line.quantity_cancelled < line.quantity:
            line.quantity_cancelled = line.quantity
            dirty.add(line)
            changes.append(f'line "{line.title or line.sku}" removed')
        lines.append(line)
    return lines, dirty, changes


def _map_lines(
    order: ChannelOrder,
    lines: list[ChannelOrderLine],
    *,
    dirty: set[ChannelOrderLine] | None = None,
    changes: list[str] | None = None,
) -> list[str]:
    """Set each line's listing and product; return the problems of the lines left unmapped."""
    index = ListingIndex(order.channel, [line_key(_key_values(line)) for line in lines])
    problems = []
    for line in lines:
        found: Resolution = index.resolve(line_key(_key_values(line)))
        listing_id = found.listing.pk if found.listing else None
        if (line.listing_id, line.product_id) != (listing_id, found.product_id):
            if line.pk and changes is not None and line.product_id != found.product_id:
                changes.append(f'line "{line.title or line.sku}": product')
            line.listing_id, line.product_id = listing_id, found.product_id
            if dirty is not None and line.pk:
                dirty.add(line)
        if found.problem and line.open_quantity > 0:
            problems.append(found.problem)
    return problems


def _key_values(line: ChannelOrderLine) -> dict[str, Any]:
    return {
        "listing_external_id": line.listing_external_id,
        "sku": line.sku,
        "ean": line.ean,
        "title": line.title,
    }


def _apply_state(order: ChannelOrder, problems: list[str]) -> None:
    """Intake's part of the state machine (see INTAKE_STATES); problems are intake's words."""
    if order.cancelled:
        if order.state not in IN_EXACT_STATES:
            order.state, order.problems = OrderState.CANCELLED, []
        return
    if order.state not in INTAKE_STATES:
        return
    if order.marketplace_fulfilled:
        order.state = OrderState.MARKETPLACE
    else:
        order.state = OrderState.NEEDS_MAPPING if problems else OrderState.RECEIVED
    order.problems = problems


def _record_transitions(order: ChannelOrder, source: str, before: Before) -> None:
    payload = {"source": source}
    if order.cancelled and not before.cancelled:
        record_activity(
            "order.cancelled",
            subject=order,
            message=f"Cancelled on {order.channel}.",
            payload=payload,
        )
    if order.cancellation_requested and not before.requested:
        record_activity(
            "order.cancellation_requested",
            subject=order,
            message=f"The buyer asked {order.channel} to cancel.",
            level=ActivityLevel.WARNING,
            payload=payload,
        )
    if order.state == OrderState.NEEDS_MAPPING and (
        before.state != OrderState.NEEDS_MAPPING or tuple(order.problems) != before.problems
    ):
        record_activity(
            "order.needs_mapping",
            subject=order,
            message="Waiting for mapping: " + " ".join(order.problems),
            level=ActivityLevel.WARNING,
            payload={**payload, "problems": order.problems},
        )
    elif before.state == OrderState.NEEDS_MAPPING and order.state == OrderState.RECEIVED:
        record_activity(
            "order.mapped",
            subject=order,
            message="Every line is mapped to a product now.",
            payload=payload,
        )


def remap_parked_orders(channel: Channel, *, source: str = "listings") -> int:
    """Map the lines of the channel's parked orders again (a listing was linked); returns how
    many left "needs mapping". Each one is announced with `channel_order_stored`."""
    freed = 0
    for order_id in ChannelOrder.objects.filter(
        channel=channel, state=OrderState.NEEDS_MAPPING
    ).values_list("pk", flat=True):
        with transaction.atomic():
            order = ChannelOrder.objects.select_for_update().get(pk=order_id)
            if order.state != OrderState.NEEDS_MAPPING:
                continue
            before = Before.of(order)
            lines = list(order.lines.all())
            dirty: set[ChannelOrderLine] = set()
            problems = _map_lines(order, lines, dirty=dirty)
            if problems == order.problems and not dirty:
                continue
            _apply_state(order, problems)
            order.save(update_fields=["state", "problems", "updated_at"])
            for line in dirty:
                line.save(update_fields=["listing", "product"])
            _record_transitions(order, source, before)
            sync_holds(order, source=source)
            channel_order_stored.send(sender=ChannelOrder, order=order, created=False)
            freed += order.state != OrderState.NEEDS_MAPPING
    return freed
