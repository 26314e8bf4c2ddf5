"""Goods deliveries of sales orders (the tracking numbers), incremental over two sync endpoints.

`sync/SalesOrder/GoodsDeliveries` (headers: tracking number, shipping method, delivery number and
date) and `sync/SalesOrder/GoodsDeliveryLines` (what was delivered per sales order line), each by
its own Timestamp: the headers' mark is the checkpoint's `timestamp`, the lines' mark its `cursor`.
Headers are read first, then lines; a line whose header this pass did not read (it changed in an
earlier pass) gets its header fetched by EntryID, so every line page carries complete deliveries.

Exact data only: this module knows no channel orders. Each page is announced with the
`goods_deliveries_read` signal inside the page's transaction, so what a receiver stores commits
(or rolls back) together with the checkpoint; `deliveries_changed` follows once the pass is over.
A delivery whose rows straddle a page boundary is held back to the next page (its rows may be
split over storage locations and must be summed together), and the mark stops below it.

Deliveries are documents that do not change once booked (only tracking numbers are added), so a
"full" run reads from the incremental marks like any other run: re-reading years of deliveries
every night would cost hundreds of calls and change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from exactsync.client import Priority, guid, parse_date
from exactsync.models import SyncCheckpoint
from exactsync.signals import deliveries_changed, goods_deliveries_read

from .base import Counts, SyncContext, add_counts

ENTITY = "deliveries"
PRIORITY = Priority.ORDERS  # tracking numbers are what the buyer waits for
HEADERS = "SalesOrder/GoodsDeliveries"
LINES = "SalesOrder/GoodsDeliveryLines"
HEADER_SELECT = [
    "EntryID",
    "DeliveryNumber",
    "DeliveryDate",
    "TrackingNumber",
    "ShippingMethod",
    "ShippingMethodCode",
    "Timestamp",
]
LINE_SELECT = [
    "ID",
    "EntryID",
    "SalesOrderLineID",
    "SalesOrderNumber",
    "Item",
    "ItemCode",
    "QuantityDelivered",
    "TrackingNumber",
    "Timestamp",
]
FETCH_CHUNK = 20  # EntryIDs per `or` filter when a header must be fetched


@dataclass(frozen=True)
class DeliveryHeader:
    entry_id: str
    number: int | None = None
    date: datetime | None = None
    tracking_number: str = ""
    shipping_method_code: str = ""


@dataclass(frozen=True)
class DeliveryLine:
    """One delivered sales order line (rows split over storage locations are summed)."""

    sales_order_line_id: str
    sales_order_number: int | None
    item_id: str
    item_code: str
    quantity: Decimal
    tracking_number: str = ""


@dataclass
class Delivery:
    """What `goods_deliveries_read` carries. `lines` is None when only the header was read."""

    header: DeliveryHeader
    lines: list[DeliveryLine] | None = None

    @property
    def entry_id(self) -> str:
        return self.header.entry_id

    @property
    def tracking_numbers(self) -> list[str]:
        """The header's tracking number, else the distinct ones on the lines (in line order)."""
        if self.header.tracking_number:
            return [self.header.tracking_number]
        found: list[str] = []
        for line in self.lines or []:
            if line.tracking_number and line.tracking_number not in found:
                found.append(line.tracking_number)
        return found


@dataclass
class DeliveryOutcome:
    """What a receiver did with a page (added to the run's counts)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _id(value: Any) -> str:
    text = str(value or "").strip().lower()
    try:
        return str(uuid.UUID(text)) if text else ""
    except ValueError:
        return text


def header_from(row: dict[str, Any]) -> DeliveryHeader:
    number = row.get("DeliveryNumber")
    return DeliveryHeader(
        entry_id=_id(row.get("EntryID")),
        number=int(number) if number not in (None, "") else None,
        date=parse_date(row.get("DeliveryDate")),
        tracking_number=str(row.get("TrackingNumber") or "").strip(),
        shipping_method_code=str(row.get("ShippingMethodCode") or "").strip(),
    )


def lines_from(rows: Iterable[dict[str, Any]]) -> dict[str, list[DeliveryLine]]:
    """Rows -> lines per delivery; rows of one sales order line (storage locations) summed."""
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in rows:
        entry = _id(row.get("EntryID"))
        key = _id(row.get("SalesOrderLineID")) or f"row:{_id(row.get('ID'))}"
        grouped.setdefault(entry, {}).setdefault(key, []).append(row)
    result: dict[str, list[DeliveryLine]] = {}
    for entry, by_line in grouped.items():
        result[entry] = [
            DeliveryLine(
                sales_order_line_id=_id(parts[0].get("SalesOrderLineID")),
                sales_order_number=_int(parts[0].get("SalesOrderNumber")),
                item_id=_id(parts[0].get("Item")),
                item_code=str(parts[0].get("ItemCode") or "").strip(),
                quantity=sum(
                    (Decimal(str(p.get("QuantityDelivered") or 0)) for p in parts), Decimal(0)
                ),
                tracking_number=next(
                    (str(p["TrackingNumber"]).strip() for p in parts if p.get("TrackingNumber")),
                    "",
                ),
            )
            for parts in by_line.values()
        ]
    return result


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def run(ctx: SyncContext) -> None:
    headers: dict[str, DeliveryHeader] = {}
    touched: set[str] = set()
    try:
        _read_headers(ctx, headers, touched)
        _read_lines(ctx, headers, touched)
    finally:
        if touched:  # committed: receivers queue their work (confirmations) from here
            deliveries_changed.send(
                sender=Delivery, connection=ctx.connection, delivery_ids=touched
            )


def _read_headers(ctx: SyncContext, seen: dict[str, DeliveryHeader], touched: set[str]) -> None:
    since = ctx.checkpoint.timestamp
    for page in ctx.client.iter_sync(HEADERS, select=HEADER_SELECT, since=since, priority=PRIORITY):
        batch = [header_from(row) for row in page.rows if row.get("EntryID")]
        counts = Counts(rows_read=len(page.rows))
        with transaction.atomic():
            _announce(ctx, [Delivery(h) for h in batch], counts)
            _commit(ctx, counts, headers=page.max_timestamp)
        seen.update({h.entry_id: h for h in batch})
        touched.update(h.entry_id for h in batch)


def _read_lines(ctx: SyncContext, seen: dict[str, DeliveryHeader], touched: set[str]) -> None:
    since = int(ctx.checkpoint.cursor or 0)
    held: list[dict[str, Any]] = []
    for page in ctx.client.iter_sync(LINES, select=LINE_SELECT, since=since, priority=PRIORITY):
        rows = held + page.rows
        last = _id(rows[-1].get("EntryID")) if rows else ""
        held = [r for r in rows if _id(r.get("EntryID")) == last]
        ready = [r for r in rows if _id(r.get("EntryID")) != last]
        mark = min(int(r.get("Timestamp") or 0) for r in held) - 1 if held else page.max_timestamp
        _apply_lines(ctx, ready, seen, touched, mark=mark, rows_read=len(page.rows))
    if held:
        mark = max(int(r.get("Timestamp") or 0) for r in held)
        _apply_lines(ctx, held, seen, touched, mark=mark, rows_read=0)


def _apply_lines(
    ctx: SyncContext,
    rows: list[dict[str, Any]],
    seen: dict[str, DeliveryHeader],
    touched: set[str],
    *,
    mark: int,
    rows_read: int,
) -> None:
    lines = lines_from(rows)
    lines.pop("", None)
    missing = [entry for entry in lines if entry not in seen]
    if missing:
        seen.update(_fetch_headers(ctx, missing))
    deliveries = [
        Delivery(seen.get(entry) or DeliveryHeader(entry_id=entry), lines=entry_lines)
        for entry, entry_lines in lines.items()
    ]
    counts = Counts(rows_read=rows_read)
    with transaction.atomic():
        _announce(ctx, deliveries, counts)
        _commit(ctx, counts, lines=mark)
    touched.update(lines)


def _fetch_headers(ctx: SyncContext, entry_ids: list[str]) -> dict[str, DeliveryHeader]:
    """Headers of deliveries whose lines changed after their header was read (one call per 20)."""
    found: dict[str, DeliveryHeader] = {}
    for start in range(0, len(entry_ids), FETCH_CHUNK):
        chunk = entry_ids[start : start + FETCH_CHUNK]
        query = " or ".join(f"EntryID eq {guid(e)}" for e in chunk)
        for row in ctx.client.iter_rows(
            "salesorder/GoodsDeliveries",
            select=[f for f in HEADER_SELECT if f != "Timestamp"],
            filter=query,
            priority=PRIORITY,
        ):
            header = header_from(row)
            found[header.entry_id] = header
    return found


def _announce(ctx: SyncContext, deliveries: list[Delivery], counts: Counts) -> None:
    if not deliveries:
        return
    responses = goods_deliveries_read.send(
        sender=Delivery, connection=ctx.connection, deliveries=deliveries
    )
    for _, outcome in responses:
        if not isinstance(outcome, DeliveryOutcome):
            continue
        counts.created += outcome.created
        counts.updated += outcome.updated
        counts.unchanged += outcome.unchanged
        for key, reason in outcome.skipped:
            counts.skip(key, reason)


def _commit(
    ctx: SyncContext, counts: Counts, *, headers: int | None = None, lines: int | None = None
) -> None:
    """Move one of the two marks (never backwards) and add the page's counts to the run.

    The frame's commit_page would move `full_timestamp` on a full run; deliveries always read
    from the incremental marks (see the module docstring), so the marks are written here.
    """
    checkpoint = ctx.checkpoint
    updates: dict[str, Any] = {}
    if headers is not None and headers > checkpoint.timestamp:
        checkpoint.timestamp = headers
        updates["timestamp"] = headers
    if lines is not None and lines > int(checkpoint.cursor or 0):
        checkpoint.cursor = str(lines)
        updates["cursor"] = checkpoint.cursor
    if updates:
        SyncCheckpoint.objects.filter(pk=checkpoint.pk).update(**updates, updated_at=timezone.now())
    add_counts(ctx.run, counts, api_calls=ctx.client.calls.count)


__all__ = [
    "ENTITY",
    "PRIORITY",
    "Delivery",
    "DeliveryHeader",
    "DeliveryLine",
    "DeliveryOutcome",
    "run",
]
