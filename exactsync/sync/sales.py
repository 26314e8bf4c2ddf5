"""Goods sold: delivered quantities per product and day (or ordered / invoiced, per connection).

Each Exact line is stored under its own id, so a re-read replaces it instead of adding to it.
With "use bills of material" on, a kit's sale is also written as sales of its components
(component quantity x kit quantity, down to components that are not kits themselves), marked as
exploded from the kit, so both views are available.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority, parse_date
from exactsync.models import BomLine, ExactConnection, Product, SalesHistorySource, SalesLine

from .base import Counts, SyncContext

ENTITY = "sales"
PRIORITY = Priority.CATALOGUE
MAX_DEPTH = 10

SOURCES: dict[str, dict[str, Any]] = {
    SalesHistorySource.DELIVERIES: {
        "entity": "SalesOrder/GoodsDeliveryLines",
        "quantity": "QuantityDelivered",
        "date": "DeliveryDate",
        "number": "SalesOrderNumber",
        "select": [
            "ID",
            "Item",
            "ItemCode",
            "QuantityDelivered",
            "DeliveryDate",
            "SalesOrderNumber",
            "Timestamp",
        ],
    },
    SalesHistorySource.SALES_ORDERS: {
        "entity": "SalesOrder/SalesOrderLines",
        "quantity": "Quantity",
        "date": "DeliveryDate",
        "number": "OrderNumber",
        "select": [
            "ID",
            "Item",
            "ItemCode",
            "Quantity",
            "DeliveryDate",
            "OrderNumber",
            "OrderStatus",
            "Timestamp",
        ],
    },
    SalesHistorySource.INVOICES: {
        "entity": "SalesInvoice/SalesInvoices",
        "quantity": "Quantity",
        "date": "InvoiceDate",
        "number": "InvoiceNumber",
        "select": [
            "ID",
            "Item",
            "ItemCode",
            "Quantity",
            "InvoiceDate",
            "InvoiceNumber",
            "Timestamp",
        ],
    },
}
CANCELLED_ORDER = 45


def bom_graph(connection: ExactConnection) -> dict[int, list[tuple[int, Decimal]]]:
    graph: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for kit_id, component_id, quantity in BomLine.objects.filter(connection=connection).values_list(
        "kit_id", "component_id", "quantity"
    ):
        graph[kit_id].append((component_id, quantity))
    return graph


def explode(
    kit_id: int, quantity: Decimal, graph: dict[int, list[tuple[int, Decimal]]], depth: int = 0
) -> dict[int, Decimal]:
    """Leaf components of a kit sale: {component id: quantity}, nested kits followed down."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    if depth > MAX_DEPTH:  # a cycle in Exact's data; stop rather than loop
        return out
    for component_id, per_kit in graph.get(kit_id, []):
        if component_id in graph:
            for leaf, qty in explode(component_id, quantity * per_kit, graph, depth + 1).items():
                out[leaf] += qty
        else:
            out[component_id] += quantity * per_kit
    return out


def run(ctx: SyncContext) -> None:
    source = SOURCES[ctx.connection.sales_history_source]
    graph = bom_graph(ctx.connection) if ctx.connection.use_bills_of_material else {}
    for page in ctx.client.iter_sync(source["entity"], select=source["select"], since=ctx.since):
        counts = Counts(rows_read=len(page.rows))
        with transaction.atomic():
            apply_page(ctx, page.rows, source, graph, counts)
            ctx.commit_page(counts, timestamp=page.max_timestamp)


def apply_page(
    ctx: SyncContext,
    rows: list[dict[str, Any]],
    source: dict[str, Any],
    graph: dict[int, list[tuple[int, Decimal]]],
    counts: Counts,
) -> None:
    conn = ctx.connection
    kind = conn.sales_history_source
    item_ids = list({str(r.get("Item") or "").lower() for r in rows} - {""})
    products = {
        str(e): pk
        for pk, e in Product.objects.filter(connection=conn, exact_id__in=item_ids).values_list(
            "pk", "exact_id"
        )
    }
    source_ids = [str(r.get("ID") or "").lower() for r in rows if r.get("ID")]
    existing = set(
        SalesLine.objects.filter(
            connection=conn, source_id__in=source_ids, exploded_from__isnull=True
        ).values_list("source_id", flat=True)
    )
    SalesLine.objects.filter(connection=conn, source_id__in=source_ids).delete()
    new_rows: list[SalesLine] = []
    for row in rows:
        product_id = products.get(str(row.get("Item") or "").lower())
        if product_id is None:
            counts.skip(str(row.get("ID")), f"unknown item {row.get('ItemCode')}")
            continue
        quantity = Decimal(str(row.get(source["quantity"]) or 0)).quantize(Decimal("0.0001"))
        if row.get("OrderStatus") == CANCELLED_ORDER:
            quantity = Decimal("0")
        moment = parse_date(row.get(source["date"]))
        if moment is None:
            counts.skip(str(row.get("ID")), f"line without a {source['date']}")
            continue
        day = timezone.localtime(moment).date()
        base = {
            "connection": conn,
            "source_id": str(row["ID"]).lower(),
            "source_kind": kind,
            "document_number": row.get(source["number"]),
            "date": day,
        }
        new_rows.append(SalesLine(product_id=product_id, quantity=quantity, **base))
        for component_id, component_qty in explode(product_id, quantity, graph).items():
            new_rows.append(
                SalesLine(
                    product_id=component_id,
                    exploded_from_id=product_id,
                    quantity=component_qty,
                    **base,
                )
            )
        if base["source_id"] in existing:
            counts.updated += 1
        else:
            counts.created += 1
    SalesLine.objects.bulk_create(new_rows, batch_size=1000)
