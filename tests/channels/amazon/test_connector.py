"""The real Amazon connector against the sandbox: no mocks, a shared fake clock."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from channels_app.connectors.amazon import CARRIER_CODES, AmazonConnector
from channels_app.connectors.base import (
    ListingRef,
    ShipmentLineRequest,
    ShipmentRequest,
    StockUpdate,
)
from channels_app.sandbox.amazon import AmazonSandbox
from common.http import AuthenticationError
from common.sandbox import SandboxServer

from .conftest import DE, NL, FakeClock, make_connector


def throttled(amazon: AmazonSandbox) -> int:
    return sum(1 for c in amazon.calls if c.status == 429)


def run_orders(connector: AmazonConnector, cursor: str | None = None) -> tuple[list, list[str]]:
    orders, cursors = [], []
    for page in connector.iter_order_pages(cursor=cursor):
        orders += page.orders
        cursors.append(page.cursor)
    return orders, cursors


def products(n: int) -> list[dict[str, str]]:
    return [
        {"code": f"SKU-{i:04d}", "ean": "", "title": f"Product {i}", "price": "10.00"}
        for i in range(n)
    ]


def update(sku: str, qty: int) -> StockUpdate:
    return StockUpdate(ref=ListingRef(external_id=sku, sku=sku), quantity=qty)


# -- tokens -------------------------------------------------------------------------------------
def test_token_is_cached_and_renewed_a_minute_before_expiry(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    connector.test_connection()
    connector.test_connection()
    assert amazon.token_requests == 1
    clock.advance(3530)  # 70 s left: still fine
    connector.test_connection()
    assert amazon.token_requests == 1
    clock.advance(20)  # 50 s left: renew before using it
    connector.test_connection()
    assert amazon.token_requests == 2
    assert throttled(amazon) == 0
    assert all(c.status != 403 for c in amazon.calls)


def test_refused_token_is_renewed_once_on_403(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    connector.test_connection()
    amazon.expire_tokens()
    assert connector.test_connection().startswith("Amazon seller A1SANDBOXSELLER: 20 listings")
    assert amazon.token_requests == 2
    assert [c.status for c in amazon.calls if "/listings/" in c.path] == [200, 403, 200]


def test_403_twice_raises_authentication_error(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    amazon.fail_next(2, status=403, paths=["/listings/"])
    with pytest.raises(AuthenticationError, match="Access to requested resource is denied"):
        connector.test_connection()


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"lwa_client_secret": "wrong"}, "invalid_client"),
        ({"refresh_token": "Atzr|revoked"}, "invalid_grant"),
    ],
)
def test_bad_credentials_raise_authentication_error(
    amazon: AmazonSandbox, server: SandboxServer, clock: FakeClock, kw: dict, error: str
) -> None:
    connector = make_connector(server, clock, **kw)
    with pytest.raises(AuthenticationError, match=error):
        connector.test_connection()
    assert amazon.count_calls("/listings/") == 0


# -- orders -------------------------------------------------------------------------------------
def test_order_pages_run_to_the_end_and_end_on_the_window(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    placed = {amazon.place_order([("ART-00001", 1)])["order_id"] for _ in range(250)}
    clock.advance(600)
    pages = list(connector.iter_order_pages(cursor=None))
    assert [len(p.orders) for p in pages] == [100, 100, 50]
    assert {o.external_id for p in pages for o in p.orders} == placed
    window_end = datetime.fromtimestamp(clock.now - 180, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert pages[-1].cursor == window_end
    assert pages[0].cursor == pages[1].cursor < window_end  # no progress until the last page
    assert amazon.count_calls("/orders/2026-01-01/orders") == 3
    assert amazon.count_calls("/orderItems") == 0  # items come with the orders


def test_next_run_sees_only_changes_and_waits_for_the_lag(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    old = amazon.place_order([("ART-00001", 1)])
    amazon.place_order([("ART-00002", 1)])
    clock.advance(600)
    _, cursors = run_orders(connector)
    amazon.cancel_order(old["order_id"])
    new = amazon.place_order([("ART-00003", 1)])
    clock.advance(60)  # too recent: Amazon only answers for windows ending 2+ minutes ago
    early, early_cursors = run_orders(connector, cursors[-1])
    clock.advance(300)
    later, _ = run_orders(connector, early_cursors[-1])
    assert early == []
    assert len(early_cursors) == 1
    assert early_cursors[0] > cursors[-1]
    assert sorted(o.external_id for o in later) == sorted([old["order_id"], new["order_id"]])
    assert {o.external_id: o.cancelled for o in later}[old["order_id"]] is True


def test_cursor_inside_the_lag_makes_no_call(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    recent = datetime.fromtimestamp(clock.now - 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pages = list(connector.iter_order_pages(cursor=recent))
    assert [(p.orders, p.cursor) for p in pages] == [([], recent)]
    assert amazon.count_calls("/orders/") == 0


def test_mfn_order_is_mapped(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    placed = amazon.place_order(
        [("ART-00001", 2), ("ART-00002", 1)], shipping="4.95", discount="2.00"
    )
    clock.advance(300)
    order = connector.fetch_order(placed["order_id"])
    unit = amazon.listings["ART-00001"].price
    assert (order.status, order.cancelled, order.marketplace_fulfilled) == (
        "UNSHIPPED",
        False,
        False,
    )
    assert order.number == order.external_id == placed["order_id"]
    assert [(line.sku, line.listing_external_id, line.quantity) for line in order.lines] == [
        ("ART-00001", "ART-00001", 2),
        ("ART-00002", "ART-00002", 1),
    ]
    assert order.lines[0].unit_price_incl == unit
    assert order.lines[0].external_line_id == placed["items"][0]["order_item_id"]
    assert order.lines[0].vat_rate is None  # Amazon EU reports ItemTax 0.00 by default
    assert (order.shipping_incl, order.discount_incl, order.currency) == (
        Decimal("4.95"),
        Decimal("2.00"),
        "EUR",
    )
    assert order.ship_by == datetime.fromisoformat(placed["latest_ship_date"])
    assert order.delivery.country == "NL"
    assert order.delivery.street
    assert order.delivery.postcode
    assert order.buyer.email.endswith("@marketplace.amazon.nl")
    assert order.buyer_vat_number == ""
    assert order.raw["orderId"] == placed["order_id"]
    assert len(order.raw["orderItems"]) == 2


def test_afn_order_is_marketplace_fulfilled(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    placed = amazon.place_order([("ART-00001", 1)], afn=True)
    order = connector.fetch_order(placed["order_id"])
    assert order.marketplace_fulfilled
    assert order.lines[0].marketplace_fulfilled
    assert (order.status, order.lines[0].quantity_shipped) == ("SHIPPED", 1)
    assert order.delivery.phone == ""


def test_business_order_carries_vat_number_and_po(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    placed = amazon.place_order(
        [("ART-00001", 1)], business=True, company="Acme B.V.", purchase_order="PO-77"
    )
    order = connector.fetch_order(placed["order_id"])
    assert order.buyer_vat_number == placed["vat_number"]
    assert (order.buyer.company, order.buyer_reference) == ("Acme B.V.", "PO-77")
    assert order.delivery.company == "Acme B.V."


def test_vat_rate_is_derived_when_amazon_reports_item_tax(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    amazon.item_tax_mode = "included"
    nl = connector.fetch_order(amazon.place_order([("ART-00001", 3)], shipping="6.05")["order_id"])
    de = connector.fetch_order(amazon.place_order([("ART-00001", 1)], country="DE")["order_id"])
    be_b2b = connector.fetch_order(
        amazon.place_order([("ART-00001", 1)], country="BE", business=True)["order_id"]
    )
    price = amazon.listings["ART-00001"].price
    assert (nl.lines[0].vat_rate, de.lines[0].vat_rate) == (Decimal("21"), Decimal("19"))
    assert nl.lines[0].unit_price_incl == price
    assert abs(nl.lines[0].unit_price_excl * Decimal("1.21") - price) < Decimal("0.01")
    assert (nl.shipping_incl, nl.shipping_vat_rate) == (Decimal("6.05"), Decimal("21"))
    assert be_b2b.lines[0].vat_rate is None  # reverse charge: net price, no VAT
    assert be_b2b.lines[0].unit_price_incl < price


def test_tax_exclusive_prices_are_made_inclusive(
    amazon: AmazonSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    amazon.item_tax_mode = "excluded"
    connector = make_connector(server, clock, prices_include_tax=False)
    order = connector.fetch_order(amazon.place_order([("ART-00002", 2)])["order_id"])
    price = amazon.listings["ART-00002"].price
    assert abs(order.lines[0].unit_price_incl - price) <= Decimal("0.01")
    assert order.lines[0].vat_rate == Decimal("21")


def test_cancelled_order_and_cancellation_request(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    cancelled = amazon.place_order([("ART-00001", 2)])
    amazon.cancel_order(cancelled["order_id"])
    asked = amazon.place_order([("ART-00002", 1)])
    amazon.request_cancellation(asked["order_id"])
    one, two = (connector.fetch_order(o["order_id"]) for o in (cancelled, asked))
    assert (one.status, one.cancelled, one.lines[0].quantity_cancelled) == ("CANCELLED", True, 2)
    assert one.delivery.street == ""  # Amazon drops the address of a cancelled order
    assert (two.cancelled, two.cancellation_requested, two.lines[0].cancellation_requested) == (
        False,
        True,
        True,
    )


def test_server_errors_are_retried(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    amazon.place_order([("ART-00001", 1)])
    clock.advance(300)
    amazon.fail_next(2, status=503, paths=["/orders/2026-01-01/"])
    orders, _ = run_orders(connector)
    assert len(orders) == 1
    assert [c.status for c in amazon.calls if "/orders/" in c.path] == [503, 503, 200]


# -- throttling ---------------------------------------------------------------------------------
def test_connector_paces_itself_within_the_default_plan(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    start = clock.now
    results = connector.push_stock([update(f"ART-{i:05d}", i) for i in range(1, 21)] * 2)
    assert all(r.ok for r in results)
    assert throttled(amazon) == 0
    assert clock.now - start >= (40 - 5) / 5  # burst 5, then 5 per second


def test_tighter_plan_costs_at_most_one_429(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    amazon.throttle("patchListingsItem", rate=1, burst=2)
    results = connector.push_stock([update(f"ART-{i:05d}", 3) for i in range(1, 21)])
    clock.advance(600)  # both buckets refill; ours must not think it holds 5 again
    results += connector.push_stock([update(f"ART-{i:05d}", 4) for i in range(1, 11)])
    assert all(r.ok for r in results)
    assert throttled(amazon) == 1
    assert connector.throttled == 1
    assert amazon.listing_quantity("ART-00020") == 3
    assert amazon.listing_quantity("ART-00010") == 4


def test_search_orders_quota_waits_instead_of_failing(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    for _ in range(350):
        amazon.place_order([("ART-00001", 1)])
    clock.advance(300)
    amazon.throttle("searchOrders", burst=2)
    orders, _ = run_orders(connector)
    assert len(orders) == 350
    assert throttled(amazon) == 1
    assert max(clock.slept) == pytest.approx(1 / 0.0056, abs=1)


def test_retry_after_is_honoured_when_sent(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    amazon.fail_next(1, status=429, paths=["/listings/"], headers={"Retry-After": "7"})
    assert connector.push_stock([update("ART-00001", 4)])[0].ok
    assert 7 in clock.slept


# -- stock ----------------------------------------------------------------------------------------
def test_push_stock_per_sku(connector: AmazonConnector, amazon: AmazonSandbox) -> None:
    results = connector.push_stock(
        [update("ART-00001", 5), update("UNKNOWN-9", 3), update("ART-00002", -2)]
    )
    assert [(r.ref.external_id, r.ok, r.quantity) for r in results] == [
        ("ART-00001", True, 5),
        ("UNKNOWN-9", False, 3),
        ("ART-00002", True, 0),
    ]
    assert "required but not supplied" in results[1].error
    assert results[1].retriable is False
    assert results[0].process_id
    assert (amazon.listing_quantity("ART-00001"), amazon.listing_quantity("ART-00002")) == (5, 0)
    assert amazon.listings["ART-00001"].fulfillment[0]["lead_time_to_ship_max_days"] == 2
    assert amazon.count_calls("/listings/", method="PATCH") == 3


def test_accepted_push_can_fail_later(connector: AmazonConnector, amazon: AmazonSandbox) -> None:
    amazon.arm_listing_issue("ART-00004", "The listing is suppressed")
    result = connector.push_stock([update("ART-00004", 9)])[0]
    assert result.ok  # ACCEPTED: Amazon only says "queued"
    assert connector.read_stock([result.ref]) == {"ART-00004": 10}  # ... and it did not apply
    assert amazon.listing_issues("ART-00004")[0]["message"] == "The listing is suppressed"


def test_large_push_goes_through_one_feed(
    connector: AmazonConnector, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    amazon.reset(products=products(600))
    amazon.arm_listing_issue("SKU-0007", "Quantity rejected")
    updates = [update(f"SKU-{i:04d}", i % 13) for i in range(600)] + [update("GHOST-1", 1)]
    results = connector.push_stock(updates)
    assert len(results) == 601
    failed = {r.ref.external_id: r.error for r in results if not r.ok}
    assert set(failed) == {"SKU-0007", "GHOST-1"}
    assert "Quantity rejected" in failed["SKU-0007"]
    assert not any(r.retriable for r in results)
    assert {r.process_id for r in results} == {results[0].process_id} != {""}
    assert amazon.listing_quantity("SKU-0599") == 599 % 13
    assert amazon.count_calls("/feeds/2021-06-30/feeds", method="POST") == 1
    assert 2 <= amazon.count_calls("/feeds/2021-06-30/feeds/", method="GET") <= 4
    assert amazon.count_calls("/listings/", method="PATCH") == 0


def test_fatal_feed_fails_every_update_retriably(
    amazon: AmazonSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    connector = make_connector(server, clock, feed_threshold=3)
    amazon.feed_fatal_next()
    results = connector.push_stock([update(f"ART-0000{i}", 1) for i in range(1, 5)])
    assert [r.ok for r in results] == [False] * 4
    assert all(r.retriable and "FATAL" in r.error for r in results)
    assert amazon.listing_quantity("ART-00001") == 10


def test_feed_that_does_not_finish_in_time_is_retriable(
    amazon: AmazonSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    amazon.feed_processing_seconds = 10_000
    connector = make_connector(server, clock, feed_threshold=2, feed_timeout=120)
    results = connector.push_stock([update("ART-00001", 1), update("ART-00002", 2)])
    assert all(not r.ok and r.retriable and "IN_PROGRESS" in r.error for r in results)


def test_read_stock_asks_twenty_skus_per_call(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    amazon.reset(products=products(25))
    connector.push_stock([update("SKU-0003", 33)])
    refs = [ListingRef(external_id=f"SKU-{i:04d}") for i in range(25)]
    stock = connector.read_stock([*refs, ListingRef(external_id="MISSING")])
    assert len(stock) == 25
    assert stock["SKU-0003"] == 33
    assert stock["SKU-0004"] == 10
    assert amazon.count_calls("/listings/2021-08-01/items/", method="GET") == 2


def test_catalogue_lists_every_listing(connector: AmazonConnector, amazon: AmazonSandbox) -> None:
    entries = list(connector.iter_catalogue())
    assert len(entries) == 20
    first = entries[0]
    listing = amazon.listings["ART-00001"]
    assert (first.ref.external_id, first.sku, first.title, first.quantity) == (
        "ART-00001",
        "ART-00001",
        listing.title,
        10,
    )
    assert first.ean == first.ref.ean == listing.ean
    assert len(first.ean) == 13
    assert amazon.count_calls("/listings/2021-08-01/items/") == 1


def test_catalogue_follows_page_tokens(connector: AmazonConnector, amazon: AmazonSandbox) -> None:
    amazon.reset(products=products(45))
    assert len({e.sku for e in connector.iter_catalogue()}) == 45
    assert amazon.count_calls("/listings/2021-08-01/items/") == 3


# -- shipments ----------------------------------------------------------------------------------
def shipment(
    placed: dict, qty: int, carrier: str = "POSTNL_PARCEL", reference: str = ""
) -> ShipmentRequest:
    return ShipmentRequest(
        order_external_id=placed["order_id"],
        carrier_code=carrier,
        tracking_number="3STEST123",
        lines=[ShipmentLineRequest(placed["items"][0]["order_item_id"], qty)],
        shipped_at=datetime(2025, 10, 9, 15, 0, tzinfo=UTC),
        reference=reference,
    )


def test_confirm_shipment(connector: AmazonConnector, amazon: AmazonSandbox) -> None:
    placed = amazon.place_order([("ART-00001", 2)])
    result = connector.confirm_shipment(shipment(placed, 2, reference="1001"))
    assert (result.ok, result.external_id, result.error) == (True, "1001", "")
    sent = amazon.shipments(placed["order_id"])[0]
    assert (sent["carrierCode"], sent["carrierName"], sent["trackingNumber"]) == (
        "Other",
        "PostNL",
        "3STEST123",
    )
    assert sent["shipDate"] == "2025-10-09T15:00:00Z"
    assert amazon.order_state(placed["order_id"])["status"] == "Shipped"


def test_confirm_shipment_with_a_listed_carrier_and_resend(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    placed = amazon.place_order([("ART-00001", 2)])
    first = connector.confirm_shipment(shipment(placed, 1, carrier="DPD_NL", reference="ZX-9"))
    again = connector.confirm_shipment(shipment(placed, 1, carrier="DPD_NL", reference="ZX-9"))
    sent = amazon.shipments(placed["order_id"])
    assert first.ok
    assert again.ok
    assert first.external_id == again.external_id
    assert [(s["carrierCode"], s["carrierName"]) for s in sent] == [("DPD", "")]


def test_refused_shipment_returns_amazons_message(
    connector: AmazonConnector, amazon: AmazonSandbox
) -> None:
    placed = amazon.place_order([("ART-00001", 1)])
    result = connector.confirm_shipment(shipment(placed, 5))
    assert (result.ok, result.retriable) == (False, False)
    assert "exceeds the unshipped quantity" in result.error
    assert "[InvalidInput]" in result.error
    assert amazon.shipments(placed["order_id"]) == []


def test_shipment_in_a_second_marketplace_uses_the_orders_marketplace(
    amazon: AmazonSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    connector = make_connector(server, clock, marketplace_ids=(NL, DE))
    placed = amazon.place_order([("ART-00001", 1)], marketplace_id=DE, country="DE")
    assert connector.confirm_shipment(shipment(placed, 1)).ok
    assert amazon.count_calls("/orders/2026-01-01/orders/") == 1


# -- module hygiene -----------------------------------------------------------------------------
def test_carrier_codes_map_every_reference_key() -> None:
    keys = {
        "POSTNL_PARCEL",
        "POSTNL_MAILBOX",
        "POSTNL_EXTRA_AT_HOME",
        "POSTNL_EXPRESS",
        "DHL_PARCEL_NL",
        "DHL_EXPRESS",
        "DHL_DE",
        "DHL_SAMEDAY",
        "DPD_NL",
        "DPD_BE",
        "GLS",
        "UPS",
        "BPOST",
        "FEDEX",
        "TNT_EXPRESS",
        "BUDBEE",
        "TRUNKRS",
        "OTHER",
    }
    assert set(CARRIER_CODES) == keys
    assert all(
        name for key, (code, name) in CARRIER_CODES.items() if code == "Other" and key != "OTHER"
    )


def test_connector_and_sandbox_import_without_django() -> None:
    code = (
        "import sys, channels_app.connectors.amazon, channels_app.sandbox.amazon; "
        "sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=root)
    assert result.returncode == 0
