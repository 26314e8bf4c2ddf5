"""The stock-hold ledger: units sold on a channel that Exact does not know about yet."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from channels_app.inventory.pending import queue_stock_recompute
from channels_app.models import ChannelOrder, ChannelOrderLine, StockHold
from exactsync.models import record_activity


def wanted_holds(
    order: ChannelOrder, lines: list[ChannelOrderLine]
) -> dict[int, tuple[int, Decimal]]:
    """line id -> (product id, quantity) the order should hold right now.

    Nothing for cancelled or marketplace-fulfilled orders; one hold per mapped, open line
    otherwise (a parked order holds the lines it can map: those units are sold either way).
    """
    if order.cancelled or order.marketplace_fulfilled:
        return {}
    return {
        line.pk: (line.product_id, Decimal(line.open_quantity))
        for line in lines
        if line.product_id and not line.marketplace_fulfilled and line.open_quantity > 0
    }


def sync_holds(order: ChannelOrder, *, source: str = "") -> tuple[int, int]:
    """Make the open holds match `wanted_holds`; record what changed. Returns (placed, released).

    Once the order is in Exact (it has an Exact sales order), Exact's own reservation counts and
    releasing holds is the Exact side's job: here they are only released on cancellation.
    """
    lines = list(order.lines.select_related("product"))
    by_id = {line.pk: line for line in lines}
    open_holds = list(order.holds.filter(released_at__isnull=True).select_related("product"))
    in_exact = order.exact_sales_order_id is not None or order.exact_order_number is not None
    if in_exact and not order.cancelled:
        return 0, 0
    wanted = wanted_holds(order, lines)
    now = timezone.now()
    released: list[dict[str, Any]] = []
    kept: set[int] = set()
    for hold in open_holds:
        if wanted.get(hold.line_id) == (hold.product_id, hold.quantity):
            kept.add(hold.line_id)
            continue
        hold.released_at = now
        hold.release_reason = _release_reason(order, hold, wanted)
        hold.save(update_fields=["released_at", "release_reason"])
        released.append(_describe(by_id[hold.line_id], hold.product.code, hold.quantity))
        released[-1]["reason"] = hold.release_reason
    placed: list[dict[str, Any]] = []
    for line_id, (product_id, quantity) in wanted.items():
        if line_id in kept:
            continue
        StockHold.objects.create(
            order=order, line_id=line_id, product_id=product_id, quantity=quantity
        )
        line = by_id[line_id]
        placed.append(_describe(line, line.product.code, quantity))
    if released:
        record_activity(
            "hold.released",
            subject=order,
            message=f"Stock hold released: {_summary(released)}.",
            payload={"source": source, "holds": released},
        )
    if placed:
        record_activity(
            "hold.placed",
            subject=order,
            message=f"Stock held: {_summary(placed)}.",
            payload={"source": source, "holds": placed},
        )
    if placed or released:
        touched = {h.product_id for h in open_holds if h.line_id not in kept} | {
            product_id for line_id, (product_id, _) in wanted.items() if line_id not in kept
        }
        queue_stock_recompute(order.channel.connection_id, touched)
    return len(placed), len(released)


def release_holds_for_orders(order_ids: Iterable[int], reason: str, *, source: str = "") -> int:
    """Release every open hold of these orders (Exact's sales order seen, order cancelled, ...),
    record it on each order, and recompute the products' availability. Returns holds released."""
    holds = list(
        StockHold.objects.filter(order_id__in=list(order_ids), released_at__isnull=True)
        .select_related("product", "line", "order__channel")
        .order_by("order_id", "pk")
    )
    if not holds:
        return 0
    now = timezone.now()
    StockHold.objects.filter(pk__in=[h.pk for h in holds], released_at__isnull=True).update(
        released_at=now, release_reason=reason[:60]
    )
    by_order: dict[int, list[StockHold]] = {}
    for hold in holds:
        by_order.setdefault(hold.order_id, []).append(hold)
    touched: dict[int, set[int]] = {}
    for order_holds in by_order.values():
        order = order_holds[0].order
        described = [_describe(h.line, h.product.code, h.quantity) for h in order_holds]
        record_activity(
            "hold.released",
            subject=order,
            message=f"Stock hold released ({reason}): {_summary(described)}.",
            payload={"source": source, "reason": reason, "holds": described},
        )
        touched.setdefault(order.channel.connection_id, set()).update(
            h.product_id for h in order_holds
        )
    for connection_id, product_ids in touched.items():
        queue_stock_recompute(connection_id, product_ids)
    return len(holds)


def _release_reason(order: ChannelOrder, hold: StockHold, wanted: dict[int, Any]) -> str:
    if order.cancelled:
        return "order cancelled"
    if order.marketplace_fulfilled:
        return "fulfilled by the marketplace"
    if hold.line_id not in wanted:
        return "line cancelled or unmapped"
    product_id, _ = wanted[hold.line_id]
    return "product changed" if product_id != hold.product_id else "quantity changed"


def _describe(line: ChannelOrderLine, code: str, quantity: Decimal) -> dict[str, Any]:
    return {"line": line.external_line_id, "product": code, "quantity": int(quantity)}


def _summary(holds: list[dict[str, Any]]) -> str:
    return ", ".join(f"{h['quantity']} x {h['product']}" for h in holds)
