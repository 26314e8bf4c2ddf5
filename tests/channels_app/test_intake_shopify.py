"""Order intake from the Shopify sandbox: polling, webhooks (signature, redelivery), mapping."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, ChannelPoll, OrderState
from channels_app.sandbox.shopify import ShopifySandbox
from exactsync.models import EventStatus, WebhookEvent

from .conftest import CATALOGUE, Clock
from .support import holds, lines, post_webhook, verbs

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(
    shopify: ShopifySandbox, shopify_channel: Channel, matched: Callable[[Channel], None]
) -> Channel:
    matched(shopify_channel)
    return shopify_channel


@pytest.fixture
def hooks(shopify: ShopifySandbox, receiver_url: str) -> ShopifySandbox:
    for topic in ("orders/create", "orders/cancelled"):
        shopify.add_webhook(topic, receiver_url)
    return shopify


def url(channel: Channel) -> str:
    return reverse("channel_webhook_shopify", args=[channel.pk])


def deliveries(shopify: ShopifySandbox) -> list[dict[str, Any]]:
    assert shopify.flush_webhooks()
    return shopify.webhook_deliveries


def send(client: Client, channel: Channel, delivery: dict[str, Any]) -> int:
    return post_webhook(client, url(channel), delivery["body"], delivery["headers"]).status_code


def test_polls_orders_with_lines_prices_and_holds_and_a_second_poll_reads_nothing_new(
    shopify: ShopifySandbox, channel: Channel, clock: Clock, connector_for: Any
) -> None:
    placed = shopify.place_order([("ART-1", 2), ("ART-2", 1)], country="NL")

    summary = poll_orders(channel, connector=connector_for(channel))

    assert (summary.pages, summary.received, summary.error) == (1, 1, "")
    order = ChannelOrder.objects.get(channel=channel)
    assert (order.number, order.state, order.country, order.currency) == (
        placed["name"],
        OrderState.RECEIVED,
        "NL",
        "EUR",
    )
    assert order.channel_status == "PAID/UNFULFILLED"
    assert lines(order) == [("ART-1", "ART-1", 2, 0), ("ART-2", "ART-2", 1, 0)]
    first = order.lines.order_by("id").first()
    assert (first.unit_price_incl, first.vat_rate) == (Decimal("12.9500"), Decimal("21.000"))
    assert first.listing.external_id == shopify.inventory_item_for("ART-1")
    assert order.shipping_incl == Decimal("4.9500")
    assert holds(order) == [("ART-1", 2), ("ART-2", 1)]
    cursor = ChannelPoll.objects.get(pk=channel.pk).cursor
    assert cursor == order.channel_updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    clock.advance(30)
    again = poll_orders(channel, connector=connector_for(channel))

    assert (again.received, again.updated, again.unchanged) == (0, 0, 1)
    assert verbs(order) == ["order.received", "hold.placed"]


def test_unknown_sku_parks_the_order_with_the_sku_and_ean_in_its_problems(
    shopify: ShopifySandbox, channel: Channel, connector_for: Any
) -> None:
    shopify.place_order([("ZZ-404", 1)])

    poll_orders(channel, connector=connector_for(channel))

    order = ChannelOrder.objects.get()
    ean = CATALOGUE[3]["ean"]
    item = shopify.inventory_item_for("ZZ-404")
    assert order.state == OrderState.NEEDS_MAPPING
    assert order.problems == [
        f'The listing for line "Onbekend" (SKU ZZ-404, EAN {ean}, inventory item {item}) is not '
        f"linked to a product (unmatched: No sellable product with EAN {ean} or code ZZ-404.); "
        "link it under Listings."
    ]
    assert holds(order) == []


def test_a_signed_webhook_is_stored_and_processed_and_a_redelivery_is_harmless(
    hooks: ShopifySandbox,
    channel: Channel,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    placed = hooks.place_order([("ART-3", 4)])
    hooks.redeliver_last(1)
    created, redelivered = deliveries(hooks)
    assert created["event_id"] == redelivered["event_id"]

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert [send(client, channel, d) for d in (created, redelivered)] == [200, 200]

    # one webhook task (the redelivery queues nothing), then forwarding's look at the new order
    assert len(queued) == 2
    event = WebhookEvent.objects.get()
    assert (event.source, event.key, event.topic, event.status) == (
        "shopify",
        created["event_id"],
        "orders/create",
        EventStatus.DONE,
    )
    assert "X-Shopify-Hmac-Sha256" not in event.headers
    order = ChannelOrder.objects.get()
    assert (order.external_id, order.number) == (placed["admin_graphql_api_id"], placed["name"])
    assert lines(order) == [("ART-3", "ART-3", 4, 0)]
    assert holds(order) == [("ART-3", 4)]


@pytest.mark.parametrize("tamper", ["body", "missing", "secret"])
def test_a_badly_signed_or_unsigned_webhook_gets_401_and_nothing_is_stored(
    hooks: ShopifySandbox, channel: Channel, client: Client, tamper: str
) -> None:
    hooks.place_order([("ART-1", 1)])
    (delivery,) = deliveries(hooks)
    delivery["headers"] = dict(delivery["headers"])
    if tamper == "body":
        delivery["body"] = delivery["body"].replace('"quantity":1', '"quantity":5')
    elif tamper == "missing":
        del delivery["headers"]["X-Shopify-Hmac-Sha256"]
    else:
        channel.credentials = {**channel.credentials, "app_secret": "rotated-secret"}
        channel.save()

    assert send(client, channel, delivery) == 401
    assert WebhookEvent.objects.count() == 0
    assert ChannelOrder.objects.count() == 0


def test_polled_twice_and_received_by_webhook_the_order_is_stored_once_then_cancelled(
    hooks: ShopifySandbox,
    channel: Channel,
    client: Client,
    clock: Clock,
    connector_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    placed = hooks.place_order([("ART-1", 1), ("ART-2", 2)])
    poll_orders(channel, connector=connector_for(channel))
    poll_orders(channel, connector=connector_for(channel))
    clock.advance(60)
    hooks.cancel_order(placed["admin_graphql_api_id"])
    created, cancelled = deliveries(hooks)
    assert (created["topic"], cancelled["topic"]) == ("orders/create", "orders/cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        assert [send(client, channel, d) for d in (created, cancelled)] == [200, 200]

    order = ChannelOrder.objects.get()
    assert (order.state, order.cancelled) == (OrderState.CANCELLED, True)
    assert lines(order) == [("ART-1", "ART-1", 1, 1), ("ART-2", "ART-2", 2, 2)]
    assert holds(order) == []
    assert holds(order, released=True) == [("ART-1", 1), ("ART-2", 2)]
    # the webhook's orders/create says what polling stored already: no event for it
    assert verbs(order) == [
        "order.received",
        "hold.placed",
        "order.updated",
        "order.cancelled",
        "hold.released",
    ]
    assert list(WebhookEvent.objects.order_by("id").values_list("status", flat=True)) == [
        EventStatus.DONE,
        EventStatus.DONE,
    ]
