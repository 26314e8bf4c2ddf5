"""ChannelOrderData -> the values of our ChannelOrder and its lines (no writes here).

Values are cut to the column sizes and money is rounded to the columns' decimals, so a value
read back from the database compares equal to the one computed again from the same payload
(that is how "nothing changed" is recognised). The raw payload keeps everything as sent.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from channels_app.connectors.base import ChannelOrderData, OrderLineData
from channels_app.mapping import LineKey
from channels_app.models import Channel

Q4 = Decimal("0.0001")
Q3 = Decimal("0.001")
# Line fields that name the product: an empty value never overwrites a known one (a Shopify
# webhook carries no inventory item or barcode; the polled order does).
IDENTITY_FIELDS = ("listing_external_id", "sku", "ean")


def q4(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Q4)


def q3(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Q3)


def order_values(channel: Channel, data: ChannelOrderData) -> dict[str, Any]:
    """The ChannelOrder fields the channel decides (everything but state, problems and Exact)."""
    buyer, billing, delivery = data.buyer, data.billing, data.delivery
    requested = data.cancellation_requested or any(
        line.cancellation_requested for line in data.lines
    )
    return {
        "number": (data.number or data.external_id)[:120],
        "channel_status": (data.status or "")[:60],
        "placed_at": data.placed_at,
        "channel_updated_at": data.updated_at,
        "currency": (data.currency or "EUR")[:3].upper(),
        "shipping_incl": q4(data.shipping_incl),
        "shipping_vat_rate": q3(data.shipping_vat_rate),
        "discount_incl": q4(data.discount_incl),
        "fees_incl": q4(data.fees_incl),
        "buyer_name": (buyer.name or billing.name or delivery.name)[:200],
        "buyer_email": (buyer.email or billing.email or delivery.email)[:200],
        "buyer_company": (buyer.company or billing.company)[:200],
        "buyer_vat_number": data.buyer_vat_number[:40],
        "buyer_coc_number": data.buyer_coc_number[:40],
        "buyer_reference": data.buyer_reference[:120],
        "delivery_address": asdict(delivery),
        "billing_address": asdict(billing),
        "country": (delivery.country or billing.country or buyer.country)[:2].upper(),
        "marketplace_fulfilled": data.marketplace_fulfilled,
        "cancelled": data.cancelled,
        "cancellation_requested": requested and not data.cancelled,
        "ship_by": data.ship_by or data.placed_at + timedelta(hours=channel.ship_by_hours),
    }


def line_values(line: OrderLineData, *, marketplace: bool) -> dict[str, Any]:
    """The ChannelOrderLine fields of one line (the excl. price derived when only a rate is given)."""
    quantity = max(0, int(line.quantity))
    incl = q4(line.unit_price_incl) or Decimal("0")
    excl = line.unit_price_excl
    if excl is None and line.vat_rate is not None:
        excl = incl / (1 + Decimal(line.vat_rate) / 100)
    return {
        "listing_external_id": line.listing_external_id[:120],
        "sku": line.sku[:120],
        "ean": line.ean[:30],
        "title": line.title[:300],
        "quantity": quantity,
        "quantity_cancelled": min(quantity, max(0, int(line.quantity_cancelled))),
        "quantity_shipped": min(quantity, max(0, int(line.quantity_shipped))),
        "unit_price_incl": incl,
        "unit_price_excl": q4(excl),
        "vat_rate": q3(line.vat_rate),
        "marketplace_fulfilled": line.marketplace_fulfilled or marketplace,
    }


def line_key(values: dict[str, Any]) -> LineKey:
    return LineKey(
        listing_external_id=values["listing_external_id"],
        sku=values["sku"],
        ean=values["ean"],
        title=values["title"],
    )


def changed_fields(instance: Any, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]
