"""Exact's purchase orders read back (sync/PurchaseOrder/PurchaseOrders, one row per line).

Orders placed here are linked by YourRef (our number), so one order is never shown twice; orders
staff typed directly in Exact are stored with origin "Exact". Received quantities and statuses
flow onto the order, so the quantity on order per product is right and nothing is ordered twice.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority, parse_date
from exactsync.models import (
    Account,
    Origin,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Warehouse,
    WriteState,
    record_activity,
)

from .base import Counts, SyncContext

ENTITY = "purchase_orders"
PRIORITY = Priority.CATALOGUE
SELECT = [
    "ID",
    "PurchaseOrderID",
    "OrderNumber",
    "Supplier",
    "SupplierCode",
    "OrderDate",
    "ReceiptDate",
    "Description",
    "YourRef",
    "Warehouse",
    "OrderStatus",
    "ReceiptStatus",
    "Source",
    "LineNumber",
    "Item",
    "ItemCode",
    "Quantity",
    "QuantityInPurchaseUnits",
    "UnitPrice",
    "NetPrice",
    "ReceivedQuantity",
    "Timestamp",
]
STATUS = {
    10: PurchaseOrderStatus.OPEN,
    20: PurchaseOrderStatus.PARTIAL,
    30: PurchaseOrderStatus.RECEIVED,
    40: PurchaseOrderStatus.CANCELLED,
}


def _d(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.0001"))


def _date(value: Any) -> Any:
    moment = parse_date(value)
    return timezone.localtime(moment).date() if moment else None


def run(ctx: SyncContext) -> None:
    for page in ctx.client.iter_sync(
        "PurchaseOrder/PurchaseOrders", select=SELECT, since=ctx.since
    ):
        counts = Counts(rows_read=len(page.rows))
        with transaction.atomic():
            apply_page(ctx, page.rows, counts)
            ctx.commit_page(counts, timestamp=page.max_timestamp)


ORDER_FIELDS = [
    "exact_id",
    "exact_order_number",
    "exact_status",
    "exact_receipt_status",
    "your_ref",
    "order_date",
    "receipt_date",
    "description",
    "warehouse",
    "status",
    "write_state",
    "sent_at",
    "exact_timestamp",
    "synced_at",
    "updated_at",
]
LINE_FIELDS = [
    "exact_id",
    "product",
    "line_number",
    "quantity",
    "quantity_purchase_units",
    "unit_price",
    "received_quantity",
    "raw",
]
BATCH_SIZE = 500


def apply_page(ctx: SyncContext, rows: list[dict[str, Any]], counts: Counts) -> None:
    """One page of order lines: a handful of queries whatever the page holds (orders and their
    lines are read, created and updated in bulk)."""
    conn = ctx.connection
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_order[str(row.get("PurchaseOrderID") or "").lower()].append(row)
    by_order.pop("", None)
    lookup = _Lookups(ctx, rows)
    orders = {
        str(o.exact_id): o
        for o in PurchaseOrder.objects.filter(connection=conn, exact_id__in=list(by_order))
    }
    refs = {r.get("YourRef") for r in rows if r.get("YourRef")}
    ours = {
        o.number: o
        for o in PurchaseOrder.objects.filter(
            connection=conn, origin=Origin.HERE, number__in=refs, exact_id__isnull=True
        )
    }
    now = timezone.now()
    new_orders: list[PurchaseOrder] = []
    old_orders: list[PurchaseOrder] = []
    applied: list[tuple[PurchaseOrder, list[dict[str, Any]]]] = []
    for exact_id, lines in by_order.items():
        head = lines[0]
        order = orders.get(exact_id) or ours.get(head.get("YourRef") or "")
        supplier_id = lookup.supplier(head.get("Supplier"))
        if supplier_id is None:
            counts.skip(
                f"PO {head.get('OrderNumber')}",
                f"unknown supplier {str(head.get('SupplierCode') or '').strip()}",
            )
            continue
        created = order is None
        if created:
            order = PurchaseOrder(
                connection=conn,
                origin=Origin.EXACT,
                write_state=WriteState.NOT_APPLICABLE,
                supplier_id=supplier_id,
            )
        elif order.origin == Origin.HERE and order.exact_id is None:
            record_activity(
                "purchase_order.seen_in_exact",
                subject=order,
                message=f"Found in Exact as order {head.get('OrderNumber')} (YourRef {order.number}).",
            )
            if order.write_state != WriteState.MANUAL:
                order.write_state = WriteState.SENT
            order.sent_at = order.sent_at or now
        order.exact_id = exact_id
        order.exact_order_number = head.get("OrderNumber")
        order.exact_status = head.get("OrderStatus")
        order.exact_receipt_status = head.get("ReceiptStatus")
        order.your_ref = (head.get("YourRef") or "")[:60]
        order.order_date = _date(head.get("OrderDate")) or order.order_date
        order.receipt_date = _date(head.get("ReceiptDate")) or order.receipt_date
        order.description = (head.get("Description") or order.description or "")[:200]
        order.warehouse_id = lookup.warehouse(head.get("Warehouse")) or order.warehouse_id
        order.status = STATUS.get(int(head.get("OrderStatus") or 10), PurchaseOrderStatus.OPEN)
        order.exact_timestamp = max(int(r.get("Timestamp") or 0) for r in lines)
        order.synced_at = order.updated_at = now
        (new_orders if created else old_orders).append(order)
        applied.append((order, lines))
        counts.created += int(created)
        counts.updated += int(not created)
    PurchaseOrder.objects.bulk_create(new_orders, batch_size=BATCH_SIZE)
    PurchaseOrder.objects.bulk_update(old_orders, ORDER_FIELDS, batch_size=BATCH_SIZE)

    existing: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    if old_orders:  # at most one page's orders: one query
        for line in PurchaseOrderLine.objects.filter(order__in=old_orders).order_by("pk"):
            existing[line.order_id].append(line)
    new_lines: list[PurchaseOrderLine] = []
    old_lines: dict[int, PurchaseOrderLine] = {}
    for order, lines in applied:
        for line, is_new in _apply_lines(order, lines, existing[order.pk], lookup, counts):
            if is_new:
                new_lines.append(line)
            else:
                old_lines[line.pk] = line
    PurchaseOrderLine.objects.bulk_create(new_lines, batch_size=BATCH_SIZE)
    PurchaseOrderLine.objects.bulk_update(
        list(old_lines.values()), LINE_FIELDS, batch_size=BATCH_SIZE
    )


def _apply_lines(
    order: PurchaseOrder,
    rows: list[dict[str, Any]],
    current: list[PurchaseOrderLine],
    lookup: _Lookups,
    counts: Counts,
) -> list[tuple[PurchaseOrderLine, bool]]:
    """Exact's lines onto ours: (line, is new) for each row that could be applied."""
    existing = {str(line.exact_id): line for line in current if line.exact_id}
    unmatched = [line for line in current if not line.exact_id]
    applied = []
    for row in rows:
        where = f"PO {row.get('OrderNumber')} line {row.get('LineNumber')}"
        product_id = lookup.product(row.get("Item"))
        if product_id is None:
            counts.skip(where, f"unknown item {row.get('ItemCode')}")
            continue
        line_id = str(row.get("ID") or "").lower()
        line = existing.get(line_id)
        if line is None:
            # An order placed here: match our line to Exact's by product, in order.
            line = next((ln for ln in unmatched if ln.product_id == product_id), None)
            if line is not None:
                unmatched.remove(line)
        is_new = line is None
        if line is None:
            line = PurchaseOrderLine(order=order, product_id=product_id)
        quantity = _d(row.get("Quantity")) or line.quantity
        if quantity is None or quantity <= 0:
            counts.skip(where, f"quantity {row.get('Quantity')!r} is not a positive number")
            continue
        line.exact_id = line_id
        line.product_id = product_id
        line.line_number = int(row.get("LineNumber") or 0)
        line.quantity = quantity
        line.quantity_purchase_units = _d(row.get("QuantityInPurchaseUnits"))
        line.unit_price = _d(row.get("UnitPrice") or row.get("NetPrice"))
        line.received_quantity = _d(row.get("ReceivedQuantity"))
        line.raw = row
        applied.append((line, is_new))
    return applied


class _Lookups:
    """Exact ids -> our primary keys for one page (one query per kind)."""

    def __init__(self, ctx: SyncContext, rows: list[dict[str, Any]]) -> None:
        conn = ctx.connection

        def ids(name: str) -> list[str]:
            return list({str(r.get(name) or "").lower() for r in rows} - {""})

        self.products = {
            str(e): pk
            for pk, e in Product.objects.filter(
                connection=conn, exact_id__in=ids("Item")
            ).values_list("pk", "exact_id")
        }
        self.suppliers = {
            str(e): pk
            for pk, e in Account.objects.filter(
                connection=conn, exact_id__in=ids("Supplier")
            ).values_list("pk", "exact_id")
        }
        self.warehouses = {
            str(e): pk
            for pk, e in Warehouse.objects.filter(
                connection=conn, exact_id__in=ids("Warehouse")
            ).values_list("pk", "exact_id")
        }

    def product(self, value: Any) -> int | None:
        return self.products.get(str(value or "").lower())

    def supplier(self, value: Any) -> int | None:
        return self.suppliers.get(str(value or "").lower())

    def warehouse(self, value: Any) -> int | None:
        return self.warehouses.get(str(value or "").lower())
