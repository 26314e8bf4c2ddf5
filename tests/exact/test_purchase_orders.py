"""Purchase orders: placed here, checked, written to Exact exactly once, watched, reviewable."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from exactsync import outbox, purchasing
from exactsync.models import (
    Account,
    ExactConnection,
    Outbox,
    OutboxState,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Warehouse,
    WriteState,
)
from exactsync.reports import send_morning_report
from exactsync.sandbox import ExactSandbox
from tests.exact.conftest import relogin
from tests.exact.sync_helpers import sync
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PO_PATH = "purchaseorder/PurchaseOrders"


@pytest.fixture
def buying(exact: ExactSandbox, exact_connection: ExactConnection) -> ExactConnection:
    exact.reset(seed=8, items=0)
    exact.add_account(Code="SUP", Name="Bolts & Co", IsSupplier=True)
    exact.add_account(Code="BLK", Name="Blocked BV", IsSupplier=True, Blocked=True)
    exact.add_item(Code="BOLT", Description="Bolt M8")
    exact.add_supplier_item(
        "BOLT",
        "SUP",
        PurchasePrice=6.0,
        PurchaseUnit="box",
        PurchaseUnitFactor=12,
        PurchaseLeadTime=5,
    )
    exact.add_item(Code="NUT", Description="Nut M8")
    exact.add_supplier_item("NUT", "SUP", PurchasePrice=0.1, PurchaseUnitFactor=1)
    exact.add_item(Code="KIT", IsPurchaseItem=False)
    exact.add_item(Code="LOOSE")  # purchase item, not linked to SUP
    exact.add_item(Code="OLD", EndDate=timezone.localdate() - timedelta(days=1))
    exact.add_supplier_item("OLD", "SUP", PurchaseUnitFactor=1)
    relogin(exact, exact_connection)
    sync(exact_connection)
    link = exact_connection.productsupplier_set.get(product__code="BOLT")
    link.moq = Decimal("36")
    link.save()
    return exact_connection


def draft(
    connection: ExactConnection,
    lines: list[tuple[str, str]],
    supplier: str = "SUP",
    warehouse: str | None = "1",
) -> PurchaseOrder:
    order = PurchaseOrder.objects.create(
        connection=connection,
        supplier=Account.objects.get(code=supplier),
        warehouse=Warehouse.objects.get(code=warehouse) if warehouse else None,
    )
    for code, qty in lines:
        PurchaseOrderLine.objects.create(
            order=order, product=Product.objects.get(code=code), quantity=Decimal(qty)
        )
    return order


def place_and_send(order: PurchaseOrder, capture: Any) -> PurchaseOrder:
    with capture(execute=True):
        problems = purchasing.place(order)
    assert problems == []
    order.refresh_from_db()
    return order


def test_placing_writes_one_order_with_purchase_units_and_our_number(
    exact: ExactSandbox, buying: ExactConnection, django_capture_on_commit_callbacks: Any
) -> None:
    order = place_and_send(
        draft(buying, [("BOLT", "36"), ("NUT", "100")]), django_capture_on_commit_callbacks
    )
    assert (order.write_state, order.status) == (WriteState.SENT, PurchaseOrderStatus.OPEN)
    assert order.exact_order_number
    [in_exact] = exact.purchase_orders(your_ref=order.number)
    assert in_exact["OrderNumber"] == order.exact_order_number
    assert in_exact["Source"] == 11
    lines = {line["ItemCode"]: line for line in in_exact["PurchaseOrderLines"]}
    assert lines["BOLT"]["QuantityInPurchaseUnits"] == 3  # 36 pieces = 3 boxes of 12
    assert lines["BOLT"]["NetPrice"] == 6.0  # price per purchase unit
    assert lines["NUT"]["QuantityInPurchaseUnits"] == 100
    assert order.receipt_date == timezone.localdate() + timedelta(
        days=5
    )  # from the supplier item's lead time
    assert exact.count_calls(PO_PATH, method="POST") == 1


def test_rounding_suggestions() -> None:
    class Link:
        order_per, moq, purchase_unit, purchase_unit_description = (
            Decimal("12"),
            Decimal("36"),
            "box",
            "Doos",
        )

    advice = purchasing.advise(Decimal("30"), Link())  # type: ignore[arg-type]
    assert advice.flags == [
        "30 is not a whole number of purchase units (2.5 x Doos of 12)",
        "below the MOQ of 36",
    ]
    assert advice.suggestion == Decimal("36")
    assert purchasing.advise(Decimal("40"), Link()).suggestion == Decimal("48")  # type: ignore[arg-type]
    assert purchasing.advise(Decimal("48"), Link()).flags == []  # type: ignore[arg-type]


def test_admin_shows_the_advice_and_the_purchaser_can_round(
    buying: ExactConnection, purchaser_client: Any
) -> None:
    order = draft(buying, [("BOLT", "30")])
    url = reverse("admin:exactsync_purchaseorder_change", args=[order.pk])
    page = purchaser_client.get(url).content.decode()
    assert "below the MOQ of 36" in page
    assert "suggested: 36" in page
    data = {
        "connection": buying.pk,
        "supplier": order.supplier_id,
        "warehouse": order.warehouse_id,
        "order_date": "",
        "receipt_date": "",
        "description": "",
        "_round": "1",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": str(order.lines.get().pk),
        "lines-0-order": str(order.pk),
        "lines-0-product": str(order.lines.get().product_id),
        "lines-0-quantity": "30",
        "lines-0-unit_price": "",
    }
    purchaser_client.post(url, data)
    assert order.lines.get().quantity == Decimal("36")


@pytest.mark.parametrize(
    ("lines", "supplier", "warehouse", "expected"),
    [
        ([("KIT", "1")], "SUP", "1", "KIT is not a purchase item in Exact."),
        ([("LOOSE", "1")], "SUP", "1", "LOOSE is not linked to supplier SUP in Exact."),
        ([("OLD", "1")], "SUP", "1", "OLD is inactive: its end date in Exact has passed."),
        ([("NUT", "1")], "BLK", "1", "Supplier BLK Blocked BV is blocked in Exact."),
        ([("NUT", "1")], "SUP", "2", "NUT (Nut M8) is not linked to warehouse 2 in Exact."),
    ],
)
def test_prechecks_keep_the_order_a_draft_with_reasons(
    exact: ExactSandbox,
    buying: ExactConnection,
    lines: list[tuple[str, str]],
    supplier: str,
    warehouse: str,
    expected: str,
) -> None:
    order = draft(buying, lines, supplier=supplier, warehouse=warehouse)
    problems = purchasing.place(order)
    assert any(expected in p for p in problems), problems
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.DRAFT
    assert order.problems == problems
    assert not Outbox.objects.exists()
    assert exact.count_calls(PO_PATH, method="POST") == 0


def test_switch_off_keeps_the_order_here(
    exact: ExactSandbox, buying: ExactConnection, django_capture_on_commit_callbacks: Any
) -> None:
    buying.write_purchase_orders = False
    buying.save()
    order = draft(buying, [("NUT", "10")])
    with django_capture_on_commit_callbacks(execute=True):
        assert purchasing.place(order) == []
    order.refresh_from_db()
    assert (order.status, order.write_state) == (PurchaseOrderStatus.PLACED, WriteState.NOT_SENT)
    assert exact.count_calls(PO_PATH, method="POST") == 0


def test_lost_response_is_looked_up_not_sent_twice(
    exact: ExactSandbox, buying: ExactConnection, django_capture_on_commit_callbacks: Any
) -> None:
    exact.fail_next(
        1, status=500, after_commit=True, paths=[PO_PATH]
    )  # Exact stores it, the answer is lost
    order = draft(buying, [("NUT", "10")])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.place(order)
    entry = Outbox.objects.get()
    assert entry.state == OutboxState.UNKNOWN
    order.refresh_from_db()
    assert order.write_state == WriteState.QUEUED
    Outbox.objects.filter(pk=entry.pk).update(next_attempt_at=timezone.now())
    outbox.process(entry.pk)
    entry.refresh_from_db()
    order.refresh_from_db()
    assert entry.state == OutboxState.DONE
    assert order.write_state == WriteState.SENT
    assert len(exact.purchase_orders(your_ref=order.number)) == 1  # no duplicate in Exact
    assert exact.count_calls(PO_PATH, method="POST") == 1


def test_two_workers_never_send_the_same_order(
    exact: ExactSandbox, buying: ExactConnection, django_capture_on_commit_callbacks: Any
) -> None:
    order = draft(buying, [("NUT", "10")])
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet run
        purchasing.place(order)
    entry = Outbox.objects.get()
    first = outbox.claim(entry.pk)
    second = outbox.claim(entry.pk)
    assert first is not None
    assert second is None
    assert outbox.process(entry.pk).endswith("not due or taken by another worker")


def test_validation_refusal_is_shown_verbatim_with_a_hint_and_not_retried(
    exact: ExactSandbox, buying: ExactConnection, django_capture_on_commit_callbacks: Any
) -> None:
    exact.delete_supplier_item("NUT", "SUP")  # the link we mirrored no longer exists in Exact
    order = draft(buying, [("NUT", "10")])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.place(order)
    entry = Outbox.objects.get()
    order.refresh_from_db()
    assert entry.state == OutboxState.FAILED
    assert entry.last_error == "Het artikel en de leverancier zijn niet gekoppeld"
    assert "add the supplier on the item's Purchase tab" in entry.last_error_hint
    assert order.write_state == WriteState.FAILED
    assert "niet gekoppeld" in order.last_error
    from exactsync.services.sweeper import sweep

    sweep()
    assert exact.count_calls(PO_PATH, method="POST") == 1  # not retried automatically


def test_failed_writes_page_retry_after_fixing(
    exact: ExactSandbox,
    buying: ExactConnection,
    purchaser_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    exact.delete_supplier_item("NUT", "SUP")
    order = draft(buying, [("NUT", "10")])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.place(order)
    page = purchaser_client.get(reverse("admin:exactsync_failedwrite_changelist")).content.decode()
    assert f"Purchase order {order.number}" in page
    assert "niet gekoppeld" in page
    exact.add_supplier_item("NUT", "SUP", PurchaseUnitFactor=1)  # fixed in Exact
    entry = Outbox.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        purchaser_client.post(
            reverse("admin:exactsync_failedwrite_changelist"),
            {"action": "retry_selected", "_selected_action": [entry.pk]},
        )
    order.refresh_from_db()
    assert order.write_state == WriteState.SENT
    assert len(exact.purchase_orders(your_ref=order.number)) == 1
    assert (
        f"Purchase order {order.number}"
        not in purchaser_client.get(
            reverse("admin:exactsync_failedwrite_changelist")
        ).content.decode()
    )


def test_failed_writes_page_cancel_and_mark_by_hand(
    exact: ExactSandbox,
    buying: ExactConnection,
    purchaser_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    exact.delete_supplier_item("NUT", "SUP")
    first, second = draft(buying, [("NUT", "1")]), draft(buying, [("NUT", "2")])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.place(first)
        purchasing.place(second)
    entries = {e.target_id: e for e in Outbox.objects.all()}
    purchaser_client.post(
        reverse("admin:exactsync_failedwrite_changelist"),
        {"action": "cancel_selected", "_selected_action": [entries[first.pk].pk]},
    )
    first.refresh_from_db()
    assert first.status == PurchaseOrderStatus.CANCELLED
    response = purchaser_client.post(
        reverse("admin:exactsync_failedwrite_manual", args=[entries[second.pk].pk]),
        {"exact_order_number": "4711"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.exact_order_number, second.write_state) == (4711, WriteState.MANUAL)
    entries[second.pk].refresh_from_db()
    assert entries[second.pk].state == OutboxState.MANUAL


def test_not_arrived_after_an_hour_and_the_morning_report(
    exact: ExactSandbox,
    buying: ExactConnection,
    settings: Any,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.REPORT_EMAILS = ["inkoop@example.com"]
    exact.fail_next(10, status=503, paths=[PO_PATH])  # Exact is down
    order = draft(buying, [("NUT", "3")])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.place(order)
    assert purchasing.flag_not_arrived() == 0  # not an hour yet
    time_machine.move_to(timezone.now() + timedelta(minutes=61))
    assert purchasing.flag_not_arrived() == 1
    assert purchasing.flag_not_arrived() == 0  # flagged once
    report = send_morning_report()
    assert report.problem_count >= 1
    assert f"{order.number} to Bolts & Co" in report.body
    assert mail.outbox[-1].to == ["inkoop@example.com"]
    assert "not arrived in Exact" in mail.outbox[-1].body


def test_read_back_links_and_received_quantities_flow_back(
    exact: ExactSandbox, buying: ExactConnection, django_capture_on_commit_callbacks: Any
) -> None:
    order = place_and_send(draft(buying, [("BOLT", "36")]), django_capture_on_commit_callbacks)
    exact.receive_purchase_order(order.exact_order_number, [("BOLT", 24)])
    sync(buying, "purchase_orders")
    assert PurchaseOrder.objects.count() == 1
    order.refresh_from_db()
    assert order.lines.get().received_quantity == Decimal("24")
    assert order.status == PurchaseOrderStatus.PARTIAL


def test_csv_import_creates_and_places_orders_per_supplier(
    buying: ExactConnection,
    purchaser_client: Any,
    exact: ExactSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    csv = "supplier_code,product_code,quantity,warehouse_code\nSUP,BOLT,30,1\nSUP,NUT,5,1\nSUP,KIT,1,1\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = purchaser_client.post(
            reverse("admin:exactsync_purchaseorder_import"),
            {"import_file": SimpleUploadedFile("po.csv", csv.encode())},
        )
    job = purchaser_client.get(response.url).context["job"]
    assert job.status == "validated", job.errors
    assert any("below the MOQ of 36" in str(s["changes"]) for s in job.sample)
    with django_capture_on_commit_callbacks(execute=True):
        purchaser_client.post(
            reverse("admin:exactsync_purchaseorder_import_confirm", args=[job.pk])
        )
    order = PurchaseOrder.objects.get()
    assert order.status == PurchaseOrderStatus.DRAFT  # KIT is not a purchase item: stays a draft
    assert "KIT is not a purchase item in Exact." in order.problems
    bad = "supplier_code,product_code,quantity\nSUP,NOPE,x\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = purchaser_client.post(
            reverse("admin:exactsync_purchaseorder_import"),
            {"import_file": SimpleUploadedFile("bad.csv", bad.encode())},
        )
    job = purchaser_client.get(response.url).context["job"]
    assert [(e["line"], e["column"]) for e in job.errors] == [(2, "product_code"), (2, "quantity")]


def test_json_endpoint_with_token_and_idempotent_reference(
    buying: ExactConnection,
    client: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    exact: ExactSandbox,
) -> None:
    settings.API_TOKENS = ["s3cret-token"]
    url = reverse("api_purchase_orders")
    body = {
        "reference": "ERP-77",
        "supplier": "SUP",
        "warehouse": "1",
        "lines": [{"product": "NUT", "quantity": 12}],
    }
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 401
    headers = {"Authorization": "Bearer s3cret-token"}
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            url, json.dumps(body), content_type="application/json", headers=headers
        )
    assert created.status_code == 201
    data = created.json()
    assert data["write_state"] == "queued"  # the write runs in the background
    assert PurchaseOrder.objects.get().write_state == WriteState.SENT
    again = client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    assert again.status_code == 200
    assert again.json()["number"] == data["number"]
    assert PurchaseOrder.objects.count() == 1
    bad = client.post(
        url,
        json.dumps({"supplier": "NOPE", "lines": [{"product": "NUT", "quantity": -1}]}),
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {
        "supplier": "unknown supplier code 'NOPE'",
        "lines[0].quantity": "must be a number above 0",
    }


def test_purchaser_places_an_order_through_the_admin(
    buying: ExactConnection,
    purchaser_client: Any,
    exact: ExactSandbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    supplier = Account.objects.get(code="SUP")
    nut = Product.objects.get(code="NUT")
    data = {
        "connection": buying.pk,
        "supplier": supplier.pk,
        "warehouse": Warehouse.objects.get(code="1").pk,
        "order_date": "",
        "receipt_date": "",
        "description": "Weekly",
        "_place": "1",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": str(nut.pk),
        "lines-0-quantity": "50",
        "lines-0-unit_price": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = purchaser_client.post(reverse("admin:exactsync_purchaseorder_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    order = PurchaseOrder.objects.get()
    assert order.write_state == WriteState.SENT
    assert UserFactory  # the purchaser fixture is a UserFactory user in the purchaser group


def test_the_order_page_shows_its_timeline(
    exact: ExactSandbox,
    buying: ExactConnection,
    purchaser_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = place_and_send(draft(buying, [("NUT", "5")]), django_capture_on_commit_callbacks)
    page = purchaser_client.get(
        reverse("admin:exactsync_purchaseorder_change", args=[order.pk])
    ).content.decode()
    assert 'id="purchase-order-timeline"' in page
    placed, in_exact = page.index("purchase_order.placed"), page.index("purchase_order.in_exact")
    assert placed < in_exact  # oldest first
    assert f"Exact order {order.exact_order_number}" in page
