"""The real WooCommerce connector against the local WooCommerce sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from channels_app.connectors.base import (
    ListingRef,
    ShipmentLineRequest,
    ShipmentRequest,
    StockUpdate,
    WebhookVerificationError,
)
from channels_app.connectors.woocommerce import (
    SHIPPED_META_KEY,
    TRACKING_PROVIDERS,
    WooCommerceConnector,
    is_webhook_ping,
    parse_webhook_order,
    verify_webhook,
    webhook_event_id,
)
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from common.http import AuthenticationError, FatalApiError, RetriableApiError
from common.sandbox import SandboxServer

from .conftest import KEY, FakeClock, Receiver

ORDERS = "/wp-json/wc/v3/orders"


def variations(shop: WooCommerceSandbox) -> list[dict]:
    return [i for i in shop.items.values() if i["type"] == "variation"]


# -- auth -----------------------------------------------------------------------------------------
def test_bad_key_raises_authentication_error_with_the_shops_message(
    server: SandboxServer, shop: WooCommerceSandbox
) -> None:
    connector = WooCommerceConnector("ck_wrong", "cs_wrong", base_url=server.url)

    with pytest.raises(AuthenticationError) as caught:
        connector.test_connection()

    assert "Consumer key is invalid." in caught.value.message
    assert caught.value.status == 401
    assert "consumer key and secret" in caught.value.hint


def test_query_string_auth_works_where_the_header_is_stripped(
    server: SandboxServer, shop: WooCommerceSandbox, clock: FakeClock
) -> None:
    shop.settings(strip_authorization=True)
    basic = WooCommerceConnector(KEY, "cs_test_secret", base_url=server.url, clock=clock)
    query = WooCommerceConnector(
        KEY, "cs_test_secret", base_url=server.url, query_string_auth=True, clock=clock
    )

    with pytest.raises(AuthenticationError) as caught:
        basic.test_connection()
    described = query.test_connection()

    assert "Authorization header" in caught.value.hint
    assert described == f"WooCommerce at {server.url}: 17 products, 0 orders"


def test_error_urls_never_keep_the_query_string_secret(
    server: SandboxServer, shop: WooCommerceSandbox
) -> None:
    connector = WooCommerceConnector(KEY, "cs_wrong", base_url=server.url, query_string_auth=True)

    with pytest.raises(AuthenticationError) as caught:
        connector.fetch_order("1")

    assert "cs_wrong" not in caught.value.url
    assert caught.value.message.endswith(
        "Consumer secret is invalid. (woocommerce_rest_authentication_error)"
    )


# -- orders ---------------------------------------------------------------------------------------
def place_a_second_apart(
    shop: WooCommerceSandbox, clock: FakeClock, count: int
) -> list[dict[str, Any]]:
    placed = []
    for _ in range(count):
        placed.append(shop.place_order([("ART-00001", 1)]))
        clock.advance(1)
    return placed


def test_order_pages_are_followed_to_the_last_one(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, clock: FakeClock
) -> None:
    placed = place_a_second_apart(shop, clock, 250)

    pages = list(connector.iter_order_pages(cursor=None))

    # each page starts at the previous page's last second, read again but yielded once
    assert [len(p.orders) for p in pages] == [100, 99, 51]
    assert [o.external_id for p in pages for o in p.orders] == [str(o["id"]) for o in placed]
    assert pages[-1].cursor == placed[-1]["date_modified_gmt"]
    assert shop.count_calls(ORDERS, "GET") == 3


def test_an_order_changed_while_paging_does_not_hide_the_next_page_s_first_order(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, clock: FakeClock
) -> None:
    placed = place_a_second_apart(shop, clock, 250)

    pages = connector.iter_order_pages(cursor=None)
    first = next(pages)
    # Staff cancel an order we have just read: it moves to the end of the modified-order list,
    # and every order behind it moves one place forward, across the page boundary.
    shop.cancel_order(placed[5]["id"])
    rest = list(pages)

    read = [o.external_id for p in [first, *rest] for o in p.orders]
    assert set(read) == {str(o["id"]) for o in placed}
    assert read[-1] == str(placed[5]["id"])
    assert rest[-1].orders[-1].cancelled
    assert len(read) == 251  # the cancelled order twice: as read first, then as changed


def test_a_page_within_one_second_is_followed_by_page_number(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, clock: FakeClock
) -> None:
    placed = [shop.place_order([("ART-00001", 1)]) for _ in range(250)]  # all in one second

    pages = list(connector.iter_order_pages(cursor=None))

    assert [o.external_id for p in pages for o in p.orders] == [str(o["id"]) for o in placed]
    assert shop.count_calls(ORDERS, "GET") == 3


def test_a_host_that_ignores_the_page_parameter_is_refused_not_read_forever(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    for _ in range(150):  # all in one second: orders are followed by page number
        shop.place_order([("ART-00001", 1)])
    shop.settings(ignore_page=True)

    with pytest.raises(FatalApiError, match="page 2 repeats page 1"):
        list(connector.iter_order_pages(cursor=None))
    assert shop.count_calls(ORDERS, "GET") == 2


def test_cursor_resumes_and_brings_cancellations(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, clock: FakeClock
) -> None:
    first = shop.place_order([("ART-00001", 1)])
    clock.advance(5)
    second = shop.place_order([("ART-00002", 1)])
    cursor = list(connector.iter_order_pages(cursor=None))[-1].cursor
    clock.advance(5)
    shop.cancel_order(first["id"])

    [page] = list(connector.iter_order_pages(cursor=cursor))

    # the cursor's own second is read again (second), plus the newly cancelled order
    assert [(o.external_id, o.cancelled) for o in page.orders] == [
        (str(second["id"]), False),
        (str(first["id"]), True),
    ]
    assert page.cursor == shop.order(first["id"])["date_modified_gmt"]


def test_refunded_orders_are_cancelled_and_on_hold_orders_are_not(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    refunded = shop.place_order([("ART-00001", 1)], status="completed")
    shop.set_status(refunded["id"], "refunded")
    on_hold = shop.place_order([("ART-00001", 1)], status="on-hold")

    assert connector.fetch_order(str(refunded["id"])).cancelled is True
    assert connector.fetch_order(str(on_hold["id"])).cancelled is False


def test_tax_inclusive_prices_map_to_unit_prices_and_rate(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    price = Decimal(shop.product(10)["price"])
    placed = shop.place_order([("ART-00001", 3)], prices_include_tax=True)

    order = connector.fetch_order(str(placed["id"]))

    [line] = order.lines
    assert line.unit_price_incl == price
    assert line.unit_price_excl == (Decimal(placed["line_items"][0]["total"]) / 3).quantize(
        Decimal("0.0001")
    )
    assert line.vat_rate == Decimal("21")
    assert (line.quantity, line.sku, line.listing_external_id) == (3, "ART-00001", "10")
    assert order.shipping_incl == Decimal("5.99")  # 4.95 + 21 %
    assert order.shipping_vat_rate == Decimal("21")
    assert order.raw["id"] == placed["id"]


def test_tax_exclusive_prices_add_the_rate(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    price = Decimal(shop.product(11)["price"])
    placed = shop.place_order([("ART-00002", 2)], prices_include_tax=False, country="DE")

    [line] = connector.fetch_order(str(placed["id"])).lines

    assert line.unit_price_excl == price
    assert (
        line.unit_price_incl == price + (price * 2 * Decimal("0.19")).quantize(Decimal("0.01")) / 2
    )
    assert line.vat_rate == Decimal("19")


def test_b2b_order_carries_company_and_vat_number(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    placed = shop.place_order(
        [("ART-00001", 1)], country="BE", company="Groothandel BV", vat_number="be 0123.456.789"
    )

    order = connector.fetch_order(str(placed["id"]))

    assert order.buyer.company == "Groothandel BV"
    assert order.buyer_vat_number == "BE0123456789"
    assert order.lines[0].vat_rate == Decimal("0")  # reverse charge: the plugin removed the VAT
    assert order.lines[0].unit_price_incl == order.lines[0].unit_price_excl
    assert order.delivery.country == "BE"


def test_fees_and_discounts(shop: WooCommerceSandbox, connector: WooCommerceConnector) -> None:
    placed = shop.place_order(
        [("ART-00001", 2), ("ART-00002", 1)],
        fees=[("Toeslag", "2.00"), ("Korting", "-1.00")],
        discount="5.00",
    )

    order = connector.fetch_order(str(placed["id"]))

    assert order.fees_incl == Decimal("2.42")
    assert order.discount_incl == Decimal("1.21")
    gross_lines = sum(line.unit_price_incl * line.quantity for line in order.lines)
    total = gross_lines + order.shipping_incl + order.fees_incl - order.discount_incl
    assert total == Decimal(placed["total"])  # the coupon is inside the line prices


def test_variation_lines_point_at_the_variation(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    variation = variations(shop)[0]
    placed = shop.place_order([(variation["global_unique_id"], 1)])

    [line] = connector.fetch_order(str(placed["id"])).lines

    assert line.listing_external_id == str(variation["id"])
    assert line.sku == variation["sku"]


# -- rate limiting --------------------------------------------------------------------------------
def test_throttled_shop_is_waited_out_without_a_storm(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, clock: FakeClock
) -> None:
    for _ in range(450):
        shop.place_order([("ART-00001", 1)])
    shop.throttle(per_second=2, retry_after=1)

    pages = list(connector.iter_order_pages(cursor=None))

    assert len(pages) == 5
    throttled = [c for c in shop.calls if c.status == 429]
    assert len(throttled) == 2  # pages 3 and 5 each hit the limit once
    assert clock.sleeps == [1.0, 1.0]


def test_retry_after_is_honoured_and_retries_are_bounded(
    shop: WooCommerceSandbox, connector: WooCommerceConnector, clock: FakeClock
) -> None:
    placed = shop.place_order([("ART-00001", 1)])
    shop.fail_next(2, status=429, headers={"Retry-After": "7"}, paths=[ORDERS])

    assert connector.fetch_order(str(placed["id"])).external_id == str(placed["id"])
    assert clock.sleeps == [7.0, 7.0]

    shop.fail_next(50, status=429, headers={"Retry-After": "1"}, paths=[ORDERS])
    before = shop.count_calls(ORDERS)
    with pytest.raises(RetriableApiError):
        connector.fetch_order(str(placed["id"]))
    assert shop.count_calls(ORDERS) - before == 5


# -- stock ----------------------------------------------------------------------------------------
def test_250_simple_listings_take_3_batch_calls(server: SandboxServer, clock: FakeClock) -> None:
    shop: WooCommerceSandbox = server.app
    rows = [
        {"code": f"S-{n:04d}", "ean": "", "title": f"S {n}", "price": "1.00"} for n in range(333)
    ]
    shop.reset(products=rows)  # 333 rows: 250 simple + 83 variations
    connector = WooCommerceConnector(
        KEY, "cs_test_secret", base_url=server.url, sleep=clock.sleep, clock=clock
    )
    simple = [i for i in shop.items.values() if i["type"] == "simple"]
    updates = [StockUpdate(ListingRef(str(p["id"])), n) for n, p in enumerate(simple)]

    results = connector.push_stock(updates)

    assert len(updates) == 250
    assert shop.count_calls("/products/batch", "POST") == 3
    assert all(r.ok for r in results)
    assert [r.ref for r in results] == [u.ref for u in updates]
    assert [shop.stock(p["id"]) for p in simple] == list(range(250))


def test_variations_go_through_their_parents_batch_endpoint(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    items = variations(shop)
    updates = [
        StockUpdate(ListingRef(str(v["id"]), parent_id=str(v["parent_id"])), 40 + n)
        for n, v in enumerate(items)
    ]
    updates.insert(2, StockUpdate(ListingRef("10"), 3))

    results = connector.push_stock(updates)

    parents = sorted({v["parent_id"] for v in items})
    assert [shop.count_calls(f"/products/{p}/variations/batch", "POST") for p in parents] == [
        1
    ] * len(parents)
    assert shop.count_calls("/wp-json/wc/v3/products/batch", "POST") == 1
    assert all(r.ok for r in results)
    assert [r.ref.external_id for r in results] == [u.ref.external_id for u in updates]
    assert [shop.stock(v["id"]) for v in items] == [40 + n for n in range(len(items))]
    assert shop.stock(10) == 3


def test_a_failing_item_fails_only_its_own_listing(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    shop.delete_product(11)
    updates = [
        StockUpdate(ListingRef("10"), 5),
        StockUpdate(ListingRef("11"), 6),
        StockUpdate(ListingRef("12"), 7),
    ]

    ok_before, failed, ok_after = connector.push_stock(updates)

    assert (ok_before.ok, ok_after.ok) == (True, True)
    assert failed.ok is False
    assert failed.error == "Invalid ID. (woocommerce_rest_product_invalid_id)"
    assert failed.retriable is False
    assert (shop.stock(10), shop.stock(12)) == (5, 7)


def test_a_failing_batch_fails_its_listings_and_spares_other_batches(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    variation = variations(shop)[0]
    shop.fail_next(5, status=503, paths=["/wp-json/wc/v3/products/batch"])
    updates = [
        StockUpdate(ListingRef("10"), 5),
        StockUpdate(ListingRef(str(variation["id"]), parent_id=str(variation["parent_id"])), 9),
    ]

    simple, varied = connector.push_stock(updates)

    assert (simple.ok, simple.retriable) == (False, True)
    assert varied.ok is True
    assert shop.stock(variation["id"]) == 9


# -- shipments ------------------------------------------------------------------------------------
def shipment(order: dict, **kw: object) -> ShipmentRequest:
    defaults: dict = {
        "order_external_id": str(order["id"]),
        "lines": [],
        "carrier_code": TRACKING_PROVIDERS["POSTNL_PARCEL"],
        "tracking_number": "3SABCD0123456789",
        "shipped_at": datetime(2025, 10, 9, 10, 0, tzinfo=UTC),
    }
    return ShipmentRequest(**{**defaults, **kw})


def test_shipment_goes_through_the_tracking_extension_then_completes(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    first = shop.place_order([("ART-00001", 1)])
    second = shop.place_order([("ART-00002", 1)])

    result = connector.confirm_shipment(shipment(first))
    connector.confirm_shipment(shipment(second, tracking_number="3SOTHER"))

    [tracking] = shop.trackings(first["id"])
    assert result.ok
    assert result.external_id == tracking["tracking_id"]
    assert (tracking["tracking_provider"], tracking["tracking_number"]) == (
        "PostNL",
        "3SABCD0123456789",
    )
    assert tracking["date_shipped"] == "2025-10-09"
    assert shop.order(first["id"])["status"] == "completed"
    assert shop.order_notes(first["id"]) == []
    assert shop.count_calls("/shipment-trackings/providers") == 1  # detected once, cached


def test_carrier_missing_from_the_shops_list_is_sent_as_custom(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    order = shop.place_order([("ART-00001", 1)])

    connector.confirm_shipment(
        shipment(
            order,
            carrier_code=TRACKING_PROVIDERS["GLS"],
            tracking_url="https://gls.example/t/123",
            tracking_number="123",
        )
    )

    [tracking] = shop.trackings(order["id"])
    assert (tracking["tracking_provider"], tracking["tracking_link"]) == (
        "GLS",
        "https://gls.example/t/123",
    )


def test_without_the_extension_a_customer_note_carries_the_tracking(
    server: SandboxServer, connector: WooCommerceConnector
) -> None:
    shop: WooCommerceSandbox = server.app
    shop.reset(tracking_extension=False)
    order = shop.place_order([("ART-00001", 1)])

    result = connector.confirm_shipment(shipment(order))

    [note] = shop.order_notes(order["id"])
    assert note["note"] == "Verzonden met PostNL: 3SABCD0123456789"
    assert note["customer_note"] is True
    assert result.external_id == str(note["id"])
    assert shop.order(order["id"])["status"] == "completed"


def test_confirming_twice_adds_one_tracking(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    order = shop.place_order([("ART-00001", 1)])

    first = connector.confirm_shipment(shipment(order))
    again = connector.confirm_shipment(shipment(order))

    assert len(shop.trackings(order["id"])) == 1
    assert first.external_id == again.external_id


def test_partial_shipments_complete_the_order_only_when_everything_shipped(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    order = shop.place_order([("ART-00001", 2), ("ART-00002", 1)])
    a, b = (str(line["id"]) for line in order["line_items"])

    connector.confirm_shipment(shipment(order, reference="S1", lines=[ShipmentLineRequest(a, 2)]))
    after_first = shop.order(order["id"])["status"]
    connector.confirm_shipment(
        shipment(
            order, reference="S2", tracking_number="3SSECOND", lines=[ShipmentLineRequest(b, 1)]
        )
    )

    assert after_first == "processing"
    stored = shop.order(order["id"])
    assert stored["status"] == "completed"
    assert {m["key"]: m["value"] for m in stored["meta_data"]}[SHIPPED_META_KEY] == {
        "S1": {a: 2},
        "S2": {b: 1},
    }
    assert len(shop.trackings(order["id"])) == 2


def test_complete_on_ship_off_leaves_the_status(
    server: SandboxServer, shop: WooCommerceSandbox, clock: FakeClock
) -> None:
    connector = WooCommerceConnector(
        KEY, "cs_test_secret", base_url=server.url, clock=clock, complete_on_ship=False
    )
    order = shop.place_order([("ART-00001", 1)])

    assert connector.confirm_shipment(shipment(order)).ok
    assert shop.order(order["id"])["status"] == "processing"


def test_a_cancelled_order_is_not_confirmed(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    order = shop.place_order([("ART-00001", 1)])
    shop.cancel_order(order["id"])

    result = connector.confirm_shipment(shipment(order))

    assert (result.ok, result.error) == (
        False,
        f"Order {order['number']} is cancelled on WooCommerce",
    )
    assert shop.trackings(order["id"]) == []


# -- catalogue ------------------------------------------------------------------------------------
def test_catalogue_lists_simple_products_and_variations(
    shop: WooCommerceSandbox, connector: WooCommerceConnector
) -> None:
    entries = list(connector.iter_catalogue())

    by_sku = {e.sku: e for e in entries}
    assert len(entries) == 20
    assert sorted(by_sku) == [f"ART-{n:05d}" for n in range(1, 21)]
    variation = next(v for v in variations(shop) if v["sku"] == "ART-00020")
    entry = by_sku["ART-00020"]
    assert entry.ref == ListingRef(
        str(variation["id"]),
        parent_id=str(variation["parent_id"]),
        sku="ART-00020",
        ean=variation["global_unique_id"],
    )
    assert entry.quantity == shop.stock(variation["id"])
    assert by_sku["ART-00001"].ref.parent_id == ""
    assert connector.read_stock([ListingRef("10")]) == {"10": shop.stock(10)}


# -- webhooks -------------------------------------------------------------------------------------
def test_signed_delivery_verifies_and_parses(
    shop: WooCommerceSandbox, receiver_server: SandboxServer, receiver: Receiver
) -> None:
    shop.add_webhook("order.created", f"{receiver_server.url}/hook", "whsec")
    placed = shop.place_order([("ART-00001", 2)], company="ACME", vat_number="NL123456789B01")
    assert shop.flush_webhooks(timeout=5)
    ping, event = receiver.received

    verify_webhook("whsec", ping.body, ping.headers)
    verify_webhook("whsec", event.body, event.headers)
    order = parse_webhook_order(event.body)

    assert is_webhook_ping(ping.body, ping.headers)
    assert not is_webhook_ping(event.body, event.headers)
    assert (order.external_id, order.buyer_vat_number) == (str(placed["id"]), "NL123456789B01")
    assert order.lines[0].quantity == 2


def test_bad_signature_or_wrong_secret_is_rejected(
    shop: WooCommerceSandbox, receiver_server: SandboxServer, receiver: Receiver
) -> None:
    shop.add_webhook("order.created", f"{receiver_server.url}/hook", "whsec")
    shop.place_order([("ART-00001", 1)])
    assert shop.flush_webhooks(timeout=5)
    event = receiver.received[-1]
    unsigned = {k: v for k, v in event.headers.items() if k.lower() != "x-wc-webhook-signature"}

    with pytest.raises(WebhookVerificationError):
        verify_webhook(
            "cs_test_secret", event.body, event.headers
        )  # the REST secret, not the webhook's
    with pytest.raises(WebhookVerificationError):
        verify_webhook("whsec", event.body.replace(b'"quantity":1', b'"quantity":9'), event.headers)
    with pytest.raises(WebhookVerificationError):
        verify_webhook("whsec", event.body, unsigned)
    with pytest.raises(ValueError, match="ping"):
        parse_webhook_order(b"webhook_id=1")


def test_redelivery_keeps_the_event_id_and_a_new_change_gets_a_new_one(
    shop: WooCommerceSandbox, receiver_server: SandboxServer, receiver: Receiver, clock: FakeClock
) -> None:
    shop.add_webhook("order.updated", f"{receiver_server.url}/hook", "whsec")
    order = shop.place_order([("ART-00001", 1)])
    clock.advance(1)
    shop.set_status(order["id"], "on-hold")
    shop.flush_webhooks(timeout=5)
    shop.redeliver_last(1)
    shop.set_status(order["id"], "processing")  # same second, different state
    assert shop.flush_webhooks(timeout=5)

    _ping, update, redelivered, changed = receiver.received
    keys = [webhook_event_id(d.headers, d.body) for d in (update, redelivered, changed)]

    assert (
        update.headers["X-Wc-Webhook-Delivery-Id"]
        != redelivered.headers["X-Wc-Webhook-Delivery-Id"]
    )
    assert keys[0] == keys[1]
    assert keys[2] != keys[0]
    assert keys[0].startswith(
        f"wc:{update.headers['X-Wc-Webhook-Id']}:order.updated:{order['id']}:"
    )
