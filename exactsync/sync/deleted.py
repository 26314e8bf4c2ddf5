"""Deletions in Exact (sync/Deleted): one incremental read for every entity type we mirror.

Nothing is deleted here that history needs: a deleted item becomes inactive, a deleted account
blocked, a deleted purchase order cancelled; rows that are pure mirrors (stock positions, BOM
lines) are removed. Other apps register handlers for their types (e.g. sales orders).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority
from exactsync.models import (
    Account,
    BomLine,
    ExactConnection,
    Product,
    PurchaseOrder,
    PurchaseOrderStatus,
    StockLevel,
    record_activity,
)

from .base import Counts, SyncContext

ENTITY = "deleted"
PRIORITY = Priority.CATALOGUE
ITEMS, ACCOUNTS, STOCK_POSITIONS, PURCHASE_ORDERS, BOM_MATERIALS = 9, 2, 15, 22, 54

Handler = Callable[[ExactConnection, list[str], Counts], None]
HANDLERS: dict[int, Handler] = {}


def handles(entity_type: int) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[entity_type] = fn
        return fn

    return register


@handles(ITEMS)
def _items(connection: ExactConnection, keys: list[str], counts: Counts) -> None:
    counts.deactivated += Product.objects.filter(connection=connection, exact_id__in=keys).update(
        deleted_in_exact=True, is_active=False, is_sellable=False, updated_at=timezone.now()
    )


@handles(ACCOUNTS)
def _accounts(connection: ExactConnection, keys: list[str], counts: Counts) -> None:
    counts.deactivated += Account.objects.filter(connection=connection, exact_id__in=keys).update(
        blocked=True, updated_at=timezone.now()
    )


@handles(STOCK_POSITIONS)
def _stock(connection: ExactConnection, keys: list[str], counts: Counts) -> None:
    counts.deactivated += StockLevel.objects.filter(
        connection=connection, exact_id__in=keys
    ).delete()[0]


@handles(BOM_MATERIALS)
def _bom(connection: ExactConnection, keys: list[str], counts: Counts) -> None:
    counts.deactivated += BomLine.objects.filter(connection=connection, exact_id__in=keys).delete()[
        0
    ]


@handles(PURCHASE_ORDERS)
def _purchase_orders(connection: ExactConnection, keys: list[str], counts: Counts) -> None:
    for order in PurchaseOrder.objects.filter(connection=connection, exact_id__in=keys).exclude(
        status=PurchaseOrderStatus.CANCELLED
    ):
        order.status = PurchaseOrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
        record_activity(
            "purchase_order.deleted_in_exact",
            subject=order,
            level="warning",
            message="The order was deleted in Exact; it no longer counts as on order.",
        )
        counts.deactivated += 1


def run(ctx: SyncContext) -> None:
    # Sync endpoints filter on Timestamp only (reference 3.6): read every type, keep ours.
    for page in ctx.client.iter_pages(
        "sync/Deleted",
        select=["EntityKey", "EntityType", "Timestamp"],
        filter=f"Timestamp gt {int(ctx.since)}L",
    ):
        counts = Counts(rows_read=len(page.rows))
        keys: dict[int, list[str]] = defaultdict(list)
        for row in page.rows:
            keys[int(row.get("EntityType") or 0)].append(str(row.get("EntityKey") or "").lower())
        with transaction.atomic():
            for entity_type, entity_keys in keys.items():
                handler = HANDLERS.get(entity_type)
                if handler:
                    handler(ctx.connection, [k for k in entity_keys if k], counts)
            ctx.commit_page(counts, timestamp=page.max_timestamp)
