"""Purchase orders and goods receipts against reference 5.6, 7 (errors) and 3.2 (POST envelope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exactsync.sandbox import ExactSandbox

from .support import START, Api


@pytest.fixture
def po_setup(exact: ExactSandbox) -> dict[str, Any]:
    """A supplier 9001 selling T-1 per box of 6, T-1 linked to the main warehouse only."""
    supplier = exact.add_account(Code="9001", Name="Testleverancier", IsSupplier=True)
    item = exact.add_item(Code="T-1", Description="Testartikel", CostPriceStandard=2.0)
    exact.add_supplier_item(
        "T-1",
        "9001",
        PurchaseUnit="box",
        PurchaseUnitFactor=6,
        PurchasePrice=10.0,
        SupplierItemCode="SUP-T1",
    )
    return {
        "supplier": supplier["ID"],
        "item": item["ID"],
        "warehouse2": exact.state.by_code["warehouses"]["2"],
    }


def _order(setup: dict[str, Any], **line: Any) -> dict[str, Any]:
    return {
        "Supplier": setup["supplier"],
        "YourRef": "BO-123",
        "PurchaseOrderLines": [
            {"Item": setup["item"], "QuantityInPurchaseUnits": 4, "NetPrice": 12.5, **line}
        ],
    }


def _error(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == ""  # reference 7.1
    return body["error"]["message"]["value"]


def test_post_deep_insert_answers_201_with_source_11(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    response = api.post("purchaseorder/PurchaseOrders", _order(po_setup))
    assert response.status_code == 201  # reference 3.2: POST -> 201 {"d": {...}}
    d = response.json()["d"]
    assert d["Source"] == 11  # reference 5.6: 11 = REST API
    assert (d["OrderStatus"], d["ReceiptStatus"]) == (10, 10)
    assert d["YourRef"] == "BO-123"
    assert isinstance(d["OrderNumber"], int)
    lines = d["PurchaseOrderLines"]["results"]
    assert len(lines) == 1
    # reference 5.2: item-unit quantity = QuantityInPurchaseUnits x PurchaseUnitFactor
    assert (lines[0]["QuantityInPurchaseUnits"], lines[0]["Quantity"], lines[0]["Unit"]) == (
        4,
        24,
        "box",
    )
    assert lines[0]["ReceivedQuantity"] == 0
    assert lines[0]["SupplierItemCode"] == "SUP-T1"
    assert exact.stock("T-1", "1")["PlanningIn"] == 24


def test_post_without_prefer_returns_mostly_nulls(api: Api, po_setup: dict[str, Any]) -> None:
    d = api.post("purchaseorder/PurchaseOrders", _order(po_setup), prefer=False).json()["d"]
    assert d["PurchaseOrderID"]  # the key is always there
    assert d["OrderNumber"] is None
    assert d["Source"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("kit", "Verplicht: Inkoop"),
        ("unlinked_supplier", "Het artikel en de leverancier zijn niet gekoppeld"),
        ("warehouse2", "Het artikel en het magazijn zijn niet gekoppeld."),
        ("ended", "Artikel: Non actief"),
        ("future", "Artikel: Toekomstig"),
        ("blocked_supplier", "Geblokkeerd: Leverancier"),
        ("blocked_vat", "Geblokkeerd: Btw code (6)"),
    ],
)
def test_business_rule_errors_are_500_with_dutch_texts(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any], change: str, message: str
) -> None:
    body = _order(po_setup)
    line = body["PurchaseOrderLines"][0]
    tomorrow = dt.datetime.fromtimestamp(START, tz=dt.UTC) + dt.timedelta(days=1)
    if change == "kit":
        line["Item"] = exact.get_item("ART-00008")["ID"]  # a sales-only kit
    elif change == "unlinked_supplier":
        exact.add_item(Code="T-2")
        line["Item"] = exact.get_item("T-2")["ID"]
    elif change == "warehouse2":
        body["Warehouse"] = po_setup["warehouse2"]
    elif change == "ended":
        exact.update_item(
            "T-1", EndDate=dt.datetime.fromtimestamp(START, tz=dt.UTC) - dt.timedelta(days=1)
        )
    elif change == "future":
        exact.update_item("T-1", StartDate=tomorrow)
    elif change == "blocked_supplier":
        exact.update_account("9001", Blocked=True)
    elif change == "blocked_vat":
        line["VATCode"] = "6"
    response = api.post("purchaseorder/PurchaseOrders", body)
    assert response.status_code == 500  # reference 7.2: business rules come back as 500
    assert _error(response) == message  # reference 7.3
    assert exact.purchase_orders() == []


def test_non_guid_supplier_is_a_conversion_error(api: Api, po_setup: dict[str, Any]) -> None:
    body = _order(po_setup)
    body["Supplier"] = "9001"
    response = api.post("purchaseorder/PurchaseOrders", body)
    assert response.status_code == 400
    assert (
        "converting the value from request payload for property 'Supplier' to type 'Guid'"
        in _error(response)
    )


def test_malformed_payloads_are_400(api: Api, po_setup: dict[str, Any]) -> None:
    unknown = api.post("purchaseorder/PurchaseOrders", {**_order(po_setup), "Colour": "red"})
    assert unknown.status_code == 400
    assert _error(unknown).startswith(
        "The property 'Colour' does not exist on type 'Exact.Web.Api.Models.PurchaseOrder'."
    )
    not_object = api.post("purchaseorder/PurchaseOrders", [1, 2])
    assert not_object.status_code == 400
    assert (
        _error(not_object)
        == "Error processing request stream. The request should be a valid top-level resource object."
    )


def test_lost_response_still_creates_the_order(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    exact.fail_next(1, status=500, after_commit=True, paths=["purchaseorder/PurchaseOrders"])
    response = api.post("purchaseorder/PurchaseOrders", _order(po_setup))
    assert response.status_code == 500
    found = api.get(
        "purchaseorder/PurchaseOrders",
        **{"$filter": "YourRef eq 'BO-123'", "$select": "PurchaseOrderID,OrderNumber"},
    )
    assert len(found.json()["d"]["results"]) == 1


def test_order_typed_in_exact_is_not_source_11(
    exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    order = exact.add_purchase_order("9001", [("T-1", 2, 9.0)], your_ref="manual")
    assert order["Source"] != 11
    assert order["PurchaseOrderLines"][0]["Quantity"] == 12


def test_receipts_update_po_quantities_statuses_and_stock(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    before = exact.stock("T-1", "1")
    order = exact.add_purchase_order("9001", [("T-1", 2, 9.0)])  # 12 pieces
    assert exact.stock("T-1", "1")["PlanningIn"] == before["PlanningIn"] + 12
    exact.receive_purchase_order(order["OrderNumber"], [("T-1", 5)])
    line = exact.purchase_orders()[0]["PurchaseOrderLines"][0]
    assert line["ReceivedQuantity"] == 5
    po = exact.purchase_orders()[0]
    assert (po["ReceiptStatus"], po["OrderStatus"]) == (20, 20)  # reference 5.6: 20 partial
    after = exact.stock("T-1", "1")
    assert after["CurrentStock"] == before["CurrentStock"] + 5
    assert after["FreeStock"] == before["FreeStock"] + 5
    assert after["PlanningIn"] == before["PlanningIn"] + 7
    exact.receive_purchase_order(order["OrderNumber"])
    assert exact.purchase_orders()[0]["ReceiptStatus"] == 30
    assert exact.stock("T-1", "1")["PlanningIn"] == before["PlanningIn"]
    # reference 5.6: no sync twin for receipts; filter on Modified / Created instead
    receipts = api.get(
        "purchaseorder/GoodsReceipts",
        **{"$filter": "Modified ge datetime'2026-03-02T00:00:00'", "$expand": "GoodsReceiptLines"},
    )
    rows = receipts.json()["d"]["results"]
    assert [
        sum(x["QuantityReceived"] for x in r["GoodsReceiptLines"]["results"]) for r in rows
    ] == [5, 7]
    lines = api.get(
        "purchaseorder/GoodsReceiptLines",
        **{"$filter": f"PurchaseOrderNumber eq {order['OrderNumber']}"},
    ).json()["d"]["results"]
    assert {x["PurchaseOrderLineID"] for x in lines} == {line["ID"]}


def test_goods_receipt_post(api: Api, exact: ExactSandbox, po_setup: dict[str, Any]) -> None:
    order = exact.add_purchase_order("9001", [("T-1", 1, 9.0)])
    line_id = order["PurchaseOrderLines"][0]["ID"]
    response = api.post(
        "purchaseorder/GoodsReceipts",
        {
            "YourRef": "PAKBON-1",
            "GoodsReceiptLines": [{"PurchaseOrderLineID": line_id, "QuantityReceived": 6}],
        },
    )
    assert response.status_code == 201
    assert exact.purchase_orders()[0]["ReceiptStatus"] == 30


def test_sync_purchase_orders_are_at_line_grain(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    exact.add_supplier_item("ART-00001", "9001", PurchasePrice=3.0)
    order = exact.add_purchase_order(
        "9001", [("T-1", 1, 9.0), ("ART-00001", 3, 3.0)], your_ref="two-lines"
    )
    rows = api.get("sync/PurchaseOrder/PurchaseOrders", **{"$filter": "Timestamp gt 0L"}).json()[
        "d"
    ]["results"]
    # reference 3.6: one row per PO line, header fields repeated
    assert [(r["PurchaseOrderID"], r["YourRef"], r["ItemCode"]) for r in rows] == [
        (order["PurchaseOrderID"], "two-lines", "T-1"),
        (order["PurchaseOrderID"], "two-lines", "ART-00001"),
    ]
    assert len({r["ID"] for r in rows}) == 2


def test_delete_purchase_order_releases_planning(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    order = api.post("purchaseorder/PurchaseOrders", _order(po_setup)).json()["d"]
    assert (
        api.delete(f"purchaseorder/PurchaseOrders(guid'{order['PurchaseOrderID']}')").status_code
        == 204
    )
    assert exact.stock("T-1", "1")["PlanningIn"] == 0
    deleted = api.get("sync/Deleted", **{"$filter": "EntityType eq 22"}).json()["d"]["results"]
    assert [r["EntityKey"] for r in deleted] == [order["PurchaseOrderID"]]


def test_header_change_reaches_every_sync_line(
    api: Api, exact: ExactSandbox, po_setup: dict[str, Any]
) -> None:
    exact.add_supplier_item("ART-00001", "9001", PurchasePrice=3.0)
    order = exact.add_purchase_order("9001", [("T-1", 1, 9.0), ("ART-00001", 3, 3.0)])
    stamp = exact.state.timestamp
    exact.receive_purchase_order(order["OrderNumber"], [("T-1", 6)])
    rows = api.get(
        "sync/PurchaseOrder/PurchaseOrders", **{"$filter": f"Timestamp gt {stamp}L"}
    ).json()["d"]["results"]
    # the untouched ART-00001 line repeats the header's new status, so it changed too
    assert sorted((r["ItemCode"], r["OrderStatus"], r["ReceivedQuantity"]) for r in rows) == [
        ("ART-00001", 20, 0),
        ("T-1", 20, 6),
    ]
