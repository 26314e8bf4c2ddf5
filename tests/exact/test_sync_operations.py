"""Stock, goods received, goods sold (with kit explosion), Exact's purchase orders, resuming."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from exactsync.models import (
    GoodsReceiptLine,
    Origin,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesLine,
    StockLevel,
    SyncCheckpoint,
    WriteState,
)
from exactsync.sandbox import ExactSandbox
from exactsync.sync import run_entity
from tests.exact.conftest import relogin
from tests.exact.sync_helpers import snapshot, sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(exact: ExactSandbox, exact_connection: Any) -> Any:
    exact.reset(seed=6, items=0)
    exact.add_account(Code="SUP", Name="Supplier", IsSupplier=True)
    exact.add_account(Code="CUS", Name="Customer", Status="C")
    for code in ("A", "B", "C", "D"):
        exact.add_item(Code=code)
        exact.add_supplier_item(code, "SUP", PurchaseUnitFactor=1)
    return relogin(exact, exact_connection)


def test_stock_per_warehouse_with_free_stock_as_exact_reports_it(
    exact: ExactSandbox, shop: Any
) -> None:
    exact.set_stock("A", "1", current=10, reserved=2)
    exact.set_stock("A", "2", current=5)
    exact.add_sales_order("CUS", [("A", 3, 9.95)], warehouse_code="1")
    sync(shop, "reference", "accounts", "items", "stock")
    levels = {lvl.warehouse.code: lvl for lvl in StockLevel.objects.filter(product__code="A")}
    expected_1 = exact.stock("A", "1")
    assert (
        levels["1"].current,
        levels["1"].reserved,
        levels["1"].free,
        levels["1"].planning_out,
    ) == (
        Decimal(str(expected_1["CurrentStock"])),
        Decimal(str(expected_1["ReservedStock"])),
        Decimal(str(expected_1["FreeStock"])),
        Decimal(str(expected_1["PlanningOut"])),
    )
    assert levels["1"].free == Decimal(
        "5"
    )  # 10 - 2 reserved - 3 on an open sales order, as Exact says
    assert levels["2"].free == Decimal("5")
    total = StockLevel.objects.filter(product__code="A").aggregate(free=Sum("free"))["free"]
    assert total == Decimal("10")


def test_stock_pass_is_incremental(exact: ExactSandbox, shop: Any) -> None:
    exact.set_stock("A", "1", current=10)
    sync(shop, "reference", "accounts", "items", "stock")
    exact.change_stock("B", "1", 4)
    run = sync(shop, "stock")["stock"]
    assert (run.rows_read, run.api_calls) == (1, 1)
    assert StockLevel.objects.get(product__code="B", warehouse__code="1").current == Decimal("4")


def test_goods_received_and_purchase_orders_typed_in_exact(exact: ExactSandbox, shop: Any) -> None:
    po = exact.add_purchase_order("SUP", [("A", 10, 2.5), ("B", 4, 1.0)], your_ref="")
    sync(shop, "reference", "accounts", "items", "purchase_orders")
    order = PurchaseOrder.objects.get(exact_order_number=po["OrderNumber"])
    assert (order.origin, order.write_state, order.supplier.code) == (
        Origin.EXACT,
        WriteState.NOT_APPLICABLE,
        "SUP",
    )
    assert sorted(order.lines.values_list("product__code", "quantity", "received_quantity")) == [
        ("A", Decimal("10"), Decimal("0")),
        ("B", Decimal("4"), Decimal("0")),
    ]

    exact.receive_purchase_order(po["OrderNumber"], [("A", 6)])
    sync(shop, "purchase_orders", "receipts")
    line = PurchaseOrderLine.objects.get(order=order, product__code="A")
    assert line.received_quantity == Decimal("6")
    order.refresh_from_db()
    assert order.status == "partial"
    receipt = GoodsReceiptLine.objects.get()
    assert (receipt.product.code, receipt.quantity, receipt.purchase_order_id) == (
        "A",
        Decimal("6"),
        order.pk,
    )
    assert receipt.receipt_date is not None
    # read again: nothing doubles
    sync(shop, "receipts")
    assert GoodsReceiptLine.objects.count() == 1


def test_a_page_of_exact_purchase_orders_costs_the_same_queries_for_3_or_30_orders(
    exact: ExactSandbox, shop: Any
) -> None:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    sync(shop, "reference", "accounts", "items")

    def queries_for(orders: int) -> int:
        for _ in range(orders):
            exact.add_purchase_order("SUP", [("A", 2, 1.0), ("B", 1, 1.0), ("C", 5, 1.0)])
        with CaptureQueriesContext(db) as seen:
            run = sync(shop, "purchase_orders")["purchase_orders"]
        assert (run.rows_read, run.created) == (3 * orders, orders)
        # the order and line tables only: run bookkeeping and the API budget are not the page's
        return len([q for q in seen.captured_queries if "exactsync_purchaseorder" in q["sql"]])

    queries_for(1)  # the first run also creates the checkpoint
    assert queries_for(3) == queries_for(30)
    assert PurchaseOrderLine.objects.filter(order__origin=Origin.EXACT).count() == 102
    # and an update of existing orders is batched the same way
    for order in exact.purchase_orders()[:10]:
        exact.receive_purchase_order(order["OrderNumber"], [("A", 1)])
    run = sync(shop, "purchase_orders")["purchase_orders"]
    assert run.updated == 10
    assert PurchaseOrderLine.objects.filter(received_quantity=1).count() == 10


def test_our_order_is_linked_by_yourref_not_shown_twice(exact: ExactSandbox, shop: Any) -> None:
    sync(shop, "reference", "accounts", "items")
    from exactsync.models import Account

    ours = PurchaseOrder.objects.create(
        connection=shop,
        number="PO-000042",
        supplier=Account.objects.get(code="SUP"),
        origin=Origin.HERE,
        write_state=WriteState.FAILED,
    )
    PurchaseOrderLine.objects.create(
        order=ours, product=Product.objects.get(code="C"), quantity=Decimal("3")
    )
    exact.add_purchase_order(
        "SUP", [("C", 3, 1.0)], your_ref="PO-000042"
    )  # e.g. typed by hand after a failure
    sync(shop, "purchase_orders")
    assert PurchaseOrder.objects.count() == 1
    ours.refresh_from_db()
    assert ours.exact_order_number is not None
    assert ours.write_state == WriteState.SENT
    assert ours.lines.get().exact_id is not None


def test_goods_sold_with_nested_kits_exploded(exact: ExactSandbox, shop: Any) -> None:
    exact.add_item(Code="BOX", IsPurchaseItem=False, IsStockItem=False)
    exact.add_item(Code="GIFT", IsPurchaseItem=False, IsStockItem=False)
    exact.add_assembly_bom("BOX", [("A", 2), ("B", 1)])
    exact.add_assembly_bom("GIFT", [("BOX", 3), ("C", 1)])  # a kit inside a kit
    for code in ("A", "B", "C"):
        exact.set_stock(code, "1", current=100)
    shop.use_bills_of_material = True
    shop.save()
    order = exact.add_sales_order("CUS", [("GIFT", 2, 30.0), ("D", 1, 5.0)])
    exact.set_stock("D", "1", current=10)
    exact.deliver_sales_order(order["OrderNumber"])
    sync(shop, "reference", "accounts", "items", "boms", "sales")
    direct = dict(
        SalesLine.objects.filter(exploded_from__isnull=True).values_list(
            "product__code", "quantity"
        )
    )
    exploded = dict(
        SalesLine.objects.filter(exploded_from__code="GIFT").values_list(
            "product__code", "quantity"
        )
    )
    assert direct == {"GIFT": Decimal("2"), "D": Decimal("1")}
    assert exploded == {
        "A": Decimal("12"),
        "B": Decimal("6"),
        "C": Decimal("2"),
    }  # 2 gifts x 3 boxes x 2 A, ...
    assert Product.objects.get(code="GIFT").is_kit
    sync(shop, "sales", full=True)
    assert SalesLine.objects.count() == 5  # re-reading never doubles


def test_a_run_killed_half_way_resumes_to_the_same_end_state(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    exact.reset(seed=12, items=2600)
    relogin(exact, exact_connection)
    sync(exact_connection, "reference", "accounts")
    # The worker dies while reading the third page: two pages are committed, then nothing.
    pages_before = []

    from exactsync.client import Page
    from exactsync.client.api import ExactClient

    original = ExactClient.iter_pages

    def crash_after_two(self: Any, *args: Any, **kwargs: Any) -> Any:
        for number, page in enumerate(original(self, *args, **kwargs)):
            if number == 2 and args and "Logistics/Items" in args[0]:
                raise KeyboardInterrupt("worker killed")
            pages_before.append(page)
            yield page

    ExactClient.iter_pages = crash_after_two  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            run_entity(exact_connection, "items")
    finally:
        ExactClient.iter_pages = original  # type: ignore[method-assign]
    assert isinstance(pages_before[0], Page)
    after_crash = Product.objects.count()
    assert after_crash == 2000  # two committed pages
    checkpoint = SyncCheckpoint.objects.get(connection=exact_connection, entity="items")
    assert checkpoint.timestamp > 0

    resumed = run_entity(exact_connection, "items")
    assert resumed.rows_read == 600  # only what was left
    assert Product.objects.count() == 2600
    resumed_state = snapshot(exact_connection)
    sync(exact_connection, "items", full=True)
    assert snapshot(exact_connection) == resumed_state
