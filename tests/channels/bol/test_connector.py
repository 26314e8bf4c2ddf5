"""BolConnector against the bol.com sandbox on loopback (no mocks): tokens, paging, limits,
orders, stock, shipments, catalogue and error mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from channels_app.connectors.base import (
    Address,
    ListingRef,
    ShipmentLineRequest,
    ShipmentRequest,
    ShipmentResult,
    StockUpdate,
)
from channels_app.connectors.bol import TRANSPORTER_CODES, BolConnector
from channels_app.sandbox.bol import DEFAULT_FAILURE_MESSAGES, BolSandbox
from common.http import (
    AuthenticationError,
    FatalApiError,
    OutcomeUnknownError,
    RetriableApiError,
)
from common.sandbox import SandboxServer

from .support import START, FakeClock, make_connector


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def api_calls(
    bol: BolSandbox, prefix: str = "/retailer", method: str | None = None
) -> list[tuple[str, int]]:
    return [
        (c.path, c.status)
        for c in bol.calls
        if c.path.startswith(prefix) and (method is None or c.method == method)
    ]


def list_queries(bol: BolSandbox) -> list[dict[str, str]]:
    return [dict(parse_qsl(c.query)) for c in bol.calls if c.path == "/retailer/orders"]


def offer_id(bol: BolSandbox, code: str) -> str:
    return str(bol.offer_for(code)["offerId"])


# -- tokens -----------------------------------------------------------------------------------------
def test_token_is_reused_and_renewed_30_seconds_before_expiry(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    order_id = bol.place_order([("ART-00001", 1)])["orderId"]

    connector.fetch_order(order_id)
    connector.fetch_order(order_id)
    clock.advance(268)  # 31 s of the 299 left: still reused
    connector.fetch_order(order_id)
    assert bol.token_requests == 1

    clock.advance(2)  # 29 s left: renewed before bol would refuse it
    connector.fetch_order(order_id)
    assert bol.token_requests == 2
    assert bol.count_status(401) == 0


def test_expired_jwt_is_renewed_once_and_the_call_repeated(
    bol: BolSandbox, connector: BolConnector
) -> None:
    order_id = bol.place_order([("ART-00001", 1)])["orderId"]
    connector.fetch_order(order_id)

    bol.expire_tokens()
    order = connector.fetch_order(order_id)

    assert order.external_id == order_id
    assert bol.token_requests == 2
    path = f"/retailer/orders/{order_id}"
    assert api_calls(bol) == [(path, 200), (path, 401), (path, 200)]


def test_a_second_401_after_renewal_raises_authentication_error_with_bols_detail(
    bol: BolSandbox, connector: BolConnector
) -> None:
    order_id = bol.place_order([("ART-00001", 1)])["orderId"]
    problem = {
        "type": "https://api.bol.com/problems",
        "title": "Expired JWT",
        "status": 401,
        "detail": "JWT expired at 2025-10-09T08:00:00Z.",
    }
    bol.fail_next(2, status=401, paths=["/retailer/orders/"], body=json.dumps(problem))

    with pytest.raises(AuthenticationError) as caught:
        connector.fetch_order(order_id)

    assert caught.value.message == "JWT expired at 2025-10-09T08:00:00Z."
    assert caught.value.status == 401
    assert bol.token_requests == 2
    assert bol.count_calls("/retailer/orders/") == 2


def test_bad_credentials_raise_authentication_error_without_retrying(
    bol: BolSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    connector = make_connector(server, clock, client_secret="wrong")

    with pytest.raises(AuthenticationError) as caught:
        connector.fetch_order("A000000001")

    assert caught.value.message == "Bad client credentials"
    assert caught.value.status == 401
    assert bol.token_requests == 1
    assert bol.count_calls("/retailer") == 0


# -- orders -----------------------------------------------------------------------------------------
def test_iter_order_pages_reads_every_page_until_the_empty_object(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    placed = [
        bol.place_order([("ART-00003", 1)], placed_at=START - 1000 + n)["orderId"]
        for n in range(120)
    ]

    pages = list(connector.iter_order_pages(cursor=None))

    assert [len(p.orders) for p in pages] == [50, 50, 20]
    assert [o.external_id for p in pages for o in p.orders] == placed[::-1]  # newest first
    # only the last page moves the cursor: bol sorts by order date, not by change date
    assert [p.cursor for p in pages] == ["", "", utc(START - 1000 + 119).isoformat()]
    # two passes over the open orders; page 4 answered {} and ended each
    assert [q["page"] for q in list_queries(bol)] == ["1", "2", "3", "4"] * 2
    assert bol.calls[-1].path == "/retailer/orders"
    assert list_queries(bol)[0] == {"fulfilment-method": "ALL", "status": "OPEN", "page": "1"}
    assert bol.count_calls("/retailer/orders/") == 120  # one detail call per order
    # 25 detail calls per second allowed: the connector waited for the window, never hit a 429
    assert bol.count_status(429) == 0
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_an_order_leaving_the_open_list_while_paging_does_not_hide_another(
    bol: BolSandbox, connector: BolConnector
) -> None:
    placed = [
        bol.place_order([("ART-00003", 1)], placed_at=START - 1000 + n)["orderId"]
        for n in range(150)
    ]
    newest_first = placed[::-1]
    pages = connector.iter_order_pages(cursor=None)
    first = next(pages)  # pages 1 and 2 have been read (the first is held back one page)
    # The customer cancels an order on page 1: every order behind it moves one place forward,
    # and the first order of page 3 slides onto page 2, which we have already read.
    bol.cancel_order(newest_first[5])
    rest = list(pages)

    read = [o.external_id for p in [first, *rest] for o in p.orders]
    assert sorted(read) == sorted(placed)  # each once; the slid order came in the second pass
    assert read[-1] == newest_first[100]
    assert bol.count_calls("/retailer/orders/") == 150  # never fetched twice


def test_fetch_order_maps_a_business_order(bol: BolSandbox, connector: BolConnector) -> None:
    buyer = {
        "firstName": "Billie",
        "surname": "Jansen",
        "streetName": "Dorpstraat",
        "houseNumber": "1",
        "houseNumberExtension": "B",
        "zipCode": "1111ZZ",
        "city": "Utrecht",
        "countryCode": "NL",
        "email": "abc@verkopen.bol.com",
        "deliveryPhoneNumber": "0612345678",
    }
    billing = {
        "company": "Bouwbedrijf Smit B.V.",
        "vatNumber": "NL123456789B01",
        "kvkNumber": "99887766",
        "orderReference": "PO-77",
    }
    placed = bol.place_order(
        [("ART-00001", 2), ("ART-00002", 1, "9.95")], buyer=buyer, billing=billing
    )

    order = connector.fetch_order(placed["orderId"])

    assert (order.external_id, order.number, order.status) == (
        placed["orderId"],
        placed["orderId"],
        "OPEN",
    )
    assert (order.placed_at, order.updated_at) == (utc(START), utc(START))
    assert order.ship_by == datetime(2025, 10, 10, 22, 0, tzinfo=UTC)  # 11 Oct 00:00 in Amsterdam
    assert (order.buyer_vat_number, order.buyer_coc_number, order.buyer_reference) == (
        "NL123456789B01",
        "99887766",
        "PO-77",
    )
    assert order.delivery == Address(
        name="Billie Jansen",
        street="Dorpstraat 1 B",
        postcode="1111ZZ",
        city="Utrecht",
        country="NL",
        email="abc@verkopen.bol.com",
        phone="0612345678",
    )
    assert order.billing == Address(
        name="Billie Jansen",
        company="Bouwbedrijf Smit B.V.",
        street="Dorpstraat 1 B",
        postcode="1111ZZ",
        city="Utrecht",
        country="NL",
        email="abc@verkopen.bol.com",
    )
    assert (order.cancelled, order.cancellation_requested, order.marketplace_fulfilled) == (
        False,
        False,
        False,
    )
    first, second = order.lines
    assert (
        first.external_line_id,
        first.quantity,
        first.sku,
        first.ean,
        first.listing_external_id,
    ) == (
        placed["orderItems"][0]["orderItemId"],
        2,
        "ART-00001",
        bol.products[0]["ean"],
        offer_id(bol, "ART-00001"),
    )
    assert first.title == bol.products[0]["title"]
    assert first.unit_price_incl == bol.products[0]["price"]
    assert (first.vat_rate, first.unit_price_excl) == (None, None)
    assert (second.sku, second.quantity, second.unit_price_incl) == (
        "ART-00002",
        1,
        Decimal("9.95"),
    )
    assert order.raw == bol.order(placed["orderId"])


def test_fbb_orders_come_with_fbr_orders_and_are_marked_marketplace_fulfilled(
    bol: BolSandbox, connector: BolConnector
) -> None:
    fbr = bol.place_order([("ART-00001", 1)], placed_at=START - 10)["orderId"]
    fbb = bol.place_order([("ART-00001", 1)], fbb=True)["orderId"]

    orders = {o.external_id: o for p in connector.iter_order_pages(cursor=None) for o in p.orders}

    assert set(orders) == {fbr, fbb}
    assert (orders[fbb].marketplace_fulfilled, orders[fbb].lines[0].marketplace_fulfilled) == (
        True,
        True,
    )
    assert orders[fbr].marketplace_fulfilled is False
    assert orders[fbb].lines[0].listing_external_id == bol.offer_for("ART-00001", "FBB")["offerId"]
    assert orders[fbb].lines[0].listing_external_id != orders[fbr].lines[0].listing_external_id


def test_cursor_run_asks_for_recent_changes_and_sees_cancellations(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    a, b, c = (
        bol.place_order([("ART-00001", 2)], placed_at=START - 600)["orderId"] for _ in range(3)
    )
    d = bol.place_order([("ART-00002", 1)], placed_at=START - 300)["orderId"]
    cursor = list(connector.iter_order_pages(cursor=None))[-1].cursor
    assert cursor == utc(START - 300).isoformat()

    clock.advance(300)
    bol.request_cancellation(a)
    bol.cancel_order(b)
    bol.calls.clear()
    pages = list(connector.iter_order_pages(cursor=cursor))

    orders = {o.external_id: o for p in pages for o in p.orders}
    # c changed before the cursor: not read again; d changed exactly at it: read again on purpose
    assert set(orders) == {a, b, d}
    assert c not in orders
    assert (orders[a].cancellation_requested, orders[a].lines[0].cancellation_requested) == (
        True,
        True,
    )
    assert (orders[a].cancelled, orders[a].status) == (False, "OPEN")
    assert (orders[b].cancelled, orders[b].status, orders[b].lines[0].quantity_cancelled) == (
        True,
        "HANDLED",
        2,
    )
    assert pages[-1].cursor == utc(START + 300).isoformat()
    assert list_queries(bol) == [
        {"fulfilment-method": "ALL", "status": "ALL", "change-interval-minute": "11", "page": "1"},
        {"fulfilment-method": "ALL", "status": "ALL", "change-interval-minute": "11", "page": "2"},
    ]


def test_cursor_older_than_an_hour_asks_per_change_date(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    old = bol.place_order([("ART-00001", 1)], placed_at=START - 3600)["orderId"]
    new = bol.place_order([("ART-00002", 1)])["orderId"]
    cursor = list(connector.iter_order_pages(cursor=None))[-1].cursor

    clock.advance(2 * 3600)
    bol.cancel_order(new)
    bol.calls.clear()
    pages = list(connector.iter_order_pages(cursor=cursor))

    assert [o.external_id for p in pages for o in p.orders] == [new]
    assert old != new
    assert list_queries(bol)[0] == {
        "fulfilment-method": "ALL",
        "status": "ALL",
        "latest-change-date": "2025-10-09",
        "page": "1",
    }
    assert bol.count_calls("/retailer/orders/") == 1  # the unchanged order was not fetched


def test_no_open_orders_gives_no_pages(bol: BolSandbox, connector: BolConnector) -> None:
    assert list(connector.iter_order_pages(cursor=None)) == []
    assert api_calls(bol) == [("/retailer/orders", 200)]


# -- rate limits ------------------------------------------------------------------------------------
def test_429_with_retry_after_is_waited_out_once(
    bol: BolSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    ids = [bol.place_order([("ART-00001", 1)])["orderId"] for _ in range(3)]
    bol.throttle("GET /retailer/orders/{id}", per_second=2)
    first = make_connector(server, clock)
    first.fetch_order(ids[0])
    first.fetch_order(ids[1])  # the budget is now spent, by someone the next client can't see

    order = make_connector(server, clock).fetch_order(ids[2])

    assert order.external_id == ids[2]
    assert bol.count_status(429) == 1
    assert clock.sleeps == [1.0]


def test_429_without_retry_after_waits_for_the_reset_header(
    bol: BolSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    ids = [bol.place_order([("ART-00001", 1)])["orderId"] for _ in range(3)]
    bol.throttle("/retailer/orders/{id}", per_second=2, retry_after=False)
    first = make_connector(server, clock)
    first.fetch_order(ids[0])
    first.fetch_order(ids[1])

    order = make_connector(server, clock).fetch_order(ids[2])

    assert order.external_id == ids[2]
    assert bol.count_status(429) == 1
    assert clock.sleeps == [1.0]


def test_connector_waits_when_remaining_is_zero_instead_of_hitting_429(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    bol.throttle("GET /retailer/orders", per_minute=2)

    for _ in range(5):
        connector.test_connection()

    assert bol.count_status(429) == 0
    assert bol.count_calls("/retailer/orders") == 5
    assert clock.sleeps == [60.0, 60.0]


def test_endless_429s_stop_after_five_tries_with_a_retriable_error(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    order_id = bol.place_order([("ART-00001", 1)])["orderId"]
    body = json.dumps(
        {
            "type": "https://api.bol.com/problems",
            "title": "Too Many Requests",
            "status": 429,
            "detail": "Too many requests, retry in 4 seconds.",
        }
    )
    bol.fail_next(
        10, status=429, paths=["/retailer/orders/"], body=body, headers={"Retry-After": "4"}
    )

    with pytest.raises(RetriableApiError) as caught:
        connector.fetch_order(order_id)

    assert caught.value.message == "Too many requests, retry in 4 seconds."
    assert caught.value.retry_after == 4.0
    assert bol.count_status(429) == 5
    assert clock.sleeps == [4.0, 4.0, 4.0, 4.0]


# -- errors -----------------------------------------------------------------------------------------
def test_unknown_order_is_a_fatal_404_with_bols_detail(connector: BolConnector) -> None:
    with pytest.raises(FatalApiError) as caught:
        connector.fetch_order("A000000000")

    assert not isinstance(caught.value, RetriableApiError)
    assert (caught.value.status, caught.value.message) == (404, "Order A000000000 not found.")


def test_inactive_account_403_keeps_bols_detail_and_adds_a_hint(
    bol: BolSandbox, connector: BolConnector
) -> None:
    bol.set_account_active(False)

    with pytest.raises(FatalApiError) as caught:
        connector.test_connection()

    assert caught.value.status == 403
    assert caught.value.for_staff() == (
        "Account is not active — The bol.com account is not active or has no access to this API."
    )
    assert bol.count_calls("/retailer/orders") == 1


def test_html_503_on_a_read_is_retried(
    bol: BolSandbox, connector: BolConnector, clock: FakeClock
) -> None:
    order_id = bol.place_order([("ART-00001", 1)])["orderId"]
    bol.fail_next(1, status=503, paths=["/retailer/orders/"])

    assert connector.fetch_order(order_id).external_id == order_id
    assert clock.sleeps == [0.5]

    bol.fail_next(3, status=503, paths=["/retailer/orders/"])
    with pytest.raises(RetriableApiError) as caught:
        connector.fetch_order(order_id)
    assert caught.value.message == "bol.com answered HTTP 503 SERVICE UNAVAILABLE"


def test_503_on_a_shipment_is_not_repeated_and_outcome_unknown(
    bol: BolSandbox, connector: BolConnector
) -> None:
    order = bol.place_order([("ART-00001", 1)])
    bol.fail_next(1, status=503, paths=["/retailer/shipments"], after_commit=True)

    with pytest.raises(OutcomeUnknownError):
        connector.confirm_shipment(_shipment(order, [1]))

    assert bol.count_calls("/retailer/shipments", "POST") == 1


# -- stock ------------------------------------------------------------------------------------------
def test_push_stock_caps_amounts_and_polls_process_status_in_bulk(
    bol: BolSandbox, connector: BolConnector
) -> None:
    offers = [offer_id(bol, f"ART-0000{n}") for n in (1, 2, 3)]

    results = connector.push_stock(
        [
            StockUpdate(ListingRef(offers[0]), 5),
            StockUpdate(ListingRef(offers[1]), 1200),
            StockUpdate(ListingRef(offers[2]), -3),
        ]
    )

    assert [(r.ref.external_id, r.ok, r.quantity, r.error, r.retriable) for r in results] == [
        (offers[0], True, 5, "", False),
        (offers[1], True, 999, "", False),
        (offers[2], True, 0, "", False),
    ]
    assert all(r.process_id.isdigit() for r in results)
    assert [bol.offer_stock(o) for o in offers] == [
        {"amount": 5, "correctedStock": 5, "managedByRetailer": True},
        {"amount": 999, "correctedStock": 999, "managedByRetailer": True},
        {"amount": 0, "correctedStock": 0, "managedByRetailer": True},
    ]
    assert bol.count_calls("/retailer/offers/", "PUT") == 3
    assert bol.count_calls("/shared/process-status", "POST") == 1
    assert bol.count_calls("/shared/process-status/", "GET") == 0


def test_push_stock_reports_failure_and_timeout_per_offer(
    bol: BolSandbox, connector: BolConnector
) -> None:
    offers = [offer_id(bol, f"ART-0000{n}") for n in (1, 2, 3)]
    before = [bol.offer_stock(o)["amount"] for o in offers]
    bol.fail_process_next(1, "FAILURE", "Offer is on hold.")
    bol.fail_process_next(1, "TIMEOUT")

    results = connector.push_stock([StockUpdate(ListingRef(o), 7) for o in offers])

    assert [(r.ok, r.error, r.retriable) for r in results] == [
        (False, "Offer is on hold.", False),
        (False, DEFAULT_FAILURE_MESSAGES["TIMEOUT"], True),
        (True, "", False),
    ]
    assert [bol.offer_stock(o)["amount"] for o in offers] == [before[0], before[1], 7]


def test_push_stock_to_an_unknown_offer_fails_in_the_process(
    bol: BolSandbox, connector: BolConnector
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"

    [result] = connector.push_stock([StockUpdate(ListingRef(unknown), 3)])

    assert (result.ok, result.error, result.retriable) == (
        False,
        f"Offer {unknown} does not exist.",
        False,
    )


def test_push_stock_still_pending_at_the_timeout_is_retriable(
    bol: BolSandbox, server: SandboxServer, clock: FakeClock
) -> None:
    bol.process_delay = 100.0
    connector = make_connector(server, clock, process_timeout=2.0)

    [result] = connector.push_stock([StockUpdate(ListingRef(offer_id(bol, "ART-00001")), 3)])

    assert (result.ok, result.retriable) == (False, True)
    assert (
        result.error
        == f"bol.com was still processing the update after 2 s (process {result.process_id})."
    )
    assert clock.sleeps == [0.25, 0.5, 1.0, 0.25]
    assert bol.count_calls("/shared/process-status", "POST") == 4


# -- shipments --------------------------------------------------------------------------------------
def _shipment(order: dict, quantities: list[int], **kw: str) -> ShipmentRequest:
    lines = [
        ShipmentLineRequest(item["orderItemId"], q)
        for item, q in zip(order["orderItems"], quantities, strict=False)
    ]
    return ShipmentRequest(
        order_external_id=order["orderId"],
        lines=lines,
        carrier_code=kw.get("carrier", "TNT"),
        tracking_number="3SABCD0123456789",
        reference=kw.get("reference", "PKG-000123"),
    )


def test_confirm_shipment_creates_the_shipment_and_the_order_leaves_open(
    bol: BolSandbox, connector: BolConnector
) -> None:
    order = bol.place_order([("ART-00001", 2), ("ART-00002", 1)])

    result = connector.confirm_shipment(_shipment(order, [2, 1]))

    [shipment] = bol.shipments(order["orderId"])
    assert result == ShipmentResult(ok=True, external_id=shipment["shipmentId"])
    assert shipment["transport"]["transporterCode"] == "TNT"
    assert shipment["transport"]["trackAndTrace"] == "3SABCD0123456789"
    assert shipment["shipmentReference"] == "PKG-000123"
    assert [i["quantityShipped"] for i in bol.order(order["orderId"])["orderItems"]] == [2, 1]
    bol.calls.clear()
    assert list(connector.iter_order_pages(cursor=None)) == []


def test_shipping_the_same_quantity_again_fails_with_bols_message(
    bol: BolSandbox, connector: BolConnector
) -> None:
    order = bol.place_order([("ART-00001", 2)])
    item_id = order["orderItems"][0]["orderItemId"]
    assert connector.confirm_shipment(_shipment(order, [2])).ok is True

    again = connector.confirm_shipment(_shipment(order, [2]))

    assert (again.ok, again.retriable) == (False, False)
    assert again.error == f"Order item {item_id} has already been shipped."
    assert again.external_id.isdigit()
    assert len(bol.shipments(order["orderId"])) == 1


def test_partial_shipments_then_too_many(bol: BolSandbox, connector: BolConnector) -> None:
    order = bol.place_order([("ART-00001", 3)])
    item_id = order["orderItems"][0]["orderItemId"]

    first = connector.confirm_shipment(_shipment(order, [2], reference="PKG-1"))
    second = connector.confirm_shipment(_shipment(order, [2], reference="PKG-2"))

    shipments = bol.shipments(order["orderId"])
    assert first == ShipmentResult(ok=True, external_id=shipments[0]["shipmentId"])
    assert (second.ok, second.error) == (
        False,
        f"Quantity 2 of order item {item_id} exceeds the quantity still to be shipped (1).",
    )
    assert len(shipments) == 1


def test_shipment_rejected_by_validation_returns_bols_violation(
    bol: BolSandbox, connector: BolConnector
) -> None:
    order = bol.place_order([("ART-00001", 1)])

    result = connector.confirm_shipment(_shipment(order, [0]))

    assert result == ShipmentResult(
        ok=False, error="Bad request (orderItems[0].quantity: must be greater than or equal to 1)"
    )
    assert bol.count_calls("/shared/process-status") == 0


def test_shipment_process_failure_injected(bol: BolSandbox, connector: BolConnector) -> None:
    order = bol.place_order([("ART-00001", 1)])
    bol.fail_process_next(1, "TIMEOUT", event_type="CREATE_SHIPMENT")

    result = connector.confirm_shipment(_shipment(order, [1]))

    assert (result.ok, result.retriable, result.error) == (
        False,
        True,
        DEFAULT_FAILURE_MESSAGES["TIMEOUT"],
    )
    assert bol.shipments(order["orderId"]) == []


# -- catalogue and connection -----------------------------------------------------------------------
def test_iter_catalogue_reads_the_offer_export(bol: BolSandbox, connector: BolConnector) -> None:
    bol.place_order(
        [("ART-00001", 1)], fbb=True
    )  # creates an FBB offer, which is not ours to stock

    entries = list(connector.iter_catalogue())

    assert len(entries) == 20
    assert [e.sku for e in entries] == [f"ART-{n:05d}" for n in range(1, 21)]
    first = entries[0]
    offer = bol.offer_for("ART-00001")
    assert (first.ref.external_id, first.ref.sku, first.ref.ean) == (
        offer["offerId"],
        "ART-00001",
        offer["ean"],
    )
    assert (first.ean, first.quantity) == (offer["ean"], offer["stock"]["amount"])
    assert bol.count_calls("/retailer/offers/export", "POST") == 1
    assert bol.count_calls("/retailer/offers/export/", "GET") == 1


def test_read_stock_after_a_push(bol: BolSandbox, connector: BolConnector) -> None:
    ref = ListingRef(offer_id(bol, "ART-00004"))
    connector.push_stock([StockUpdate(ref, 42)])

    assert connector.read_stock([ref]) == {ref.external_id: 42}


def test_test_connection_describes_the_account(bol: BolSandbox, connector: BolConnector) -> None:
    bol.place_order([("ART-00001", 1)])
    bol.place_order([("ART-00002", 1)], fbb=True)

    assert connector.test_connection() == (
        "bol.com Retailer API v10: credentials accepted; 2 open order(s) on the first page."
    )
    assert bol.token_requests == 1


def test_transporter_codes_hold_the_reference_enum() -> None:
    assert len(TRANSPORTER_CODES) == 30
    assert {"TNT", "TNT_BRIEF", "DHLFORYOU", "DPD-NL", "BPOST_BE", "OTHER", "UPS"} <= set(
        TRANSPORTER_CODES
    )
