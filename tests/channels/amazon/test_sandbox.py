"""The Amazon sandbox against the reference (channel-apis.md section 4), over raw HTTP."""

from __future__ import annotations

import gzip
import json
import random
from decimal import Decimal
from typing import Any

import pytest
import requests

from channels_app.sandbox.amazon import AmazonSandbox
from common.http import build_session
from common.sandbox import SandboxServer

from .conftest import DE, NL, SELLER, FakeClock

UNAUTHORIZED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "",
        }
    ]
}
QUOTA = {
    "errors": [
        {
            "code": "QuotaExceeded",
            "message": "You exceeded your quota for the requested resource.",
            "details": "",
        }
    ]
}
ITEM = f"/listings/2021-08-01/items/{SELLER}"
FA = "/attributes/fulfillment_availability"


class Api:
    def __init__(self, url: str) -> None:
        self.url, self.session, self.token = url, build_session(), ""

    def login(self, **form: str) -> requests.Response:
        data = {
            "grant_type": "refresh_token",
            "refresh_token": "Atzr|sandbox",
            "client_id": "amzn-client",
            "client_secret": "amzn-secret",
            **form,
        }
        resp = self.session.post(f"{self.url}/auth/o2/token", data=data)
        if resp.status_code == 200:
            self.token = resp.json()["access_token"]
        return resp

    def call(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> requests.Response:
        if not self.token:
            self.login()
        headers = {"x-amz-access-token": self.token if token is None else token}
        return self.session.request(method, f"{self.url}{path}", headers=headers, **kw)


@pytest.fixture
def api(amazon: AmazonSandbox, server: SandboxServer) -> Api:
    return Api(server.url)


def patch_body(qty: Any, op: str = "merge", product_type: str = "PRODUCT") -> dict[str, Any]:
    return {
        "productType": product_type,
        "patches": [
            {
                "op": op,
                "path": FA,
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": qty}],
            }
        ],
    }


# -- LWA and access tokens ----------------------------------------------------------------------
def test_lwa_token_has_the_documented_shape(api: Api, amazon: AmazonSandbox) -> None:
    resp = api.login()
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["access_token"].startswith("Atza|")
    assert (body["token_type"], body["expires_in"], body["refresh_token"]) == (
        "bearer",
        3600,
        "Atzr|sandbox",
    )
    assert amazon.token_requests == 1


def test_lwa_refuses_bad_client_and_bad_refresh_token(api: Api) -> None:
    bad_client = api.login(client_secret="wrong")
    bad_grant = api.login(refresh_token="Atzr|other")
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "invalid_grant")


def test_missing_expired_and_revoked_tokens_get_unauthorized(
    api: Api, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    missing = api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}", token="")
    assert (missing.status_code, missing.json()) == (403, UNAUTHORIZED)
    api.login()
    assert api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}").status_code == 200
    clock.advance(3600)
    expired = api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}")
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["code"] == "Unauthorized"
    api.login()
    amazon.expire_tokens()
    assert api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}").status_code == 403


# -- rate limits and errors ---------------------------------------------------------------------
def test_bucket_gives_burst_then_quota_exceeded_then_refills(
    api: Api, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    amazon.throttle("getListingsItem", rate=0.5, burst=2)
    path = f"{ITEM}/ART-00001?marketplaceIds={NL}"
    first, second, third = (api.call("GET", path) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert first.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert third.json() == QUOTA
    assert "Retry-After" not in third.headers
    assert "x-amzn-RateLimit-Limit" not in third.headers
    assert third.headers["x-amzn-RequestId"]
    clock.advance(2)
    assert api.call("GET", path).status_code == 200


def test_default_usage_plan_header_per_operation(api: Api) -> None:
    listing = api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}")
    orders = api.call(
        "GET", "/orders/2026-01-01/orders", params={"createdAfter": "2025-01-01T00:00:00Z"}
    )
    assert listing.headers["x-amzn-RateLimit-Limit"] == "5"
    assert orders.headers["x-amzn-RateLimit-Limit"] == "0.0056"


def test_errors_use_the_sp_api_body(api: Api, amazon: AmazonSandbox) -> None:
    amazon.fail_next(1, status=500, paths=["/listings/"])
    failed = api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}")
    unknown = api.call("GET", f"{ITEM}/NOPE?marketplaceIds={NL}")
    bad = api.call("GET", "/orders/2026-01-01/orders")
    assert failed.status_code == 500
    assert failed.json()["errors"][0]["code"] == "InternalFailure"
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "NotFound")
    assert bad.status_code == 400
    assert set(bad.json()["errors"][0]) == {"code", "message", "details"}
    assert bad.json()["errors"][0]["code"] == "InvalidInput"


# -- orders -------------------------------------------------------------------------------------
def test_v0_orders_page_with_next_token_and_the_original_filters(
    api: Api, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    placed = {amazon.place_order([("ART-00001", 1)])["order_id"] for _ in range(25)}
    clock.advance(300)
    filters = {
        "MarketplaceIds": NL,
        "LastUpdatedAfter": "2025-01-01T00:00:00Z",
        "MaxResultsPerPage": 10,
    }
    seen: list[str] = []
    token = None
    while True:
        resp = api.call(
            "GET",
            "/orders/v0/orders",
            params={**filters, **({"NextToken": token} if token else {})},
        )
        assert resp.status_code == 200
        payload = resp.json()["payload"]
        seen += [o["AmazonOrderId"] for o in payload["Orders"]]
        token = payload.get("NextToken")
        if not token:
            break
        first_token = token
    assert sorted(seen) == sorted(placed)
    assert (
        api.call("GET", "/orders/v0/orders", params={"NextToken": first_token}).status_code == 400
    )
    other = api.call(
        "GET",
        "/orders/v0/orders",
        params={**filters, "OrderStatuses": "Shipped", "NextToken": first_token},
    )
    assert other.status_code == 400


def test_v0_order_items_page_with_their_own_token(api: Api, amazon: AmazonSandbox) -> None:
    products = [
        {"code": f"P-{i}", "ean": "", "title": f"P {i}", "price": "1.00"} for i in range(45)
    ]
    amazon.reset(products=products)
    order = amazon.place_order([(p["code"], 1) for p in products])
    sizes, token = [], None
    while True:
        resp = api.call(
            "GET",
            f"/orders/v0/orders/{order['order_id']}/orderItems",
            params={"NextToken": token} if token else {},
        )
        payload = resp.json()["payload"]
        sizes.append(len(payload["OrderItems"]))
        token = payload.get("NextToken")
        if not token:
            break
    assert sizes == [20, 20, 5]


def test_v0_hides_pii_unless_a_restricted_data_token_is_used(
    api: Api, amazon: AmazonSandbox
) -> None:
    order = amazon.place_order([("ART-00001", 1)], business=True, country="DE")
    plain = api.call("GET", f"/orders/v0/orders/{order['order_id']}").json()["payload"]
    assert set(plain["ShippingAddress"]) == {"City", "PostalCode", "CountryCode"}
    assert plain["BuyerInfo"] == {}
    rdt = api.call(
        "POST",
        "/tokens/2021-03-01/restrictedDataToken",
        json={
            "restrictedResources": [
                {
                    "method": "GET",
                    "path": "/orders/v0/orders/{orderId}",
                    "dataElements": ["buyerInfo", "shippingAddress"],
                }
            ]
        },
    )
    assert rdt.status_code == 200
    token = rdt.json()["restrictedDataToken"]
    full = api.call("GET", f"/orders/v0/orders/{order['order_id']}", token=token).json()
    assert full["payload"]["ShippingAddress"]["AddressLine1"]
    tax = full["payload"]["BuyerInfo"]["BuyerTaxInfo"]["TaxClassifications"][0]
    assert tax == {"Name": "VATNumber", "Value": order["vat_number"]}
    assert api.call("GET", f"{ITEM}/ART-00001?marketplaceIds={NL}", token=token).status_code == 403


def test_search_orders_window_rules(api: Api, amazon: AmazonSandbox, clock: FakeClock) -> None:
    amazon.place_order([("ART-00001", 1)])
    recent = api.call(
        "GET", "/orders/2026-01-01/orders", params={"lastUpdatedAfter": "2025-01-01T00:00:00Z"}
    )
    both = api.call(
        "GET",
        "/orders/2026-01-01/orders",
        params={"lastUpdatedAfter": "2025-01-01T00:00:00Z", "createdAfter": "2025-01-01T00:00:00Z"},
    )
    too_late = api.call(
        "GET",
        "/orders/2026-01-01/orders",
        params={
            "lastUpdatedAfter": "2025-01-01T00:00:00Z",
            "lastUpdatedBefore": "2030-01-01T00:00:00Z",
        },
    )
    assert recent.status_code == 200
    assert recent.json()["orders"] == []
    assert both.status_code == too_late.status_code == 400
    clock.advance(121)
    later = api.call(
        "GET", "/orders/2026-01-01/orders", params={"lastUpdatedAfter": "2025-01-01T00:00:00Z"}
    )
    assert len(later.json()["orders"]) == 1
    assert "lastUpdatedBefore" in later.json()


def test_search_orders_returns_items_and_only_the_included_sections(
    api: Api, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    amazon.place_order([("ART-00001", 2), ("ART-00002", 1)])
    clock.advance(300)
    params = {"createdAfter": "2025-01-01T00:00:00Z"}
    bare = api.call("GET", "/orders/2026-01-01/orders", params=params).json()["orders"][0]
    full = api.call(
        "GET",
        "/orders/2026-01-01/orders",
        params={**params, "includedData": "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT"},
    ).json()["orders"][0]
    assert len(bare["orderItems"]) == 2
    assert not {"buyer", "recipient", "proceeds", "fulfillment"} & set(bare)
    assert {"buyer", "recipient", "proceeds", "fulfillment"} <= set(full)
    assert full["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
    assert full["orderItems"][0]["fulfillment"] == {
        "quantityFulfilled": 0,
        "quantityUnfulfilled": 2,
    }


def test_pending_order_has_no_prices_and_no_address(api: Api, amazon: AmazonSandbox) -> None:
    order = amazon.place_order([("ART-00001", 1)], status="Pending")
    v0 = api.call("GET", f"/orders/v0/orders/{order['order_id']}").json()["payload"]
    items = api.call("GET", f"/orders/v0/orders/{order['order_id']}/orderItems").json()
    new = api.call(
        "GET",
        f"/orders/2026-01-01/orders/{order['order_id']}",
        params={"includedData": "RECIPIENT,PROCEEDS"},
    ).json()["order"]
    assert "OrderTotal" not in v0
    assert "ShippingAddress" not in v0
    assert "ItemPrice" not in items["payload"]["OrderItems"][0]
    assert "recipient" not in new
    assert "proceeds" not in new
    assert "price" not in new["orderItems"][0]["product"]


# -- listings -----------------------------------------------------------------------------------
def test_listing_patch_is_accepted_and_applied(api: Api, amazon: AmazonSandbox) -> None:
    resp = api.call("PATCH", f"{ITEM}/ART-00001?marketplaceIds={NL}", json=patch_body(12))
    body = resp.json()
    assert resp.status_code == 200
    assert (body["sku"], body["status"], body["issues"]) == ("ART-00001", "ACCEPTED", [])
    assert body["submissionId"]
    assert amazon.listing_quantity("ART-00001") == 12
    read = api.call(
        "GET",
        f"{ITEM}/ART-00001",
        params={"marketplaceIds": NL, "includedData": "fulfillmentAvailability,summaries"},
    ).json()
    assert read["fulfillmentAvailability"] == [
        {"fulfillmentChannelCode": "DEFAULT", "quantity": 12}
    ]
    assert read["summaries"][0]["status"] == ["BUYABLE", "DISCOVERABLE"]


def test_listing_patch_refusals(api: Api, amazon: AmazonSandbox) -> None:
    unknown = api.call("PATCH", f"{ITEM}/NOPE?marketplaceIds={NL}", json=patch_body(1)).json()
    wrong_type = api.call(
        "PATCH", f"{ITEM}/ART-00001?marketplaceIds={NL}", json=patch_body(1, product_type="SHOES")
    ).json()
    no_selector = api.call(
        "PATCH",
        f"{ITEM}/ART-00001?marketplaceIds={NL}",
        json={
            "productType": "PRODUCT",
            "patches": [{"op": "replace", "path": FA, "value": [{"quantity": 1}]}],
        },
    ).json()
    no_value = api.call(
        "PATCH",
        f"{ITEM}/ART-00001?marketplaceIds={NL}",
        json={"productType": "PRODUCT", "patches": [{"op": "replace", "path": FA}]},
    )
    no_market = api.call("PATCH", f"{ITEM}/ART-00001", json=patch_body(1))
    assert unknown["status"] == wrong_type["status"] == no_selector["status"] == "INVALID"
    assert unknown["issues"][0]["severity"] == "ERROR"
    assert "fulfillment_channel_code" in no_selector["issues"][0]["message"]
    assert no_value.status_code == no_market.status_code == 400
    assert no_value.json()["errors"][0]["message"] == "Value is missing for patch at index of 0."
    assert amazon.listing_quantity("ART-00001") == 10
    assert "NOPE" not in amazon.listings


def test_replace_drops_lead_time_and_merge_keeps_it(api: Api, amazon: AmazonSandbox) -> None:
    api.call("PATCH", f"{ITEM}/ART-00001?marketplaceIds={NL}", json=patch_body(3))
    api.call("PATCH", f"{ITEM}/ART-00002?marketplaceIds={NL}", json=patch_body(3, op="replace"))
    assert amazon.listings["ART-00001"].fulfillment[0]["lead_time_to_ship_max_days"] == 2
    assert "lead_time_to_ship_max_days" not in amazon.listings["ART-00002"].fulfillment[0]


def test_unknown_sku_can_be_accepted_as_an_unbuyable_fragment(
    api: Api, amazon: AmazonSandbox
) -> None:
    amazon.unknown_sku_policy = "accept"
    body = api.call("PATCH", f"{ITEM}/NEW-1?marketplaceIds={NL}", json=patch_body(4)).json()
    read = api.call(
        "GET", f"{ITEM}/NEW-1", params={"marketplaceIds": NL, "includedData": "summaries,issues"}
    ).json()
    assert body["status"] == "ACCEPTED"
    assert read["summaries"][0]["status"] == []
    assert read["issues"][0]["code"] == "90220"


def test_armed_issue_follows_an_accepted_patch(api: Api, amazon: AmazonSandbox) -> None:
    amazon.arm_listing_issue("ART-00003", "Quantity rejected: listing suppressed")
    body = api.call("PATCH", f"{ITEM}/ART-00003?marketplaceIds={NL}", json=patch_body(7)).json()
    read = api.call(
        "GET", f"{ITEM}/ART-00003", params={"marketplaceIds": NL, "includedData": "issues"}
    ).json()
    assert body["status"] == "ACCEPTED"
    assert read["issues"][0]["message"] == "Quantity rejected: listing suppressed"
    assert amazon.listing_quantity("ART-00003") == 10


def test_search_listings_pages_and_filters_by_identifiers(api: Api) -> None:
    first = api.call("GET", ITEM, params={"marketplaceIds": NL, "pageSize": 15}).json()
    second = api.call(
        "GET",
        ITEM,
        params={
            "marketplaceIds": NL,
            "pageSize": 15,
            "pageToken": first["pagination"]["nextToken"],
        },
    ).json()
    some = api.call(
        "GET",
        ITEM,
        params={
            "marketplaceIds": NL,
            "identifiersType": "SKU",
            "identifiers": "ART-00002,ART-00005",
        },
    ).json()
    too_big = api.call("GET", ITEM, params={"marketplaceIds": NL, "pageSize": 21})
    assert first["numberOfResults"] == 20
    assert [len(first["items"]), len(second["items"])] == [15, 5]
    assert "nextToken" not in second["pagination"]
    assert [i["sku"] for i in some["items"]] == ["ART-00002", "ART-00005"]
    assert too_big.status_code == 400


# -- feeds --------------------------------------------------------------------------------------
def test_feed_lifecycle_and_processing_report(
    api: Api, amazon: AmazonSandbox, clock: FakeClock
) -> None:
    content_type = "application/json; charset=UTF-8"
    doc = api.call("POST", "/feeds/2021-06-30/documents", json={"contentType": content_type})
    assert doc.status_code == 201
    url = doc.json()["url"]
    feed_body = json.dumps(
        {
            "header": {"sellerId": SELLER, "version": "2.0"},
            "messages": [
                {
                    "messageId": 1,
                    "sku": "ART-00001",
                    "operationType": "PATCH",
                    "productType": "PRODUCT",
                    "patches": patch_body(5)["patches"],
                },
                {
                    "messageId": 2,
                    "sku": "NOPE",
                    "operationType": "PATCH",
                    "productType": "PRODUCT",
                    "patches": patch_body(5)["patches"],
                },
            ],
        }
    ).encode()
    with_token = api.session.put(
        url, data=feed_body, headers={"Content-Type": content_type, "x-amz-access-token": api.token}
    )
    assert with_token.status_code == 403
    assert b"not signed" in with_token.content
    assert (
        api.session.put(url, data=feed_body, headers={"Content-Type": content_type}).status_code
        == 200
    )
    created = api.call(
        "POST",
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [NL],
            "inputFeedDocumentId": doc.json()["feedDocumentId"],
        },
    )
    assert created.status_code == 202
    feed_path = f"/feeds/2021-06-30/feeds/{created.json()['feedId']}"
    statuses = []
    for step in (0, 10, 20):
        clock.advance(step)
        statuses.append(api.call("GET", feed_path).json()["processingStatus"])
    assert statuses == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    result_id = api.call("GET", feed_path).json()["resultFeedDocumentId"]
    result = api.call("GET", f"/feeds/2021-06-30/documents/{result_id}").json()
    assert result["compressionAlgorithm"] == "GZIP"
    report = json.loads(gzip.decompress(api.session.get(result["url"]).content))
    assert report["summary"] == {
        "errors": 1,
        "warnings": 0,
        "messagesProcessed": 2,
        "messagesAccepted": 1,
        "messagesInvalid": 1,
    }
    assert [(i["messageId"], i["severity"]) for i in report["issues"]] == [(2, "ERROR")]
    assert amazon.listing_quantity("ART-00001") == 5


def test_feed_fatal_next_ends_fatal(api: Api, amazon: AmazonSandbox, clock: FakeClock) -> None:
    amazon.feed_fatal_next()
    doc = api.call(
        "POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"}
    ).json()
    api.session.put(doc["url"], data=b"{}", headers={"Content-Type": "application/json"})
    feed = api.call(
        "POST",
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [NL],
            "inputFeedDocumentId": doc["feedDocumentId"],
        },
    ).json()
    clock.advance(60)
    status = api.call("GET", f"/feeds/2021-06-30/feeds/{feed['feedId']}").json()
    assert status["processingStatus"] == "FATAL"
    assert status["resultFeedDocumentId"]


# -- shipment confirmation ----------------------------------------------------------------------
def confirm(api: Api, order: dict[str, Any], qty: int, **detail: Any) -> requests.Response:
    package = {
        "packageReferenceId": "1",
        "carrierCode": "Other",
        "carrierName": "PostNL",
        "shippingMethod": "Pakket",
        "trackingNumber": "3SABCD0123456789",
        "shipDate": "2025-10-09T15:00:00Z",
        "orderItems": [{"orderItemId": order["items"][0]["order_item_id"], "quantity": qty}],
        **detail,
    }
    return api.call(
        "POST",
        f"/orders/v0/orders/{order['order_id']}/shipmentConfirmation",
        json={"marketplaceId": NL, "packageDetail": package},
    )


def test_confirm_shipment_204_updates_items_and_status(api: Api, amazon: AmazonSandbox) -> None:
    order = amazon.place_order([("ART-00001", 3)])
    first = confirm(api, order, 1)
    assert (first.status_code, first.content) == (204, b"")
    assert amazon.order_state(order["order_id"])["status"] == "PartiallyShipped"
    assert confirm(api, order, 2, packageReferenceId="2").status_code == 204
    state = amazon.order_state(order["order_id"])
    assert (state["status"], state["items"][0]["shipped"]) == ("Shipped", 3)
    assert [s["packageReferenceId"] for s in amazon.shipments(order["order_id"])] == ["1", "2"]


def test_confirm_shipment_refusals_are_400_with_a_message(api: Api, amazon: AmazonSandbox) -> None:
    order = amazon.place_order([("ART-00001", 2)])
    afn = amazon.place_order([("ART-00001", 1)], afn=True)
    cases = {
        "date": confirm(api, order, 1, shipDate="02/21/2022"),
        "over": confirm(api, order, 3),
        "name": confirm(api, order, 1, carrierName=""),
        "carrier": confirm(api, order, 1, carrierCode="Post-NL-Parcel"),
        "ref": confirm(api, order, 1, packageReferenceId="A1"),
        "afn": confirm(api, afn, 1),
    }
    assert {k: r.status_code for k, r in cases.items()} == dict.fromkeys(cases, 400)
    assert "shipDate" in cases["date"].json()["errors"][0]["message"]
    assert cases["over"].json()["errors"][0]["code"] == "InvalidInput"
    assert amazon.shipments(order["order_id"]) == []
    missing = api.call(
        "POST", "/orders/v0/orders/999-0000000-0000000/shipmentConfirmation", json={}
    )
    assert missing.status_code == 404


def test_resending_a_package_edits_it(api: Api, amazon: AmazonSandbox) -> None:
    order = amazon.place_order([("ART-00001", 2)])
    confirm(api, order, 2)
    confirm(api, order, 2, trackingNumber="3SNEW")
    assert [s["trackingNumber"] for s in amazon.shipments(order["order_id"])] == ["3SNEW"]


# -- control surface ----------------------------------------------------------------------------
def test_json_control_routes(api: Api, amazon: AmazonSandbox, server: SandboxServer) -> None:
    s, url = api.session, f"{server.url}/_control"
    placed = s.post(f"{url}/orders", json={"lines": [["ART-00002", 2]], "business": True}).json()
    s.post(f"{url}/throttle", json={"operation": "getFeed", "rate": 1, "burst": 1})
    s.post(f"{url}/listings/ART-00002/issue", json={"message": "later"})
    listing = s.get(f"{url}/listings/ART-00002").json()
    state = s.get(f"{url}/state").json()
    assert placed["items"][0]["quantity"] == 2
    assert placed["vat_number"].startswith("NL")
    assert listing == {"sku": "ART-00002", "quantity": 10, "issues": []}
    assert amazon.buckets["getFeed"].burst == 1
    assert amazon.listings["ART-00002"].armed_issue == "99300|later"
    assert state["orders"] == 1
    assert state["listings"] == 20
    assert s.post(f"{url}/orders", json={"lines": [["NOPE", 1]]}).status_code == 400
    s.post(
        f"{url}/reset",
        json={
            "seed": 2,
            "products": [{"code": "X-1", "ean": "8712345678906", "title": "X", "price": "2.50"}],
        },
    )
    assert list(amazon.listings) == ["X-1"]
    assert amazon.listings["X-1"].price == Decimal("2.50")


def test_sandbox_accepts_the_de_marketplace(amazon: AmazonSandbox) -> None:
    order = amazon.place_order([("ART-00001", 1)], marketplace_id=DE, country="DE")
    assert order["marketplace_id"] == DE
    with pytest.raises(ValueError, match="unknown marketplace"):
        AmazonSandbox(marketplace_ids=("XX",))


def test_place_order_by_ean_and_random_orders(amazon: AmazonSandbox) -> None:
    ean = amazon.listings["ART-00004"].ean
    by_ean = amazon.place_order([(ean, 2)])
    rng = random.Random(7)
    randoms = [amazon.random_order(rng) for _ in range(30)]
    assert by_ean["items"][0]["sku"] == "ART-00004"
    assert len(amazon.orders) == 31
    assert {o["fulfillment_channel"] for o in randoms} <= {"AFN", "MFN"}
    assert all(1 <= len(o["items"]) <= 3 for o in randoms)
    with pytest.raises(ValueError, match="no listing"):
        amazon.place_order([("NOPE", 1)])
