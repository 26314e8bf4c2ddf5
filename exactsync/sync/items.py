"""Products from Exact items (sync/Logistics/Items, incremental by Timestamp).

Active = a purchase item whose end date is empty or after today (the purchasing rule); sellable =
a sales item, same date rule. Non-purchase items are kept (a channel listing or a bill of
material may need them: sales-only kits) but never active in purchasing lists. A deletion in
Exact (sync/Deleted, read by the `deleted` sync) also deactivates; history is kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority, parse_date
from exactsync.models import Product

from .base import Counts, SyncContext
from .upsert import Mapped, upsert

ENTITY = "items"
PRIORITY = Priority.CATALOGUE
SELECT = [
    "ID",
    "Code",
    "Description",
    "Barcode",
    "Unit",
    "UnitDescription",
    "IsPurchaseItem",
    "IsSalesItem",
    "IsStockItem",
    "StartDate",
    "EndDate",
    "StandardSalesPrice",
    "SalesVatCode",
    "Timestamp",
]


def local_date(value: Any) -> date | None:
    moment = parse_date(value)
    return timezone.localtime(moment).date() if moment else None


def map_item(row: dict[str, Any], counts: Counts, today: date) -> Mapped | None:
    code = (row.get("Code") or "").strip()
    if not row.get("ID") or not code:
        counts.skip(str(row.get("ID") or "?"), "item without an id or a code")
        return None
    end_date = local_date(row.get("EndDate"))
    price = row.get("StandardSalesPrice")
    fields = {
        "code": code[:60],
        "ean": (row.get("Barcode") or "").strip()[:30],
        "description": (row.get("Description") or "")[:255],
        "unit": (row.get("Unit") or "").strip()[:20],
        "unit_description": (row.get("UnitDescription") or "")[:60],
        "is_purchase_item": bool(row.get("IsPurchaseItem")),
        "is_sales_item": bool(row.get("IsSalesItem")),
        "is_stock_item": bool(row.get("IsStockItem")),
        "start_date": local_date(row.get("StartDate")),
        "end_date": end_date,
        "sales_price": Decimal(str(price)).quantize(Decimal("0.0001"))
        if price is not None
        else None,
        "sales_vat_code": (row.get("SalesVatCode") or "").strip()[:10],
        "deleted_in_exact": False,
        "raw": row,
    }
    fields["is_active"] = Product.compute_active(
        is_purchase_item=fields["is_purchase_item"], end_date=end_date, deleted=False, today=today
    )
    fields["is_sellable"] = Product.compute_sellable(
        is_sales_item=fields["is_sales_item"], end_date=end_date, deleted=False, today=today
    )
    return Mapped(
        exact_id=str(row["ID"]).lower(), timestamp=int(row.get("Timestamp") or 0), fields=fields
    )


def run(ctx: SyncContext) -> None:
    today = timezone.localdate()
    for page in ctx.client.iter_sync("Logistics/Items", select=SELECT, since=ctx.since):
        counts = Counts(rows_read=len(page.rows))
        mapped = [m for m in (map_item(r, counts, today) for r in page.rows) if m]
        with transaction.atomic():
            upsert(Product, ctx.connection, mapped, counts, full=ctx.full)
            ctx.commit_page(counts, timestamp=page.max_timestamp)
    apply_end_dates(ctx)


def apply_end_dates(ctx: SyncContext) -> None:
    """End dates that passed since the item last changed take effect (no Exact call needed)."""
    today = timezone.localdate()
    counts = Counts()
    with transaction.atomic():
        counts.deactivated += Product.objects.filter(
            connection=ctx.connection, is_active=True, end_date__lte=today
        ).update(is_active=False, updated_at=timezone.now())
        Product.objects.filter(
            connection=ctx.connection, is_sellable=True, end_date__lte=today
        ).update(is_sellable=False, updated_at=timezone.now())
        ctx.commit_page(counts)
