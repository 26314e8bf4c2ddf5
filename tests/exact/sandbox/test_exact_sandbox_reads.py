"""Reads against reference sections 2 (URL scheme), 3 (envelopes, formats, query options, paging,
sync API) and 5.4 (stock)."""

from __future__ import annotations

import re

from exactsync.sandbox import ExactSandbox

from .support import Api

DATE = re.compile(r"^/Date\(\d+\)/$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _follow(api: Api, path: str, **params: str) -> list[list[dict]]:
    pages = []
    response = api.get(path, **params)
    while True:
        assert response.status_code == 200, response.text
        d = response.json()["d"]
        pages.append(d["results"])
        if "__next" not in d:
            return pages
        response = api.get(d["__next"])


def test_me_has_one_row_with_the_current_division(api: Api, exact: ExactSandbox) -> None:
    body = api.get("/api/v1/current/Me").json()
    # reference 2: {"d":{"results":[{..., "CurrentDivision": 123456}]}}
    assert [row["CurrentDivision"] for row in body["d"]["results"]] == [exact.division]
    assert {"UserID", "FullName", "Email"} <= set(body["d"]["results"][0])


def test_divisions_lists_both_divisions(api: Api, exact: ExactSandbox) -> None:
    rows = api.get("system/Divisions", **{"$select": "Code,Description"}).json()["d"]["results"]
    assert sorted(row["Code"] for row in rows) == sorted([exact.DIVISION, exact.SECOND_DIVISION])
    assert set(rows[0]) == {"__metadata", "Code", "Description"}


def test_unknown_division_is_forbidden(api: Api) -> None:
    response = api.get("/api/v1/999/logistics/Units")
    assert response.status_code == 403
    assert response.headers["Reason"] == "NoDivisionAccess"  # reference 1.5


def test_top_gives_the_bare_array_and_inlinecount_the_dict(api: Api) -> None:
    bare = api.get("logistics/Units", **{"$top": "2"}).json()
    assert isinstance(bare["d"], list)  # reference 3.2: bare-array form with $top
    assert len(bare["d"]) == 2
    counted = api.get("logistics/Units", **{"$top": "2", "$inlinecount": "allpages"}).json()
    assert len(counted["d"]["results"]) == 2
    assert counted["d"]["__count"] == "5"  # a string (LEAP)


def test_rows_carry_metadata_lower_case_guids_and_ms_dates(api: Api, exact: ExactSandbox) -> None:
    row = api.get("logistics/Items", **{"$filter": "Code eq 'ART-00004'"}).json()["d"]["results"][0]
    # reference 3.2 / 3.3
    assert row["__metadata"]["type"] == "Exact.Web.Api.Models.Item"
    assert (
        row["__metadata"]["uri"]
        == f"{exact.base_url}/api/v1/{exact.division}/logistics/Items(guid'{row['ID']}')"
    )
    assert GUID.match(row["ID"])
    assert DATE.match(row["Created"])
    assert DATE.match(row["EndDate"])  # ART-00004 is one of the items with an end date in the past
    assert "Timestamp" not in row


def test_account_codes_are_18_characters_right_aligned(api: Api) -> None:
    padded = " " * 14 + "1001"
    rows = api.get(
        "crm/Accounts", **{"$filter": "trim(Code) eq '1001'", "$select": "Code,Name,IsSupplier"}
    ).json()["d"]["results"]
    assert [r["Code"] for r in rows] == [padded]  # reference 5.3
    same = api.get("crm/Accounts", **{"$filter": f"Code eq '{padded}'", "$select": "Code"}).json()[
        "d"
    ]["results"]
    assert len(same) == 1
    assert (
        api.get("crm/Accounts", **{"$filter": "Code eq '1001'", "$select": "Code"}).json()["d"][
            "results"
        ]
        == []
    )


def test_normal_endpoint_pages_by_60_with_absolute_next(api: Api, exact: ExactSandbox) -> None:
    exact.reset(seed=1, items=200)
    api.login()  # a reset forgets tokens
    pages = _follow(
        api, "logistics/Items", **{"$filter": "IsSalesItem eq true", "$select": "ID,Code"}
    )
    assert [len(p) for p in pages] == [60, 60, 60, 20]  # reference 3.5
    ids = [row["ID"] for page in pages for row in page]
    assert len(set(ids)) == 200
    first = api.get(
        "logistics/Items", **{"$filter": "IsSalesItem eq true", "$select": "ID,Code"}
    ).json()["d"]
    assert first["__next"].startswith(f"{exact.base_url}/api/v1/{exact.division}/logistics/Items?")
    assert f"$skiptoken=guid'{first['results'][-1]['ID']}'" in first["__next"]


def test_bulk_pages_by_1000_and_needs_select(api: Api, exact: ExactSandbox) -> None:
    exact.reset(seed=1, items=2500)
    api.login()  # a reset forgets tokens
    pages = _follow(
        api, "bulk/Logistics/Items", **{"$filter": "IsSalesItem eq true", "$select": "ID,Code"}
    )
    assert [len(p) for p in pages] == [1000, 1000, 500]
    missing = api.get("bulk/Logistics/Items", **{"$filter": "IsSalesItem eq true"})
    assert missing.status_code == 400
    # reference 3.4 (websmurf#30 on a bulk endpoint)
    assert missing.json() == {
        "error": {
            "code": "",
            "message": {
                "lang": "",
                "value": "Please add a $select or a $top=1 statement to the query string.",
            },
        }
    }
    assert (
        api.get(
            "bulk/Logistics/Items", **{"$filter": "IsSalesItem eq true", "$top": "1"}
        ).status_code
        == 200
    )


def test_unknown_select_property_uses_exacts_text(api: Api) -> None:
    response = api.get(
        "bulk/SalesOrder/SalesOrders",
        **{"$filter": "OrderNumber gt 0", "$select": "OrderID,SalesOrderOrderChargeLines"},
    )
    assert response.status_code == 400
    # reference 3.4 (ISSUE picqer#607), verbatim
    assert response.json()["error"]["message"]["value"] == (
        "Type 'Exact.Web.Api.Models.Bulk.SalesOrder' does not have a property named 'SalesOrderOrderChargeLines'."
    )


def test_mandatory_filter_on_endpoints_with_a_sync_twin(api: Api) -> None:
    for path in ("logistics/Items", "crm/Accounts", "bulk/CRM/Accounts"):
        response = api.get(path, **{"$select": "ID"})
        assert response.status_code == 400
        assert response.json()["error"]["message"]["value"].startswith(
            "This endpoint has mandatory filtering applied. A GET request for this endpoint must have a "
            "$filter parameter with one of the following fields in the url:"
        )  # reference 3.4
    assert api.get("inventory/Warehouses").status_code == 200  # no sync twin, no mandatory filter


def test_supplier_item_filters_on_id_only(api: Api, exact: ExactSandbox) -> None:
    item = exact.get_item("ART-00001")
    response = api.get("logistics/SupplierItem", **{"$filter": f"Item eq guid'{item['ID']}'"})
    assert response.status_code == 400  # reference 3.4 (ISSUE picqer#532)
    assert (
        response.json()["error"]["message"]["value"]
        == "This $filter parameter is not supported for this resource"
    )


def test_filter_subset(api: Api, exact: ExactSandbox) -> None:
    item = exact.get_item("ART-00002")

    def codes(expr: str) -> list[str]:
        response = api.get("logistics/Items", **{"$filter": expr, "$select": "Code"})
        assert response.status_code == 200, response.text
        return [r["Code"] for r in response.json()["d"]["results"]]

    assert codes(f"ID eq guid'{item['ID'].upper()}'") == ["ART-00002"]
    assert codes("(Code eq 'ART-00001' or Code eq 'ART-00003') and IsSalesItem eq true") == [
        "ART-00001",
        "ART-00003",
    ]
    assert codes(
        f"substringof('{item['Description'][:6]}', Description) eq true and Code eq 'ART-00002'"
    ) == ["ART-00002"]
    assert codes("Code ne 'ART-00001' and Code le 'ART-00003'") == ["ART-00002", "ART-00003"]
    assert len(codes("EndDate ne null")) > 0
    assert codes("Modified ge datetime'2030-01-01T00:00:00' and Code eq 'ART-00001'") == []
    assert codes("Created lt datetime'2030-01-01' and Code eq 'ART-00001'") == ["ART-00001"]
    bad = api.get("logistics/Items", **{"$filter": "Code eq 'ART-00001' add 1"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"]["value"] == "Error in query syntax."  # reference 3.4
    assert api.get("logistics/Items", **{"$filter": "Nope eq 1"}).status_code == 400
    assert (
        api.get("logistics/Items", **{"$filter": "ID eq '123'"}).status_code == 400
    )  # guid needs guid'..'


def test_sync_is_ascending_by_timestamp_and_incremental(api: Api, exact: ExactSandbox) -> None:
    exact.reset(seed=1, items=1500)
    api.login()  # a reset forgets tokens
    pages = _follow(
        api,
        "sync/Logistics/Items",
        **{"$filter": "Timestamp gt 0L", "$select": "ID,Code,Timestamp"},
    )
    assert [len(p) for p in pages] == [1000, 500]  # reference 3.5
    stamps = [row["Timestamp"] for page in pages for row in page]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 1500
    last = stamps[-1]
    exact.update_item("ART-00010", Description="Nieuwe omschrijving")
    exact.change_stock("ART-00001", "1", 5)  # a stock change is not an item change
    again = api.get(
        "sync/Logistics/Items",
        **{"$filter": f"Timestamp gt {last}L", "$select": "Code,Description,Timestamp"},
    )
    rows = again.json()["d"]["results"]
    assert [(r["Code"], r["Description"]) for r in rows] == [("ART-00010", "Nieuwe omschrijving")]
    assert rows[0]["Timestamp"] > last
    assert "__next" not in again.json()["d"]


def test_sync_filters_only_on_timestamp(api: Api) -> None:
    response = api.get(
        "sync/Logistics/Items", **{"$filter": "Timestamp gt 1L and Code eq 'ART-00001'"}
    )
    assert response.status_code == 400  # reference 3.6: server-side filtering only on Timestamp


def test_sync_deleted_records_deletions_with_entity_type(api: Api, exact: ExactSandbox) -> None:
    item = exact.get_item("ART-00005")
    before = exact.state.timestamp
    exact.delete_item("ART-00005")
    rows = api.get(
        "sync/Deleted",
        **{
            "$filter": f"Timestamp gt {before}L and EntityType eq 9",
            "$select": "EntityKey,EntityType,Timestamp",
        },
    ).json()["d"]["results"]
    assert [(r["EntityKey"], r["EntityType"]) for r in rows] == [(item["ID"], 9)]  # reference 3.6
    positions = api.get(
        "sync/Deleted", **{"$filter": f"Timestamp gt {before}L and EntityType eq 15"}
    ).json()["d"]["results"]
    assert positions  # its stock positions went too (EntityType 15)


def test_stock_position_read_returns_a_bare_array(api: Api, exact: ExactSandbox) -> None:
    item = exact.get_item("ART-00001")
    exact.set_stock("ART-00001", "1", current=10)
    response = api.get("read/logistics/StockPosition", itemId=f"guid'{item['ID']}'")
    rows = response.json()["d"]
    assert isinstance(rows, list)  # reference 3.2 / 5.4
    assert rows[0]["ItemId"] == item["ID"]
    total = sum(
        p["CurrentStock"]
        for p in (exact.stock("ART-00001", "1"), exact.stock("ART-00001", "2"))
        if p
    )
    assert rows[0]["InStock"] == total
    assert (
        api.get(
            "read/logistics/StockPosition", **{"$filter": f"ItemId eq guid'{item['ID']}'"}
        ).status_code
        == 400
    )


def test_sync_stock_positions_have_the_reference_fields(api: Api) -> None:
    row = api.get("sync/Inventory/StockPositions", **{"$filter": "Timestamp gt 0L"}).json()["d"][
        "results"
    ][0]
    assert {
        "Timestamp",
        "ID",
        "ItemId",
        "ItemCode",
        "Warehouse",
        "WarehouseCode",
        "CurrentStock",
        "FreeStock",
        "ReservedStock",
        "PlanningIn",
        "PlanningOut",
        "ProjectedStock",
        "ReorderPoint",
    } <= set(row)  # reference 5.4


def test_item_warehouses_link_every_purchase_item_to_the_main_warehouse(
    api: Api, exact: ExactSandbox
) -> None:
    main = exact.state["warehouses"].rows[exact.state.main_warehouse]
    rows = api.get(
        "inventory/ItemWarehouses",
        **{"$filter": f"Warehouse eq guid'{main['ID']}'", "$select": "Item"},
    ).json()["d"]
    linked = {r["Item"] for r in rows["results"]}
    purchase = {row["ID"] for row in exact.state["items"].values() if row["IsPurchaseItem"]}
    assert purchase <= linked


def test_without_accept_json_the_answer_is_xml(api: Api) -> None:
    response = api.session.get(api.url("logistics/Units"), headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert response.text.startswith("<?xml")  # reference 3.1


def test_sync_timestamp_gives_a_starting_point(api: Api, exact: ExactSandbox, clock) -> None:
    clock.advance(3600)
    exact.update_item("ART-00003", Description="later")
    api.login()  # the first token expired meanwhile
    row = api.get(
        "read/sync/Sync/SyncTimestamp", modified="datetime'2026-03-02T10:30:00'", endPoint="'Items'"
    ).json()["d"][0]
    later = api.get(
        "sync/Logistics/Items",
        **{"$filter": f"Timestamp gt {row['TimeStampAsBigInt']}L", "$select": "Code"},
    ).json()
    assert [r["Code"] for r in later["d"]["results"]] == ["ART-00003"]  # reference 3.6


def test_key_addressing_and_expand(api: Api, exact: ExactSandbox) -> None:
    order = exact.add_purchase_order("1001", [("ART-00001", 2, 3.5)])
    key = order["PurchaseOrderID"]
    one = api.get(f"purchaseorder/PurchaseOrders(guid'{key}')").json()["d"]
    assert one["OrderNumber"] == order["OrderNumber"]
    assert "__deferred" in one["PurchaseOrderLines"]
    expanded = api.get(
        "purchaseorder/PurchaseOrders",
        **{"$filter": f"PurchaseOrderID eq guid'{key}'", "$expand": "PurchaseOrderLines"},
    )
    lines = expanded.json()["d"]["results"][0]["PurchaseOrderLines"]["results"]
    assert [line["ItemCode"] for line in lines] == ["ART-00001"]
    missing = api.get("purchaseorder/PurchaseOrders(guid'00000000-0000-4000-8000-000000000000')")
    assert missing.status_code == 404
