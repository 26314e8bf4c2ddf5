"""Order intake from the WooCommerce sandbox: paging with a cursor per page, resuming after a
failure, webhooks (signature, ping, duplicates) and polling behind them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from channels_app.connectors import woocommerce
from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, ChannelPoll, OrderState
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from channels_app.signals import channel_order_stored
from exactsync.models import ActivityEvent, EventStatus, WebhookEvent

from .conftest import WOO_WEBHOOK_SECRET, Clock
from .support import holds, lines, post_webhook, verbs

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(
    woo: WooCommerceSandbox, woo_channel: Channel, matched: Callable[[Channel], None]
) -> Channel:
    matched(woo_channel)
    return woo_channel


@pytest.fixture
def hooks(woo: WooCommerceSandbox, receiver_url: str) -> WooCommerceSandbox:
    """The shop delivers order.created and order.updated (each subscription starts with a ping)."""
    woo.add_webhook("order.created", receiver_url, WOO_WEBHOOK_SECRET)
    woo.add_webhook("order.updated", receiver_url, WOO_WEBHOOK_SECRET)
    return woo


def url(channel: Channel) -> str:
    return reverse("channel_webhook_woocommerce", args=[channel.pk])


def deliveries(woo: WooCommerceSandbox, kind: str = "event") -> list[Any]:
    assert woo.flush_webhooks()
    return [d for d in woo.webhook_deliveries if d.kind == kind]


def place(woo: WooCommerceSandbox, clock: Clock, n: int) -> list[dict[str, Any]]:
    placed = []
    for i in range(n):
        placed.append(woo.place_order([("ART-1", 1), ("ART-2", i + 1)]))
        clock.advance(10)
    return placed


def test_saves_the_cursor_after_every_page(
    woo: WooCommerceSandbox, channel: Channel, clock: Clock, connector_for: Any
) -> None:
    placed = place(woo, clock, 5)
    connector = connector_for(channel)
    connector.page_size = 2
    cursors: list[tuple[str, str]] = []

    def listen(sender: Any, order: ChannelOrder, **kwargs: Any) -> None:
        cursors.append((order.number, ChannelPoll.objects.get(pk=channel.pk).cursor))

    channel_order_stored.connect(listen)
    try:
        summary = poll_orders(channel, connector=connector)
    finally:
        channel_order_stored.disconnect(listen)

    # Pages are keyed on the last row's second, which is read again: [0,1] [1,2] [2,3] [3,4].
    modified = [o["date_modified_gmt"] for o in placed]
    assert (summary.pages, summary.received, summary.error) == (4, 5, "")
    assert cursors == [
        (placed[0]["number"], ""),
        (placed[1]["number"], ""),
        (placed[2]["number"], modified[1]),
        (placed[3]["number"], modified[2]),
        (placed[4]["number"], modified[3]),
    ]
    assert ChannelPoll.objects.get(pk=channel.pk).cursor == modified[4]


def test_a_poll_stopped_by_an_error_resumes_from_the_last_saved_page(
    woo: WooCommerceSandbox, channel: Channel, clock: Clock, connector_for: Any
) -> None:
    placed = place(woo, clock, 5)

    def fail_after_page_two(sender: Any, order: ChannelOrder, **kwargs: Any) -> None:
        if order.number == placed[3]["number"]:
            woo.fail_next(1, status=400, paths=["/orders"])

    connector = connector_for(channel)
    connector.page_size = 2
    channel_order_stored.connect(fail_after_page_two)
    try:
        first = poll_orders(channel, connector=connector)
    finally:
        channel_order_stored.disconnect(fail_after_page_two)

    assert (first.pages, first.received, first.error != "") == (3, 4, True)
    state = ChannelPoll.objects.get(pk=channel.pk)
    assert (state.cursor, state.last_error) == (placed[3]["date_modified_gmt"], first.error)

    second = poll_orders(channel, connector=connector)

    # WooCommerce's cursor re-reads its own second: order 4 again (unchanged), then order 5
    assert (second.pages, second.received, second.updated, second.unchanged, second.error) == (
        1,
        1,
        0,
        1,
        "",
    )
    assert ChannelOrder.objects.filter(channel=channel).count() == 5
    assert ChannelPoll.objects.get(pk=channel.pk).last_error == ""


def test_a_signed_webhook_is_stored_before_the_answer_and_then_processed(
    hooks: WooCommerceSandbox,
    channel: Channel,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    placed = hooks.place_order([("ART-1", 2)], country="BE")
    (delivery,) = deliveries(hooks)

    with django_capture_on_commit_callbacks() as queued:
        response = post_webhook(client, url(channel), delivery.body, delivery.headers)

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.source, event.source_ref, event.topic, event.status) == (
        "woocommerce",
        str(channel.pk),
        "order.created",
        EventStatus.PENDING,
    )
    assert event.key == woocommerce.webhook_event_id(delivery.headers, delivery.body)
    assert event.body == delivery.body.decode()
    assert "X-Wc-Webhook-Signature" not in event.headers
    assert event.headers["X-Wc-Webhook-Topic"] == "order.created"
    assert ChannelOrder.objects.count() == 0  # nothing slow before the 200
    assert len(queued) == 1

    queued[0]()  # the queued task (django-q2 runs it inline under pytest)

    event.refresh_from_db()
    assert (event.status, event.error, event.attempts) == (EventStatus.DONE, "", 1)
    order = ChannelOrder.objects.get(channel=channel, external_id=str(placed["id"]))
    assert (order.state, order.country, order.number) == (
        OrderState.RECEIVED,
        "BE",
        placed["number"],
    )
    assert lines(order) == [("ART-1", "ART-1", 2, 0)]
    assert holds(order) == [("ART-1", 2)]
    received = ActivityEvent.objects.get(verb="order.received")
    assert received.payload["source"] == "webhook"


def test_a_duplicate_delivery_answers_200_and_stores_nothing_new(
    hooks: WooCommerceSandbox,
    channel: Channel,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    hooks.place_order([("ART-1", 1)])
    hooks.redeliver_last(1)
    first, again = deliveries(hooks)
    assert first.headers["X-WC-Webhook-Delivery-ID"] != again.headers["X-WC-Webhook-Delivery-ID"]

    with django_capture_on_commit_callbacks(execute=True) as queued:
        responses = [
            post_webhook(client, url(channel), d.body, d.headers).status_code
            for d in (first, again)
        ]

    assert responses == [200, 200]
    # one webhook task (the redelivery queues nothing), then forwarding's look at the new order
    assert len(queued) == 2
    assert WebhookEvent.objects.count() == 1
    assert ChannelOrder.objects.count() == 1


@pytest.mark.parametrize("tamper", ["body", "signature", "missing"])
def test_a_badly_signed_or_unsigned_webhook_gets_401_and_nothing_is_stored(
    hooks: WooCommerceSandbox,
    channel: Channel,
    client: Client,
    caplog: pytest.LogCaptureFixture,
    tamper: str,
) -> None:
    hooks.place_order([("ART-1", 1)])
    (delivery,) = deliveries(hooks)
    body, headers = delivery.body, dict(delivery.headers)
    if tamper == "body":
        body = body.replace(b'"quantity":1', b'"quantity":9')
    elif tamper == "signature":
        headers["X-WC-Webhook-Signature"] = "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ=="
    else:
        del headers["X-WC-Webhook-Signature"]

    with caplog.at_level(logging.WARNING, logger="channels_app.webhooks"):
        response = post_webhook(client, url(channel), body, headers)

    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0
    assert ChannelOrder.objects.count() == 0
    mine = [r for r in caplog.records if r.name == "channels_app.webhooks"]
    assert [r.getMessage().split(" (")[0] for r in mine] == [
        f"woocommerce webhook for channel {channel.pk} refused"
    ]
    assert WOO_WEBHOOK_SECRET not in caplog.text


def test_the_creation_ping_is_answered_and_ignored(
    hooks: WooCommerceSandbox, channel: Channel, client: Client
) -> None:
    pings = deliveries(hooks, kind="ping")
    assert len(pings) == 2

    response = post_webhook(client, url(channel), pings[0].body, pings[0].headers)

    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 0


def test_unknown_channel_or_wrong_kind_is_404_and_get_is_405(
    hooks: WooCommerceSandbox, channel: Channel, bol_channel: Channel, client: Client
) -> None:
    hooks.place_order([("ART-1", 1)])
    (delivery,) = deliveries(hooks)

    assert (
        post_webhook(client, url(bol_channel), delivery.body, delivery.headers).status_code == 404
    )
    assert client.get(url(channel)).status_code == 405
    assert WebhookEvent.objects.count() == 0


def test_an_order_is_stored_once_when_polled_twice_and_received_by_webhook(
    hooks: WooCommerceSandbox,
    channel: Channel,
    client: Client,
    connector_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    placed = hooks.place_order([("ART-1", 1), ("ART-3", 2)])
    poll_orders(channel, connector=connector_for(channel))
    poll_orders(channel, connector=connector_for(channel))
    (delivery,) = deliveries(hooks)

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post_webhook(client, url(channel), delivery.body, delivery.headers).status_code == 200
        )

    order = ChannelOrder.objects.get()
    assert order.external_id == str(placed["id"])
    assert order.lines.count() == 2
    assert verbs(order) == ["order.received", "hold.placed"]
    event = WebhookEvent.objects.get()
    assert (event.status, event.error) == (EventStatus.DONE, "")


def test_a_cancellation_by_webhook_releases_the_holds(
    hooks: WooCommerceSandbox,
    channel: Channel,
    client: Client,
    clock: Clock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    placed = hooks.place_order([("ART-2", 3)])
    clock.advance(5)
    hooks.cancel_order(placed["id"])
    created, cancelled = deliveries(hooks)
    assert (created.topic, cancelled.topic) == ("order.created", "order.updated")

    with django_capture_on_commit_callbacks(execute=True):
        for delivery in (created, cancelled):
            assert (
                post_webhook(client, url(channel), delivery.body, delivery.headers).status_code
                == 200
            )

    order = ChannelOrder.objects.get()
    assert (order.state, order.cancelled, order.channel_status) == (
        OrderState.CANCELLED,
        True,
        "cancelled",
    )
    assert holds(order) == []
    assert holds(order, released=True) == [("ART-2", 3)]
    assert verbs(order) == [
        "order.received",
        "hold.placed",
        "order.updated",
        "order.cancelled",
        "hold.released",
    ]
