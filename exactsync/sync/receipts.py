"""Goods received: booked-in receipt lines (purchaseorder/GoodsReceipts + GoodsReceiptLines).

There is no sync endpoint for receipts (reference 5.6), so the cheapest read is the normal
endpoint filtered on `Modified ge` the last mark (minus a minute of overlap; rows are upserted by
id, so reading one twice is harmless). The cursor is stored after every page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority, parse_date
from exactsync.models import GoodsReceiptLine, Product, PurchaseOrder, Warehouse

from .base import Counts, SyncContext
from .upsert import Mapped, upsert

ENTITY = "receipts"
PRIORITY = Priority.CATALOGUE
HEADER_SELECT = ["ID", "ReceiptNumber", "ReceiptDate", "Warehouse", "Modified"]
LINE_SELECT = [
    "ID",
    "GoodsReceiptID",
    "PurchaseOrderID",
    "PurchaseOrderNumber",
    "Item",
    "ItemCode",
    "QuantityReceived",
    "Created",
    "Modified",
]
OVERLAP = timedelta(minutes=1)
EPOCH = "2000-01-01T00:00:00"


def _since(ctx: SyncContext) -> str:
    cursor = "" if ctx.full else ctx.checkpoint.cursor
    if not cursor:
        return EPOCH
    moment = datetime.fromisoformat(cursor) - OVERLAP
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def run(ctx: SyncContext) -> None:
    since = _since(ctx)
    flt = f"Modified ge datetime'{since}'"
    headers: dict[str, dict[str, Any]] = {}
    for page in ctx.client.iter_pages(
        "purchaseorder/GoodsReceipts", select=HEADER_SELECT, filter=flt
    ):
        for row in page.rows:
            headers[str(row.get("ID") or "").lower()] = row
    newest = since
    for page in ctx.client.iter_pages(
        "purchaseorder/GoodsReceiptLines", select=LINE_SELECT, filter=flt
    ):
        counts = Counts(rows_read=len(page.rows))
        with transaction.atomic():
            mapped = _map(ctx, page.rows, headers, counts)
            upsert(GoodsReceiptLine, ctx.connection, mapped, counts, code_field=None)
            modified = [parse_date(r.get("Modified")) for r in page.rows]
            page_newest = max((m for m in modified if m), default=None)
            if page_newest:
                newest = max(newest, page_newest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
            ctx.commit_page(counts, cursor=newest if newest != EPOCH else "")


def _map(
    ctx: SyncContext, rows: list[dict[str, Any]], headers: dict[str, dict[str, Any]], counts: Counts
) -> list[Mapped]:
    conn = ctx.connection

    def ids(name: str, source: list[dict[str, Any]]) -> list[str]:
        return list({str(r.get(name) or "").lower() for r in source} - {""})

    products = {
        str(e): pk
        for pk, e in Product.objects.filter(
            connection=conn, exact_id__in=ids("Item", rows)
        ).values_list("pk", "exact_id")
    }
    orders = {
        str(e): pk
        for pk, e in PurchaseOrder.objects.filter(
            connection=conn, exact_id__in=ids("PurchaseOrderID", rows)
        ).values_list("pk", "exact_id")
    }
    warehouses = {
        str(e): pk
        for pk, e in Warehouse.objects.filter(connection=conn).values_list("pk", "exact_id")
    }
    mapped = []
    for row in rows:
        product_id = products.get(str(row.get("Item") or "").lower())
        if product_id is None:
            counts.skip(str(row.get("ID")), f"unknown item {row.get('ItemCode')}")
            continue
        header = headers.get(str(row.get("GoodsReceiptID") or "").lower(), {})
        when = parse_date(header.get("ReceiptDate")) or parse_date(row.get("Created"))
        mapped.append(
            Mapped(
                exact_id=str(row["ID"]).lower(),
                timestamp=None,
                fields={
                    "receipt_exact_id": str(row.get("GoodsReceiptID") or "").lower() or None,
                    "receipt_number": header.get("ReceiptNumber"),
                    "receipt_date": timezone.localtime(when).date() if when else None,
                    "product_id": product_id,
                    "warehouse_id": warehouses.get(str(header.get("Warehouse") or "").lower()),
                    "purchase_order_id": orders.get(str(row.get("PurchaseOrderID") or "").lower()),
                    "purchase_order_number": row.get("PurchaseOrderNumber"),
                    "quantity": Decimal(str(row.get("QuantityReceived") or 0)).quantize(
                        Decimal("0.0001")
                    ),
                    "raw": row,
                },
            )
        )
    return mapped
