"""The outbox handler that confirms one shipment on its channel, through the channel's connector.

Recorded before sending (service.consider), claimed by one worker (the outbox), sent once: when
an earlier attempt's outcome is unknown (a lost response, bol still processing, a dead worker),
the order is read back from the channel first and the shipment counts as confirmed when the
channel already shows its quantities shipped (bol refuses a second shipment of the same items
and does not let a tracking number change). WooCommerce does not report shipped quantities;
its connector finds an existing tracking number itself, and Amazon's package reference makes a
resend replace the first.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from channels_app.connectors.base import (
    ApiError,
    ChannelConnector,
    FatalApiError,
    RetriableApiError,
    ShipmentLineRequest,
    ShipmentRequest,
)
from channels_app.connectors.registry import ChannelConfigError, build_connector
from channels_app.models import (
    CarrierMapping,
    ChannelOrder,
    FulfilmentMode,
    Shipment,
    ShipmentLine,
    ShipmentState,
)
from common.http import AuthenticationError, OutcomeUnknownError
from exactsync import outbox
from exactsync.models import ActivityLevel, Outbox, OutboxKind, record_activity

from . import carriers
from .service import describe, still_to_ship, tracking_link


def shipment_request(shipment: Shipment, mapping: CarrierMapping) -> ShipmentRequest:
    """What the connector gets: lines by the channel's ids, the mapped carrier, our reference."""
    return ShipmentRequest(
        order_external_id=shipment.order.external_id,
        lines=[
            ShipmentLineRequest(sl.order_line.external_line_id, sl.quantity)
            for sl in shipment.lines.select_related("order_line").order_by("order_line_id")
        ],
        carrier_code=mapping.channel_code,
        carrier_name=mapping.channel_carrier_name,
        tracking_number=shipment.tracking_number,
        tracking_url=tracking_link(shipment, mapping),
        shipped_at=shipment.shipped_at,
        reference=str(shipment.pk),
    )


@outbox.handler(OutboxKind.SHIPMENT)
def confirm_on_channel(entry: Outbox) -> outbox.Outcome:
    shipment = (
        Shipment.objects.select_related("order", "order__channel")
        .filter(pk=entry.target_id)
        .first()
    )
    if shipment is None:
        return outbox.Outcome.failed("The shipment was deleted; nothing was sent.", kind="gone")
    if shipment.state == ShipmentState.CONFIRMED:
        return outbox.Outcome.done(note="already confirmed")
    channel = shipment.order.channel
    if channel.fulfilment_mode == FulfilmentMode.OFF:
        _finish(shipment, ShipmentState.SKIPPED, "", verb="shipment.skipped")
        return outbox.Outcome.done(note="fulfilment is off for this channel")
    mapping = carriers.find_mapping(channel, shipment.carrier)
    problem = (
        carriers.mapping_problem(channel, mapping)
        if mapping
        else carriers.unmapped_reason(channel, shipment.carrier)
    )
    if problem or mapping is None:  # the mapping went away after the shipment was queued
        _finish(shipment, ShipmentState.BLOCKED, problem, verb="shipment.blocked")
        return outbox.Outcome.failed(problem, kind="mapping")
    shipment.channel_carrier_code = mapping.channel_code
    Shipment.objects.filter(pk=shipment.pk).update(
        state=ShipmentState.CONFIRMING,
        channel_carrier_code=mapping.channel_code,
        updated_at=timezone.now(),
    )
    try:
        connector = build_connector(channel)
        if getattr(entry, "look_up_first", False) and _already_on_channel(connector, shipment):
            _confirmed(shipment, "", how="found on the channel after an earlier attempt")
            return outbox.Outcome.done(found_on_channel=True)
        result = connector.confirm_shipment(shipment_request(shipment, mapping))
    except ChannelConfigError as exc:
        return _refused(shipment, exc.for_staff(), kind="config")
    except AuthenticationError as exc:
        return _refused(shipment, exc.for_staff(), kind="auth")
    except OutcomeUnknownError as exc:
        return _unknown(shipment, exc.for_staff())
    except RetriableApiError as exc:
        _note(shipment, ShipmentState.PENDING, f"{exc.for_staff()} (will try again)")
        return outbox.Outcome.retry(exc.for_staff(), retry_in=getattr(exc, "retry_after", None))
    except ApiError as exc:
        return _refused(shipment, exc.for_staff(), kind="refused")
    if result.ok:
        _confirmed(shipment, result.external_id, how="confirmed")
        return outbox.Outcome.done(external_id=result.external_id)
    if result.retriable:  # the channel may still apply it (bol processing, a lost response)
        return _unknown(shipment, result.error)
    return _refused(shipment, result.error, kind="refused")


def _already_on_channel(connector: ChannelConnector, shipment: Shipment) -> bool:
    """Does the channel show this shipment's quantities shipped, on top of our earlier ones?"""
    try:
        data = connector.fetch_order(shipment.order.external_id)
    except RetriableApiError:
        raise
    except FatalApiError:
        return False  # cannot look: send; the channel refuses a true duplicate itself
    shipped = {line.external_line_id: line.quantity_shipped for line in data.lines}
    before: dict[int, int] = defaultdict(int)
    for row in (
        ShipmentLine.objects.filter(
            shipment__order=shipment.order, shipment__state=ShipmentState.CONFIRMED
        )
        .exclude(shipment=shipment)
        .values("order_line")
        .annotate(total=Sum("quantity"))
    ):
        before[row["order_line"]] = int(row["total"] or 0)
    lines = list(shipment.lines.select_related("order_line"))
    return bool(lines) and all(
        shipped.get(sl.order_line.external_line_id, 0) >= before[sl.order_line_id] + sl.quantity
        for sl in lines
    )


def _confirmed(shipment: Shipment, external_id: str, *, how: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        Shipment.objects.filter(pk=shipment.pk).update(
            state=ShipmentState.CONFIRMED,
            confirmed_at=now,
            external_id=external_id[:120],
            error="",
            updated_at=now,
        )
        order = ChannelOrder.objects.select_for_update().get(pk=shipment.order_id)
        if order.shipped_at is None and _fully_confirmed(order):
            ChannelOrder.objects.filter(pk=order.pk).update(shipped_at=now)
    record_activity(
        "shipment.confirmed",
        subject=shipment.order,
        message=f"Shipment {describe(shipment)} {how} on {shipment.order.channel.name} "
        f"({shipment.channel_carrier_code}){': ' + external_id if external_id else ''}.",
        payload={"shipment": shipment.pk, "external_id": external_id},
    )


def _fully_confirmed(order: ChannelOrder) -> bool:
    """Every line shipped: by the channel's own word or by our confirmed shipments."""
    confirmed = {
        row["order_line"]: int(row["total"] or 0)
        for row in ShipmentLine.objects.filter(
            shipment__order=order, shipment__state=ShipmentState.CONFIRMED
        )
        .values("order_line")
        .annotate(total=Sum("quantity"))
    }
    return all(still_to_ship(line, confirmed.get(line.pk, 0)) == 0 for line in order.lines.all())


def _refused(shipment: Shipment, error: str, *, kind: str) -> outbox.Outcome:
    _finish(shipment, ShipmentState.FAILED, error, verb="shipment.failed")
    return outbox.Outcome.failed(error, kind=kind)


def _unknown(shipment: Shipment, error: str) -> outbox.Outcome:
    _note(
        shipment,
        ShipmentState.CONFIRMING,
        f"{error} - the outcome is unknown; the channel is checked before anything is sent again.",
    )
    return outbox.Outcome.unknown(error)


def _note(shipment: Shipment, state: str, error: str) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(
        state=state, error=error, updated_at=timezone.now()
    )


def _finish(shipment: Shipment, state: str, error: str, *, verb: str) -> None:
    _note(shipment, state, error)
    levels = {
        ShipmentState.FAILED: ActivityLevel.ERROR,
        ShipmentState.BLOCKED: ActivityLevel.WARNING,
    }
    words = {
        ShipmentState.FAILED: f"refused by {shipment.order.channel.name}: {error}",
        ShipmentState.BLOCKED: f"blocked: {error}",
        ShipmentState.SKIPPED: f"not confirmed: fulfilment is off for {shipment.order.channel.name}.",
    }
    record_activity(
        verb,
        subject=shipment.order,
        level=levels.get(state, ActivityLevel.INFO),
        message=f"Shipment {describe(shipment)} {words[state]}",
        payload={"shipment": shipment.pk, "error": error},
    )
