"""Helpers for the sync tests: run entities in order, snapshot the mirror."""

from __future__ import annotations

from typing import Any

from exactsync.models import (
    ExactConnection,
    Product,
    ProductSupplier,
    SalesLine,
    StockLevel,
    SyncRun,
)
from exactsync.sync import ENTITIES, run_entity

ORDER = list(ENTITIES)


def sync(connection: ExactConnection, *entities: str, full: bool = False) -> dict[str, SyncRun]:
    """Run the given entities (default: all) in dependency order; every run must succeed."""
    wanted = [e for e in ORDER if not entities or e in entities]
    runs = {}
    for entity in wanted:
        connection.refresh_from_db()
        run = run_entity(connection, entity, full=full, triggered_by="test")
        assert run.status in ("success", "partial"), f"{entity}: {run.status} {run.error}"
        runs[entity] = run
    return runs


def snapshot(connection: ExactConnection) -> dict[str, Any]:
    """The mirror's business content (no timestamps or ids), to compare two ways of syncing."""
    return {
        "products": sorted(
            Product.objects.filter(connection=connection).values_list(
                "code", "ean", "is_active", "is_sellable", "is_kit", "end_date", "deleted_in_exact"
            )
        ),
        "links": sorted(
            ProductSupplier.objects.filter(connection=connection).values_list(
                "product__code",
                "supplier__code",
                "purchase_price",
                "order_per",
                "purchase_unit",
                "moq",
                "lead_time_days",
                "is_main_supplier",
            )
        ),
        "stock": sorted(
            StockLevel.objects.filter(connection=connection).values_list(
                "product__code",
                "warehouse__code",
                "current",
                "free",
                "reserved",
                "planning_in",
                "planning_out",
            )
        ),
        "sales": sorted(
            SalesLine.objects.filter(connection=connection).values_list(
                "product__code", "date", "quantity", "exploded_from__code"
            )
        ),
    }
