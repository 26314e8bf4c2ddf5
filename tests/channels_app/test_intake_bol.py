"""Order intake from the bol.com sandbox: polling, cancellations, FBB, mapping, bad orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, ChannelPoll, OrderState, StockHold
from channels_app.sandbox.bol import BolSandbox
from channels_app.signals import channel_order_stored
from exactsync.models import ActivityEvent, ActivityLevel
from tests.factories import ProductFactory

from .conftest import CATALOGUE, Clock
from .support import holds, lines, verbs

pytestmark = pytest.mark.django_db

Poll = Callable[[Channel], Any]


@pytest.fixture
def poll(connector_for: Callable[[Channel], Any]) -> Poll:
    return lambda channel: poll_orders(channel, connector=connector_for(channel))


@pytest.fixture
def channel(bol: BolSandbox, bol_channel: Channel, matched: Callable[[Channel], None]) -> Channel:
    matched(bol_channel)
    return bol_channel


def counts(summary: Any) -> tuple[int, int, int, int, int, str]:
    return (
        summary.pages,
        summary.received,
        summary.updated,
        summary.unchanged,
        len(summary.failed),
        summary.error,
    )


def test_polls_to_the_end_saves_the_cursor_and_a_second_poll_reads_nothing_new(
    bol: BolSandbox, channel: Channel, clock: Clock, poll: Poll
) -> None:
    first = bol.place_order([("ART-1", 2)])
    clock.advance(120)
    second = bol.place_order([("ART-2", 1), ("ART-3", 3)], business=True)

    summary = poll(channel)

    assert counts(summary) == (1, 2, 0, 0, 0, "")
    order = ChannelOrder.objects.get(channel=channel, external_id=second["orderId"])
    newest = order.channel_updated_at
    assert ChannelPoll.objects.get(pk=channel.pk).cursor == newest.isoformat()
    assert order.number == second["orderId"]
    assert order.state == OrderState.RECEIVED
    assert order.channel_status == "OPEN"
    assert order.currency == "EUR"
    assert order.problems == []
    assert lines(order) == [("ART-2", "ART-2", 1, 0), ("ART-3", "ART-3", 3, 0)]
    assert [line.unit_price_incl for line in order.lines.order_by("id")] == [
        Decimal("24.5000"),
        Decimal("9.9900"),
    ]
    assert order.buyer_company == second["billingDetails"]["company"]
    assert order.buyer_vat_number == second["billingDetails"]["vatNumber"]
    assert order.country == "NL"
    assert order.placed_at == datetime.fromisoformat(second["orderPlacedDateTime"])
    delivery = date.fromisoformat(second["orderItems"][0]["fulfilment"]["latestDeliveryDate"])
    amsterdam = datetime(
        delivery.year, delivery.month, delivery.day, tzinfo=ZoneInfo("Europe/Amsterdam")
    )
    assert order.ship_by == amsterdam.astimezone(UTC)
    assert holds(order) == [("ART-2", 1), ("ART-3", 3)]
    assert verbs(order) == ["order.received", "hold.placed"]
    assert holds(ChannelOrder.objects.get(external_id=first["orderId"])) == [("ART-1", 2)]

    again = poll(channel)

    assert counts(again) == (1, 0, 0, 1, 0, "")  # the newest is re-read, and nothing changed
    assert ChannelOrder.objects.filter(channel=channel).count() == 2
    assert verbs(order) == ["order.received", "hold.placed"]
    assert StockHold.objects.filter(order__channel=channel).count() == 3


def test_cancellation_request_then_cancellation_update_the_order_and_release_its_holds(
    bol: BolSandbox, channel: Channel, clock: Clock, poll: Poll
) -> None:
    placed = bol.place_order([("ART-1", 2), ("ART-2", 1)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert holds(order) == [("ART-1", 2), ("ART-2", 1)]

    clock.advance(60)
    bol.request_cancellation(placed["orderId"])
    assert counts(poll(channel)) == (1, 0, 1, 0, 0, "")

    order.refresh_from_db()
    assert (order.cancellation_requested, order.cancelled, order.state) == (
        True,
        False,
        OrderState.RECEIVED,
    )
    assert holds(order) == [("ART-1", 2), ("ART-2", 1)]

    clock.advance(60)
    bol.cancel_order(placed["orderId"])
    assert counts(poll(channel)) == (1, 0, 1, 0, 0, "")

    order.refresh_from_db()
    assert (order.cancelled, order.state, order.channel_status) == (
        True,
        OrderState.CANCELLED,
        "HANDLED",
    )
    assert lines(order) == [("ART-1", "ART-1", 2, 2), ("ART-2", "ART-2", 1, 1)]
    assert holds(order) == []
    assert holds(order, released=True) == [("ART-1", 2), ("ART-2", 1)]
    assert set(order.holds.values_list("release_reason", flat=True)) == {"order cancelled"}
    assert verbs(order) == [
        "order.received",
        "hold.placed",
        "order.updated",
        "order.cancellation_requested",
        "order.updated",
        "order.cancelled",
        "hold.released",
    ]


def test_fulfilled_by_bol_orders_are_stored_as_marketplace_orders_without_holds(
    bol: BolSandbox, channel: Channel, poll: Poll
) -> None:
    placed = bol.place_order([("ART-1", 3)], fbb=True)

    assert counts(poll(channel)) == (1, 1, 0, 0, 0, "")

    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert (order.state, order.marketplace_fulfilled) == (OrderState.MARKETPLACE, True)
    # the FBB offer is not in the catalogue: the line maps by the offer's reference (our SKU)
    assert lines(order) == [("ART-1", "ART-1", 3, 0)]
    assert order.lines.get().marketplace_fulfilled is True
    assert StockHold.objects.filter(order=order).count() == 0
    assert verbs(order) == ["order.received"]


def test_unknown_listing_parks_the_order_and_a_bad_order_does_not_block_the_others(
    bol: BolSandbox, channel: Channel, clock: Clock, poll: Poll
) -> None:
    good = bol.place_order([("ART-1", 1)])
    parked = bol.place_order([("ZZ-404", 2), ("ART-2", 1)])
    bad = bol.place_order([("ART-3", 1)])

    def explode(sender: Any, order: ChannelOrder, **kwargs: Any) -> None:
        if order.external_id == bad["orderId"]:
            raise RuntimeError("the forwarding hook broke")

    channel_order_stored.connect(explode)
    try:
        summary = poll(channel)
    finally:
        channel_order_stored.disconnect(explode)

    assert counts(summary) == (1, 2, 0, 0, 1, "")
    assert summary.failed == [{"order": bad["orderId"], "error": "the forwarding hook broke"}]
    assert set(ChannelOrder.objects.values_list("external_id", flat=True)) == {
        good["orderId"],
        parked["orderId"],
    }
    failure = ActivityEvent.objects.get(verb="order.store_failed")
    assert (failure.subject_id, failure.level) == (channel.pk, ActivityLevel.ERROR)
    assert failure.payload == {
        "source": "poll",
        "external_id": bad["orderId"],
        "error": "the forwarding hook broke",
    }
    assert ChannelPoll.objects.get(pk=channel.pk).cursor != ""

    order = ChannelOrder.objects.get(external_id=parked["orderId"])
    zz = CATALOGUE[3]
    offer_id = bol.offer_for("ZZ-404")["offerId"]
    assert order.state == OrderState.NEEDS_MAPPING
    assert order.problems == [
        f'The listing for line "Onbekend" (SKU ZZ-404, EAN {zz["ean"]}, offer id {offer_id}) '
        f"is not linked to a product (unmatched: No sellable product with EAN {zz['ean']} or "
        "code ZZ-404.); link it under Listings."
    ]
    assert lines(order) == [("ZZ-404", None, 2, 0), ("ART-2", "ART-2", 1, 0)]
    assert holds(order) == [("ART-2", 1)]  # the mapped line is sold either way
    assert verbs(order) == ["order.received", "order.needs_mapping", "hold.placed"]


def test_a_parked_order_is_mapped_and_held_once_its_listing_is_linked(
    bol: BolSandbox,
    channel: Channel,
    connection: Any,
    poll: Poll,
    matched: Callable[[Channel], None],
) -> None:
    placed = bol.place_order([("ZZ-404", 2)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert (order.state, holds(order)) == (OrderState.NEEDS_MAPPING, [])
    stored: list[tuple[str, bool]] = []

    def listen(sender: Any, order: ChannelOrder, created: bool, **kwargs: Any) -> None:
        stored.append((order.number, created))

    ProductFactory(connection=connection, code="ZZ-404", ean=CATALOGUE[3]["ean"])
    channel_order_stored.connect(listen)
    try:
        matched(channel)
    finally:
        channel_order_stored.disconnect(listen)

    order.refresh_from_db()
    assert (order.state, order.problems) == (OrderState.RECEIVED, [])
    assert lines(order) == [("ZZ-404", "ZZ-404", 2, 0)]
    assert holds(order) == [("ZZ-404", 2)]
    assert stored == [(placed["orderId"], False)]
    assert verbs(order) == ["order.received", "order.needs_mapping", "order.mapped", "hold.placed"]


def test_a_channel_error_stops_the_poll_in_words_and_keeps_the_cursor(
    bol: BolSandbox, channel: Channel, poll: Poll
) -> None:
    bol.place_order([("ART-1", 1)])
    poll(channel)
    cursor = ChannelPoll.objects.get(pk=channel.pk).cursor
    bol.fail_next(1, status=403, paths=["/retailer/orders"])

    summary = poll(channel)

    assert summary.pages == 0
    assert summary.error == (
        "Forbidden — The bol.com account is not active or has no access to this API."
    )
    state = ChannelPoll.objects.get(pk=channel.pk)
    assert (state.cursor, state.last_error, state.lease_owner, state.lease_until) == (
        cursor,
        summary.error,
        "",
        None,
    )
    failure = ActivityEvent.objects.get(verb="channel.poll_failed")
    assert (failure.subject_id, failure.message) == (
        channel.pk,
        f"Reading orders from bol.com winkel stopped: {summary.error}",
    )
