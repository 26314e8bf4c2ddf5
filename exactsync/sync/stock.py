"""Stock per warehouse from sync/Inventory/StockPositions: current, reserved, free (as Exact
reports it; never computed here), planned in and out, projected. Incremental by Timestamp.

Webhooks only say "look now": every StockPositions event of the last moments is served by one
incremental pass (exactsync.services.stock_events), and a 15-minute pass catches what they miss.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority
from exactsync.models import Product, StockLevel, Warehouse
from exactsync.signals import stock_levels_changed, stock_pass_completed

from . import reference_data
from .base import Counts, SyncContext

ENTITY = "stock"
PRIORITY = Priority.STOCK
SELECT = [
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
    "Timestamp",
]
NUMBERS = {
    "current": "CurrentStock",
    "free": "FreeStock",
    "reserved": "ReservedStock",
    "planning_in": "PlanningIn",
    "planning_out": "PlanningOut",
    "projected": "ProjectedStock",
}


def _d(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.0001"))


def run(ctx: SyncContext) -> None:
    warehouses_refreshed = False
    for page in ctx.client.iter_sync("Inventory/StockPositions", select=SELECT, since=ctx.since):
        warehouses = _warehouses(ctx)
        unknown = (
            {str(r.get("Warehouse") or "").lower() for r in page.rows} - set(warehouses) - {""}
        )
        if unknown and not warehouses_refreshed:
            reference_data.sync_warehouses(ctx)  # a new warehouse in Exact: read the list once
            warehouses_refreshed = True
            warehouses = _warehouses(ctx)
        counts = Counts(rows_read=len(page.rows))
        with transaction.atomic():
            changed = apply_page(ctx, page.rows, warehouses, counts)
            ctx.commit_page(counts, timestamp=page.max_timestamp)
        if changed:  # committed above: listeners may queue work that reads these rows
            stock_levels_changed.send(
                sender=StockLevel, connection=ctx.connection, product_ids=changed
            )
    stock_pass_completed.send(
        sender=StockLevel, connection=ctx.connection, started_at=ctx.run.started_at
    )


def _warehouses(ctx: SyncContext) -> dict[str, int]:
    return {
        str(e): pk
        for pk, e in Warehouse.objects.filter(connection=ctx.connection).values_list(
            "pk", "exact_id"
        )
    }


def apply_page(
    ctx: SyncContext, rows: list[dict[str, Any]], warehouses: dict[str, int], counts: Counts
) -> set[int]:
    conn = ctx.connection
    item_ids = [str(r.get("ItemId") or "").lower() for r in rows]
    products = {
        str(e): pk
        for pk, e in Product.objects.filter(
            connection=conn, exact_id__in=[i for i in item_ids if i]
        ).values_list("pk", "exact_id")
    }
    existing = {
        (s.product_id, s.warehouse_id): s
        for s in StockLevel.objects.filter(connection=conn, product_id__in=products.values())
    }
    now = timezone.now()
    to_create, to_update, changed = [], [], set()
    for row in rows:
        key = f"{row.get('ItemCode') or row.get('ItemId')}@{row.get('WarehouseCode') or row.get('Warehouse')}"
        product_id = products.get(str(row.get("ItemId") or "").lower())
        warehouse_id = warehouses.get(str(row.get("Warehouse") or "").lower())
        if product_id is None:
            counts.skip(key, "unknown item (not synced yet)")
            continue
        if warehouse_id is None:
            counts.skip(key, "unknown warehouse")
            continue
        values = {name: _d(row.get(src)) for name, src in NUMBERS.items()}
        reorder = row.get("ReorderPoint")
        values["reorder_point"] = _d(reorder) if reorder is not None else None
        level = existing.get((product_id, warehouse_id))
        timestamp = int(row.get("Timestamp") or 0)
        if level is not None and level.exact_timestamp == timestamp:
            counts.unchanged += 1
            continue
        if level is None:
            level = StockLevel(
                connection=conn, product_id=product_id, warehouse_id=warehouse_id, created_at=now
            )
            to_create.append(level)
        else:
            to_update.append(level)
        quantities_changed = any(getattr(level, k, None) != v for k, v in values.items())
        for name, value in values.items():
            setattr(level, name, value)
        level.exact_id = str(row.get("ID") or "").lower() or None
        level.exact_timestamp = timestamp
        level.raw = row
        level.synced_at = level.updated_at = now
        if quantities_changed:
            changed.add(product_id)
    if to_create:
        StockLevel.objects.bulk_create(to_create, batch_size=1000)
        counts.created += len(to_create)
    if to_update:
        StockLevel.objects.bulk_update(
            to_update,
            [
                *NUMBERS,
                "reorder_point",
                "exact_id",
                "exact_timestamp",
                "raw",
                "synced_at",
                "updated_at",
            ],
            batch_size=500,
        )
        counts.updated += len(to_update)
    return changed
