"""ShopifyConnector against the Shopify sandbox (the real connector, real HTTP on loopback)."""

from __future__ import annotations

import math
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
from channels_app.connectors.shopify import (
    CARRIER_COMPANIES,
    ShopifyConnector,
    ShopifyUserError,
    parse_webhook_order,
    verify_webhook,
    webhook_event_id,
)
from channels_app.sandbox.shopify import INVALID_TOKEN, ShopifySandbox
from common.http import AuthenticationError
from common.sandbox import SandboxServer

from .support import SECRET, SHOP, FakeClock, Receiver, gql

WIDGET = {
    "code": "W-1",
    "ean": "8712345678906",
    "title": "Widget",
    "price": "12.10",
    "available": 10,
}


def make_connector(server: SandboxServer, clock: FakeClock, **kw: Any) -> ShopifyConnector:
    kw.setdefault("access_token", "shpat_test_token")
    token = kw.pop("access_token")
    return ShopifyConnector(SHOP, token, base_url=server.url, sleep=clock.sleep, clock=clock, **kw)


def ship_lines(order: dict[str, Any], **quantities: int) -> list[ShipmentLineRequest]:
    return [
        ShipmentLineRequest(
            li["admin_graphql_api_id"], quantities.get(li["sku"].replace("-", "_"), li["quantity"])
        )
        for li in order["line_items"]
    ]


# -- connection and auth ---------------------------------------------------------------------------


def test_test_connection_names_the_shop(connector):
    assert connector.test_connection() == (
        "Shopify shop 'Sandbox Shop' (sandbox-shop.myshopify.com, EUR), API 2026-04"
    )


def test_bad_token_raises_authentication_error_with_shopifys_message(shopify, server, clock):
    bad = make_connector(server, clock, access_token="shpat_revoked")
    with pytest.raises(AuthenticationError) as exc:
        bad.test_connection()
    assert exc.value.status == 401
    assert INVALID_TOKEN in exc.value.message
    assert shopify.count_calls("graphql.json") == 1  # not retried


# -- orders ----------------------------------------------------------------------------------------


def place_many(shopify: ShopifySandbox, clock: FakeClock, count: int) -> None:
    for i in range(count):
        shopify.place_order([(f"ART-{i % 20 + 1:05d}", 1)])
        clock.advance(1)


def test_order_pages_hold_50_orders_and_the_cursor_resumes_there(shopify, connector, clock):
    place_many(shopify, clock, 120)
    pages = list(connector.iter_order_pages(cursor=None))
    assert [len(p.orders) for p in pages] == [50, 50, 20]
    assert [o.number for p in pages for o in p.orders] == [f"#{1001 + i}" for i in range(120)]
    last = pages[-1].orders[-1]
    assert pages[-1].cursor == last.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    page_ops = [op for op in shopify.operations if op["operation"] == "OrderPage"]
    assert [op["variables"]["cursor"] is None for op in page_ops] == [True, False, False]
    assert len({op["variables"]["cursor"] for op in page_ops}) == 3
    # details in batches of 6 (6 x 147 points < 1000) per page of 50
    assert shopify.count_operations("OrderDetails") == 2 * math.ceil(50 / 6) + math.ceil(20 / 6)
    assert shopify.count_operations(status="max_cost") == 0

    clock.advance(10)
    shopify.cancel_order(pages[0].orders[0].external_id)
    again = list(connector.iter_order_pages(cursor=pages[-1].cursor))
    assert [o.number for p in again for o in p.orders] == ["#1120", "#1001"]
    assert again[-1].orders[-1].cancelled is True


def test_connector_waits_out_a_throttled_answer(shopify, connector, server, http, clock):
    shopify.throttle(bucket=60, restore_rate=10)
    gql(http, server, "{ productVariants(first: 50) { nodes { id } } }")  # leaves 60 - 22 = 38
    assert list(connector.iter_order_pages(cursor=None)) == []
    assert shopify.throttled == 1
    assert clock.sleeps == [pytest.approx((52 - 38) / 10)]


def test_throttled_as_http_429_is_waited_out_too(shopify, connector, server, http, clock):
    shopify.throttle(bucket=60, restore_rate=10, status=429)
    gql(http, server, "{ productVariants(first: 50) { nodes { id } } }")
    assert connector.test_connection().startswith("Shopify shop")
    assert list(connector.iter_order_pages(cursor=None)) == []
    assert shopify.throttled == 1
    assert shopify.count_operations("OrderPage", status="ok") == 1


def test_pacing_from_throttle_status_avoids_a_throttled_storm(shopify, connector, clock):
    place_many(shopify, clock, 60)
    shopify.throttle(bucket=1000, restore_rate=20)
    orders = [o for page in connector.iter_order_pages(cursor=None) for o in page.orders]
    assert len(orders) == 60
    assert shopify.throttled == 0
    assert sum(clock.sleeps) > 10  # it did wait: detail calls of 882 points at 20/s
    assert shopify.count_operations() == 2 + math.ceil(50 / 6) + math.ceil(10 / 6)


def test_detail_batches_shrink_to_fit_a_small_bucket(shopify, connector, clock):
    place_many(shopify, clock, 20)
    shopify.throttle(bucket=500, restore_rate=100)
    orders = [o for page in connector.iter_order_pages(cursor=None) for o in page.orders]
    assert len(orders) == 20
    assert shopify.throttled == 1  # only the first, oversized batch
    assert shopify.count_operations("OrderDetails", status="ok") == math.ceil(20 / 3)


def test_tax_included_prices(shopify, connector):
    shopify.reset(products=[WIDGET], taxes_included=True)
    order = shopify.place_order([("W-1", 2)], shipping="6.05", po_number="PO-77")
    data = connector.fetch_order(order["admin_graphql_api_id"])
    (line,) = data.lines
    assert (line.unit_price_incl, line.unit_price_excl, line.vat_rate) == (
        Decimal("12.10"),
        Decimal("10.00"),
        Decimal("21"),
    )
    assert (line.sku, line.ean, line.quantity, line.title) == ("W-1", "8712345678906", 2, "Widget")
    assert line.listing_external_id == shopify.inventory_item_for("W-1")
    assert (data.shipping_incl, data.shipping_vat_rate) == (Decimal("6.05"), Decimal("21"))
    assert (data.number, data.status, data.currency) == ("#1001", "PAID/UNFULFILLED", "EUR")
    assert data.delivery.country == "NL"
    assert data.buyer_reference == "PO-77"
    assert (data.cancelled, data.marketplace_fulfilled, data.ship_by) == (False, False, None)
    assert data.discount_incl == Decimal("0")
    assert data.raw["id"] == order["admin_graphql_api_id"]


def test_tax_excluded_prices_get_tax_added(shopify, connector):
    shopify.reset(products=[{**WIDGET, "price": "10.00"}], taxes_included=False)
    order = shopify.place_order([("W-1", 2)], shipping="5.00", country="DE")
    data = connector.fetch_order(order["admin_graphql_api_id"])
    (line,) = data.lines
    assert (line.unit_price_incl, line.unit_price_excl, line.vat_rate) == (
        Decimal("11.90"),
        Decimal("10.00"),
        Decimal("19"),
    )
    assert data.shipping_incl == Decimal("5.95")


def test_order_discounts_are_inside_the_line_prices(shopify, connector):
    shopify.reset(products=[WIDGET])
    order = shopify.place_order([("W-1", 2)], discount="2.42")
    (line,) = connector.fetch_order(order["admin_graphql_api_id"]).lines
    assert (line.unit_price_incl, line.unit_price_excl) == (Decimal("10.89"), Decimal("9.00"))


def test_cancelled_order(shopify, connector):
    order = shopify.place_order([("ART-00001", 3)], cancelled=True)
    data = connector.fetch_order(order["admin_graphql_api_id"])
    assert data.cancelled is True
    assert data.status == "REFUNDED/UNFULFILLED"
    assert [(li.quantity, li.quantity_cancelled) for li in data.lines] == [(3, 3)]


def test_orders_with_many_lines_are_read_completely(shopify, connector):
    order = shopify.place_order([(f"ART-{i:05d}", 1) for i in range(1, 16)])
    data = connector.fetch_order(order["admin_graphql_api_id"])
    assert [li.sku for li in data.lines] == [f"ART-{i:05d}" for i in range(1, 16)]
    assert shopify.count_operations("OrderLines") == 1


# -- webhooks ---------------------------------------------------------------------------------------


def test_webhook_is_signed_verified_and_parses_like_the_api(
    shopify, connector, receiver: Receiver, receiver_server
):
    connector.subscribe_webhook("ORDERS_CREATE", f"{receiver_server.url}/shopify")
    order = shopify.place_order(
        [("ART-00001", 2), ("ART-00002", 1)], discount="1.00", taxes_included=False, country="BE"
    )
    assert shopify.flush_webhooks()
    (hit,) = receiver.wait_for(1)
    verify_webhook(SECRET, hit.body, hit.headers)
    parsed = parse_webhook_order(hit.body)
    fetched = connector.fetch_order(order["admin_graphql_api_id"])

    def key(o: Any) -> tuple[Any, ...]:
        return (
            o.external_id,
            o.number,
            o.status,
            o.placed_at,
            o.updated_at,
            o.currency,
            o.shipping_incl,
            o.shipping_vat_rate,
            o.delivery,
            o.cancelled,
            [
                (
                    li.external_line_id,
                    li.quantity,
                    li.sku,
                    li.unit_price_incl,
                    li.unit_price_excl,
                    li.vat_rate,
                )
                for li in o.lines
            ],
        )

    assert key(parsed) == key(fetched)
    assert parsed.lines[0].listing_external_id == ""  # REST line items carry no inventory item


def test_bad_signatures_are_rejected(shopify, connector, receiver: Receiver, receiver_server):
    shopify.add_webhook("orders/create", f"{receiver_server.url}/shopify")
    shopify.place_order([("ART-00001", 1)])
    shopify.flush_webhooks()
    (hit,) = receiver.wait_for(1)
    lower = {k.lower(): v for k, v in hit.headers.items()}
    verify_webhook(SECRET, hit.body, lower)  # header names are case-insensitive
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, hit.body.replace(b'"quantity":1', b'"quantity":9'), hit.headers)
    with pytest.raises(WebhookVerificationError):
        verify_webhook("another-secret", hit.body, hit.headers)
    without = {k: v for k, v in hit.headers.items() if k != "X-Shopify-Hmac-Sha256"}
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, hit.body, without)


def test_redelivery_keeps_the_event_id(shopify, connector, receiver: Receiver, receiver_server):
    connector.subscribe_webhook("ORDERS_CANCELLED", f"{receiver_server.url}/shopify")
    order = shopify.place_order([("ART-00001", 2)])
    shopify.cancel_order(order["id"])
    shopify.flush_webhooks()
    shopify.redeliver_last()
    shopify.flush_webhooks()
    first, second = receiver.wait_for(2)
    assert webhook_event_id(first.headers) == webhook_event_id(second.headers) != ""
    assert first.headers["X-Shopify-Webhook-Id"] != second.headers["X-Shopify-Webhook-Id"]
    assert first.body == second.body
    cancelled = parse_webhook_order(second.body)
    assert cancelled.cancelled is True
    assert cancelled.lines[0].quantity_cancelled == 2


def test_subscribing_the_same_address_twice_is_a_user_error(shopify, connector, receiver_server):
    url = f"{receiver_server.url}/shopify"
    assert connector.subscribe_webhook("ORDERS_UPDATED", url).startswith(
        "gid://shopify/WebhookSubscription/"
    )
    with pytest.raises(ShopifyUserError, match="already been taken"):
        connector.subscribe_webhook("ORDERS_UPDATED", url)


# -- stock ---------------------------------------------------------------------------------------------


def test_600_listings_take_3_mutations(shopify, connector):
    shopify.reset(
        products=[
            {"code": f"SKU-{i:04d}", "ean": "", "title": f"P{i}", "price": "1.00", "available": 0}
            for i in range(600)
        ]
    )
    entries = list(connector.iter_catalogue())
    assert shopify.count_operations("Catalogue") == 3
    results = connector.push_stock([StockUpdate(e.ref, i % 37) for i, e in enumerate(entries)])
    assert [(r.ok, r.quantity, r.ref) for r in results] == [
        (True, i % 37, e.ref) for i, e in enumerate(entries)
    ]
    assert shopify.count_operations("inventorySetQuantities") == 3
    assert shopify.throttled == 0  # paced behind the 802-point catalogue pages
    assert [shopify.available(e.ref.external_id) for e in entries] == [i % 37 for i in range(600)]


def test_rejected_listings_fail_alone_and_the_rest_is_applied(shopify, connector):
    warehouse, store = shopify.location_gid(), shopify.location_gid("Retail store")
    good = [ListingRef(shopify.inventory_item_for(f"ART-{i:05d}"), warehouse) for i in (1, 2, 3)]
    unknown = ListingRef("gid://shopify/InventoryItem/999", warehouse)
    not_stocked = ListingRef(shopify.inventory_item_for("ART-00004"), store)
    refs = [good[0], unknown, good[1], not_stocked, good[2]]
    results = connector.push_stock([StockUpdate(ref, 33) for ref in refs])
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert results[1].error == (
        "INVALID_INVENTORY_ITEM: The specified inventory item could not be found."
    )
    assert results[3].error.startswith("ITEM_NOT_STOCKED_AT_LOCATION: ")
    assert [shopify.available(r.external_id) for r in good] == [33, 33, 33]
    assert shopify.count_operations("inventorySetQuantities") == 2  # rejected, then the valid 3


def test_a_lost_stock_response_is_resent_with_the_same_idempotency_key(shopify, connector):
    ref = ListingRef(shopify.inventory_item_for("ART-00001"), shopify.location_gid())
    shopify.fail_next(1, status=502, after_commit=True, paths=["graphql.json"])
    (result,) = connector.push_stock([StockUpdate(ref, 17)])
    assert result.ok
    sent = [op["query"] for op in shopify.operations if op["operation"] == "SetStock"]
    assert len(sent) == 2
    assert sent[0] == sent[1]  # same @idempotent key
    assert len(shopify.adjustment_groups) == 1
    assert shopify.available(ref.external_id) == 17


def test_pushing_on_2025_10_uses_ignore_compare_quantity(shopify, server, clock):
    old = make_connector(server, clock, api_version="2025-10")
    ref = ListingRef(shopify.inventory_item_for("ART-00001"))
    (result,) = old.push_stock([StockUpdate(ref, 4)])
    assert result.ok, result.error
    (op,) = [op for op in shopify.operations if op["operation"] == "SetStock"]
    assert "@idempotent" not in op["query"]
    assert op["variables"]["input"]["ignoreCompareQuantity"] is True
    assert shopify.available(ref.external_id) == 4
    assert shopify.count_operations("Locations") == 1  # no location given: the first one


def test_catalogue_and_read_stock(shopify, connector):
    entries = list(connector.iter_catalogue())
    assert [e.sku for e in entries] == [f"ART-{i:05d}" for i in range(1, 21)]
    first = entries[0]
    assert first.ref.external_id == shopify.inventory_item_for("ART-00001")
    assert first.ref.location_id == shopify.location_gid()
    assert len(first.ean) == 13
    assert first.ref.ean == first.ean
    assert first.title == "Article 1 - Default Title"
    assert [e.quantity for e in entries] == [shopify.available(e.ref.external_id) for e in entries]
    stock = connector.read_stock([e.ref for e in entries])
    assert stock == {e.ref.external_id: e.quantity for e in entries}


# -- shipments -------------------------------------------------------------------------------------------


def confirm(
    connector: ShopifyConnector,
    order: dict[str, Any],
    lines: list[ShipmentLineRequest],
    number: str = "3SABCD0123456789",
    carrier: str = "POSTNL_PARCEL",
) -> Any:
    return connector.confirm_shipment(
        ShipmentRequest(
            order_external_id=order["admin_graphql_api_id"],
            lines=lines,
            carrier_code=CARRIER_COMPANIES[carrier],
            tracking_number=number,
        )
    )


def test_full_shipment(shopify, connector):
    order = shopify.place_order([("ART-00001", 2), ("ART-00002", 1)])
    result = confirm(connector, order, ship_lines(order))
    assert result.ok, result.error
    (fulfillment,) = shopify.fulfillments(order["id"])
    assert result.external_id == fulfillment["id"]
    assert fulfillment["tracking_info"] == [
        {
            "company": "PostNL",
            "number": "3SABCD0123456789",
            "url": "https://jouw.postnl.nl/track-and-trace/3SABCD0123456789",
        }
    ]
    assert sorted(li["quantity"] for li in fulfillment["line_items"]) == [1, 2]
    assert connector.fetch_order(order["admin_graphql_api_id"]).status == "PAID/FULFILLED"


def test_partial_shipments(shopify, connector):
    order = shopify.place_order([("ART-00001", 3)])
    first = confirm(connector, order, ship_lines(order, ART_00001=1), number="T-1")
    assert first.ok, first.error
    data = connector.fetch_order(order["admin_graphql_api_id"])
    assert (data.status, data.lines[0].quantity_shipped) == ("PAID/PARTIALLY_FULFILLED", 1)
    rest = confirm(connector, order, ship_lines(order, ART_00001=2), number="T-2", carrier="DPD_NL")
    assert rest.ok, rest.error
    assert [f["tracking_info"][0]["company"] for f in shopify.fulfillments(order["id"])] == [
        "PostNL",
        "DPD",
    ]
    assert connector.fetch_order(order["admin_graphql_api_id"]).lines[0].quantity_shipped == 3


def test_on_hold_fulfillment_order_is_refused_with_shopifys_message(shopify, connector):
    order = shopify.place_order([("ART-00001", 1)])
    shopify.hold_fulfillment_order(order["id"])
    result = confirm(connector, order, ship_lines(order))
    assert not result.ok
    assert "unfulfillable status= on_hold" in result.error
    assert shopify.fulfillments(order["id"]) == []


def test_shipping_more_than_remains_is_refused(shopify, connector):
    order = shopify.place_order([("ART-00001", 2)])
    result = confirm(connector, order, ship_lines(order, ART_00001=5))
    assert (result.ok, result.error) == (
        False,
        "Invalid fulfillment order line item quantity requested.",
    )
    assert shopify.fulfillments(order["id"]) == []


@pytest.mark.parametrize("partial", [False, True])
def test_confirming_again_finds_the_existing_fulfillment(shopify, connector, partial):
    order = shopify.place_order([("ART-00001", 1), ("ART-00002", 2)])
    lines = ship_lines(order)[:1] if partial else ship_lines(order)
    first = confirm(connector, order, lines)
    again = confirm(connector, order, lines)
    assert (again.ok, again.external_id) == (True, first.external_id)
    assert shopify.count_operations("fulfillmentCreate") == 1


def test_a_lost_fulfillment_response_is_looked_up_not_resent(shopify, connector):
    order = shopify.place_order([("ART-00001", 1)])
    armed: list[bool] = []

    def arm_after_first_response(response: Any, *args: Any, **kwargs: Any) -> None:
        if not armed:  # the fulfillment-order read got through; break the next answer
            armed.append(True)
            shopify.fail_next(1, status=502, after_commit=True, paths=["graphql.json"])

    connector.session.hooks["response"].append(arm_after_first_response)
    result = confirm(connector, order, ship_lines(order))
    assert result.ok, result.error
    assert len(shopify.fulfillments(order["id"])) == 1
    assert shopify.count_operations("fulfillmentCreate") == 1
