"""One module per Exact entity: read -> map -> upsert in batches -> checkpoint per page.

`run_entity(connection, "items")` runs one inside the shared frame (lease, SyncRun, errors);
`ENTITIES` lists them in dependency order (suppliers and items before the links between them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exactsync.client import Priority
from exactsync.models import ExactConnection, SyncRun

from . import (
    accounts,
    boms,
    deleted,
    deliveries,
    items,
    purchase_orders,
    receipts,
    reference_data,
    sales,
    stock,
    supplier_items,
)
from .base import SyncContext, execute


@dataclass(frozen=True)
class Entity:
    name: str
    run: Callable[[SyncContext], None]
    priority: Priority
    label: str


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity(
            "reference",
            reference_data.run,
            reference_data.PRIORITY,
            "Warehouses, VAT codes, shipping methods",
        ),
        Entity(accounts.ENTITY, accounts.run, accounts.PRIORITY, "Suppliers and customers"),
        Entity(items.ENTITY, items.run, items.PRIORITY, "Products"),
        Entity(
            supplier_items.ENTITY,
            supplier_items.run,
            supplier_items.PRIORITY,
            "Supplier items (order per, MOQ)",
        ),
        Entity(deleted.ENTITY, deleted.run, deleted.PRIORITY, "Deletions in Exact"),
        Entity(stock.ENTITY, stock.run, stock.PRIORITY, "Stock per warehouse"),
        Entity(boms.ENTITY, boms.run, boms.PRIORITY, "Bills of material"),
        Entity(
            purchase_orders.ENTITY,
            purchase_orders.run,
            purchase_orders.PRIORITY,
            "Exact's purchase orders",
        ),
        Entity(receipts.ENTITY, receipts.run, receipts.PRIORITY, "Goods received"),
        Entity(sales.ENTITY, sales.run, sales.PRIORITY, "Goods sold"),
        Entity(
            deliveries.ENTITY,
            deliveries.run,
            deliveries.PRIORITY,
            "Goods deliveries (tracking numbers)",
        ),
    ]
}


def run_entity(
    connection: ExactConnection,
    entity: str,
    *,
    full: bool = False,
    triggered_by: str = "",
    client_factory: Callable[..., object] | None = None,
) -> SyncRun:
    """Run one entity's sync for one connection; returns its SyncRun."""
    spec = ENTITIES[entity]
    return execute(
        connection=connection,
        entity=spec.name,
        body=spec.run,
        priority=spec.priority,
        full=full,
        triggered_by=triggered_by,
        client_factory=client_factory,
    )  # type: ignore[arg-type]


__all__ = ["ENTITIES", "Entity", "run_entity"]
