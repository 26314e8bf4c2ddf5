"""Webhooks against reference section 6: subscription, empty validation POST, signed callbacks."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from exactsync.sandbox import ExactSandbox

from .support import Api, Receiver

# reference 6.4 (PQ-AUTH regex; Python sketch)
SIGNED = re.compile(rb'\{"Content":(.*),"HashCode":"([0-9A-F]{64})"\}', re.S)


def _subscribe(api: Api, url: str, topic: str) -> Any:
    return api.post(
        "webhooks/WebhookSubscriptions", {"CallbackURL": f"{url}/exact/webhook", "Topic": topic}
    )


def _events(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    out = []
    for request in receiver.requests:
        if not request["body"]:
            continue
        match = SIGNED.fullmatch(request["body"])
        assert match, request["body"]
        expected = hmac.new(secret.encode(), match[1], hashlib.sha256).hexdigest().upper()
        assert hmac.compare_digest(expected, match[2].decode())
        out.append(json.loads(request["body"]))
    return out


def test_subscription_gets_an_empty_validation_post(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    response = _subscribe(api, url, "StockPositions")
    assert response.status_code == 201
    assert response.json()["d"]["Topic"] == "StockPositions"
    assert exact.flush_webhooks(timeout=5)
    assert len(rec.requests) == 1
    assert rec.requests[0]["body"] == b""  # reference 6.1: empty POST, Content-Length 0
    assert rec.requests[0]["headers"]["Content-Length"] == "0"
    listed = api.get("webhooks/WebhookSubscriptions").json()["d"]["results"]
    assert [s["Topic"] for s in listed] == ["StockPositions"]


def test_stock_change_sends_one_signed_event(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    _subscribe(api, url, "StockPositions")
    exact.flush_webhooks()
    item = exact.get_item("ART-00001")
    exact.change_stock("ART-00001", "1", -2)
    assert exact.flush_webhooks()
    events = _events(rec, exact.webhook_secret)
    assert len(events) == 1  # one changed row, one event
    content = events[0]["Content"]
    # reference 6.3: payload shape, no entity data
    assert list(content) == [
        "Topic",
        "ClientId",
        "Division",
        "Action",
        "Key",
        "ExactOnlineEndpoint",
        "EventCreatedOn",
    ]
    assert (content["Topic"], content["Action"], content["Key"], content["Division"]) == (
        "StockPositions",
        "Update",
        item["ID"],
        exact.division,
    )
    assert content["ClientId"] == exact.client_id
    assert content["ExactOnlineEndpoint"].startswith(exact.base_url)
    assert b" " not in rec.requests[-1]["body"].split(b'"EventCreatedOn"')[0]  # compact JSON


def test_item_events_carry_create_update_delete(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    _subscribe(api, url, "Items")
    exact.flush_webhooks()
    created = exact.add_item(Code="NEW-1")
    exact.update_item("NEW-1", Description="changed")
    exact.delete_item("NEW-1")
    exact.flush_webhooks()
    events = [e["Content"] for e in _events(rec, exact.webhook_secret)]
    assert [(e["Action"], e["Key"]) for e in events] == [
        ("Create", created["ID"]),
        ("Update", created["ID"]),
        ("Delete", created["ID"]),
    ]
    assert events[0]["ExactOnlineEndpoint"].endswith(f"/logistics/Items(guid'{created['ID']}')")


def test_tracking_number_fires_goods_deliveries(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    _subscribe(api, url, "GoodsDeliveries")
    order = exact.add_sales_order("20001", [("ART-00001", 1, 9.95)])
    delivery = exact.deliver_sales_order(order["OrderNumber"])
    exact.set_delivery_tracking(delivery["DeliveryNumber"], "3S123")
    exact.flush_webhooks()
    events = [e["Content"] for e in _events(rec, exact.webhook_secret)]
    assert [(e["Topic"], e["Action"], e["Key"]) for e in events] == [
        ("GoodsDeliveries", "Create", delivery["EntryID"]),
        ("GoodsDeliveries", "Update", delivery["EntryID"]),
    ]


def test_wrong_secret_does_not_verify(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    _subscribe(api, url, "Accounts")
    exact.add_account(Code="777", Name="Nieuwe klant", Status="C", IsSales=True)
    exact.flush_webhooks()
    body = next(r["body"] for r in rec.requests if r["body"])
    match = SIGNED.fullmatch(body)
    wrong = hmac.new(b"other-secret", match[1], hashlib.sha256).hexdigest().upper()
    assert wrong != match[2].decode()


def test_failed_validation_drops_the_subscription(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    rec.status = 500
    assert _subscribe(api, url, "Items").status_code == 201
    exact.flush_webhooks()
    assert [(d["kind"], d["status"]) for d in exact.webhook_deliveries] == [("validation", 500)]
    assert api.get("webhooks/WebhookSubscriptions").json()["d"]["results"] == []


def test_failed_event_is_recorded_and_not_retried(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    _subscribe(api, url, "StockPositions")
    exact.flush_webhooks()
    rec.status = 503
    exact.change_stock("ART-00001", "1", 1)
    exact.flush_webhooks()
    assert [(d["kind"], d["status"]) for d in exact.webhook_deliveries] == [
        ("validation", 200),
        ("event", 503),
    ]
    assert len(rec.requests) == 2


def test_delete_subscription_stops_events(
    api: Api, exact: ExactSandbox, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    sub = _subscribe(api, url, "StockPositions").json()["d"]
    exact.flush_webhooks()
    assert api.delete(f"webhooks/WebhookSubscriptions(guid'{sub['ID']}')").status_code == 204
    exact.change_stock("ART-00001", "1", 1)
    exact.flush_webhooks()
    assert len(rec.requests) == 1  # only the validation POST


def test_unknown_topic_is_refused(api: Api, receiver: tuple[Receiver, str]) -> None:
    _, url = receiver
    response = _subscribe(api, url, "SupplierItems")  # reference 6.2: no such topic
    assert response.status_code == 500
