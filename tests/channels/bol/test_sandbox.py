"""The bol.com sandbox against the reference (channel-apis.md section 1), over raw HTTP."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests

from channels_app.sandbox.bol import (
    BAD_REQUEST_TITLE,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    EXPORT_COLUMNS,
    MEDIA_CSV,
    MEDIA_JSON,
    BolSandbox,
)
from common.http import build_session
from common.sandbox import SandboxServer

from .support import START, FakeClock

PROBLEM = "https://api.bol.com/problems"


class Api:
    """A bare HTTP client for the sandbox: a token and the v10 headers, nothing else."""

    def __init__(self, server: SandboxServer) -> None:
        self.url = server.url
        self.session = build_session()
        self.token = self.grant().json()["access_token"]

    def grant(self, secret: str = DEFAULT_CLIENT_SECRET, **kw: Any) -> requests.Response:
        params = kw.pop("params", {"grant_type": "client_credentials"})
        return self.session.post(
            f"{self.url}/token", params=params, auth=(DEFAULT_CLIENT_ID, secret), **kw
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        accept: str | None = MEDIA_JSON,
        content_type: str = MEDIA_JSON,
        **kw: Any,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if accept is not None:
            headers["Accept"] = accept
        if body is not None:
            headers["Content-Type"] = content_type
            kw["json"] = body
        return self.session.request(method, f"{self.url}{path}", headers=headers, **kw)

    def renew(self) -> None:
        """A fresh token, after the clock jumped past the old one's 299 s."""
        self.token = self.grant().json()["access_token"]

    def orders(self, **params: Any) -> requests.Response:
        return self.call("GET", "/retailer/orders", params=params)

    def process(self, process_id: str) -> dict[str, Any]:
        return self.call("GET", f"/shared/process-status/{process_id}").json()


@pytest.fixture
def api(server: SandboxServer, bol: BolSandbox) -> Api:
    return Api(server)


# -- token ------------------------------------------------------------------------------------------
def test_token_grant_answers_like_login_bol_com(api: Api) -> None:
    response = api.grant()

    assert response.status_code == 200
    data = response.json()
    assert {k: v for k, v in data.items() if k != "access_token"} == {
        "token_type": "Bearer",
        "expires_in": 299,
        "scope": "RETAILER",
    }
    assert data["access_token"].count(".") == 2


def test_grant_type_may_come_as_form_body(api: Api) -> None:
    response = api.grant(params={}, data={"grant_type": "client_credentials"})

    assert response.status_code == 200


def test_bad_client_credentials_are_invalid_client(api: Api, bol: BolSandbox) -> None:
    response = api.grant(secret="nope")

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Bad client credentials",
    }
    assert bol.token_requests == 2


def test_token_expires_after_299_seconds_with_expired_jwt(api: Api, clock: FakeClock) -> None:
    clock.advance(298)
    assert api.orders().status_code == 200

    clock.advance(1)
    response = api.orders()

    assert response.status_code == 401
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == (PROBLEM, "Expired JWT", 401)
    assert body["detail"] == (
        "JWT expired at 2025-10-09T08:58:19Z. Current time: 2025-10-09T08:58:19Z, a difference of 0 "
        "milliseconds. Allowed clock skew: 0 milliseconds."
    )


def test_missing_bearer_token_is_401(api: Api) -> None:
    response = api.session.get(f"{api.url}/retailer/orders", headers={"Accept": MEDIA_JSON})

    assert (response.status_code, response.json()["title"]) == (401, "Unauthorized")


# -- media types ------------------------------------------------------------------------------------
@pytest.mark.parametrize("accept", [None, "application/json", "application/vnd.retailer.v9+json"])
def test_accept_must_be_the_v10_media_type(api: Api, accept: str | None) -> None:
    response = api.call("GET", "/retailer/orders", accept=accept)

    assert response.status_code == 406
    assert response.json() == {
        "type": PROBLEM,
        "title": "Not Acceptable",
        "status": 406,
        "detail": "The Accept header must be application/vnd.retailer.v10+json.",
        "host": "Instance-001",
        "instance": f"{api.url}/retailer/orders",
    }


def test_request_body_must_be_sent_as_v10_json(api: Api, bol: BolSandbox) -> None:
    offer = bol.offer_for("ART-00001")["offerId"]

    response = api.call(
        "PUT",
        f"/retailer/offers/{offer}/stock",
        body={"amount": 1, "managedByRetailer": True},
        content_type="application/json",
    )

    assert response.status_code == 415
    assert response.json()["title"] == "Unsupported Media Type"


# -- orders -----------------------------------------------------------------------------------------
def test_orders_list_is_50_per_page_newest_first_and_ends_with_an_empty_object(
    api: Api, bol: BolSandbox
) -> None:
    ids = [
        bol.place_order([("ART-00001", 1)], placed_at=START - 100 + n)["orderId"] for n in range(51)
    ]

    first, second, third = (api.orders(page=p) for p in (1, 2, 3))

    assert [o["orderId"] for o in first.json()["orders"]] == ids[::-1][:50]
    assert [o["orderId"] for o in second.json()["orders"]] == [ids[0]]
    assert third.status_code == 200
    assert third.text == "{}"
    assert third.headers["Content-Type"] == MEDIA_JSON


def test_reduced_order_shape(api: Api, bol: BolSandbox) -> None:
    order = bol.place_order([("ART-00001", 2)])
    item = order["orderItems"][0]

    [listed] = api.orders().json()["orders"]

    assert listed == {
        "orderId": order["orderId"],
        "orderPlacedDateTime": "2025-10-09T10:53:20+02:00",
        "orderItems": [
            {
                "orderItemId": item["orderItemId"],
                "ean": bol.products[0]["ean"],
                "fulfilmentMethod": "FBR",
                "fulfilmentStatus": "OPEN",
                "quantity": 2,
                "quantityShipped": 0,
                "quantityCancelled": 0,
                "cancellationRequest": False,
                "latestChangedDateTime": "2025-10-09T10:53:20+02:00",
            }
        ],
    }


def test_order_detail_shape(api: Api, bol: BolSandbox) -> None:
    order = bol.place_order([("ART-00002", 3, "12.99")], business=True)

    detail = api.call("GET", f"/retailer/orders/{order['orderId']}").json()

    assert set(detail) == {
        "orderId",
        "pickupPoint",
        "orderPlacedDateTime",
        "shipmentDetails",
        "billingDetails",
        "orderItems",
    }
    assert {"vatNumber", "kvkNumber", "orderReference"} <= set(detail["billingDetails"])
    item = detail["orderItems"][0]
    assert item["fulfilment"] == {
        "method": "FBR",
        "distributionParty": "RETAILER",
        "latestDeliveryDate": "2025-10-11",
        "exactDeliveryDate": None,
        "expiryDate": "2025-10-14",
        "timeFrameType": "REGULAR",
    }
    assert item["offer"] == {
        "offerId": bol.offer_for("ART-00002")["offerId"],
        "reference": "ART-00002",
    }
    assert (item["unitPrice"], item["totalPrice"], item["quantity"]) == (12.99, 38.97, 3)


def test_invalid_filter_value_is_a_problem_with_violations(api: Api) -> None:
    response = api.orders(status="X")

    assert response.status_code == 400
    assert response.json() == {
        "type": PROBLEM,
        "title": BAD_REQUEST_TITLE,
        "status": 400,
        "detail": "Bad request",
        "host": "Instance-001",
        "instance": f"{api.url}/retailer/orders",
        "violations": [
            {
                "name": "status",
                "reason": "Request contains invalid value(s): 'X', allowed values: OPEN, SHIPPED, ALL.",
            }
        ],
    }


def test_change_interval_is_at_most_60_minutes(api: Api) -> None:
    response = api.orders(**{"change-interval-minute": 61})

    assert response.json()["violations"] == [
        {"name": "change-interval-minute", "reason": "must be less than or equal to 60"}
    ]


def test_handled_items_leave_open_at_once_and_every_list_after_48_hours(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    order = bol.place_order([("ART-00001", 1), ("ART-00002", 1)])
    first, second = (i["orderItemId"] for i in order["orderItems"])
    shipped = api.call(
        "POST",
        "/retailer/shipments",
        body={"orderItems": [{"orderItemId": first}], "transport": {"transporterCode": "TNT"}},
    )
    clock.advance(0.2)
    assert api.process(shipped.json()["processStatusId"])["status"] == "SUCCESS"

    open_items = api.orders(status="OPEN").json()["orders"][0]["orderItems"]
    all_items = api.orders(status="ALL").json()["orders"][0]["orderItems"]
    assert [i["orderItemId"] for i in open_items] == [second]
    assert [(i["orderItemId"], i["fulfilmentStatus"], i["quantityShipped"]) for i in all_items] == [
        (first, "HANDLED", 1),
        (second, "OPEN", 0),
    ]
    assert [
        i["orderItemId"] for i in api.orders(status="SHIPPED").json()["orders"][0]["orderItems"]
    ] == [first]

    bol.cancel_order(order["orderId"])
    assert api.orders(status="OPEN").text == "{}"
    clock.advance(48 * 3600 + 1)
    api.renew()
    assert api.orders(status="ALL").text == "{}"


def test_change_filters(api: Api, bol: BolSandbox, clock: FakeClock) -> None:
    old = bol.place_order([("ART-00001", 1)], placed_at=START - 2 * 86400)["orderId"]
    new = bol.place_order([("ART-00001", 1)], placed_at=START - 120)["orderId"]

    recent = api.orders(status="ALL", **{"change-interval-minute": 5}).json()["orders"]
    by_date = api.orders(status="ALL", **{"latest-change-date": "2025-10-07"}).json()["orders"]

    assert [o["orderId"] for o in recent] == [new]
    assert [o["orderId"] for o in by_date] == [old]


def test_cancellation_request_shows_in_list_and_detail(api: Api, bol: BolSandbox) -> None:
    order = bol.place_order([("ART-00001", 1), ("ART-00002", 1)])
    second = order["orderItems"][1]["orderItemId"]

    bol.request_cancellation(order["orderId"], second)

    listed = api.orders().json()["orders"][0]["orderItems"]
    detail = api.call("GET", f"/retailer/orders/{order['orderId']}").json()["orderItems"]
    assert [i["cancellationRequest"] for i in listed] == [False, True]
    assert [i["cancellationRequest"] for i in detail] == [False, True]


def test_cancellation_takes_exactly_one_item_and_is_asynchronous(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    order = bol.place_order([("ART-00001", 2), ("ART-00002", 1)])
    first, second = (i["orderItemId"] for i in order["orderItems"])

    two = api.call(
        "PUT",
        "/retailer/orders/cancellation",
        body={
            "orderItems": [
                {"orderItemId": first, "reasonCode": "OUT_OF_STOCK"},
                {"orderItemId": second, "reasonCode": "OUT_OF_STOCK"},
            ]
        },
    )
    one = api.call(
        "PUT",
        "/retailer/orders/cancellation",
        body={"orderItems": [{"orderItemId": first, "reasonCode": "REQUESTED_BY_CUSTOMER"}]},
    )

    assert two.json()["violations"] == [
        {"name": "orderItems", "reason": "size must be between 1 and 1"}
    ]
    assert one.status_code == 202
    process = one.json()
    assert (process["eventType"], process["entityId"], process["status"]) == (
        "CANCEL_ORDER",
        first,
        "PENDING",
    )
    clock.advance(0.2)
    assert api.process(process["processStatusId"])["status"] == "SUCCESS"
    assert [i["quantityCancelled"] for i in bol.order(order["orderId"])["orderItems"]] == [2, 0]


def test_fbb_orders_are_marked_fbb_and_shipped_by_bol(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    order = bol.place_order([("ART-00001", 1)], fbb=True)

    assert api.orders().text == "{}"  # the default filter is FBR
    [listed] = api.orders(**{"fulfilment-method": "FBB"}).json()["orders"]
    assert listed["orderItems"][0]["fulfilmentMethod"] == "FBB"

    clock.advance(900)
    api.renew()
    assert api.orders(**{"fulfilment-method": "FBB"}).text == "{}"
    shipments = api.call("GET", "/retailer/shipments", params={"fulfilment-method": "FBB"}).json()[
        "shipments"
    ]
    assert [s["order"]["orderId"] for s in shipments] == [order["orderId"]]


def test_unshipped_items_are_cancelled_on_their_expiry_date(
    bol: BolSandbox, clock: FakeClock
) -> None:
    order = bol.place_order([("ART-00001", 2)])  # expiryDate 2025-10-14

    clock.advance(4 * 86400)
    assert bol.order(order["orderId"])["orderItems"][0]["quantityCancelled"] == 0
    clock.advance(86400)
    assert bol.order(order["orderId"])["orderItems"][0]["quantityCancelled"] == 2


# -- rate limits ------------------------------------------------------------------------------------
def test_rate_limit_headers_and_429_with_retry_after(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    bol.throttle("GET /retailer/orders", per_minute=2)

    responses = [api.orders() for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert [
        (
            r.headers["X-RateLimit-Limit"],
            r.headers["X-RateLimit-Remaining"],
            r.headers["X-RateLimit-Reset"],
        )
        for r in responses
    ] == [("2", "1", "60"), ("2", "0", "60"), ("2", "0", "60")]
    assert responses[2].headers["Retry-After"] == "60"
    assert responses[2].json()["detail"] == "Too many requests, retry in 60 seconds."
    clock.advance(60)
    assert api.orders().headers["X-RateLimit-Remaining"] == "1"


def test_429_can_come_without_retry_after(api: Api, bol: BolSandbox) -> None:
    bol.throttle("*/offers/{id}/stock", per_second=1, retry_after=False)
    offer = bol.offer_for("ART-00001")["offerId"]
    body = {"amount": 1, "managedByRetailer": True}

    first, second = (
        api.call("PUT", f"/retailer/offers/{offer}/stock", body=body) for _ in range(2)
    )

    assert (first.status_code, second.status_code) == (202, 429)
    assert "Retry-After" not in second.headers
    assert second.headers["X-RateLimit-Reset"] == "1"


def test_every_api_response_has_rate_limit_headers(api: Api) -> None:
    for response in (
        api.orders(),
        api.call("GET", "/retailer/orders/NOPE"),
        api.orders(status="X"),
    ):
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
            response.headers
        )


# -- stock and process status -----------------------------------------------------------------------
def test_stock_update_is_202_pending_then_success(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    offer = bol.offer_for("ART-00001")["offerId"]

    response = api.call(
        "PUT", f"/retailer/offers/{offer}/stock", body={"amount": 6, "managedByRetailer": True}
    )

    assert response.status_code == 202
    process = response.json()
    assert {k: process[k] for k in ("entityId", "eventType", "status", "errorMessage")} == {
        "entityId": offer,
        "eventType": "UPDATE_OFFER_STOCK",
        "status": "PENDING",
        "errorMessage": None,
    }
    assert process["links"] == [
        {
            "rel": "self",
            "method": "GET",
            "href": f"{api.url}/shared/process-status/{process['processStatusId']}",
        }
    ]
    assert api.process(process["processStatusId"])["status"] == "PENDING"
    assert bol.offer_stock(offer)["amount"] != 6
    clock.advance(0.2)
    assert api.process(process["processStatusId"])["status"] == "SUCCESS"
    assert api.call("GET", f"/retailer/offers/{offer}").json()["stock"] == {
        "amount": 6,
        "correctedStock": 6,
        "managedByRetailer": True,
    }


def test_stock_amount_above_999_is_rejected(api: Api, bol: BolSandbox) -> None:
    offer = bol.offer_for("ART-00001")["offerId"]

    response = api.call(
        "PUT", f"/retailer/offers/{offer}/stock", body={"amount": 1000, "managedByRetailer": True}
    )

    assert response.status_code == 400
    assert response.json()["violations"] == [
        {"name": "amount", "reason": "must be less than or equal to 999"}
    ]


def test_corrected_stock_subtracts_open_orders_unless_managed_by_retailer(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    offer = bol.offer_for("ART-00001")
    bol.place_order([("ART-00001", 2)])
    assert bol.offer_stock(offer["offerId"])["correctedStock"] == offer["stock"]["amount"] - 2

    api.call(
        "PUT",
        f"/retailer/offers/{offer['offerId']}/stock",
        body={"amount": 10, "managedByRetailer": True},
    )
    clock.advance(1)
    bol.place_order([("ART-00001", 3)])

    assert bol.offer_stock(offer["offerId"]) == {
        "amount": 10,
        "correctedStock": 7,
        "managedByRetailer": True,
    }


def test_process_can_finish_after_n_polls(api: Api, bol: BolSandbox) -> None:
    bol.process_polls = 2
    offer = bol.offer_for("ART-00001")["offerId"]
    process_id = api.call(
        "PUT", f"/retailer/offers/{offer}/stock", body={"amount": 3, "managedByRetailer": True}
    ).json()["processStatusId"]

    assert [api.process(process_id)["status"] for _ in range(3)] == [
        "PENDING",
        "SUCCESS",
        "SUCCESS",
    ]


def test_process_status_by_entity_bulk_and_retention(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    offer = bol.offer_for("ART-00001")["offerId"]
    process_id = api.call(
        "PUT", f"/retailer/offers/{offer}/stock", body={"amount": 3, "managedByRetailer": True}
    ).json()["processStatusId"]
    clock.advance(0.2)

    by_entity = api.call(
        "GET",
        "/shared/process-status",
        params={"entity-id": offer, "event-type": "UPDATE_OFFER_STOCK"},
    ).json()
    bulk = api.call(
        "POST",
        "/shared/process-status",
        body={
            "processStatusQueries": [{"processStatusId": process_id}, {"processStatusId": "999"}]
        },
    )
    too_many = api.call(
        "POST",
        "/shared/process-status",
        body={"processStatusQueries": [{"processStatusId": str(n)} for n in range(1001)]},
    )

    assert [p["processStatusId"] for p in by_entity["processStatuses"]] == [process_id]
    assert [(p["processStatusId"], p["status"]) for p in bulk.json()["processStatuses"]] == [
        (process_id, "SUCCESS")
    ]
    assert too_many.json()["violations"] == [
        {"name": "processStatusQueries", "reason": "size must be between 1 and 1000"}
    ]
    clock.advance(48 * 3600 + 1)
    api.renew()
    gone = api.call("GET", f"/shared/process-status/{process_id}")
    assert (gone.status_code, gone.json()["title"]) == (404, "Not Found")


def test_armed_process_outcomes(api: Api, bol: BolSandbox, clock: FakeClock) -> None:
    offer = bol.offer_for("ART-00001")["offerId"]
    bol.fail_process_next(1, "FAILURE", "Offer is on hold.")
    bol.fail_process_next(1, "TIMEOUT")
    ids = [
        api.call(
            "PUT", f"/retailer/offers/{offer}/stock", body={"amount": n, "managedByRetailer": True}
        ).json()["processStatusId"]
        for n in (1, 2, 3)
    ]
    clock.advance(0.2)

    outcomes = [(p["status"], p["errorMessage"]) for p in (api.process(i) for i in ids)]

    assert outcomes == [
        ("FAILURE", "Offer is on hold."),
        ("TIMEOUT", "The request was not processed in time, please resubmit."),
        ("SUCCESS", None),
    ]
    assert bol.offer_stock(offer)["amount"] == 3


# -- shipments --------------------------------------------------------------------------------------
def test_shipment_is_asynchronous_and_reshipping_fails(
    api: Api, bol: BolSandbox, clock: FakeClock
) -> None:
    order = bol.place_order([("ART-00001", 1)])
    item_id = order["orderItems"][0]["orderItemId"]
    body = {
        "orderItems": [{"orderItemId": item_id, "quantity": 1}],
        "shipmentReference": "PKG-1",
        "transport": {"transporterCode": "TNT", "trackAndTrace": "3SABC"},
    }

    first = api.call("POST", "/retailer/shipments", body=body).json()
    second = api.call("POST", "/retailer/shipments", body=body).json()
    clock.advance(0.2)

    assert (first["status"], first["eventType"], first["entityId"]) == (
        "PENDING",
        "CREATE_SHIPMENT",
        item_id,
    )
    assert api.process(first["processStatusId"])["status"] == "SUCCESS"
    assert (
        api.process(second["processStatusId"])["errorMessage"]
        == f"Order item {item_id} has already been shipped."
    )
    [listed] = api.call("GET", "/retailer/shipments", params={"order-id": order["orderId"]}).json()[
        "shipments"
    ]
    assert listed["shipmentItems"] == [
        {"orderItemId": item_id, "ean": bol.products[0]["ean"], "quantity": 1}
    ]
    assert set(listed["transport"]) == {"transportId"}
    detail = api.call("GET", f"/retailer/shipments/{listed['shipmentId']}").json()
    assert (detail["transport"]["transporterCode"], detail["transport"]["trackAndTrace"]) == (
        "TNT",
        "3SABC",
    )


def test_shipment_validation(api: Api, bol: BolSandbox) -> None:
    item_id = bol.place_order([("ART-00001", 1)])["orderItems"][0]["orderItemId"]

    response = api.call(
        "POST",
        "/retailer/shipments",
        body={
            "orderItems": [{"orderItemId": item_id}],
            "shipmentReference": "",
            "shippingLabelId": "L1",
            "transport": {"transporterCode": "TNT"},
        },
    )

    assert response.json()["violations"] == [
        {"name": "shipmentReference", "reason": "size must be between 1 and 90"},
        {"name": "transport", "reason": "Provide either shippingLabelId or transport, not both."},
    ]


# -- offer export -----------------------------------------------------------------------------------
def test_offer_export_is_a_process_then_a_csv(api: Api, bol: BolSandbox, clock: FakeClock) -> None:
    process = api.call("POST", "/retailer/offers/export", body={"format": "CSV"}).json()
    assert (process["eventType"], process["entityId"]) == ("CREATE_OFFER_EXPORT", None)
    clock.advance(0.2)
    done = api.process(process["processStatusId"])
    assert done["status"] == "SUCCESS"

    as_json = api.call("GET", f"/retailer/offers/export/{done['entityId']}")
    as_csv = api.call("GET", f"/retailer/offers/export/{done['entityId']}", accept=MEDIA_CSV)

    assert as_json.status_code == 406
    assert as_csv.headers["Content-Type"] == MEDIA_CSV
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 20
    offer = bol.offer_for("ART-00001")
    assert (
        rows[0]["offerId"],
        rows[0]["ean"],
        rows[0]["referenceCode"],
        rows[0]["stockAmount"],
    ) == (offer["offerId"], offer["ean"], "ART-00001", str(offer["stock"]["amount"]))


# -- faults, reset, control routes ------------------------------------------------------------------
def test_injected_5xx_is_html(api: Api, bol: BolSandbox) -> None:
    bol.fail_next(1, status=502)

    response = api.orders()

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")


def test_reset_builds_a_catalogue_with_valid_eans(bol: BolSandbox) -> None:
    assert [p["code"] for p in bol.products] == [f"ART-{n:05d}" for n in range(1, 21)]
    for product in bol.products:
        digits = [int(d) for d in product["ean"]]
        assert len(digits) == 13
        assert sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    assert {o["reference"] for o in (bol.offer(i) for i in bol.offers)} == {
        p["code"] for p in bol.products
    }


def test_control_routes_over_http(api: Api, bol: BolSandbox, clock: FakeClock) -> None:
    s, url = api.session, api.url
    assert s.post(
        f"{url}/_control/reset",
        json={
            "seed": 2,
            "products": [{"code": "X-1", "ean": "8712345678906", "title": "Widget", "price": 12.5}],
        },
    ).json() == {"ok": True}
    token = api.grant().json()["access_token"]
    api.token = token

    order = s.post(f"{url}/_control/orders", json={"lines": [["X-1", 2]], "country": "BE"}).json()
    random_order = s.post(f"{url}/_control/orders/random", json={"seed": 3}).json()
    requested = s.post(
        f"{url}/_control/orders/{order['orderId']}/request-cancellation", json={}
    ).json()
    cancelled = s.post(f"{url}/_control/orders/{order['orderId']}/cancel").json()
    throttled = s.post(
        f"{url}/_control/throttle", json={"endpoint": "GET /retailer/orders", "per_minute": 1}
    ).json()
    s.post(f"{url}/_control/fail-process", json={"count": 1, "status": "TIMEOUT"})
    s.post(f"{url}/_control/account", json={"active": False})
    inactive = api.orders()
    s.post(f"{url}/_control/account", json={"active": True})
    s.post(f"{url}/_control/expire-tokens")
    expired = api.orders()
    unknown = s.post(f"{url}/_control/orders", json={"lines": [["NOPE", 1]]})

    assert (order["shipmentDetails"]["countryCode"], order["orderItems"][0]["quantity"]) == (
        "BE",
        2,
    )
    assert random_order["orderItems"][0]["offer"]["reference"] == "X-1"
    assert requested["orderItems"][0]["cancellationRequest"] is True
    assert cancelled["orderItems"][0]["quantityCancelled"] == 2
    assert throttled == {"endpoints": ["GET /retailer/orders"]}
    assert (inactive.status_code, inactive.json()["detail"]) == (403, "Account is not active")
    assert (expired.status_code, expired.json()["title"]) == (401, "Expired JWT")
    assert unknown.status_code == 404
    assert bol.armed[0].status == "TIMEOUT"
    [offer] = s.get(f"{url}/_control/offers").json()["offers"]
    assert (offer["reference"], offer["ean"]) == ("X-1", "8712345678906")
    state = s.get(f"{url}/_control/state").json()
    assert state == {
        "token_requests": 1,
        "orders": 2,
        "offers": 1,
        "shipments": 0,
        "processes": 0,
        "responses_429": 0,
    }
