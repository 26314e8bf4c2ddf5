"""POST /api/purchase-orders/ - other systems place purchase orders (bearer token).

Body: {"reference": "ERP-1234" (optional, makes a retry safe), "supplier": "<supplier code>",
       "warehouse": "<code>" (optional), "receipt_date": "YYYY-MM-DD" (optional),
       "lines": [{"product": "<product code>", "quantity": 24}], "place": true (default)}
Answer: 201 (created) or 200 (the same reference again) with the order's number, status, write
state, problems (why it stays a draft) and per-line advice (order per / MOQ suggestions).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse

from common.api import BadInput, json_endpoint
from exactsync import purchasing
from exactsync.models import (
    Account,
    ExactConnection,
    Origin,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Warehouse,
    record_activity,
)


def _order_json(order: PurchaseOrder) -> dict[str, Any]:
    links = purchasing.links_for(order)
    lines = []
    for line in order.lines.select_related("product"):
        advice = purchasing.line_advice(line, links)
        lines.append(
            {
                "product": line.product.code,
                "quantity": str(line.quantity.normalize()),
                "purchase_units": str(advice.purchase_units.normalize()),
                "flags": advice.flags,
                "suggested_quantity": str(advice.suggestion.normalize())
                if advice.suggestion
                else None,
            }
        )
    return {
        "number": order.number,
        "status": order.status,
        "write_state": order.write_state,
        "exact_order_number": order.exact_order_number,
        "problems": order.problems,
        "reference": order.external_reference,
        "lines": lines,
    }


def _parse(connection: ExactConnection, body: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    supplier = Account.objects.filter(
        connection=connection, is_supplier=True, code=str(body.get("supplier", ""))
    ).first()
    if supplier is None:
        errors["supplier"] = f"unknown supplier code {body.get('supplier')!r}"
    warehouse = None
    if body.get("warehouse"):
        warehouse = Warehouse.objects.filter(
            connection=connection, code=str(body["warehouse"])
        ).first()
        if warehouse is None:
            errors["warehouse"] = f"unknown warehouse code {body['warehouse']!r}"
    receipt = None
    if body.get("receipt_date"):
        try:
            receipt = date.fromisoformat(str(body["receipt_date"]))
        except ValueError:
            errors["receipt_date"] = "use YYYY-MM-DD"
    lines = []
    raw_lines = body.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors["lines"] = 'give at least one line: {"product": code, "quantity": number}'
    else:
        for i, raw in enumerate(raw_lines):
            product = Product.objects.filter(
                connection=connection, code=str((raw or {}).get("product", ""))
            ).first()
            if product is None:
                errors[f"lines[{i}].product"] = (
                    f"unknown product code {(raw or {}).get('product')!r}"
                )
                continue
            try:
                quantity = Decimal(str(raw.get("quantity")))
                if not quantity.is_finite() or quantity <= 0:
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors[f"lines[{i}].quantity"] = "must be a number above 0"
                continue
            lines.append((product, quantity))
    if errors:
        raise BadInput(errors)
    return {"supplier": supplier, "warehouse": warehouse, "receipt": receipt, "lines": lines}


@json_endpoint
def create_purchase_order(request: HttpRequest, body: dict[str, Any]) -> JsonResponse:
    """Create (and by default place) a purchase order; a repeated reference returns the first."""
    connection = ExactConnection.objects.filter(is_active=True).order_by("pk").first()
    if connection is None:
        return JsonResponse({"error": "No Exact administration is connected."}, status=409)
    reference = str(body.get("reference") or "")[:100]
    if reference:
        existing = PurchaseOrder.objects.filter(
            connection=connection, external_reference=reference
        ).first()
        if existing:
            return JsonResponse(_order_json(existing), status=200)
    try:
        spec = _parse(connection, body)
    except BadInput as exc:
        return JsonResponse(
            {"error": "The order was not created.", "fields": exc.errors}, status=400
        )
    try:
        with transaction.atomic():
            order = PurchaseOrder.objects.create(
                connection=connection,
                supplier=spec["supplier"],
                warehouse=spec["warehouse"],
                receipt_date=spec["receipt"],
                origin=Origin.HERE,
                external_reference=reference,
                description=str(body.get("description") or "")[:200],
            )
            PurchaseOrderLine.objects.bulk_create(
                [
                    PurchaseOrderLine(order=order, product=p, quantity=q, line_number=i)
                    for i, (p, q) in enumerate(spec["lines"], start=1)
                ]
            )
    except IntegrityError:  # the same reference raced in from a parallel retry
        return JsonResponse(
            _order_json(
                PurchaseOrder.objects.get(connection=connection, external_reference=reference)
            ),
            status=200,
        )
    record_activity(
        "purchase_order.created_by_api", subject=order, actor_label="api", payload={"body": body}
    )
    if body.get("place", True):
        purchasing.place(order)
    order.refresh_from_db()
    return JsonResponse(_order_json(order), status=201)
