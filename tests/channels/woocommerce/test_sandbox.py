"""The local WooCommerce behaves as the reference describes the real one (raw HTTP)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import subprocess
import sys
from decimal import Decimal

from channels_app.sandbox.woocommerce import WooCommerceSandbox
from channels_app.sandbox.woocommerce_store import ean13
from common.http import TimeoutSession, build_session
from common.sandbox import SandboxServer

from .conftest import KEY, SECRET, FakeClock, Receiver

API = "/wp-json/wc/v3"


def test_missing_credentials_answer_401_with_woocommerce_body(
    server: SandboxServer, shop: WooCommerceSandbox
) -> None:
    response = build_session().get(f"{server.url}{API}/orders")

    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }


def test_wrong_key_and_wrong_secret_are_told_apart(
    server: SandboxServer, shop: WooCommerceSandbox
) -> None:
    session = build_session()

    bad_key = session.get(f"{server.url}{API}/orders", auth=("ck_nope", SECRET))
    bad_secret = session.get(f"{server.url}{API}/orders", auth=(KEY, "cs_nope"))

    assert (bad_key.status_code, bad_key.json()["message"]) == (401, "Consumer key is invalid.")
    assert (bad_secret.status_code, bad_secret.json()["message"]) == (
        401,
        "Consumer secret is invalid.",
    )
    assert bad_key.json()["code"] == "woocommerce_rest_authentication_error"


def test_stripped_authorization_header_leaves_only_query_string_auth(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    shop.settings(strip_authorization=True)

    basic = http.get(f"{server.url}{API}/products")
    query = build_session().get(
        f"{server.url}{API}/products", params={"consumer_key": KEY, "consumer_secret": SECRET}
    )

    assert basic.status_code == 401
    assert query.status_code == 200


def test_per_page_above_100_is_refused(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    response = http.get(f"{server.url}{API}/orders", params={"per_page": 101})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rest_invalid_param"
    assert body["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }


def test_list_carries_totals_and_link_header(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    for _ in range(5):
        shop.place_order([("ART-00001", 1)])

    first = http.get(f"{server.url}{API}/orders", params={"per_page": 2})
    last = http.get(f"{server.url}{API}/orders", params={"per_page": 2, "page": 3})

    assert (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"]) == ("5", "3")
    assert first.headers["Link"] == f'<{server.url}{API}/orders?per_page=2&page=2>; rel="next"'
    assert len(last.json()) == 1
    assert last.headers["Link"] == f'<{server.url}{API}/orders?per_page=2&page=2>; rel="prev"'


def test_modified_after_is_strict_and_read_in_gmt_when_asked(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession, clock: FakeClock
) -> None:
    early = shop.place_order([("ART-00001", 1)])
    clock.advance(60)
    late = shop.place_order([("ART-00002", 1)])

    def ids(**params: str) -> list[int]:
        return [o["id"] for o in http.get(f"{server.url}{API}/orders", params=params).json()]

    gmt = early["date_modified_gmt"]
    assert ids(modified_after=gmt, dates_are_gmt="true") == [late["id"]]
    # without dates_are_gmt the same clock time is site time (Amsterdam, UTC+2 in October)
    assert ids(modified_after=gmt) == [late["id"], early["id"]]
    assert early["date_modified"] != early["date_modified_gmt"]


def test_placing_reduces_stock_and_cancelling_restores_it(shop: WooCommerceSandbox) -> None:
    product = shop.product(10)
    before = shop.stock(10)

    order = shop.place_order([(product["sku"], 2)])
    after_sale = shop.stock(10)
    shop.cancel_order(order["id"])

    assert (after_sale, shop.stock(10)) == (before - 2, before)


def test_tax_inclusive_order_keeps_line_totals_excluding_tax(shop: WooCommerceSandbox) -> None:
    order = shop.place_order([("ART-00001", 3)], prices_include_tax=True, shipping="0")
    line = order["line_items"][0]
    price = Decimal(shop.product(10)["price"])

    assert Decimal(line["total"]) + Decimal(line["total_tax"]) == price * 3
    assert Decimal(line["total"]) == (price * 3 / Decimal("1.21")).quantize(Decimal("0.01"))
    assert order["tax_lines"][0]["rate_percent"] == 21.0
    assert line["taxes"] == [{"id": 1, "total": line["total_tax"], "subtotal": line["total_tax"]}]
    assert Decimal(order["total"]) == price * 3


def test_batch_of_more_than_100_objects_is_refused_with_413(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    before = shop.stock(10)
    updates = [{"id": 10, "stock_quantity": 1}] * 100 + [{"id": 11, "stock_quantity": 1}]

    response = http.post(f"{server.url}{API}/products/batch", json={"update": updates})

    assert response.status_code == 413
    assert response.json()["code"] == "woocommerce_rest_request_entity_too_large"
    assert shop.stock(10) == before


def test_batch_item_errors_come_back_in_place(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    body = {"update": [{"id": 10, "stock_quantity": 7}, {"id": 99999, "stock_quantity": 1}]}

    response = http.post(f"{server.url}{API}/products/batch", json=body)

    assert response.status_code == 200
    ok, failed = response.json()["update"]
    assert (ok["id"], ok["stock_quantity"]) == (10, 7)
    assert failed == {
        "id": 99999,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }


def test_single_put_validates_stock_but_batch_casts_like_php(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    single = http.put(f"{server.url}{API}/products/10", json={"stock_quantity": "12abc"})
    batch = http.post(
        f"{server.url}{API}/products/batch",
        json={"update": [{"id": 10, "stock_quantity": "12abc"}]},
    )

    assert single.status_code == 400
    assert batch.json()["update"][0]["stock_quantity"] == 12


def test_sku_lookup_also_finds_variations(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    response = http.get(f"{server.url}{API}/products", params={"sku": "ART-00020"})

    [variation] = response.json()
    assert variation["type"] == "variation"
    assert variation["parent_id"] in [
        p["id"] for p in http.get(f"{server.url}{API}/products").json()
    ]


def test_default_catalogue_is_deterministic_with_valid_eans(shop: WooCommerceSandbox) -> None:
    items = list(shop.items.values())
    variations = [i for i in items if i["type"] == "variation"]
    sellable = [i for i in items if i["type"] != "variable"]

    assert len(sellable) == 20
    assert len(variations) == 5
    assert all(ean13(i["global_unique_id"][:12]) == i["global_unique_id"] for i in sellable)
    assert [i["price"] for i in sellable] == [
        i["price"] for i in shop.reset(seed=1).items.values() if i["type"] != "variable"
    ]


def test_throttle_answers_429_with_retry_after(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession, clock: FakeClock
) -> None:
    shop.throttle(per_second=2, retry_after=3)

    statuses = [http.get(f"{server.url}{API}/products").status_code for _ in range(3)]
    clock.advance(1)
    next_second = http.get(f"{server.url}{API}/products")

    assert statuses == [200, 200, 429]
    assert next_second.status_code == 200
    shop.throttle(per_second=2, retry_after=3)
    http.get(f"{server.url}{API}/products")
    http.get(f"{server.url}{API}/products")
    assert http.get(f"{server.url}{API}/products").headers["Retry-After"] == "3"


def test_tracking_routes_disappear_without_the_extension(
    server: SandboxServer, shop: WooCommerceSandbox, http: TimeoutSession
) -> None:
    order = shop.place_order([("ART-00001", 1)])
    path = f"/wp-json/wc-shipment-tracking/v3/orders/{order['id']}/shipment-trackings/providers"

    installed = http.get(f"{server.url}{path}")
    shop.reset(tracking_extension=False)
    removed = http.get(f"{server.url}{path}")

    assert installed.status_code == 200
    assert "PostNL" in installed.json()["Netherlands"]
    assert (removed.status_code, removed.json()["code"]) == (404, "rest_no_route")


def test_webhook_ping_then_signed_delivery(
    server: SandboxServer,
    shop: WooCommerceSandbox,
    http: TimeoutSession,
    receiver_server: SandboxServer,
    receiver: Receiver,
) -> None:
    created = http.post(
        f"{server.url}{API}/webhooks",
        json={
            "name": "orders",
            "topic": "order.created",
            "delivery_url": f"{receiver_server.url}/hook",
            "secret": "s3cret",
        },
    )
    shop.place_order([("ART-00001", 1)])
    assert shop.flush_webhooks(timeout=5)

    ping, event = receiver.received
    assert created.status_code == 201
    assert ping.body == f"webhook_id={created.json()['id']}".encode()
    assert "X-Wc-Webhook-Signature" not in ping.headers
    expected = base64.b64encode(hmac.new(b"s3cret", event.body, hashlib.sha256).digest()).decode()
    assert event.headers["X-Wc-Webhook-Signature"] == expected
    assert event.headers["X-Wc-Webhook-Topic"] == "order.created"
    assert (event.headers["X-Wc-Webhook-Resource"], event.headers["X-Wc-Webhook-Event"]) == (
        "order",
        "created",
    )
    assert json.loads(event.body)["line_items"][0]["sku"] == "ART-00001"


def test_webhook_is_disabled_after_five_failed_deliveries(
    shop: WooCommerceSandbox, receiver_server: SandboxServer, receiver: Receiver
) -> None:
    hook = shop.add_webhook("order.created", f"{receiver_server.url}/hook", "s3cret")
    receiver.status = 500

    for _ in range(6):
        shop.place_order([("ART-00001", 1)])
        assert shop.flush_webhooks(timeout=5)

    events = [d for d in shop.webhook_deliveries if d.kind == "event"]
    assert len(events) == 5  # the sixth order found the webhook disabled
    assert shop.webhook(hook["id"])["status"] == "disabled"


def test_control_routes_drive_the_shop(server: SandboxServer, shop: WooCommerceSandbox) -> None:
    session = build_session()

    placed = session.post(
        f"{server.url}/_control/orders", json={"lines": [["ART-00003", 2]], "country": "BE"}
    )
    cancelled = session.post(f"{server.url}/_control/orders/{placed.json()['id']}/cancel")
    stock = session.get(f"{server.url}/_control/stock/12")

    assert placed.status_code == 201
    assert placed.json()["billing"]["country"] == "BE"
    assert cancelled.json()["status"] == "cancelled"
    assert stock.json() == {"id": 12, "stock_quantity": shop.stock(12)}
    assert shop.count_calls(API) == 0  # control routes are not vendor calls


def test_sandbox_and_connector_do_not_import_django() -> None:
    code = (
        "import sys, channels_app.sandbox.woocommerce, channels_app.connectors.woocommerce;"
        "sys.exit('django' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False)
    assert result.returncode == 0


def test_random_orders_follow_the_given_rng(shop: WooCommerceSandbox) -> None:
    first = shop.random_order(random.Random(5))
    second = shop.reset(seed=1).random_order(random.Random(5))

    assert [(i["sku"], i["quantity"]) for i in first["line_items"]] == [
        (i["sku"], i["quantity"]) for i in second["line_items"]
    ]
    assert first["billing"]["country"] == second["billing"]["country"]
    assert first["id"] == second["id"]
