"""Sales orders, deliveries and tracking numbers against reference 5.7, 5.8, 5.10 and 7."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exactsync.sandbox import ExactSandbox

from .support import START, Api


def _customer(exact: ExactSandbox) -> str:
    return exact.get_account("20001")["ID"]  # bol.com Marketplace


def _order(exact: ExactSandbox, *lines: tuple[str, float], **header: Any) -> dict[str, Any]:
    return {
        "OrderedBy": _customer(exact),
        "YourRef": "BOL-1001",
        **header,
        "SalesOrderLines": [
            {
                "Item": exact.get_item(code)["ID"],
                "Quantity": qty,
                "UnitPrice": 19.95,
                "VATCode": "1",
            }
            for code, qty in lines
        ],
    }


def _error(response: Any) -> str:
    return response.json()["error"]["message"]["value"]


def test_post_sales_order_raises_planning_out_and_lowers_free_stock(
    api: Api, exact: ExactSandbox
) -> None:
    exact.set_stock("ART-00001", "1", current=10)
    response = api.post("salesorder/SalesOrders", _order(exact, ("ART-00001", 3)))
    assert response.status_code == 201
    d = response.json()["d"]
    assert (d["Status"], d["DeliveryStatus"]) == (12, 12)  # reference 5.7: 12 open
    assert d["YourRef"] == "BOL-1001"
    assert [line["Quantity"] for line in d["SalesOrderLines"]["results"]] == [3]
    position = exact.stock("ART-00001", "1")
    assert (
        position["CurrentStock"],
        position["PlanningOut"],
        position["FreeStock"],
        position["ProjectedStock"],
    ) == (10, 3, 7, 7)


def test_kit_orders_reserve_the_parts(api: Api, exact: ExactSandbox) -> None:
    kit = exact.add_item(Code="KIT-1", IsPurchaseItem=False, IsStockItem=False)
    exact.add_assembly_bom("KIT-1", [("ART-00001", 2), ("ART-00002", 1)])
    before = (
        exact.stock("ART-00001", "1")["PlanningOut"],
        exact.stock("ART-00002", "1")["PlanningOut"],
    )
    assert api.post("salesorder/SalesOrders", _order(exact, ("KIT-1", 3))).status_code == 201
    after = (
        exact.stock("ART-00001", "1")["PlanningOut"],
        exact.stock("ART-00002", "1")["PlanningOut"],
    )
    assert (after[0] - before[0], after[1] - before[1]) == (6, 3)
    assert kit["IsStockItem"] is False  # a kit holds no stock of its own


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_lines", "Verplicht: Orderregels"),
        ("unknown_item", "Ongeldige referentie: Artikel"),
        ("not_sales", "Verplicht: Verkoop"),
        ("ended", "Artikel: Non actief"),
        ("blocked_vat", "Geblokkeerd: Btw code (6)"),
        ("unknown_vat", "Ongeldige referentie: Btw-code"),
        ("no_customer", "Verplicht: Besteld door"),
        ("unknown_customer", "Ongeldige referentie: Besteld door"),
    ],
)
def test_sales_order_validation(api: Api, exact: ExactSandbox, change: str, message: str) -> None:
    body = _order(exact, ("ART-00001", 1))
    line = body["SalesOrderLines"][0]
    if change == "no_lines":
        body["SalesOrderLines"] = []  # reference 5.7: a header without lines is rejected
    elif change == "unknown_item":
        line["Item"] = "00000000-0000-4000-8000-000000000001"
    elif change == "not_sales":
        line["Item"] = exact.add_item(Code="P-ONLY", IsSalesItem=False)["ID"]
    elif change == "ended":
        line["Item"] = exact.get_item("ART-00004")["ID"]  # EndDate in the past
    elif change == "blocked_vat":
        line["VATCode"] = "6"
    elif change == "unknown_vat":
        line["VATCode"] = "99"
    elif change == "no_customer":
        del body["OrderedBy"]
    elif change == "unknown_customer":
        body["OrderedBy"] = "00000000-0000-4000-8000-000000000002"
    response = api.post("salesorder/SalesOrders", body)
    assert response.status_code == 500  # reference 7.2
    assert _error(response) == message
    assert exact.sales_orders() == []


def test_put_changes_the_header_and_bumps_the_timestamp(api: Api, exact: ExactSandbox) -> None:
    order = api.post("salesorder/SalesOrders", _order(exact, ("ART-00001", 1))).json()["d"]
    stamp = exact.state["sales_orders"].rows[order["OrderID"]]["Timestamp"]
    response = api.put(
        f"salesorder/SalesOrders(guid'{order['OrderID']}')", {"Description": "Gewijzigd"}
    )
    assert response.status_code == 204
    assert response.content == b""
    rows = api.get(
        "sync/SalesOrder/SalesOrderHeaders", **{"$filter": f"Timestamp gt {stamp}L"}
    ).json()["d"]["results"]
    assert [r["Description"] for r in rows] == ["Gewijzigd"]
    other = exact.get_account("20002")["ID"]
    refused = api.put(f"salesorder/SalesOrders(guid'{order['OrderID']}')", {"OrderedBy": other})
    assert refused.status_code == 500  # reference 5.7: OrderedBy cannot change after creation


def test_delete_open_order_removes_it_and_frees_stock(api: Api, exact: ExactSandbox) -> None:
    exact.set_stock("ART-00001", "1", current=10)
    order = api.post("salesorder/SalesOrders", _order(exact, ("ART-00001", 4))).json()["d"]
    assert api.delete(f"salesorder/SalesOrders(guid'{order['OrderID']}')").status_code == 204
    assert exact.stock("ART-00001", "1")["FreeStock"] == 10
    deleted = api.get("sync/Deleted", **{"$filter": "EntityType eq 32"}).json()["d"]["results"]
    assert [r["EntityKey"] for r in deleted] == [
        order["OrderID"]
    ]  # reference 3.6: 32 SalesOrderHeaders


def test_delete_after_a_delivery_is_refused(api: Api, exact: ExactSandbox) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 2, 9.95)])
    exact.deliver_sales_order(order["OrderNumber"], [("ART-00001", 1)])
    response = api.delete(f"salesorder/SalesOrders(guid'{order['OrderID']}')")
    assert response.status_code == 500
    assert "geleverd" in _error(response)


def test_partial_delivery_with_tracking_on_lines(api: Api, exact: ExactSandbox) -> None:
    exact.set_stock("ART-00001", "1", current=10)
    order = exact.add_sales_order(
        "20001", [("ART-00001", 4, 9.95), ("ART-00002", 1, 5.0)], your_ref="BOL-7"
    )
    delivery = exact.deliver_sales_order(
        order["OrderNumber"],
        [("ART-00001", 3)],
        tracking_number="3SABC123",
        tracking_on="lines",
        shipping_method_code="PNL",
    )
    assert delivery["TrackingNumber"] is None
    assert delivery["ShippingMethodCode"] == "PNL"
    so = exact.sales_orders("BOL-7")[0]
    assert (so["Status"], so["DeliveryStatus"]) == (20, 20)  # reference 5.7: 20 partial
    assert so["SalesOrderLines"][0]["QuantityDelivered"] == 3
    position = exact.stock("ART-00001", "1")
    assert (position["CurrentStock"], position["PlanningOut"], position["FreeStock"]) == (7, 1, 6)
    # reference 5.8: find the tracking number via the delivery lines of the order number
    lines = api.get(
        "salesorder/GoodsDeliveryLines",
        **{
            "$filter": f"SalesOrderNumber eq {order['OrderNumber']}",
            "$select": "EntryID,SalesOrderLineID,QuantityDelivered,TrackingNumber",
        },
    ).json()["d"]["results"]
    assert [(x["QuantityDelivered"], x["TrackingNumber"]) for x in lines] == [(3, "3SABC123")]
    assert lines[0]["SalesOrderLineID"] == so["SalesOrderLines"][0]["ID"]
    header = api.get(
        "salesorder/GoodsDeliveries",
        **{
            "$filter": f"EntryID eq guid'{lines[0]['EntryID']}'",
            "$select": "EntryID,DeliveryDate,TrackingNumber,ShippingMethodCode",
        },
    )
    assert header.json()["d"]["results"][0]["ShippingMethodCode"] == "PNL"


def test_full_delivery_with_tracking_on_the_header_and_later_edit(
    api: Api, exact: ExactSandbox
) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 2, 9.95)])
    delivery = exact.deliver_sales_order(
        order["OrderNumber"], tracking_number="JVGL0001", tracking_on="header"
    )
    assert delivery["TrackingNumber"] == "JVGL0001"
    assert delivery["GoodsDeliveryLines"][0]["TrackingNumber"] is None
    assert exact.sales_orders()[0]["Status"] == 21  # reference 5.7: 21 complete
    stamp = exact.state.timestamp
    exact.set_delivery_tracking(delivery["DeliveryNumber"], "JVGL0002", on="both")
    rows = api.get(
        "sync/SalesOrder/GoodsDeliveries", **{"$filter": f"Timestamp gt {stamp}L"}
    ).json()["d"]["results"]
    assert [r["TrackingNumber"] for r in rows] == [
        "JVGL0002"
    ]  # reference 5.8: tracking edit bumps Timestamp
    lines = api.get(
        "sync/SalesOrder/GoodsDeliveryLines", **{"$filter": f"Timestamp gt {stamp}L"}
    ).json()["d"]["results"]
    assert [r["TrackingNumber"] for r in lines] == ["JVGL0002"]


def test_tracking_number_via_put(api: Api, exact: ExactSandbox) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 1, 9.95)])
    delivery = exact.deliver_sales_order(order["OrderNumber"])
    assert (
        api.put(
            f"salesorder/GoodsDeliveries(guid'{delivery['EntryID']}')", {"TrackingNumber": "X1"}
        ).status_code
        == 204
    )
    assert exact.deliveries()[0]["TrackingNumber"] == "X1"


def test_goods_delivery_post(api: Api, exact: ExactSandbox) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 2, 9.95)])
    line_id = order["SalesOrderLines"][0]["ID"]
    response = api.post(
        "salesorder/GoodsDeliveries",
        {
            "TrackingNumber": "T-9",
            "GoodsDeliveryLines": [{"SalesOrderLineID": line_id, "QuantityDelivered": 2}],
        },
    )
    assert response.status_code == 201
    assert exact.sales_orders()[0]["DeliveryStatus"] == 21


def test_deliveries_produce_line_grain_invoice_rows(api: Api, exact: ExactSandbox) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 2, 10.0), ("ART-00002", 1, 4.0)])
    exact.deliver_sales_order(order["OrderNumber"])
    rows = api.get("sync/SalesInvoice/SalesInvoices", **{"$filter": "Timestamp gt 0L"}).json()["d"][
        "results"
    ]
    # reference 5.10: line grain with Item, Quantity, InvoiceID
    assert sorted((r["ItemCode"], r["Quantity"]) for r in rows) == [
        ("ART-00001", 2),
        ("ART-00002", 1),
    ]
    assert len({r["InvoiceID"] for r in rows}) == 1


def test_cancelled_order_has_status_45(exact: ExactSandbox) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 2, 10.0)])
    before = exact.stock("ART-00001", "1")["PlanningOut"]
    cancelled = exact.cancel_sales_order(order["OrderNumber"])
    assert cancelled["Status"] == 45  # reference 5.10: cancelled orders have Status 45
    assert exact.stock("ART-00001", "1")["PlanningOut"] == before - 2


def test_sales_order_dates_default_to_today(exact: ExactSandbox) -> None:
    order = exact.add_sales_order("20001", [("ART-00001", 1, 10.0)])
    midnight = int(dt.datetime.fromtimestamp(START, tz=dt.UTC).replace(hour=0).timestamp() * 1000)
    assert order["OrderDate"] == f"/Date({midnight})/"
