"""The channel pages in the admin: live test, buttons, credentials never shown back, orders with
their timeline, listings linked by hand, and who may see what."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import tasks
from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, Listing, MatchState, OrderState
from channels_app.sandbox.bol import BolSandbox
from channels_app.sandbox.shopify import ShopifySandbox
from exactsync.models import ActivityEvent, ActivityLevel

from .conftest import SHOP, SHOPIFY_SECRET, SHOPIFY_TOKEN, WOO_KEY, WOO_WEBHOOK_SECRET
from .support import holds, verbs

pytestmark = pytest.mark.django_db


def change_url(channel: Channel) -> str:
    return reverse("admin:channels_app_channel_change", args=[channel.pk])


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """What was handed to django-q2 (instead of running it)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, **kw: calls.append((func, *args)))
    return calls


def test_test_connection_says_what_it_found(
    bol: BolSandbox, bol_channel: Channel, ecommerce_client: Client
) -> None:
    bol.place_order([("ART-1", 1)])

    response = ecommerce_client.post(
        reverse("admin:channels_app_channel_test", args=[bol_channel.pk]), follow=True
    )

    assert response.status_code == 200
    expected = (
        "Connection OK. bol.com Retailer API v10: credentials accepted; "
        "1 open order(s) on the first page."
    )
    assert messages_of(response) == [expected]
    event = ActivityEvent.objects.get(verb="channel.tested")
    assert (event.subject_id, event.actor_label) == (bol_channel.pk, "eva")
    assert html.escape(event.message) in response.content.decode()  # "Last test" on the page


@pytest.mark.parametrize("kind", ["bol", "woocommerce", "shopify"])
def test_test_connection_with_bad_credentials_says_what_is_wrong_without_the_secret(
    request: pytest.FixtureRequest, ecommerce_client: Client, kind: str
) -> None:
    fixture, secret_key, wrong = {
        "bol": ("bol_channel", "client_secret", "wrong-bol-secret-123"),
        "woocommerce": ("woo_channel", "consumer_secret", "cs_wrong_secret_456"),
        "shopify": ("shopify_channel", "access_token", "shpat_wrong_token_789"),
    }[kind]
    request.getfixturevalue({"bol": "bol", "woocommerce": "woo", "shopify": "shopify"}[kind])
    channel: Channel = request.getfixturevalue(fixture)
    channel.credentials = {**channel.credentials, secret_key: wrong}
    channel.save()

    response = ecommerce_client.post(
        reverse("admin:channels_app_channel_test", args=[channel.pk]), follow=True
    )

    (message,) = messages_of(response)
    event = ActivityEvent.objects.get(verb="channel.test_failed")
    assert (
        message
        == "Test failed: "
        + {
            "bol": "Bad client credentials — bol.com refused the credentials or token; check the "
            "client id and secret (seller dashboard > Settings > API settings).",
            "woocommerce": "WooCommerce GET /products: Consumer secret is invalid. "
            "(woocommerce_rest_authentication_error) — Check the consumer key and secret in the "
            "channel settings.",
            "shopify": "Shopify: [API] Invalid API key or access token (unrecognized login or "
            "wrong password)",
        }[kind]
    )
    assert (event.message, event.level) == (
        message.removeprefix("Test failed: "),
        ActivityLevel.ERROR,
    )
    page = response.content.decode()
    assert wrong not in page
    assert wrong not in event.message


def test_the_channel_page_shows_status_and_buttons_but_never_the_credentials(
    shopify: ShopifySandbox, shopify_channel: Channel, ecommerce_client: Client
) -> None:
    response = ecommerce_client.get(change_url(shopify_channel))

    page = response.content.decode()
    assert response.status_code == 200
    for marker in ('id="test-connection"', 'id="match-listings"', 'id="poll-orders"'):
        assert marker in page
    webhook = f"http://testserver/webhooks/shopify/{shopify_channel.pk}/"
    assert f'<code id="webhook-url">{webhook}</code>' in page
    assert SHOP in page  # an identifier, shown so staff can check it
    assert SHOPIFY_TOKEN not in page
    assert SHOPIFY_SECRET not in page
    assert page.count("Stored; leave empty to keep it.") == 3  # shop domain, token, secret


def test_saving_with_empty_secret_fields_keeps_them_and_a_typed_one_replaces_it(
    woo_channel: Channel, ecommerce_client: Client
) -> None:
    form = {
        "name": "WooCommerce B2B",
        "kind": "woocommerce",
        "connection": woo_channel.connection_id,
        "is_active": "on",
        "base_url": woo_channel.base_url,
        "auth_url": "",
        "fulfilment_mode": "off",
        "customer_mode": "mapped",
        "ship_by_hours": "24",
        "poll_minutes": "5",
        "stock_buffer": "0",
        "drop_guard_share": "0.5",
        "cred_consumer_secret": "cs_new_secret",
        **{
            f"{prefix}-{k}": v
            for prefix in ("customer_mappings", "vat_mappings", "carrier_mappings")
            for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }

    response = ecommerce_client.post(change_url(woo_channel), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    woo_channel.refresh_from_db()
    assert woo_channel.credentials == {
        "consumer_key": WOO_KEY,
        "consumer_secret": "cs_new_secret",
        "webhook_secret": WOO_WEBHOOK_SECRET,
    }


def test_match_and_poll_buttons_and_actions_only_queue_tasks(
    bol_channel: Channel,
    ecommerce_client: Client,
    queued: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ecommerce_client.post(reverse("admin:channels_app_channel_match", args=[bol_channel.pk]))
        ecommerce_client.post(reverse("admin:channels_app_channel_poll", args=[bol_channel.pk]))
        ecommerce_client.post(
            reverse("admin:channels_app_channel_changelist"),
            {"action": "match_listings_action", "_selected_action": [bol_channel.pk]},
        )

    assert queued == [
        ("channels_app.tasks.match_listings_task", bol_channel.pk),
        ("channels_app.tasks.poll_channel_orders_task", bol_channel.pk),
        ("channels_app.tasks.match_listings_task", bol_channel.pk),
    ]
    assert Listing.objects.count() == 0


def test_the_order_page_shows_problems_lines_raw_payload_and_the_timeline(
    bol: BolSandbox,
    bol_channel: Channel,
    matched: Callable[[Channel], None],
    connector_for: Any,
    ecommerce_client: Client,
) -> None:
    matched(bol_channel)
    placed = bol.place_order([("ZZ-404", 1), ("ART-1", 2)])
    poll_orders(bol_channel, connector=connector_for(bol_channel))
    order = ChannelOrder.objects.get()

    response = ecommerce_client.get(
        reverse("admin:channels_app_channelorder_change", args=[order.pk])
    )

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert f"<li>{order.problems[0]}</li>" in page
    assert f'"orderId": "{placed["orderId"]}"' in page  # the raw payload, pretty-printed
    timeline = page[page.index('id="order-timeline"') :]
    positions = [timeline.index(f"<code>{verb}</code>") for verb in verbs(order)]
    assert verbs(order) == ["order.received", "order.needs_mapping", "hold.placed"]
    assert positions == sorted(positions)  # oldest first
    assert '"source": "poll"' in timeline


def test_order_list_filters_needs_mapping_and_forwarded(
    bol: BolSandbox,
    bol_channel: Channel,
    matched: Callable[[Channel], None],
    connector_for: Any,
    ecommerce_client: Client,
) -> None:
    matched(bol_channel)
    parked = bol.place_order([("ZZ-404", 1)])
    fine = bol.place_order([("ART-1", 1)])
    poll_orders(bol_channel, connector=connector_for(bol_channel))
    ChannelOrder.objects.filter(external_id=fine["orderId"]).update(exact_order_number=4711)
    url = reverse("admin:channels_app_channelorder_changelist")

    def listed(query: str) -> set[str]:
        response = ecommerce_client.get(f"{url}?{query}")
        assert response.status_code == 200
        return {o.external_id for o in response.context["cl"].result_list}

    assert listed("needs_mapping=yes") == {parked["orderId"]}
    assert listed("needs_mapping=no") == {fine["orderId"]}
    assert listed("forwarded=yes") == {fine["orderId"]}
    assert listed("forwarded=no") == {parked["orderId"]}
    assert listed("q=ZZ-404") == {parked["orderId"]}


def test_linking_a_listing_by_hand_frees_the_parked_order(
    bol: BolSandbox,
    bol_channel: Channel,
    matched: Callable[[Channel], None],
    connector_for: Any,
    products: dict[str, Any],
    ecommerce_client: Client,
) -> None:
    matched(bol_channel)
    bol.place_order([("ZZ-404", 3)])
    poll_orders(bol_channel, connector=connector_for(bol_channel))
    listing = Listing.objects.get(channel=bol_channel, sku="ZZ-404")
    url = reverse("admin:channels_app_listing_change", args=[listing.pk])
    assert ecommerce_client.get(url).status_code == 200

    response = ecommerce_client.post(
        url,
        {
            "sku": listing.sku,
            "ean": listing.ean,
            "title": listing.title,
            "product": products["ART-3"].pk,
            "is_active": "on",
            "buffer_override": "",
        },
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.product, listing.match_state, listing.match_note) == (
        products["ART-3"],
        MatchState.MANUAL,
        "Linked by hand by eva.",
    )
    order = ChannelOrder.objects.get()
    assert (order.state, holds(order)) == (OrderState.RECEIVED, [("ART-3", 3)])


@pytest.mark.parametrize(
    "name",
    [
        "admin:channels_app_channel_changelist",
        "admin:channels_app_channel_add",
        "admin:channels_app_listing_changelist",
        "admin:channels_app_channelorder_changelist",
        "admin:channels_app_listing_import",
    ],
)
def test_the_pages_render_for_the_ecommerce_manager_and_are_403_for_a_purchaser(
    bol_channel: Channel, ecommerce_client: Client, purchaser_client: Client, name: str
) -> None:
    assert ecommerce_client.get(reverse(name)).status_code == 200
    assert purchaser_client.get(reverse(name)).status_code == 403


def test_a_purchaser_cannot_open_or_test_a_channel(
    bol_channel: Channel, purchaser_client: Client
) -> None:
    assert purchaser_client.get(change_url(bol_channel)).status_code == 403
    test = reverse("admin:channels_app_channel_test", args=[bol_channel.pk])
    assert purchaser_client.post(test).status_code == 403
    assert ActivityEvent.objects.count() == 0
