"""The Exact sales order for a channel order: one POST with its lines (deep insert)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from channels_app.models import ChannelOrder
from exactsync.models import Product, VatCode

from .checks import Plan

CENT = Decimal("0.0001")


def price(incl: Decimal, excl: Decimal | None, rate: Decimal | None, vat: VatCode) -> Decimal:
    """As the channel charged it: incl. VAT for an 'including' VAT code, else excl. VAT."""
    if vat.includes_vat:
        return incl.quantize(CENT)
    if excl is not None:
        return excl.quantize(CENT)
    if rate:
        return (incl / (1 + rate / 100)).quantize(CENT)
    return incl.quantize(CENT)


def delivery_remarks(order: ChannelOrder) -> str:
    address = order.delivery_address or {}
    parts = [
        order.buyer_company,
        address.get("name") or order.buyer_name,
        address.get("street"),
        address.get("address2"),
        f"{address.get('postcode', '')} {address.get('city', '')}".strip(),
        address.get("country") or order.country,
        order.buyer_email,
        address.get("phone"),
    ]
    return "Deliver to: " + ", ".join(p for p in parts if p)


def _extra_line(
    item: Product | None,
    amount: Decimal,
    rate: Decimal | None,
    vat: VatCode | None,
    text: str,
    sign: int = 1,
) -> dict[str, Any] | None:
    if not item or not amount or vat is None:
        return None
    return {
        "Item": str(item.exact_id),
        "Quantity": float(sign),
        "UnitPrice": float(price(amount, None, rate, vat)),
        "VATCode": vat.code,
        "Description": text,
    }


def sales_order_body(order: ChannelOrder, plan: Plan) -> dict[str, Any]:
    channel = order.channel
    lines = []
    for line in order.lines.select_related("product").order_by("id"):
        vat = plan.vat.get(line.pk)
        if vat is None or line.open_quantity <= 0 or line.marketplace_fulfilled:
            continue
        lines.append(
            {
                "Item": str(line.product.exact_id),
                "Quantity": float(line.open_quantity),
                "UnitPrice": float(
                    price(line.unit_price_incl, line.unit_price_excl, line.vat_rate, vat)
                ),
                "VATCode": vat.code,
                "Description": (line.title or line.product.description)[:60],
            }
        )
    default_vat = channel.default_vat_code
    for extra in (
        _extra_line(
            channel.shipping_item,
            order.shipping_incl,
            order.shipping_vat_rate,
            plan.shipping_vat,
            "Shipping costs",
        ),
        _extra_line(
            channel.discount_item, order.discount_incl, None, default_vat, "Discount", sign=-1
        ),
        _extra_line(channel.fee_item, order.fees_incl, None, default_vat, "Fees"),
    ):
        if extra:
            lines.append(extra)
    customer = plan.customer
    return {
        "OrderedBy": str(customer.exact_id) if customer else "",
        "YourRef": order.your_ref,
        "OrderDate": order.placed_at.date().isoformat(),
        "Description": f"{channel.name} {order.number}"[:60],
        "Remarks": delivery_remarks(order)[:1000],
        "SalesOrderLines": lines,
    }
