"""Purchasing data from Exact: products, suppliers, supplier items and the rules of the mirror."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from exactsync.models import Account, Product, ProductSupplier, Source, SyncRun
from exactsync.sandbox import ExactSandbox
from tests.exact.conftest import relogin
from tests.exact.sync_helpers import snapshot, sync

pytestmark = pytest.mark.django_db

TODAY = date.today()


@pytest.fixture
def small(exact: ExactSandbox, exact_connection: Any) -> Any:
    """A division with only the items a test adds (plus reference data and suppliers)."""
    exact.reset(seed=5, items=0)
    exact.add_account(Code="SUP-A", Name="Supplier A", IsSupplier=True)
    exact.add_account(Code="SUP-B", Name="Supplier B", IsSupplier=True)
    exact.add_account(Code="CUS-1", Name="Customer 1", Status="C")
    return relogin(exact, exact_connection)


def test_end_dates_decide_what_is_active(exact: ExactSandbox, small: Any) -> None:
    exact.add_item(Code="PAST", EndDate=TODAY - timedelta(days=3))
    exact.add_item(Code="TODAY", EndDate=TODAY)
    exact.add_item(Code="FUTURE", EndDate=TODAY + timedelta(days=30))
    exact.add_item(Code="OPEN")
    exact.add_item(Code="SALES-KIT", IsPurchaseItem=False, IsStockItem=False)
    sync(small, "items")
    active = dict(Product.objects.values_list("code", "is_active"))
    assert active == {
        "PAST": False,
        "TODAY": False,
        "FUTURE": True,
        "OPEN": True,
        "SALES-KIT": False,
    }
    # the sales-only kit is kept (a listing or a BOM may need it) and can be sold
    assert Product.objects.get(code="SALES-KIT").is_sellable


def test_passing_end_date_deactivates_without_a_change_in_exact(
    exact: ExactSandbox, small: Any, time_machine: Any
) -> None:
    exact.add_item(Code="SOON", EndDate=TODAY + timedelta(days=2))
    sync(small, "items")
    assert Product.objects.get(code="SOON").is_active
    time_machine.move_to(TODAY + timedelta(days=3))
    run = sync(small, "items")["items"]
    product = Product.objects.get(code="SOON")
    assert not product.is_active
    assert run.deactivated == 1
    assert run.api_calls == 1  # nothing changed in Exact: one empty page


def test_deletion_in_exact_deactivates_and_keeps_history(exact: ExactSandbox, small: Any) -> None:
    exact.add_item(Code="GONE")
    sync(small, "items")
    exact.delete_item("GONE")
    run = sync(small, "deleted")["deleted"]
    product = Product.objects.get(code="GONE")
    assert (product.is_active, product.deleted_in_exact) == (False, True)
    assert run.deactivated == 1


def test_second_run_reads_nothing_new(exact: ExactSandbox, small: Any) -> None:
    for i in range(5):
        exact.add_item(Code=f"I{i}")
    first = sync(small, "accounts", "items")
    second = sync(small, "accounts", "items")
    assert first["items"].created == 5
    assert (second["items"].rows_read, second["items"].created, second["items"].updated) == (
        0,
        0,
        0,
    )
    assert second["items"].api_calls == 1
    assert second["accounts"].api_calls == 1


def test_supplier_item_price_units_and_lead_time(exact: ExactSandbox, small: Any) -> None:
    exact.add_item(Code="BOLT", CostPriceStandard=4.0, AverageCost=4.4)
    exact.add_supplier_item(
        "BOLT",
        "SUP-A",
        PurchasePrice=3.25,
        PurchaseUnit="box",
        PurchaseUnitDescription="Doos",
        PurchaseUnitFactor=12,
        PurchaseLeadTime=7,
        MainSupplier=True,
        SupplierItemCode="A-77",
    )
    exact.add_supplier_item(
        "BOLT",
        "SUP-B",
        PurchasePrice=0.31,
        PurchaseUnit="pc",
        PurchaseUnitFactor=1,
        PurchaseLeadTime=2,
    )
    sync(small, "accounts", "items", "supplier_items")
    a = ProductSupplier.objects.get(product__code="BOLT", supplier__code="SUP-A")
    b = ProductSupplier.objects.get(product__code="BOLT", supplier__code="SUP-B")
    assert (
        a.purchase_price,
        a.order_per,
        a.purchase_unit,
        a.purchase_unit_description,
        a.lead_time_days,
        a.is_main_supplier,
        a.supplier_item_code,
    ) == (Decimal("3.25"), Decimal("12"), "box", "Doos", 7, True, "A-77")
    assert (b.purchase_price, b.order_per, b.purchase_unit, b.is_main_supplier) == (
        Decimal("0.31"),
        Decimal("1"),
        "pc",
        False,
    )
    assert a.purchase_price != Decimal("4.0")
    assert a.purchase_price != Decimal("4.4")
    assert (a.order_per_source, a.price_source, a.lead_time_source) == (Source.EXACT,) * 3


def test_moq_comes_from_exact_only_when_its_switch_is_on(exact: ExactSandbox, small: Any) -> None:
    exact.add_item(Code="NUT")
    exact.add_supplier_item(
        "NUT", "SUP-A", MinimumQuantity=48, PurchaseUnitFactor=12, PurchaseUnit="box"
    )
    sync(small, "accounts", "items", "supplier_items")
    link = ProductSupplier.objects.get(product__code="NUT")
    assert link.moq is None  # default: MOQ is staff's
    small.sync_moq = True
    small.save()
    exact.update_supplier_item("NUT", "SUP-A", MinimumQuantity=60)
    sync(small, "supplier_items")
    link.refresh_from_db()
    assert (link.moq, link.moq_source) == (Decimal("60"), Source.EXACT)


def test_values_set_by_hand_survive_a_sync_while_the_switch_is_off(
    exact: ExactSandbox, small: Any
) -> None:
    exact.add_item(Code="WASHER")
    exact.add_supplier_item(
        "WASHER", "SUP-A", PurchaseUnitFactor=10, PurchaseUnit="bag", MinimumQuantity=20
    )
    sync(small, "accounts", "items", "supplier_items")
    link = ProductSupplier.objects.get(product__code="WASHER")
    link.order_per, link.order_per_source = Decimal("25"), Source.MANUAL
    link.moq, link.moq_source = Decimal("100"), Source.MANUAL
    link.save()
    small.sync_order_per = False
    small.sync_moq = False
    small.save()
    exact.update_supplier_item("WASHER", "SUP-A", PurchaseUnitFactor=50, MinimumQuantity=500)
    sync(small, "supplier_items")
    link.refresh_from_db()
    assert (link.order_per, link.order_per_source, link.moq, link.moq_source) == (
        Decimal("25"),
        Source.MANUAL,
        Decimal("100"),
        Source.MANUAL,
    )
    # Switch on: Exact wins again.
    small.sync_order_per = True
    small.sync_moq = True
    small.save()
    exact.update_supplier_item("WASHER", "SUP-A", PurchaseUnitFactor=40, MinimumQuantity=400)
    sync(small, "supplier_items")
    link.refresh_from_db()
    assert (link.order_per, link.order_per_source, link.moq, link.moq_source) == (
        Decimal("40"),
        Source.EXACT,
        Decimal("400"),
        Source.EXACT,
    )


def test_a_bad_row_is_recorded_and_skipped(exact: ExactSandbox, small: Any) -> None:
    exact.add_item(Code="GOOD")
    exact.add_item(Code="BAD")
    exact.add_supplier_item("GOOD", "SUP-A", PurchaseUnitFactor=6)
    exact.add_supplier_item("BAD", "SUP-A", PurchaseUnitFactor=0)
    sync(small, "accounts", "items")
    run = sync(small, "supplier_items")["supplier_items"]
    assert run.status == "partial"
    assert run.created == 1
    assert run.skipped == 1
    assert run.skipped_rows[0]["reason"] == "purchase unit factor 0.0 is not positive"
    assert list(ProductSupplier.objects.values_list("product__code", flat=True)) == ["GOOD"]


def test_suppliers_and_customers(exact: ExactSandbox, small: Any) -> None:
    sync(small, "accounts")
    assert set(Account.objects.filter(is_supplier=True).values_list("code", flat=True)) >= {
        "SUP-A",
        "SUP-B",
    }
    assert Account.objects.get(code="CUS-1").is_customer
    assert not Account.objects.get(code="CUS-1").is_supplier


def test_full_run_gives_the_same_state_as_the_incremental_runs(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    exact.reset(seed=11, items=120)
    relogin(exact, exact_connection)
    exact_connection.use_bills_of_material = True
    exact_connection.save()
    sync(exact_connection)
    for code in ("ART-00003", "ART-00007"):
        exact.update_item(code, Description=f"changed {code}")
    exact.change_stock("ART-00004", "1", 5)
    sync(exact_connection)
    incremental = snapshot(exact_connection)
    sync(exact_connection, full=True)
    assert snapshot(exact_connection) == incremental
    assert SyncRun.objects.filter(mode="full", status="success").count() >= 8
