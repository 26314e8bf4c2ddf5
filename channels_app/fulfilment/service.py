"""Shipments recorded here and made ready for the channel: quantities, modes, carriers.

`record_shipment` is the one way staff, a CSV or a shipping tool add a shipment (Exact's
deliveries come in through exact_deliveries.py). `consider` decides what happens to a shipment:
skipped (the channel's fulfilment is off), blocked with a reason a person can fix (no carrier
mapping, no tracking number, more than is still to ship), or queued once in the outbox, keyed
on the shipment, for the confirmation handler (confirm.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from channels_app.models import (
    CarrierMapping,
    ChannelOrder,
    ChannelOrderLine,
    FulfilmentMode,
    Shipment,
    ShipmentLine,
    ShipmentSource,
    ShipmentState,
)
from exactsync import outbox
from exactsync.models import (
    ActivityLevel,
    Outbox,
    OutboxKind,
    OutboxState,
    ShippingMethod,
    record_activity,
)

from . import carriers

# States in which a shipment may still be (re)considered for the channel.
OPEN_STATES = (ShipmentState.PENDING, ShipmentState.BLOCKED)
QUEUED = (OutboxState.PENDING, OutboxState.IN_PROGRESS, OutboxState.UNKNOWN)
OUTBOX_PRIORITY = 1


class ShipmentRefused(Exception):
    """The shipment was not recorded: (field, message) pairs in the staff's words."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class LineQuantity:
    line: ChannelOrderLine
    quantity: int


def outbox_key(shipment: Shipment) -> str:
    return f"shipment:{shipment.pk}"


def line_label(line: ChannelOrderLine) -> str:
    code = line.product.code if line.product_id and line.product else ""
    return code or line.sku or line.ean or line.title or line.external_line_id


# -- quantities -----------------------------------------------------------------------------------
def recorded_quantities(order: ChannelOrder, *, exclude: Shipment | None = None) -> dict[int, int]:
    """Per order line, what our shipments of the order hold (every state: each is goods that
    left the warehouse; delete a wrong blocked or refused one to free its quantity)."""
    rows = ShipmentLine.objects.filter(shipment__order=order)
    if exclude is not None:
        rows = rows.exclude(shipment=exclude)
    return {
        row["order_line"]: int(row["total"] or 0)
        for row in rows.values("order_line").annotate(total=Sum("quantity"))
    }


def still_to_ship(line: ChannelOrderLine, recorded: int) -> int:
    """Ordered, minus cancelled, minus shipped (the channel's word or our shipments, the larger)."""
    if line.marketplace_fulfilled:
        return 0
    return max(0, line.open_quantity - max(line.quantity_shipped, recorded))


def quantity_problem(line: ChannelOrderLine, quantity: int, recorded: int) -> str:
    left = still_to_ship(line, recorded)
    if quantity <= left:
        return ""
    parts = [f"ordered {line.quantity}"]
    if line.quantity_cancelled:
        parts.append(f"cancelled {line.quantity_cancelled}")
    shipped = max(line.quantity_shipped, recorded)
    if shipped:
        parts.append(f"shipped {shipped}")
    return (
        f"{line_label(line)}: {quantity} is more than the {left} still to ship "
        f"({', '.join(parts)})."
    )


def _wanted(
    order: ChannelOrder,
    lines: list[LineQuantity] | None,
    problems: list[tuple[str, str]],
    also_recorded: dict[int, int] | None = None,
) -> dict[int, int]:
    recorded = recorded_quantities(order)
    for pk, quantity in (also_recorded or {}).items():
        recorded[pk] = recorded.get(pk, 0) + quantity
    order_lines = {line.pk: line for line in order.lines.select_related("product")}
    if lines is None:  # everything still to ship
        wanted = {
            pk: left
            for pk, line in order_lines.items()
            if (left := still_to_ship(line, recorded.get(pk, 0))) > 0
        }
        if not wanted:
            problems.append(("lines", f"Nothing is left to ship on order {order.number}."))
        return wanted
    wanted: dict[int, int] = defaultdict(int)
    for item in lines:
        if item.line.order_id != order.pk:
            problems.append(("lines", f"{line_label(item.line)} is not on order {order.number}."))
        elif item.quantity < 1:
            problems.append(("lines", f"{line_label(item.line)}: the quantity must be at least 1."))
        else:
            wanted[item.line.pk] += item.quantity
    for pk, quantity in wanted.items():
        if pk in order_lines:
            problem = quantity_problem(order_lines[pk], quantity, recorded.get(pk, 0))
            if problem:
                problems.append(("lines", problem))
    if not wanted and not problems:
        problems.append(("lines", "Give at least one line with a quantity."))
    return dict(wanted)


def find_lines(order: ChannelOrder, ref: str) -> list[ChannelOrderLine]:
    """The order's lines a reference names: the channel's line id, else our product code, the
    channel SKU or the EAN (case-insensitive)."""
    ref = ref.strip()
    lines = list(order.lines.select_related("product"))
    exact = [line for line in lines if line.external_line_id == ref]
    if exact or not ref:
        return exact
    low = ref.lower()
    return [
        line
        for line in lines
        if (line.product is not None and line.product.code.lower() == low)
        or line.sku.lower() == low
        or line.ean == ref
    ]


def validate_shipment(
    order: ChannelOrder,
    *,
    carrier: str,
    tracking_number: str,
    lines: list[LineQuantity] | None = None,
    strict_carrier: bool = True,
    also_recorded: dict[int, int] | None = None,
) -> tuple[list[tuple[str, str]], dict[int, int]]:
    """record_shipment's checks without writing: (problems, quantity per order line id).

    also_recorded: quantities of shipments about to be recorded with this one (a CSV file).
    """
    problems = _order_problems(order, carrier.strip(), tracking_number.strip(), strict_carrier)
    wanted = _wanted(order, lines, problems, also_recorded)
    return problems, wanted


# -- recording ------------------------------------------------------------------------------------
def record_shipment(
    order: ChannelOrder,
    *,
    carrier: str,
    tracking_number: str,
    source: str,
    lines: list[LineQuantity] | None = None,
    tracking_url: str = "",
    shipped_at: datetime | None = None,
    user: Any = None,
    actor_label: str = "",
    strict_carrier: bool = True,
) -> tuple[Shipment, bool]:
    """Record a shipment made outside Exact; returns (shipment, created).

    lines None = everything still to ship. The same tracking number on the same order again
    returns the first shipment (a shipping tool's retry, a CSV uploaded twice). Refused with
    ShipmentRefused, nothing stored: the channel ships through Exact, the order is cancelled,
    no carrier or tracking number, more than is still to ship, and (strict_carrier) a carrier
    without mapping; with strict_carrier=False that one is stored blocked instead.
    """
    carrier, tracking_number = carrier.strip()[:60], tracking_number.strip()[:120]
    with transaction.atomic():
        order = ChannelOrder.objects.select_for_update().select_related("channel").get(pk=order.pk)
        existing = same_tracking(order, tracking_number)
        if existing is not None:
            return existing, False
        problems, wanted = validate_shipment(
            order,
            carrier=carrier,
            tracking_number=tracking_number,
            lines=lines,
            strict_carrier=strict_carrier,
        )
        if problems:
            raise ShipmentRefused(problems)
        off = order.channel.fulfilment_mode == FulfilmentMode.OFF
        shipment = Shipment.objects.create(
            order=order,
            source=source,
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=tracking_url.strip()[:300],
            shipped_at=shipped_at or timezone.now(),
            state=ShipmentState.SKIPPED if off else ShipmentState.PENDING,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line_id=pk, quantity=q)
                for pk, q in wanted.items()
            ]
        )
        record_activity(
            "shipment.recorded",
            subject=order,
            actor=user,
            actor_label=actor_label,
            message=f"Shipment recorded ({shipment.get_source_display().lower()}): "
            f"{describe(shipment)}" + (" - not confirmed: fulfilment is off." if off else ""),
            payload={"shipment": shipment.pk, "source": source, "lines": _payload_lines(shipment)},
        )
        consider(shipment, user=user)
    shipment.refresh_from_db()
    return shipment, True


def same_tracking(order: ChannelOrder, tracking_number: str) -> Shipment | None:
    if not tracking_number:
        return None
    return (
        Shipment.objects.filter(order=order, tracking_number__iexact=tracking_number)
        .exclude(source=ShipmentSource.EXACT)
        .first()
    )


def _order_problems(
    order: ChannelOrder, carrier: str, tracking_number: str, strict_carrier: bool
) -> list[tuple[str, str]]:
    channel = order.channel
    problems: list[tuple[str, str]] = []
    if channel.fulfilment_mode == FulfilmentMode.EXACT:
        problems.append(
            (
                "order",
                f"Channel {channel.name} ships through Exact: its shipments come from Exact's "
                "goods deliveries. Record the delivery in Exact, or change the channel's "
                "fulfilment mode.",
            )
        )
    if order.cancelled:
        problems.append(("order", f"Order {order.number} is cancelled on {channel.name}."))
    elif order.marketplace_fulfilled:
        problems.append(("order", f"Order {order.number} is fulfilled by {channel.name} itself."))
    if not carrier:
        problems.append(("carrier", "Give the carrier."))
    elif (
        strict_carrier
        and channel.fulfilment_mode != FulfilmentMode.OFF
        and carriers.find_mapping(channel, carrier) is None
    ):
        problems.append(("carrier", carriers.unmapped_reason(channel, carrier)))
    if not tracking_number:
        problems.append(("tracking_number", "Give the tracking number."))
    return problems


def describe(shipment: Shipment) -> str:
    lines = ", ".join(
        f"{line_label(sl.order_line)} x {sl.quantity}"
        for sl in shipment.lines.select_related("order_line__product")
    )
    carrier = shipment.carrier or "no carrier"
    tracking = shipment.tracking_number or "no tracking number"
    return f"{carrier} {tracking}: {lines or 'no lines'}"


def _payload_lines(shipment: Shipment) -> list[dict[str, Any]]:
    return [
        {"line": sl.order_line.external_line_id, "quantity": sl.quantity}
        for sl in shipment.lines.select_related("order_line")
    ]


# -- deciding -------------------------------------------------------------------------------------
def consider(shipment: Shipment, *, user: Any = None) -> str:
    """Skip, block (with reasons) or queue one shipment for the channel; returns its state.

    Safe to call any number of times: a shipment already queued or further along is left alone.
    """
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update()
            .select_related("order", "order__channel")
            .get(pk=shipment.pk)
        )
        if shipment.state not in OPEN_STATES:
            return shipment.state
        entry = Outbox.objects.filter(idempotency_key=outbox_key(shipment)).first()
        if entry is not None and entry.state in QUEUED:
            return shipment.state
        channel = shipment.order.channel
        if channel.fulfilment_mode == FulfilmentMode.OFF or (
            channel.fulfilment_mode == FulfilmentMode.HERE
            and shipment.source == ShipmentSource.EXACT
        ):
            _set_state(shipment, ShipmentState.SKIPPED, "", user=user)
            return ShipmentState.SKIPPED
        problems, mapping = check(shipment)
        if problems or mapping is None:
            _set_state(shipment, ShipmentState.BLOCKED, " ".join(problems), user=user)
            return ShipmentState.BLOCKED
        shipment.channel_carrier_code = mapping.channel_code
        shipment.state, shipment.error = ShipmentState.PENDING, ""
        shipment.save(update_fields=["state", "error", "channel_carrier_code", "updated_at"])
        entry, created = outbox.record(
            OutboxKind.SHIPMENT,
            target=shipment,
            key=outbox_key(shipment),
            priority=OUTBOX_PRIORITY,
            label=f"{channel.name} {shipment.order.number}: shipment {shipment.carrier} "
            f"{shipment.tracking_number}",
        )
        if not created and entry.state in (OutboxState.FAILED, OutboxState.CANCELLED):
            Outbox.objects.filter(pk=entry.pk).update(state=OutboxState.FAILED)
            outbox.retry(entry, user=user)
        record_activity(
            "shipment.queued",
            subject=shipment.order,
            actor=user,
            message=f"Shipment {describe(shipment)} queued for {channel.name} as "
            f"{mapping.channel_code}"
            + (f" ({mapping.channel_carrier_name})" if mapping.channel_carrier_name else "")
            + ".",
            payload={"shipment": shipment.pk, "outbox": entry.pk},
        )
    return ShipmentState.PENDING


def check(shipment: Shipment) -> tuple[list[str], CarrierMapping | None]:
    """What stops a shipment from being sent now, and the carrier mapping to send it with."""
    order = shipment.order
    channel = order.channel
    problems: list[str] = []
    if order.cancelled:
        problems.append(f"Order {order.number} is cancelled on {channel.name}.")
    if not shipment.tracking_number:
        problems.append(
            "No tracking number yet: it is sent once Exact's delivery (or you) add one "
            "(bol.com does not accept a tracking number later)."
        )
    mapping = carriers.find_mapping(channel, shipment.carrier)
    if mapping is None:
        problems.append(carriers.unmapped_reason(channel, shipment.carrier))
    elif problem := carriers.mapping_problem(channel, mapping):
        problems.append(problem)
    recorded = recorded_quantities(order, exclude=shipment)
    lines = list(shipment.lines.select_related("order_line", "order_line__product"))
    if not lines:
        problems.append("The shipment has no lines.")
    for sl in lines:
        problem = quantity_problem(sl.order_line, sl.quantity, recorded.get(sl.order_line_id, 0))
        if problem:
            problems.append(problem)
    return problems, mapping


def tracking_link(shipment: Shipment, mapping: CarrierMapping | None) -> str:
    """The link sent with the tracking number: the mapping's template, else the one staff or the
    shipping tool gave, else the template of Exact's shipping method."""
    method_url = ""
    if shipment.carrier:
        method = ShippingMethod.objects.filter(
            connection_id=shipment.order.channel.connection_id, code__iexact=shipment.carrier
        ).first()
        method_url = method.tracking_url if method else ""
    return carriers.tracking_url(
        mapping, shipment.tracking_number, shipment.tracking_url, method=method_url
    )[:300]


VERBS = {
    ShipmentState.SKIPPED: ("shipment.skipped", ActivityLevel.INFO),
    ShipmentState.BLOCKED: ("shipment.blocked", ActivityLevel.WARNING),
}


def _set_state(shipment: Shipment, state: str, error: str, *, user: Any = None) -> None:
    """Move a shipment (locked by the caller) and tell the order's timeline when that is news."""
    if (shipment.state, shipment.error) == (state, error):
        return
    shipment.state, shipment.error = state, error
    shipment.save(update_fields=["state", "error", "updated_at"])
    verb, level = VERBS[state]
    messages = {
        ShipmentState.SKIPPED: f"Shipment {describe(shipment)} not confirmed: fulfilment is "
        f"off for {shipment.order.channel.name}.",
        ShipmentState.BLOCKED: f"Shipment {describe(shipment)} blocked: {error}",
    }
    record_activity(
        verb,
        subject=shipment.order,
        actor=user,
        level=level,
        message=messages[state],
        payload={"shipment": shipment.pk, "error": error},
    )


def retry(shipment: Shipment, *, user: Any = None) -> str:
    """Staff: try again now (after fixing a mapping, a tracking number, the channel's refusal)."""
    if shipment.state == ShipmentState.FAILED:
        Shipment.objects.filter(pk=shipment.pk, state=ShipmentState.FAILED).update(
            state=ShipmentState.PENDING, updated_at=timezone.now()
        )
    elif shipment.state == ShipmentState.CONFIRMING:  # outcome unknown: look, then send
        entry = Outbox.objects.filter(idempotency_key=outbox_key(shipment)).first()
        if entry is not None:
            outbox.retry(entry, user=user)
        return ShipmentState.CONFIRMING
    return consider(shipment, user=user)


def consider_waiting(*, connection_id: int | None = None, channel_id: int | None = None) -> int:
    """Consider every shipment that waits (pending without a queued write, or blocked)."""
    shipments = Shipment.objects.filter(state__in=OPEN_STATES)
    if connection_id is not None:
        shipments = shipments.filter(order__channel__connection_id=connection_id)
    if channel_id is not None:
        shipments = shipments.filter(order__channel_id=channel_id)
    queued = set(
        Outbox.objects.filter(kind=OutboxKind.SHIPMENT, state__in=QUEUED).values_list(
            "target_id", flat=True
        )
    )
    moved = 0
    for shipment in shipments.exclude(pk__in=queued).order_by("pk"):
        before = shipment.state
        if consider(shipment) != before:
            moved += 1
    return moved
