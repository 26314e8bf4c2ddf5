"""Supplier items (sync/Logistics/SupplierItem): who sells us what, per purchase unit, at what price.

- Purchase price = the supplier item's PurchasePrice (never the item's cost price or average cost).
- Order per = the purchase unit (code, description, factor to the item's own unit), per supplier.
- MOQ = MinimumQuantity (in the item's own unit), only when "sync MOQ from Exact" is on.
- Values set here by hand or by import stay unless the matching switch is on (exactsync.services
  .provenance). Lead time and main supplier come along.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority
from exactsync.models import Account, Product, ProductSupplier, Source
from exactsync.services.provenance import exact_may_set

from .base import Counts, SyncContext

ENTITY = "supplier_items"
PRIORITY = Priority.CATALOGUE
SELECT = [
    "ID",
    "Item",
    "ItemCode",
    "Supplier",
    "SupplierCode",
    "SupplierItemCode",
    "MainSupplier",
    "PurchasePrice",
    "Currency",
    "PurchaseUnit",
    "PurchaseUnitDescription",
    "PurchaseUnitFactor",
    "MinimumQuantity",
    "PurchaseLeadTime",
    "Timestamp",
]
FIELDS = [
    "supplier_item_code",
    "purchase_price",
    "currency",
    "purchase_unit",
    "purchase_unit_description",
    "order_per",
    "moq",
    "lead_time_days",
    "is_main_supplier",
    "moq_source",
    "order_per_source",
    "lead_time_source",
    "price_source",
    "in_exact",
    "exact_id",
    "exact_timestamp",
    "raw",
    "synced_at",
    "updated_at",
]


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.0001"))
    except InvalidOperation:
        return None


def run(ctx: SyncContext) -> None:
    for page in ctx.client.iter_sync("Logistics/SupplierItem", select=SELECT, since=ctx.since):
        counts = Counts(rows_read=len(page.rows))
        with transaction.atomic():
            apply_page(ctx, page.rows, counts)
            ctx.commit_page(counts, timestamp=page.max_timestamp)


def apply_page(ctx: SyncContext, rows: list[dict[str, Any]], counts: Counts) -> None:
    conn = ctx.connection
    item_ids = {str(r.get("Item") or "").lower() for r in rows}
    supplier_ids = {str(r.get("Supplier") or "").lower() for r in rows}
    products = {
        str(e): pk
        for pk, e in Product.objects.filter(
            connection=conn, exact_id__in=[i for i in item_ids if i]
        ).values_list("pk", "exact_id")
    }
    suppliers = {
        str(e): pk
        for pk, e in Account.objects.filter(
            connection=conn, exact_id__in=[i for i in supplier_ids if i]
        ).values_list("pk", "exact_id")
    }
    links = ProductSupplier.objects.filter(
        connection=conn, product_id__in=products.values(), supplier_id__in=suppliers.values()
    )
    existing = {(link.product_id, link.supplier_id): link for link in links}
    now = timezone.now()
    to_create, to_update = [], []
    for row in rows:
        key = str(row.get("ID") or "?")
        product_id = products.get(str(row.get("Item") or "").lower())
        supplier_id = suppliers.get(str(row.get("Supplier") or "").lower())
        if product_id is None:
            counts.skip(
                key, f"unknown item {row.get('ItemCode') or row.get('Item')} (not synced yet)"
            )
            continue
        if supplier_id is None:
            counts.skip(
                key,
                f"unknown supplier {str(row.get('SupplierCode') or '').strip() or row.get('Supplier')}",
            )
            continue
        factor = _decimal(row.get("PurchaseUnitFactor"))
        if factor is not None and factor <= 0:
            counts.skip(
                key, f"purchase unit factor {row.get('PurchaseUnitFactor')} is not positive"
            )
            continue
        link = existing.get((product_id, supplier_id))
        if (
            link is not None
            and link.exact_timestamp == int(row.get("Timestamp") or 0)
            and link.in_exact
        ):
            counts.unchanged += 1
            continue
        is_new = link is None
        if is_new:
            link = ProductSupplier(
                connection=conn, product_id=product_id, supplier_id=supplier_id, created_at=now
            )
        apply_row(ctx, link, row, factor)
        link.synced_at = link.updated_at = now
        (to_create if is_new else to_update).append(link)
    if to_create:
        ProductSupplier.objects.bulk_create(to_create, batch_size=1000)
        counts.created += len(to_create)
    if to_update:
        ProductSupplier.objects.bulk_update(to_update, FIELDS, batch_size=500)
        counts.updated += len(to_update)


def apply_row(
    ctx: SyncContext, link: ProductSupplier, row: dict[str, Any], factor: Decimal | None
) -> None:
    conn = ctx.connection
    link.exact_id = str(row["ID"]).lower()
    link.exact_timestamp = int(row.get("Timestamp") or 0)
    link.in_exact = True
    link.raw = row
    link.supplier_item_code = (row.get("SupplierItemCode") or "")[:60]
    link.currency = (row.get("Currency") or link.currency or "EUR")[:3]
    link.is_main_supplier = bool(row.get("MainSupplier"))
    if exact_may_set(current_source=link.price_source, switch_on=conn.sync_purchase_price):
        link.purchase_price = _decimal(row.get("PurchasePrice"))
        link.price_source = Source.EXACT
    if exact_may_set(current_source=link.order_per_source, switch_on=conn.sync_order_per):
        link.purchase_unit = (row.get("PurchaseUnit") or "").strip()[:20]
        link.purchase_unit_description = (row.get("PurchaseUnitDescription") or "")[:60]
        link.order_per = factor or Decimal("1")
        link.order_per_source = Source.EXACT
    if exact_may_set(current_source=link.moq_source, switch_on=conn.sync_moq, strict=True):
        moq = _decimal(row.get("MinimumQuantity"))
        link.moq = moq if moq and moq > 0 else None
        link.moq_source = Source.EXACT if link.moq else ""
    if exact_may_set(current_source=link.lead_time_source, switch_on=conn.sync_lead_time):
        lead = row.get("PurchaseLeadTime")
        link.lead_time_days = int(lead) if lead not in (None, "") and int(lead) >= 0 else None
        link.lead_time_source = Source.EXACT if link.lead_time_days is not None else ""
