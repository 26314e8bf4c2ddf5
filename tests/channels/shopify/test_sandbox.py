"""The Shopify sandbox against channel-apis.md section 2: auth, versions, cost, errors, mutations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from channels_app.sandbox.shopify import INVALID_TOKEN, ShopifySandbox
from common.sandbox import SandboxServer

from .support import SECRET, SHOP, FakeClock, Receiver, gql

SET_STOCK = """
mutation SetStock($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input)%s {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}"""
VARIANT_IDS = "query Ids { productVariants(first: 50) { nodes { id } } }"


def set_stock(
    http: requests.Session,
    server: SandboxServer,
    quantities: list[dict[str, Any]],
    *,
    version: str = "2026-04",
    key: str | None = "k-1",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    directive = f' @idempotent(key: "{key}")' if key else ""
    data = {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://test/StockSync/1",
        "quantities": quantities,
        **(extra or {}),
    }
    response = gql(http, server, SET_STOCK % directive, {"input": data}, version=version)
    assert response.status_code == 200
    return response.json()


def quantity(shopify: ShopifySandbox, code: str, qty: int, **extra: Any) -> dict[str, Any]:
    return {
        "inventoryItemId": shopify.inventory_item_for(code),
        "locationId": shopify.location_gid(),
        "quantity": qty,
        **extra,
    }


# -- auth and versions ----------------------------------------------------------------------------


def test_bad_or_missing_token_is_401_with_shopifys_message(shopify, server, http):
    for token in ("shpat_wrong", None):
        response = gql(http, server, "{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == {"errors": INVALID_TOKEN}


def test_old_version_falls_forward_and_unknown_versions_are_404(shopify, server, http):
    response = gql(http, server, "{ shop { name } }", version="2024-07")
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2025-10"
    assert (
        gql(http, server, "{ shop { name } }", version="2026-07").headers["X-Shopify-API-Version"]
        == "2026-07"
    )
    for version in ("2025-11", "2027-01", "latest"):
        assert gql(http, server, "{ shop { name } }", version=version).status_code == 404


def test_client_credentials_token_lasts_24_hours(shopify, server, http, clock: FakeClock):
    url = f"{server.url}/admin/oauth/access_token"
    bad = http.post(
        url,
        json={
            "client_id": "shopify-sandbox-client-id",
            "client_secret": "nope",
            "grant_type": "client_credentials",
        },
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_client"
    issued = http.post(
        url,
        json={
            "client_id": "shopify-sandbox-client-id",
            "client_secret": SECRET,
            "grant_type": "client_credentials",
        },
    )
    assert issued.status_code == 200
    assert issued.json()["expires_in"] == 86399
    token = issued.json()["access_token"]
    assert gql(http, server, "{ shop { name } }", token=token).status_code == 200
    clock.advance(86400)
    assert gql(http, server, "{ shop { name } }", token=token).status_code == 401


# -- response shapes and cost ----------------------------------------------------------------------


def test_every_answer_carries_extensions_cost(shopify, server, http):
    body = gql(http, server, "query Shop { shop { name myshopifyDomain } }").json()
    assert body["data"] == {"shop": {"name": "Sandbox Shop", "myshopifyDomain": SHOP}}
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 1,
        "actualQueryCost": 1,
        "throttleStatus": {
            "maximumAvailable": 1000.0,
            "currentlyAvailable": 999.0,
            "restoreRate": 100.0,
        },
    }


def test_unknown_field_is_a_graphql_error_with_http_200(shopify, server, http):
    response = gql(http, server, "query Q { shop { name } frobnicate { id } }")
    body = response.json()
    assert response.status_code == 200
    assert "data" not in body
    assert body["errors"][0]["message"] == "Field 'frobnicate' doesn't exist on type 'QueryRoot'"
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"
    assert "cost" in body["extensions"]


def test_parse_error_and_missing_selection_are_graphql_errors(shopify, server, http):
    parse = gql(http, server, "{ shop { name }").json()
    assert parse["errors"][0]["message"].startswith("Parse error on")
    missing = gql(http, server, "{ shop }").json()
    assert missing["errors"][0]["extensions"]["code"] == "selectionMismatch"


def test_requested_cost_follows_shopifys_rules_and_actual_is_refunded(shopify, server, http):
    # connection: 2 + first x (1 per node); 20 variants exist, so actual is 2 + 20
    body = gql(http, server, VARIANT_IDS).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] == 52
    assert body["extensions"]["cost"]["actualQueryCost"] == 22
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 978.0


def test_bucket_drains_and_restores_on_the_sandbox_clock(shopify, server, http, clock):
    shopify.throttle(bucket=100, restore_rate=10)
    statuses = [("errors" in gql(http, server, VARIANT_IDS).json()) for _ in range(4)]
    assert statuses == [False, False, False, True]  # 100 -> 78 -> 56 -> 34 < 52
    clock.advance(2)  # 34 + 2 x 10 = 54
    assert "errors" not in gql(http, server, VARIANT_IDS).json()
    assert shopify.throttled == 1


def test_throttled_shape_is_http_200_or_429_when_selected(shopify, server, http):
    shopify.throttle(bucket=10, restore_rate=1)
    response = gql(http, server, VARIANT_IDS)
    body = response.json()
    assert response.status_code == 200
    assert "data" not in body
    assert body["errors"][0]["message"] == "Throttled"
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 52
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    shopify.throttle(bucket=10, restore_rate=1, status=429)
    response = gql(http, server, VARIANT_IDS)
    assert response.status_code == 429
    assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert response.headers["Retry-After"] == "42"


def test_a_query_over_1000_points_is_max_cost_exceeded(shopify, server, http):
    query = "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }"
    body = gql(http, server, query).json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["extensions"]["cost"]["requestedQueryCost"] > 1000


def test_cursors_page_to_the_end_without_repeats(shopify, server, http):
    query = (
        "query Page($after: String) { productVariants(first: 7, after: $after) "
        "{ pageInfo { hasNextPage endCursor } nodes { sku } } }"
    )
    skus, after, pages = [], None, 0
    while True:
        conn = gql(http, server, query, {"after": after}).json()["data"]["productVariants"]
        skus += [n["sku"] for n in conn["nodes"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == 3
    assert skus == [f"ART-{i:05d}" for i in range(1, 21)]


def test_orders_search_filters_on_updated_at_and_status(shopify, server, http, clock):
    first = shopify.place_order([("ART-00001", 1)])
    clock.advance(60)
    since = datetime.fromtimestamp(clock.now - 20, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    second = shopify.place_order([("ART-00002", 1)], cancelled=True)
    query = (
        "query O($q: String) { orders(first: 10, sortKey: UPDATED_AT, query: $q) "
        "{ nodes { name cancelledAt } } }"
    )
    newer = gql(http, server, query, {"q": f"updated_at:>='{since}' status:any"}).json()
    assert [n["name"] for n in newer["data"]["orders"]["nodes"]] == [second["name"]]
    open_only = gql(http, server, query, {"q": "status:open"}).json()
    assert [n["name"] for n in open_only["data"]["orders"]["nodes"]] == [first["name"]]


# -- inventory ----------------------------------------------------------------------------------------


def test_placing_an_order_moves_available_to_committed(shopify, server, http):
    item = shopify.inventory_item_for("ART-00003")
    before = shopify.available(item)
    shopify.place_order([("ART-00003", 2)])
    query = (
        "query L($id: ID!, $loc: ID!) { inventoryItem(id: $id) { inventoryLevel(locationId: "
        '$loc) { quantities(names: ["available", "committed", "on_hand"]) { name quantity } '
        "} } }"
    )
    body = gql(http, server, query, {"id": item, "loc": shopify.location_gid()}).json()
    quantities = {
        q["name"]: q["quantity"]
        for q in body["data"]["inventoryItem"]["inventoryLevel"]["quantities"]
    }
    assert quantities == {"available": before - 2, "committed": 2, "on_hand": before}


def test_2025_10_requires_compare_quantity_or_ignore(shopify, server, http):
    item = shopify.inventory_item_for("ART-00001")
    current = shopify.available(item)
    missing = set_stock(
        http, server, [quantity(shopify, "ART-00001", 7)], version="2025-10", key=None
    )["data"]["inventorySetQuantities"]
    assert missing["inventoryAdjustmentGroup"] is None
    assert missing["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    stale = set_stock(
        http,
        server,
        [quantity(shopify, "ART-00001", 7, compareQuantity=current + 1)],
        version="2025-10",
        key=None,
    )["data"]["inventorySetQuantities"]
    assert stale["userErrors"][0]["code"] == "COMPARE_QUANTITY_STALE"
    assert shopify.available(item) == current
    ok = set_stock(
        http,
        server,
        [quantity(shopify, "ART-00001", 7, compareQuantity=current)],
        version="2025-10",
        key=None,
    )["data"]["inventorySetQuantities"]
    assert ok["userErrors"] == []
    forced = set_stock(
        http,
        server,
        [quantity(shopify, "ART-00001", 9)],
        version="2025-10",
        key=None,
        extra={"ignoreCompareQuantity": True},
    )
    assert forced["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shopify.available(item) == 9


def test_2026_04_requires_idempotent_directive_and_change_from_quantity(shopify, server, http):
    item = shopify.inventory_item_for("ART-00001")
    current = shopify.available(item)
    no_key = set_stock(
        http, server, [quantity(shopify, "ART-00001", 5, changeFromQuantity=None)], key=None
    )
    assert "@idempotent" in no_key["errors"][0]["message"]
    no_change_from = set_stock(http, server, [quantity(shopify, "ART-00001", 5)])
    assert "changeFromQuantity" in no_change_from["errors"][0]["message"]
    old_arg = set_stock(
        http,
        server,
        [quantity(shopify, "ART-00001", 5, changeFromQuantity=None)],
        extra={"ignoreCompareQuantity": True},
        key="k-2",
    )
    assert old_arg["errors"][0]["extensions"]["code"] == "argumentNotAccepted"
    stale = set_stock(
        http, server, [quantity(shopify, "ART-00001", 5, changeFromQuantity=current + 3)], key="k-3"
    )
    assert stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == (
        "CHANGE_FROM_QUANTITY_STALE"
    )
    assert shopify.available(item) == current
    checked = set_stock(
        http, server, [quantity(shopify, "ART-00001", 5, changeFromQuantity=current)], key="k-4"
    )
    assert checked["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shopify.available(item) == 5


def test_same_idempotency_key_returns_the_first_result_without_reapplying(shopify, server, http):
    item = shopify.inventory_item_for("ART-00002")
    q = [quantity(shopify, "ART-00002", 12, changeFromQuantity=None)]
    first = set_stock(http, server, q, key="same")["data"]["inventorySetQuantities"]
    shopify.set_available(item, 3)  # a sale happens in between
    again = set_stock(http, server, q, key="same")["data"]["inventorySetQuantities"]
    assert again["inventoryAdjustmentGroup"]["id"] == first["inventoryAdjustmentGroup"]["id"]
    assert shopify.available(item) == 3
    other = set_stock(
        http, server, [quantity(shopify, "ART-00002", 13, changeFromQuantity=None)], key="same"
    )["data"]["inventorySetQuantities"]
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert len(shopify.adjustment_groups) == 1


def test_more_than_250_quantities_is_an_input_size_error(shopify, server, http):
    q = [quantity(shopify, "ART-00001", 1, changeFromQuantity=None)] * 251
    body = set_stock(http, server, q)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


def test_one_unknown_item_rejects_the_whole_call_and_names_its_index(shopify, server, http):
    item = shopify.inventory_item_for("ART-00001")
    before = shopify.available(item)
    q = [
        quantity(shopify, "ART-00001", 40, changeFromQuantity=None),
        {
            "inventoryItemId": "gid://shopify/InventoryItem/1",
            "locationId": shopify.location_gid(),
            "quantity": 1,
            "changeFromQuantity": None,
        },
        {
            **quantity(shopify, "ART-00002", 1, changeFromQuantity=None),
            "locationId": shopify.location_gid("Retail store"),
        },
    ]
    result = set_stock(http, server, q)["data"]["inventorySetQuantities"]
    assert result["inventoryAdjustmentGroup"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("INVALID_INVENTORY_ITEM", ["input", "quantities", "1", "inventoryItemId"]),
        ("ITEM_NOT_STOCKED_AT_LOCATION", ["input", "quantities", "2", "locationId"]),
    ]
    assert shopify.available(item) == before


# -- fulfillment ------------------------------------------------------------------------------------

FULFIL = """
mutation F($f: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $f) {
    fulfillment { id status trackingInfo(first: 1) { company number url } }
    userErrors { field message }
  }
}"""
FO_QUERY = (
    "query FO($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id "
    "status lineItems(first: 10) { nodes { id remainingQuantity } } } } } }"
)


def test_fulfilling_twice_is_refused_on_remaining_quantity(shopify, server, http):
    order = shopify.place_order([("ART-00001", 2)])
    fo = gql(http, server, FO_QUERY, {"id": order["admin_graphql_api_id"]}).json()["data"]["order"][
        "fulfillmentOrders"
    ]["nodes"][0]
    f = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
        "trackingInfo": {"company": "PostNL", "number": "3SABC123"},
    }
    first = gql(http, server, FULFIL, {"f": f}).json()["data"]["fulfillmentCreate"]
    assert first["userErrors"] == []
    assert first["fulfillment"]["trackingInfo"] == [
        {
            "company": "PostNL",
            "number": "3SABC123",
            "url": "https://jouw.postnl.nl/track-and-trace/3SABC123",
        }
    ]
    f["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] = [
        {"id": fo["lineItems"]["nodes"][0]["id"], "quantity": 1}
    ]
    second = gql(http, server, FULFIL, {"f": f}).json()["data"]["fulfillmentCreate"]
    assert second["fulfillment"] is None
    assert "unfulfillable status= closed" in second["userErrors"][0]["message"]


def test_carrier_names_are_case_sensitive_for_tracking_urls(shopify, server, http):
    order = shopify.place_order([("ART-00001", 1)])
    fo_id = gql(http, server, FO_QUERY, {"id": order["admin_graphql_api_id"]}).json()["data"][
        "order"
    ]["fulfillmentOrders"]["nodes"][0]["id"]
    f = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}],
        "trackingInfo": {"company": "postnl", "number": "3SABC999"},
    }
    created = gql(http, server, FULFIL, {"f": f}).json()["data"]["fulfillmentCreate"]
    assert created["fulfillment"]["trackingInfo"][0]["url"] is None


# -- webhooks and control ------------------------------------------------------------------------------


def test_webhooks_are_signed_with_the_client_secret(shopify, receiver_server):
    receiver: Receiver = receiver_server.app
    receiver.received.clear()
    shopify.add_webhook("orders/create", f"{receiver_server.url}/hooks")
    order = shopify.place_order([("ART-00001", 1)])
    assert shopify.flush_webhooks()
    (hit,) = receiver.wait_for(1)
    expected = base64.b64encode(hmac.new(SECRET.encode(), hit.body, hashlib.sha256).digest())
    assert hit.headers["X-Shopify-Hmac-Sha256"] == expected.decode()
    assert hit.headers["X-Shopify-Topic"] == "orders/create"
    assert hit.headers["X-Shopify-Shop-Domain"] == SHOP
    assert hit.headers["X-Shopify-Api-Version"] == "2026-04"
    assert hit.headers["X-Shopify-Webhook-Id"]
    assert hit.headers["X-Shopify-Event-Id"]
    assert json.loads(hit.body)["id"] == order["id"]


def test_control_routes_place_orders_and_read_stock(shopify, server, http):
    placed = http.post(
        f"{server.url}/_control/orders", json={"lines": [["ART-00004", 1]], "country": "BE"}
    ).json()
    assert placed["name"] == "#1001"
    assert placed["shipping_address"]["country_code"] == "BE"
    item = shopify.inventory_item_for("ART-00004")
    stock = http.get(f"{server.url}/_control/inventory", params={"inventory_item_id": item}).json()
    assert stock["available"] == shopify.available(item)
    state = http.get(f"{server.url}/_control/state").json()
    assert state["orders"] == 1
    assert [loc["name"] for loc in state["locations"]] == ["Warehouse", "Retail store"]


def test_random_order_and_bad_control_requests(shopify, server, http):
    order = shopify.random_order(random.Random(7))
    assert order["name"] == "#1001"
    assert 1 <= len(order["line_items"]) <= 3
    assert shopify.get_order(order["admin_graphql_api_id"]) == order
    unknown = http.post(f"{server.url}/_control/orders", json={"lines": [["NOPE", 1]]})
    assert unknown.status_code == 400
    assert "NOPE" in unknown.json()["error"]
    typo = http.post(
        f"{server.url}/_control/orders", json={"lines": [["ART-00001", 1]], "cuntry": "BE"}
    )
    assert typo.status_code == 400


def test_sandbox_and_connector_import_without_django():
    code = (
        "import sys; import channels_app.sandbox.shopify, channels_app.connectors.shopify; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"
