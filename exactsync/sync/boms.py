"""Bills of material, read when the connection's "use bills of material" switch is on.

Assembly BOMs (wholesale kits) have no sync endpoint: the normal endpoint, 60 a page (nightly and
on demand). Manufacturing BOMs come incrementally from their sync endpoints (the default, active
version of each item). Kits are marked on the product.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority
from exactsync.models import BomKind, BomLine, Product

from .base import Counts, SyncContext

ENTITY = "boms"
PRIORITY = Priority.CATALOGUE
ASSEMBLY_SELECT = [
    "ID",
    "AssembledItem",
    "AssembledItemCode",
    "PartItem",
    "PartItemCode",
    "Quantity",
    "LineNumber",
]
VERSION_SELECT = ["ID", "Item", "IsDefault", "Status", "Type", "Timestamp"]
MATERIAL_SELECT = [
    "ID",
    "ItemVersion",
    "PartItem",
    "PartItemCode",
    "Quantity",
    "Type",
    "LineNumber",
    "Timestamp",
]


def run(ctx: SyncContext) -> None:
    if not ctx.connection.use_bills_of_material:
        return
    sync_assembly(ctx)
    sync_manufacturing(ctx)
    with transaction.atomic():
        kits = set(
            BomLine.objects.filter(connection=ctx.connection).values_list("kit_id", flat=True)
        )
        Product.objects.filter(connection=ctx.connection, pk__in=kits, is_kit=False).update(
            is_kit=True
        )
        Product.objects.filter(connection=ctx.connection, is_kit=True).exclude(pk__in=kits).update(
            is_kit=False
        )


def _products(ctx: SyncContext, ids: set[str]) -> dict[str, int]:
    return {
        str(e): pk
        for pk, e in Product.objects.filter(
            connection=ctx.connection, exact_id__in=list(ids - {""})
        ).values_list("pk", "exact_id")
    }


def _replace(
    ctx: SyncContext, kind: str, lines: list[BomLine], kit_ids: set[int], counts: Counts
) -> None:
    """The BOMs of these kits become exactly `lines` (one delete + one insert per page)."""
    before = BomLine.objects.filter(
        connection=ctx.connection, kind=kind, kit_id__in=kit_ids
    ).count()
    BomLine.objects.filter(connection=ctx.connection, kind=kind, kit_id__in=kit_ids).delete()
    BomLine.objects.bulk_create(lines, batch_size=1000)
    counts.updated += min(before, len(lines))
    counts.created += max(0, len(lines) - before)


def sync_assembly(ctx: SyncContext) -> None:
    rows: list[dict[str, Any]] = []
    for page in ctx.client.iter_pages(
        "inventory/AssemblyBillOfMaterialMaterials", select=ASSEMBLY_SELECT
    ):
        rows.extend(page.rows)
    counts = Counts(rows_read=len(rows))
    products = _products(
        ctx, {str(r.get(k) or "").lower() for r in rows for k in ("AssembledItem", "PartItem")}
    )
    lines: dict[tuple[int, int], BomLine] = {}
    now = timezone.now()
    for row in rows:
        kit = products.get(str(row.get("AssembledItem") or "").lower())
        part = products.get(str(row.get("PartItem") or "").lower())
        quantity = Decimal(str(row.get("Quantity") or 0))
        if kit is None or part is None:
            counts.skip(
                str(row.get("ID")), f"unknown item in BOM of {row.get('AssembledItemCode')}"
            )
            continue
        if quantity <= 0:
            counts.skip(
                str(row.get("ID")), f"component {row.get('PartItemCode')} has quantity {quantity}"
            )
            continue
        if (kit, part) in lines:
            lines[(kit, part)].quantity += quantity
            continue
        lines[(kit, part)] = BomLine(
            connection=ctx.connection,
            exact_id=str(row["ID"]).lower(),
            kit_id=kit,
            component_id=part,
            quantity=quantity,
            kind=BomKind.ASSEMBLY,
            line_number=int(row.get("LineNumber") or 0),
            synced_at=now,
        )
    with transaction.atomic():
        # A full read: kits no longer in Exact's list lose their assembly BOM.
        BomLine.objects.filter(connection=ctx.connection, kind=BomKind.ASSEMBLY).exclude(
            kit_id__in={k for k, _ in lines}
        ).delete()
        _replace(ctx, BomKind.ASSEMBLY, list(lines.values()), {k for k, _ in lines}, counts)
        ctx.commit_page(counts)


def sync_manufacturing(ctx: SyncContext) -> None:
    """Default versions and their materials, incrementally (cursor = the materials' Timestamp)."""
    versions: dict[str, int] = {}
    for page in ctx.client.iter_pages(
        "manufacturing/BillOfMaterialVersions", select=VERSION_SELECT[:-1], filter="IsDefault eq 1"
    ):
        items = _products(ctx, {str(r.get("Item") or "").lower() for r in page.rows})
        for row in page.rows:
            item = items.get(str(row.get("Item") or "").lower())
            if item is not None:
                versions[str(row.get("ID") or "").lower()] = item
    since = 0 if ctx.full else int(ctx.checkpoint.cursor or 0)
    for page in ctx.client.iter_sync(
        "Manufacturing/BillOfMaterialMaterials", select=MATERIAL_SELECT, since=since
    ):
        counts = Counts(rows_read=len(page.rows))
        parts = _products(ctx, {str(r.get("PartItem") or "").lower() for r in page.rows})
        lines: dict[tuple[int, int], BomLine] = {}
        for row in page.rows:
            kit = versions.get(str(row.get("ItemVersion") or "").lower())
            part = parts.get(str(row.get("PartItem") or "").lower())
            if kit is None:
                continue  # a material of a version that is not the default one
            if part is None or int(row.get("Type") or 1) != 1:
                counts.skip(
                    str(row.get("ID")),
                    f"component {row.get('PartItemCode')} unknown or not a material",
                )
                continue
            key = (kit, part)
            if key in lines:
                lines[key].quantity += Decimal(str(row.get("Quantity") or 0))
                continue
            lines[key] = BomLine(
                connection=ctx.connection,
                exact_id=str(row["ID"]).lower(),
                kit_id=kit,
                component_id=part,
                quantity=Decimal(str(row.get("Quantity") or 0)),
                kind=BomKind.MANUFACTURING,
                line_number=int(row.get("LineNumber") or 0),
                exact_timestamp=int(row.get("Timestamp") or 0),
                synced_at=timezone.now(),
            )
        with transaction.atomic():
            # Upsert on (kit, component, kind): a version's materials may span pages; removed
            # materials arrive through sync/Deleted (EntityType 54).
            BomLine.objects.bulk_create(
                [ln for ln in lines.values() if ln.quantity > 0],
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["kit", "component", "kind"],
                update_fields=[
                    "quantity",
                    "exact_id",
                    "line_number",
                    "exact_timestamp",
                    "synced_at",
                ],
            )
            counts.updated += len(lines)
            ctx.commit_page(counts, cursor=str(max(since, page.max_timestamp)))
