"""Packaging rules, determinism, scale, control routes and thread safety of the sandbox."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
from pathlib import Path

from common.http import build_session
from exactsync.sandbox import ExactSandbox, demo_catalogue
from exactsync.sandbox.seed_data import ean13

from .support import START, Api

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_sandbox_does_not_import_django() -> None:
    code = "import sys, exactsync.sandbox; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))"
    result = subprocess.run(
        [sys.executable, "-c", "import json; " + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == []


def test_reset_is_deterministic() -> None:
    first = ExactSandbox(clock=lambda: START).reset(seed=7, items=60)
    second = ExactSandbox(clock=lambda: START).reset(seed=7, items=60)
    assert first.get_item("ART-00060") == second.get_item("ART-00060")
    assert first.summary() == second.summary()
    assert (
        ExactSandbox().reset(seed=8, items=60).get_item("ART-00060")["ID"]
        != first.get_item("ART-00060")["ID"]
    )


def test_seed_mix(exact: ExactSandbox) -> None:
    exact.reset(seed=1, items=1000)
    items = list(exact.state["items"].values())
    kits = [i for i in items if exact.state["assembly_headers"].get(i["ID"])]
    assert 40 <= len(kits) <= 60  # ~5% sales-only kits
    assert all(not k["IsPurchaseItem"] and k["IsSalesItem"] for k in kits)
    nested = [
        m
        for m in exact.state["assembly_materials"].values()
        if exact.state["assembly_headers"].get(m["PartItem"])
    ]
    assert nested  # a kit containing a kit
    assert len(exact.state["bom_versions"]) == 1
    assert sum(1 for i in items if i["EndDate"]) in range(70, 100)  # ~5% past + ~3% future
    assert all(
        re.fullmatch(r"\d{13}", i["Barcode"]) and ean13(int(i["Barcode"][3:12])) == i["Barcode"]
        for i in items
    )
    suppliers = [a for a in exact.state["accounts"].values() if a["IsSupplier"]]
    assert len(suppliers) == 20
    assert sum(a["Blocked"] for a in suppliers) == 1
    names = {a["Name"] for a in exact.state["accounts"].values()}
    assert {
        "bol.com Marketplace",
        "Amazon Germany",
        "Amazon Netherlands",
        "Shopify Webshop",
        "WooCommerce B2B",
    } <= names
    links = list(exact.state["supplier_items"].values())
    assert all(
        link["PurchasePrice"]
        not in (
            exact.state["items"].rows[link["Item"]]["CostPriceStandard"],
            exact.state["items"].rows[link["Item"]]["AverageCost"],
        )
        for link in links
    )
    assert {link["PurchaseUnitFactor"] for link in links} == {1.0, 6.0, 12.0, 24.0}


def test_demo_catalogue_matches_the_items(exact: ExactSandbox) -> None:
    catalogue = demo_catalogue(1, 50)
    assert len(catalogue) == 50
    for entry in catalogue[:10]:
        item = exact.get_item(entry["code"])
        assert (item["Barcode"], item["Description"], item["StandardSalesPrice"]) == (
            entry["ean"],
            entry["description"],
            entry["sales_price"],
        )


def test_scale_smoke_a_full_sync_page_from_20000_items(exact: ExactSandbox) -> None:
    exact.reset(seed=2, items=20000)
    api = Api(exact)
    api.login()
    counts = exact.summary()["counts"]
    assert counts["items"] == 20000
    assert counts["supplier_items"] > 25000
    assert counts["stock_positions"] > 24000
    page = api.get("sync/Inventory/StockPositions", **{"$filter": "Timestamp gt 0L"}).json()["d"]
    assert len(page["results"]) == 1000
    assert "__next" in page
    exact.reset(seed=2, items=2000, stock_positions_per_item=2)
    assert exact.summary()["counts"]["stock_positions"] == 2 * sum(
        1 for i in exact.state["items"].values() if i["IsStockItem"]
    )


def test_control_routes_drive_the_sandbox_over_http(exact: ExactSandbox) -> None:
    session = build_session()
    base = f"{exact.base_url}/_control"

    def call(name: str, **kwargs: object) -> object:
        response = session.post(f"{base}/{name}", json=kwargs)
        assert response.status_code == 200, response.text
        return response.json()["result"]

    assert call("reset", seed=3, items=30)["counts"]["items"] == 30
    call("add_item", Code="CTL-1", Description="via control")
    call("update_item", code="CTL-1", Barcode="8710000000999")
    assert call("set_stock", item_code="CTL-1", warehouse_code="1", current=5)["FreeStock"] == 5
    assert (
        call("change_stock", item_code="CTL-1", warehouse_code="1", delta=-2)["CurrentStock"] == 3
    )
    supplier = next(
        a for a in exact.state["accounts"].values() if a["IsSupplier"] and not a["Blocked"]
    )
    call(
        "add_supplier_item",
        item_code="CTL-1",
        supplier_code=supplier["Code"].strip(),
        PurchasePrice=1.5,
    )
    po = call(
        "add_purchase_order",
        supplier_code=supplier["Code"].strip(),
        lines=[["CTL-1", 2, 1.5]],
        your_ref="ctl",
    )
    call("receive_purchase_order", order_number=po["OrderNumber"])
    so = call("add_sales_order", customer_code="20001", lines=[["CTL-1", 1, 4.0]])
    delivery = call("deliver_sales_order", order_number=so["OrderNumber"])
    call("set_delivery_tracking", delivery_number=delivery["DeliveryNumber"], tracking_number="ZZ1")
    assert call("random_stock_change", seed=5)["ItemCode"]
    assert call("random_stock_changes", count=3, seed=6) == 3
    call("set_limits", minutely=100)
    assert session.get(f"{base}/usage").json()["minutely"]["limit"] == 100
    rows = session.get(f"{base}/state/items", params={"Code": "CTL-1"}).json()["rows"]
    assert rows[0]["Barcode"] == "8710000000999"
    call("expire_access_tokens")
    call("revoke_refresh_tokens")
    call("delete_item", code="CTL-1")
    assert session.get(f"{base}/state/items", params={"Code": "CTL-1"}).json()["count"] == 0
    refused = session.post(
        f"{base}/add_purchase_order",
        json={"supplier_code": "20001", "lines": [["ART-00001", 1, 1]]},
    )
    assert refused.status_code == 400
    assert session.post(f"{base}/not_a_method", json={}).status_code == 404


def test_calls_are_logged(api: Api, exact: ExactSandbox) -> None:
    api.get("logistics/Units")
    api.get("logistics/Units")
    assert exact.count_calls("logistics/Units") == 2


def test_concurrent_writes_and_sync_reads(api: Api, exact: ExactSandbox) -> None:
    exact.set_limits(minutely=10_000)
    errors: list[Exception] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(200):
                exact.random_stock_change(rng)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    stamps: list[int] = []
    for _ in range(20):
        rows = api.get(
            "sync/Inventory/StockPositions",
            **{"$filter": "Timestamp gt 0L", "$select": "Timestamp"},
        ).json()
        stamps = [r["Timestamp"] for r in rows["d"]["results"]]
        assert stamps == sorted(stamps)
    for thread in threads:
        thread.join()
    assert errors == []
    final = api.get(
        "sync/Inventory/StockPositions", **{"$filter": "Timestamp gt 0L", "$select": "ID"}
    ).json()["d"]["results"]
    assert len(final) == len(
        exact.state["stock_positions"]
    )  # every position once, at its latest version


def test_management_command_serves_the_sandbox() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "exact_sandbox",
            "--port",
            "0",
            "--items",
            "20",
            "--client-id",
            "X",
            "--client-secret",
            "Y",
            "--webhook-secret",
            "Z",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)
        assert "client_id=X client_secret=Y webhook_secret=Z" in lines[2]
        session = build_session()
        tokens = session.post(f"{url}/_control/issue_tokens", json={}).json()["result"]
        me = session.get(
            f"{url}/api/v1/current/Me",
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Accept": "application/json",
            },
        )
        assert me.json()["d"]["results"][0]["CurrentDivision"] == 123456
        assert session.get(f"{url}/_control/state/items").json()["count"] == 20
    finally:
        process.terminate()
        process.wait(timeout=10)
