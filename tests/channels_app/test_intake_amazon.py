"""Order intake from the Amazon sandbox: AFN orders, cancellation requests and cancellations,
unknown seller SKUs, and polling behind Amazon's two-minute window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, ChannelPoll, OrderState
from channels_app.sandbox.amazon import AmazonSandbox

from .conftest import Clock
from .support import holds, lines, verbs

pytestmark = pytest.mark.django_db

WINDOW = 200  # Amazon only lists changes older than two minutes (the connector asks for 3)

Poll = Callable[[], Any]


@pytest.fixture
def poll(amazon_channel: Channel, connector_for: Callable[[Channel], Any]) -> Poll:
    return lambda: poll_orders(amazon_channel, connector=connector_for(amazon_channel))


def test_afn_orders_are_marketplace_orders_without_holds_and_mfn_orders_are_held(
    amazon: AmazonSandbox,
    amazon_channel: Channel,
    matched: Callable[[Channel], None],
    clock: Clock,
    poll: Poll,
) -> None:
    matched(amazon_channel)
    afn = amazon.place_order([("ART-1", 2)], afn=True)
    mfn = amazon.place_order([("ART-2", 1)], ship_by_hours=30)
    clock.advance(WINDOW)

    summary = poll()

    assert (summary.pages, summary.received, summary.error) == (1, 2, "")
    marketplace = ChannelOrder.objects.get(external_id=afn["order_id"])
    assert (marketplace.state, marketplace.marketplace_fulfilled) == (OrderState.MARKETPLACE, True)
    assert lines(marketplace) == [("ART-1", "ART-1", 2, 0)]
    assert holds(marketplace) == []
    assert verbs(marketplace) == ["order.received"]
    own = ChannelOrder.objects.get(external_id=mfn["order_id"])
    assert (own.state, own.marketplace_fulfilled) == (OrderState.RECEIVED, False)
    assert own.ship_by == datetime.fromisoformat(mfn["latest_ship_date"])
    assert holds(own) == [("ART-2", 1)]
    assert ChannelPoll.objects.get(pk=amazon_channel.pk).cursor != ""


def test_cancellation_request_then_cancellation_and_a_poll_without_news(
    amazon: AmazonSandbox,
    amazon_channel: Channel,
    matched: Callable[[Channel], None],
    clock: Clock,
    poll: Poll,
) -> None:
    matched(amazon_channel)
    placed = amazon.place_order([("ART-3", 2)])
    clock.advance(WINDOW)
    poll()
    order = ChannelOrder.objects.get(external_id=placed["order_id"])

    amazon.request_cancellation(placed["order_id"])
    clock.advance(WINDOW)
    requested = poll()

    order.refresh_from_db()
    assert (requested.received, requested.updated) == (0, 1)
    assert (order.cancellation_requested, order.cancelled, holds(order)) == (
        True,
        False,
        [("ART-3", 2)],
    )

    amazon.cancel_order(placed["order_id"])
    clock.advance(WINDOW)
    cancelled = poll()
    clock.advance(WINDOW)
    quiet = poll()

    order.refresh_from_db()
    assert (cancelled.updated, quiet.received, quiet.updated, quiet.unchanged) == (1, 0, 0, 0)
    assert (order.state, order.cancelled, order.channel_status) == (
        OrderState.CANCELLED,
        True,
        "CANCELLED",
    )
    assert holds(order) == []
    assert holds(order, released=True) == [("ART-3", 2)]
    assert verbs(order) == [
        "order.received",
        "hold.placed",
        "order.updated",
        "order.cancellation_requested",
        "order.updated",
        "order.cancelled",
        "hold.released",
    ]


def test_an_unknown_seller_sku_parks_the_order_until_match_listings_links_it(
    amazon: AmazonSandbox,
    amazon_channel: Channel,
    matched: Callable[[Channel], None],
    clock: Clock,
    poll: Poll,
) -> None:
    placed = amazon.place_order([("ART-1", 1), ("ART-2", 1)])
    clock.advance(WINDOW)

    poll()  # no listings yet

    order = ChannelOrder.objects.get(external_id=placed["order_id"])
    titles = [line.title for line in order.lines.order_by("id")]
    assert order.state == OrderState.NEEDS_MAPPING
    assert order.problems == [
        f'Unknown listing for line "{titles[0]}" (SKU ART-1): link it to a product under '
        'Listings, or run "Match listings".',
        f'Unknown listing for line "{titles[1]}" (SKU ART-2): link it to a product under '
        'Listings, or run "Match listings".',
    ]

    matched(amazon_channel)

    order.refresh_from_db()
    assert (order.state, order.problems) == (OrderState.RECEIVED, [])
    assert holds(order) == [("ART-1", 1), ("ART-2", 1)]
    assert verbs(order) == ["order.received", "order.needs_mapping", "order.mapped", "hold.placed"]
