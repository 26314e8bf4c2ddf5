"""Small lists without a sync endpoint, read whole each pass (one call each): warehouses, VAT
codes, shipping methods (exact-online-api.md 5.4, 5.8, 5.9)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from exactsync.client import Priority
from exactsync.models import ShippingMethod, VatCode, Warehouse

from .base import Counts, SyncContext
from .upsert import Mapped, upsert

PRIORITY = Priority.CATALOGUE


def _read_all(ctx: SyncContext, path: str, select: list[str]) -> list[dict[str, Any]]:
    return [row for page in ctx.client.iter_pages(path, select=select) for row in page.rows]


def sync_warehouses(ctx: SyncContext) -> None:
    rows = _read_all(ctx, "inventory/Warehouses", ["ID", "Code", "Description", "Main"])
    counts = Counts(rows_read=len(rows))
    mapped = [
        Mapped(
            exact_id=str(r["ID"]).lower(),
            timestamp=None,
            fields={
                "code": (r.get("Code") or "").strip()[:20],
                "description": (r.get("Description") or "")[:200],
                "is_main": bool(r.get("Main")),
                "raw": r,
            },
        )
        for r in rows
        if r.get("ID") and r.get("Code")
    ]
    with transaction.atomic():
        upsert(Warehouse, ctx.connection, mapped, counts)
        ctx.commit_page(counts)


def sync_vat_codes(ctx: SyncContext) -> None:
    rows = _read_all(
        ctx,
        "vat/VATCodes",
        ["ID", "Code", "Description", "Percentage", "Type", "VATTransactionType", "IsBlocked"],
    )
    counts = Counts(rows_read=len(rows))
    mapped = []
    for r in rows:
        if not r.get("ID") or not r.get("Code"):
            counts.skip(str(r.get("ID") or "?"), "VAT code without an id or a code")
            continue
        percentage = (Decimal(str(r.get("Percentage") or 0)) * 100).quantize(
            Decimal("0.0001")
        )  # Exact: fraction
        mapped.append(
            Mapped(
                exact_id=str(r["ID"]).lower(),
                timestamp=None,
                fields={
                    "code": str(r["Code"]).strip()[:10],
                    "description": (r.get("Description") or "")[:200],
                    "percentage": percentage,
                    "vat_type": (r.get("Type") or "")[:1],
                    "transaction_type": (r.get("VATTransactionType") or "")[:1],
                    "is_blocked": bool(r.get("IsBlocked")),
                    "raw": r,
                },
            )
        )
    with transaction.atomic():
        upsert(VatCode, ctx.connection, mapped, counts)
        ctx.commit_page(counts)


def sync_shipping_methods(ctx: SyncContext) -> None:
    rows = _read_all(
        ctx, "sales/ShippingMethods", ["ID", "Code", "Description", "Active", "TrackingURL"]
    )
    counts = Counts(rows_read=len(rows))
    mapped = [
        Mapped(
            exact_id=str(r["ID"]).lower(),
            timestamp=None,
            fields={
                "code": (r.get("Code") or "").strip()[:20],
                "description": (r.get("Description") or "")[:200],
                "is_active": bool(r.get("Active", True)),
                "tracking_url": (r.get("TrackingURL") or "")[:300],
                "raw": r,
            },
        )
        for r in rows
        if r.get("ID") and r.get("Code")
    ]
    with transaction.atomic():
        upsert(ShippingMethod, ctx.connection, mapped, counts)
        ctx.commit_page(counts)


def run(ctx: SyncContext) -> None:
    """Warehouses, VAT codes and shipping methods: three calls."""
    sync_warehouses(ctx)
    sync_vat_codes(ctx)
    sync_shipping_methods(ctx)
