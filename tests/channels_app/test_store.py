"""store_order's own rules, with orders as connectors hand them over (ChannelOrderData)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from channels_app.connectors.base import Address, ChannelOrderData, OrderLineData
from channels_app.intake import store_order
from channels_app.models import Channel, ChannelKind, ChannelOrder, Listing, MatchState, OrderState
from channels_app.signals import channel_order_stored
from tests.factories import ChannelFactory, ProductFactory

from .support import holds, verbs

pytestmark = pytest.mark.django_db

PLACED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def channel(connection: Any) -> Channel:
    channel = ChannelFactory(
        name="Webshop", kind=ChannelKind.WOOCOMMERCE, connection=connection, ship_by_hours=36
    )
    product = ProductFactory(connection=connection, code="ART-1")
    Listing.objects.create(
        channel=channel,
        external_id="11",
        sku="ART-1",
        product=product,
        match_state=MatchState.MANUAL,
    )
    return channel


@pytest.fixture
def announced() -> Iterator[list[tuple[str, bool]]]:
    seen: list[tuple[str, bool]] = []

    def listen(sender: Any, order: ChannelOrder, created: bool, **kwargs: Any) -> None:
        seen.append((order.number, created))

    channel_order_stored.connect(listen)
    yield seen
    channel_order_stored.disconnect(listen)


def order(**changes: Any) -> ChannelOrderData:
    data = ChannelOrderData(
        external_id="501",
        number="501",
        status="processing",
        placed_at=PLACED,
        updated_at=PLACED,
        lines=[
            OrderLineData(
                external_line_id="1",
                quantity=2,
                sku="ART-1",
                listing_external_id="11",
                title="Hamer",
                unit_price_incl=Decimal("12.10"),
                vat_rate=Decimal("21"),
            )
        ],
        delivery=Address(name="Jan Jansen", country="nl", city="Utrecht"),
        raw={"id": 501},
    )
    return replace(data, **changes)


def test_a_new_order_gets_its_values_a_derived_excl_price_and_the_channel_ship_by_rule(
    channel: Channel, announced: list[tuple[str, bool]]
) -> None:
    stored, created = store_order(channel, order(), source="test")

    assert created is True
    assert (stored.state, stored.country, stored.buyer_name) == (
        OrderState.RECEIVED,
        "NL",
        "Jan Jansen",
    )
    assert stored.ship_by == PLACED + timedelta(hours=36)
    line = stored.lines.get()
    assert (line.unit_price_incl, line.unit_price_excl, line.vat_rate) == (
        Decimal("12.1000"),
        Decimal("10.0000"),
        Decimal("21.000"),
    )
    assert stored.delivery_address["city"] == "Utrecht"
    assert holds(stored) == [("ART-1", 2)]
    assert announced == [("501", True)]


def test_the_same_order_again_changes_nothing_and_an_older_version_is_ignored(
    channel: Channel, announced: list[tuple[str, bool]]
) -> None:
    later = PLACED + timedelta(minutes=5)
    store_order(channel, order(), source="test")
    store_order(channel, order(updated_at=later, status="on-hold"), source="test")

    again, created = store_order(channel, order(updated_at=later, status="on-hold"), source="test")
    stale, _ = store_order(channel, order(status="processing"), source="webhook")

    assert created is False
    stale.refresh_from_db()
    assert (stale.channel_status, stale.channel_updated_at) == ("on-hold", later)
    assert announced == [("501", True), ("501", False)]
    assert verbs(again) == ["order.received", "hold.placed", "order.updated"]


def test_a_partly_cancelled_line_holds_only_what_is_still_open(channel: Channel) -> None:
    store_order(channel, order(), source="test")
    line = replace(order().lines[0], quantity_cancelled=1)

    stored, _ = store_order(
        channel, order(updated_at=PLACED + timedelta(minutes=1), lines=[line]), source="test"
    )

    assert holds(stored) == [("ART-1", 1)]
    assert holds(stored, released=True) == [("ART-1", 2)]
    assert stored.holds.get(released_at__isnull=False).release_reason == "quantity changed"


def test_an_order_already_in_exact_keeps_its_state_when_cancelled_but_releases_its_holds(
    channel: Channel,
) -> None:
    stored, _ = store_order(channel, order(), source="test")
    ChannelOrder.objects.filter(pk=stored.pk).update(
        state=OrderState.FORWARDED, exact_order_number=9001
    )

    cancelled, _ = store_order(
        channel, order(updated_at=PLACED + timedelta(hours=1), cancelled=True), source="poll"
    )

    assert (cancelled.state, cancelled.cancelled) == (OrderState.FORWARDED, True)
    assert holds(cancelled) == []
    assert verbs(cancelled)[-3:] == ["order.updated", "order.cancelled", "hold.released"]
