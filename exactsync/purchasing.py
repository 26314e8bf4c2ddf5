"""Purchase orders placed here: checked, written to Exact exactly once, watched until they arrive.

The purchaser's promise: an order placed here is in Exact within minutes, exactly once, or a
person knows why not and can fix it. Quantities are in the product's own unit; Exact gets them in
purchase units (`QuantityInPurchaseUnits`, price per purchase unit) with our number in YourRef.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.http import ApiError, OutcomeUnknownError, RetriableApiError
from exactsync import failed_writes, outbox
from exactsync.client import ExactValidationError, NeedsLoginError, Priority, guid, quote
from exactsync.models import (
    Outbox,
    OutboxKind,
    OutboxState,
    ProductSupplier,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockLevel,
    WriteState,
    record_activity,
)

NOT_ARRIVED_AFTER = timedelta(hours=1)


@dataclass
class LineAdvice:
    """How a line's quantity relates to order per and MOQ, with the rounded suggestion."""

    quantity: Decimal
    order_per: Decimal
    unit: str
    moq: Decimal | None
    purchase_units: Decimal
    suggestion: Decimal | None
    flags: list[str]


def suggest(quantity: Decimal, order_per: Decimal, moq: Decimal | None) -> Decimal:
    """Round up to a whole number of purchase units, and to at least the MOQ."""
    wanted = max(quantity, moq or Decimal("0"))
    units = (wanted / order_per).to_integral_value(rounding=ROUND_CEILING)
    return units * order_per


def advise(quantity: Decimal, link: ProductSupplier | None, product_unit: str = "") -> LineAdvice:
    order_per = link.order_per if link and link.order_per else Decimal("1")
    moq = link.moq if link else None
    unit = (link.purchase_unit_description or link.purchase_unit) if link else ""
    flags = []
    if quantity % order_per != 0:
        flags.append(
            f"{quantity.normalize():f} is not a whole number of purchase units "
            f"({(quantity / order_per).quantize(Decimal('0.01')).normalize():f} x {unit or 'unit'} of "
            f"{order_per.normalize():f})"
        )
    if moq and quantity < moq:
        flags.append(f"below the MOQ of {moq.normalize():f}")
    suggestion = suggest(quantity, order_per, moq) if flags else None
    return LineAdvice(
        quantity=quantity,
        order_per=order_per,
        unit=unit or product_unit,
        moq=moq,
        purchase_units=(quantity / order_per).quantize(Decimal("0.0001")),
        suggestion=suggestion,
        flags=flags,
    )


def links_for(order: PurchaseOrder) -> dict[int, ProductSupplier]:
    return {
        link.product_id: link
        for link in ProductSupplier.objects.filter(
            supplier=order.supplier_id, product__in=[ln.product_id for ln in order.lines.all()]
        )
    }


def line_advice(
    line: PurchaseOrderLine, links: dict[int, ProductSupplier] | None = None
) -> LineAdvice:
    link = (
        (links or {}).get(line.product_id)
        if links is not None
        else ProductSupplier.objects.filter(
            product=line.product_id, supplier=line.order.supplier_id
        ).first()
    )
    return advise(line.quantity, link, line.product.unit)


def apply_suggestions(order: PurchaseOrder, *, user: Any = None) -> int:
    """The purchaser chose the rounded quantities."""
    links = links_for(order)
    changed = 0
    for line in order.lines.select_related("product"):
        advice = line_advice(line, links)
        if advice.suggestion is not None and advice.suggestion != line.quantity:
            record_activity(
                "purchase_order.quantity_rounded",
                subject=order,
                actor=user,
                message=f"{line.product.code}: {line.quantity.normalize():f} -> "
                f"{advice.suggestion.normalize():f}",
            )
            line.quantity = advice.suggestion
            line.save(update_fields=["quantity"])
            changed += 1
    return changed


def default_receipt_date(order: PurchaseOrder, links: dict[int, ProductSupplier]) -> date:
    """Order date + the longest lead time of its lines (the supplier's own lead time otherwise)."""
    lead = max([link.lead_time_days or 0 for link in links.values()] or [0])
    lead = lead or order.supplier.purchase_lead_days or 0
    return (order.order_date or timezone.localdate()) + timedelta(days=lead)


def precheck(order: PurchaseOrder) -> list[str]:
    """What Exact would refuse, said in words, before anything is sent."""
    problems = []
    supplier = order.supplier
    if supplier.blocked:
        problems.append(f"Supplier {supplier.code} {supplier.name} is blocked in Exact.")
    if not supplier.exact_id:
        problems.append(f"Supplier {supplier.code} is not known in Exact.")
    lines = list(order.lines.select_related("product"))
    if not lines:
        problems.append("The order has no lines.")
    links = links_for(order)
    stocked = set()
    if order.warehouse_id:
        stocked = set(
            StockLevel.objects.filter(
                warehouse=order.warehouse_id, product__in=[ln.product_id for ln in lines]
            ).values_list("product_id", flat=True)
        )
    today = timezone.localdate()
    for line in lines:
        product = line.product
        name = (
            f"{product.code} ({product.description})"
            if product.description and product.description != product.code
            else product.code
        )
        if not product.is_purchase_item:
            problems.append(f"{name} is not a purchase item in Exact.")
        if product.deleted_in_exact or (product.end_date and product.end_date <= today):
            problems.append(f"{name} is inactive: its end date in Exact has passed.")
        link = links.get(product.pk)
        if link is None or not link.in_exact:
            problems.append(f"{name} is not linked to supplier {supplier.code} in Exact.")
        if order.warehouse_id and product.is_stock_item and product.pk not in stocked:
            problems.append(f"{name} is not linked to warehouse {order.warehouse.code} in Exact.")
        if line.quantity <= 0:
            problems.append(f"{name}: the quantity must be more than 0.")
    return problems


def place(order: PurchaseOrder, *, user: Any = None) -> list[str]:
    """Check the order; if Exact would accept it, place it and (switch on) queue one write."""
    with transaction.atomic():
        order = (
            PurchaseOrder.objects.select_for_update(of=("self",))
            .select_related("supplier", "warehouse", "connection")
            .get(pk=order.pk)
        )
        if order.status not in (PurchaseOrderStatus.DRAFT,):
            return [f"Order {order} was placed already."]
        if not order.number:
            order.number = f"PO-{order.pk:06d}"
        order.your_ref = order.number
        order.order_date = order.order_date or timezone.localdate()
        links = links_for(order)
        if not order.receipt_date:
            order.receipt_date = default_receipt_date(order, links)
        for line in order.lines.all():
            link = links.get(line.product_id)
            order_per = link.order_per if link and link.order_per else Decimal("1")
            line.quantity_purchase_units = (line.quantity / order_per).quantize(Decimal("0.0001"))
            if line.unit_price is None and link and link.purchase_price is not None:
                line.unit_price = link.purchase_price
            line.save(update_fields=["quantity_purchase_units", "unit_price"])
        problems = precheck(order)
        order.problems = problems
        if problems:
            order.save()
            record_activity(
                "purchase_order.checks_failed",
                subject=order,
                actor=user,
                level="warning",
                message="; ".join(problems),
            )
            return problems
        order.status = PurchaseOrderStatus.PLACED
        order.placed_at = timezone.now()
        order.placed_by = user if getattr(user, "is_authenticated", False) else None
        if order.connection.write_purchase_orders:
            order.write_state = WriteState.QUEUED
            outbox.record(
                OutboxKind.PURCHASE_ORDER,
                target=order,
                key=f"po:{order.connection_id}:{order.number}",
                priority=Priority.PURCHASE,
                label=f"Purchase order {order.number}",
            )
        else:
            order.write_state = WriteState.NOT_SENT
        order.save()
        record_activity(
            "purchase_order.placed",
            subject=order,
            actor=user,
            message="queued for Exact"
            if order.write_state == WriteState.QUEUED
            else "not sent: writing purchase orders to Exact is switched off",
        )
    return []


def exact_body(order: PurchaseOrder) -> dict[str, Any]:
    """One POST with the lines (deep insert); quantities in purchase units."""
    lines = []
    for line in order.lines.select_related("product"):
        body_line: dict[str, Any] = {
            "Item": str(line.product.exact_id),
            "QuantityInPurchaseUnits": float(line.quantity_purchase_units),
        }
        if line.unit_price is not None:
            body_line["NetPrice"] = float(line.unit_price)
        lines.append(body_line)
    body: dict[str, Any] = {
        "Supplier": str(order.supplier.exact_id),
        "YourRef": order.number,
        "OrderDate": (order.order_date or timezone.localdate()).isoformat(),
        "Description": order.description or f"Purchase order {order.number}",
        "PurchaseOrderLines": lines,
    }
    if order.receipt_date:
        body["ReceiptDate"] = order.receipt_date.isoformat()
    if order.warehouse_id and order.warehouse.exact_id:
        body["Warehouse"] = str(order.warehouse.exact_id)
    return body


def _mark_sent(order: PurchaseOrder, exact: dict[str, Any], *, how: str) -> None:
    order.exact_id = exact.get("PurchaseOrderID") or order.exact_id
    order.exact_order_number = exact.get("OrderNumber") or order.exact_order_number
    order.write_state = WriteState.SENT
    order.status = PurchaseOrderStatus.OPEN
    order.sent_at = timezone.now()
    order.last_error = ""
    order.save()
    record_activity(
        "purchase_order.in_exact",
        subject=order,
        message=f"Exact order {order.exact_order_number} ({how})",
        payload={"exact_id": str(order.exact_id), "order_number": order.exact_order_number},
    )


def find_in_exact(client: Any, order: PurchaseOrder) -> dict[str, Any] | None:
    return client.find_one(
        "purchaseorder/PurchaseOrders",
        select=["PurchaseOrderID", "OrderNumber", "YourRef"],
        filter=f"YourRef eq {quote(order.number)} and Supplier eq {guid(str(order.supplier.exact_id))}",
        priority=Priority.PURCHASE,
    )


@outbox.handler(OutboxKind.PURCHASE_ORDER)
def write_purchase_order(entry: Outbox) -> outbox.Outcome:
    """Post the order to Exact; after an unknown outcome, look it up by YourRef first."""
    from exactsync.services.exact import build_exact_client

    order = PurchaseOrder.objects.select_related("supplier", "warehouse", "connection").get(
        pk=entry.target_id
    )
    if order.exact_id:
        return outbox.Outcome.done(exact_id=str(order.exact_id), note="already linked")
    if order.status == PurchaseOrderStatus.CANCELLED:
        return outbox.Outcome.failed(
            "The order was cancelled here; nothing was sent.", kind="cancelled"
        )
    PurchaseOrder.objects.filter(pk=order.pk).update(write_state=WriteState.SENDING)
    try:
        client = build_exact_client(order.connection, priority=Priority.PURCHASE)
        if getattr(entry, "look_up_first", False):
            found = find_in_exact(client, order)
            if found:
                _mark_sent(order, found, how="found by YourRef after an earlier attempt")
                return outbox.Outcome.done(
                    exact_id=found.get("PurchaseOrderID"), order_number=found.get("OrderNumber")
                )
        created = client.post(
            "purchaseorder/PurchaseOrders", exact_body(order), priority=Priority.PURCHASE
        )
    except ExactValidationError as exc:
        _mark_failed(order, exc.for_staff())
        return outbox.Outcome.failed(exc.exact_message or exc.message, hint=exc.hint)
    except OutcomeUnknownError as exc:
        _mark_failed(
            order,
            f"{exc.for_staff()} (will look it up in Exact before sending again)",
            state=WriteState.QUEUED,
        )
        return outbox.Outcome.unknown(exc.for_staff())
    except NeedsLoginError as exc:
        _mark_failed(order, str(exc), state=WriteState.QUEUED)
        return outbox.Outcome.retry(str(exc), retry_in=900)
    except RetriableApiError as exc:
        _mark_failed(order, exc.for_staff(), state=WriteState.QUEUED)
        return outbox.Outcome.retry(exc.for_staff(), retry_in=getattr(exc, "retry_after", None))
    except ApiError as exc:
        _mark_failed(order, exc.for_staff())
        return outbox.Outcome.failed(exc.message, hint=exc.hint, kind="refused")
    _mark_sent(order, created, how="written")
    return outbox.Outcome.done(
        exact_id=created.get("PurchaseOrderID"), order_number=created.get("OrderNumber")
    )


def _mark_failed(order: PurchaseOrder, message: str, *, state: str = WriteState.FAILED) -> None:
    PurchaseOrder.objects.filter(pk=order.pk).update(
        write_state=state, last_error=message[:2000], updated_at=timezone.now()
    )
    record_activity(
        "purchase_order.write_failed"
        if state == WriteState.FAILED
        else "purchase_order.write_retry",
        subject=order,
        level="error" if state == WriteState.FAILED else "warning",
        message=message,
    )


def cancel(order: PurchaseOrder, *, user: Any = None) -> None:
    """Staff cancel an order that is not in Exact; its pending write is cancelled too."""
    Outbox.objects.filter(kind=OutboxKind.PURCHASE_ORDER, target_id=order.pk).exclude(
        state=OutboxState.DONE
    ).update(state=OutboxState.CANCELLED, updated_at=timezone.now())
    PurchaseOrder.objects.filter(pk=order.pk).update(
        status=PurchaseOrderStatus.CANCELLED, updated_at=timezone.now()
    )
    record_activity("purchase_order.cancelled", subject=order, actor=user)


def mark_entered_by_hand(
    order: PurchaseOrder, exact_order_number: int, *, user: Any = None
) -> None:
    """Staff typed the order in Exact themselves: link it by Exact's order number."""
    Outbox.objects.filter(kind=OutboxKind.PURCHASE_ORDER, target_id=order.pk).exclude(
        state=OutboxState.DONE
    ).update(state=OutboxState.MANUAL, updated_at=timezone.now())
    PurchaseOrder.objects.filter(pk=order.pk).update(
        exact_order_number=exact_order_number,
        write_state=WriteState.MANUAL,
        status=PurchaseOrderStatus.OPEN,
        last_error="",
        updated_at=timezone.now(),
    )
    record_activity(
        "purchase_order.entered_by_hand",
        subject=order,
        actor=user,
        message=f"Linked to Exact order {exact_order_number}",
    )


def _describe(order: PurchaseOrder) -> dict[str, str]:
    return {
        "what": f"Purchase order {order.number}",
        "who": f"{order.supplier.code} {order.supplier.name}",
        "placed": order.placed_at.isoformat() if order.placed_at else "",
    }


failed_writes.register(
    OutboxKind.PURCHASE_ORDER,
    failed_writes.WriteActions(
        cancel=lambda order, user: cancel(order, user=user),  # type: ignore[arg-type]
        mark_manual=lambda order, number, user: mark_entered_by_hand(order, number, user=user),  # type: ignore[arg-type]
        describe=_describe,  # type: ignore[arg-type]
    ),
)


def flag_not_arrived(*, now: Any = None) -> int:
    """Hourly: orders placed more than an hour ago and still not confirmed in Exact."""
    now = now or timezone.now()
    late = PurchaseOrder.objects.filter(
        status=PurchaseOrderStatus.PLACED,
        placed_at__lt=now - NOT_ARRIVED_AFTER,
        exact_id__isnull=True,
        exact_order_number__isnull=True,
        not_arrived_flagged_at__isnull=True,
        write_state__in=[WriteState.QUEUED, WriteState.SENDING, WriteState.FAILED],
    )
    count = 0
    for order in late:
        PurchaseOrder.objects.filter(pk=order.pk).update(not_arrived_flagged_at=now)
        record_activity(
            "purchase_order.not_arrived",
            subject=order,
            level="error",
            message=f"Not in Exact {math.floor((now - order.placed_at).total_seconds() / 60)} minutes "
            f"after it was placed. {order.last_error}".strip(),
        )
        count += 1
    return count
