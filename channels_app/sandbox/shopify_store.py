"""The Shopify sandbox's in-memory shop: products, inventory, orders, fulfillments.

Plain dataclasses plus the arithmetic Shopify does on them (tax per line on the discounted
amount, inclusive or exclusive of tax as the shop is set up) and the REST-style JSON that
Shopify's order webhooks carry. No Django imports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")

# VAT per destination country (percent) and the title Shopify's tax engine shows for it.
VAT_RATES: dict[str, tuple[Decimal, str]] = {
    "NL": (Decimal("21"), "NL BTW"),
    "BE": (Decimal("21"), "BE BTW"),
    "DE": (Decimal("19"), "DE MwSt"),
    "FR": (Decimal("20"), "FR TVA"),
    "AT": (Decimal("20"), "AT USt"),
    "LU": (Decimal("17"), "LU TVA"),
    "ES": (Decimal("21"), "ES IVA"),
    "IT": (Decimal("22"), "IT IVA"),
}
DEFAULT_VAT = (Decimal("21"), "VAT")

_ADDRESSES = {
    "NL": [
        ("Dorpstraat", "1111 AA", "Utrecht"),
        ("Kerkweg", "2511 CB", "Den Haag"),
        ("Stationsplein", "9711 AA", "Groningen"),
    ],
    "BE": [("Meir", "2000", "Antwerpen"), ("Rue Neuve", "1000", "Brussel")],
    "DE": [("Hauptstrasse", "10115", "Berlin"), ("Bahnhofstrasse", "50667", "Köln")],
}
_FIRST = ["Billie", "Sam", "Noor", "Daan", "Emma", "Lars", "Fenna", "Jules"]
_LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Peters"]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    return str(money(value))


def vat_for(country: str) -> tuple[Decimal, str]:
    return VAT_RATES.get(country.upper(), DEFAULT_VAT)


def tax_on(amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    """Tax on a line amount; inside the amount when prices include tax."""
    if included:
        return money(amount * rate / (Decimal(100) + rate))
    return money(amount * rate / Decimal(100))


def ean13(seed_digits: str) -> str:
    """A valid EAN-13 from 12 digits (adds the check digit)."""
    digits = seed_digits[:12].rjust(12, "0")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    """The number in gid://shopify/<kind>/<n> (or a bare legacy id); None if not that kind."""
    if isinstance(value, int):
        return value
    text = str(value or "")
    prefix = f"gid://shopify/{kind}/"
    if text.startswith(prefix):
        text = text[len(prefix) :].split("?")[0]
    return int(text) if text.isdigit() else None


def iso(ts: float | None) -> str | None:
    """GraphQL DateTime: UTC with a Z."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rest_time(ts: float | None, tz: tzinfo) -> str | None:
    """REST/webhook timestamps are in the shop's time zone with an offset."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=tz).isoformat()


def shop_timezone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):  # pragma: no cover - tzdata missing
        return UTC


# -- model -------------------------------------------------------------------------------------


@dataclass
class Location:
    id: int
    name: str
    active: bool = True


@dataclass
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    sku: str
    barcode: str
    title: str
    price: Decimal
    created_at: float
    updated_at: float


@dataclass
class Level:
    item_id: int
    location_id: int
    available: int
    committed: int = 0
    updated_at: float = 0.0

    @property
    def on_hand(self) -> int:
        return self.available + self.committed


@dataclass
class Line:
    id: int
    variant: Variant | None
    sku: str
    title: str
    quantity: int
    unit_price: Decimal  # as entered in the shop (incl. tax when the shop includes tax)
    tax_rate: Decimal
    tax_title: str
    allocations: list[Decimal] = field(default_factory=list)  # discount per application
    current_quantity: int = -1
    tax: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        if self.current_quantity < 0:
            self.current_quantity = self.quantity

    @property
    def discount(self) -> Decimal:
        return money(sum(self.allocations, Decimal("0")))

    @property
    def net(self) -> Decimal:
        """The line amount after all discounts, in the shop's tax mode."""
        return money(self.unit_price * self.quantity - self.discount)


@dataclass
class ShippingLine:
    id: int
    title: str
    code: str
    price: Decimal
    tax_rate: Decimal
    tax_title: str
    discount: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")

    @property
    def net(self) -> Decimal:
        return money(self.price - self.discount)


@dataclass
class FOLine:
    id: int
    line_id: int
    total: int
    remaining: int


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    status: str  # OPEN, IN_PROGRESS, ON_HOLD, CLOSED, CANCELLED, ...
    lines: list[FOLine]
    created_at: float
    updated_at: float


@dataclass
class Fulfillment:
    id: int
    order_id: int
    company: str | None
    number: str | None
    url: str | None
    lines: list[tuple[int, int, int]]  # (fulfillment order line id, line item id, quantity)
    notify_customer: bool
    created_at: float
    status: str = "SUCCESS"


@dataclass
class Order:
    id: int
    number: int
    created_at: float
    updated_at: float
    currency: str
    taxes_included: bool
    financial_status: str  # display enum: PAID, PENDING, AUTHORIZED, REFUNDED, VOIDED, ...
    email: str
    shipping_address: dict[str, str]
    billing_address: dict[str, str]
    lines: list[Line]
    shipping_lines: list[ShippingLine]
    po_number: str | None = None
    phone: str | None = None
    note: str | None = None
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    discount_codes: list[str] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    def fulfilled(self, line_id: int) -> int:
        return sum(q for f in self.fulfillments for _, lid, q in f.lines if lid == line_id)

    @property
    def display_fulfillment_status(self) -> str:
        shipped = sum(self.fulfilled(li.id) for li in self.lines)
        wanted = sum(li.current_quantity for li in self.lines)
        if shipped and shipped >= wanted:
            return "FULFILLED"
        if shipped:
            return "PARTIALLY_FULFILLED"
        if any(fo.status == "ON_HOLD" for fo in self.fulfillment_orders):
            return "ON_HOLD"
        return "UNFULFILLED"

    def totals(self) -> dict[str, Decimal]:
        items = money(sum((li.unit_price * li.quantity for li in self.lines), Decimal("0")))
        discounts = money(
            sum((li.discount for li in self.lines), Decimal("0"))
            + sum((s.discount for s in self.shipping_lines), Decimal("0"))
        )
        subtotal = money(sum((li.net for li in self.lines), Decimal("0")))
        shipping = money(sum((s.net for s in self.shipping_lines), Decimal("0")))
        tax = money(
            sum((li.tax for li in self.lines), Decimal("0"))
            + sum((s.tax for s in self.shipping_lines), Decimal("0"))
        )
        total = subtotal + shipping + (Decimal("0") if self.taxes_included else tax)
        return {
            "line_items": items,
            "discounts": discounts,
            "subtotal": subtotal,
            "shipping": shipping,
            "tax": tax,
            "total": money(total),
        }


def apply_taxes(order: Order) -> None:
    """Recompute tax per line and shipping line, as Shopify's tax engine does on checkout."""
    for li in order.lines:
        li.tax = tax_on(li.net, li.tax_rate, order.taxes_included)
    for s in order.shipping_lines:
        s.tax = tax_on(s.net, s.tax_rate, order.taxes_included)


def allocate_discount(lines: list[Line], amount: Decimal) -> None:
    """Spread an order-level discount over lines by value, in cents (remainder on the last)."""
    amount = money(amount)
    if amount <= 0 or not lines:
        return
    gross = sum((li.unit_price * li.quantity for li in lines), Decimal("0"))
    left = amount
    for i, li in enumerate(lines):
        share = left if i == len(lines) - 1 else money(amount * li.unit_price * li.quantity / gross)
        share = min(share, money(li.unit_price * li.quantity - li.discount))
        li.allocations.append(share)
        left -= share


def random_address(rng: random.Random, country: str) -> dict[str, str]:
    street, zip_code, city = rng.choice(_ADDRESSES.get(country, _ADDRESSES["NL"]))
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return {
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "company": "",
        "address1": f"{street} {rng.randint(1, 200)}",
        "address2": "",
        "zip": zip_code,
        "city": city,
        "province": "",
        "province_code": "",
        "country_code": country,
        "phone": f"+31 6 {rng.randint(10000000, 99999999)}",
    }


# -- REST-style webhook payload ------------------------------------------------------------------


def _money_set(amount: Decimal, currency: str) -> dict[str, Any]:
    m = {"amount": fmt(amount), "currency_code": currency}
    return {"shop_money": m, "presentment_money": dict(m)}


def _tax_lines(price: Decimal, rate: Decimal, title: str, currency: str) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "price": fmt(price),
            "rate": float(rate / 100),
            "channel_liable": False,
            "price_set": _money_set(price, currency),
        }
    ]


def _address(addr: dict[str, str], country_names: dict[str, str]) -> dict[str, Any]:
    code = addr.get("country_code", "")
    return {
        "first_name": addr.get("first_name"),
        "last_name": addr.get("last_name"),
        "name": addr.get("name"),
        "company": addr.get("company") or None,
        "address1": addr.get("address1"),
        "address2": addr.get("address2") or None,
        "city": addr.get("city"),
        "zip": addr.get("zip"),
        "province": addr.get("province") or None,
        "province_code": addr.get("province_code") or None,
        "country": country_names.get(code, code),
        "country_code": code,
        "phone": addr.get("phone") or None,
        "latitude": None,
        "longitude": None,
    }


COUNTRY_NAMES = {
    "NL": "Netherlands",
    "BE": "Belgium",
    "DE": "Germany",
    "FR": "France",
    "AT": "Austria",
    "LU": "Luxembourg",
    "ES": "Spain",
    "IT": "Italy",
}


def order_payload(order: Order, tz: tzinfo) -> dict[str, Any]:
    """The order as Shopify's orders/* webhooks (REST Admin representation) carry it."""
    cur = order.currency
    totals = order.totals()
    status = order.display_fulfillment_status
    line_items = []
    for li in order.lines:
        shipped = order.fulfilled(li.id)
        line_items.append(
            {
                "id": li.id,
                "admin_graphql_api_id": gid("LineItem", li.id),
                "variant_id": li.variant.id if li.variant else None,
                "product_id": li.variant.product_id if li.variant else None,
                "sku": li.sku or None,
                "name": li.title,
                "title": li.title,
                "variant_title": None,
                "vendor": "Sandbox",
                "quantity": li.quantity,
                "current_quantity": li.current_quantity,
                "fulfillable_quantity": max(0, li.current_quantity - shipped),
                "fulfillment_status": (
                    "fulfilled"
                    if shipped and shipped >= li.current_quantity
                    else "partial"
                    if shipped
                    else None
                ),
                "fulfillment_service": "manual",
                "requires_shipping": True,
                "taxable": True,
                "gift_card": False,
                "grams": 0,
                "product_exists": li.variant is not None,
                "price": fmt(li.unit_price),
                "price_set": _money_set(li.unit_price, cur),
                "total_discount": "0.00",
                "total_discount_set": _money_set(Decimal("0"), cur),
                "discount_allocations": [
                    {
                        "amount": fmt(a),
                        "amount_set": _money_set(a, cur),
                        "discount_application_index": i,
                    }
                    for i, a in enumerate(li.allocations)
                    if a
                ],
                "tax_lines": _tax_lines(li.tax, li.tax_rate, li.tax_title, cur),
                "properties": [],
                "duties": [],
            }
        )
    shipping_lines = [
        {
            "id": s.id,
            "title": s.title,
            "code": s.code,
            "source": "shopify",
            "price": fmt(s.price),
            "price_set": _money_set(s.price, cur),
            "discounted_price": fmt(s.net),
            "discounted_price_set": _money_set(s.net, cur),
            "tax_lines": _tax_lines(s.tax, s.tax_rate, s.tax_title, cur),
            "discount_allocations": [],
        }
        for s in order.shipping_lines
    ]
    return {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "name": order.name,
        "order_number": order.number,
        "number": order.number - 1000,
        "email": order.email,
        "contact_email": order.email,
        "phone": order.phone,
        "po_number": order.po_number,
        "note": order.note,
        "test": False,
        "confirmed": True,
        "source_name": "web",
        "created_at": rest_time(order.created_at, tz),
        "updated_at": rest_time(order.updated_at, tz),
        "processed_at": rest_time(order.created_at, tz),
        "cancelled_at": rest_time(order.cancelled_at, tz),
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "closed_at": None,
        "currency": cur,
        "presentment_currency": cur,
        "taxes_included": order.taxes_included,
        "financial_status": order.financial_status.lower(),
        "fulfillment_status": {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(
            status
        ),
        "total_line_items_price": fmt(totals["line_items"]),
        "total_discounts": fmt(totals["discounts"]),
        "subtotal_price": fmt(totals["subtotal"]),
        "total_tax": fmt(totals["tax"]),
        "total_price": fmt(totals["total"]),
        "total_shipping_price_set": _money_set(totals["shipping"], cur),
        "discount_codes": [
            {"code": c, "amount": fmt(totals["discounts"]), "type": "fixed_amount"}
            for c in order.discount_codes
        ],
        "line_items": line_items,
        "shipping_lines": shipping_lines,
        "shipping_address": _address(order.shipping_address, COUNTRY_NAMES),
        "billing_address": _address(order.billing_address, COUNTRY_NAMES),
        "fulfillments": [
            {
                "id": f.id,
                "admin_graphql_api_id": gid("Fulfillment", f.id),
                "status": f.status.lower(),
                "tracking_company": f.company,
                "tracking_number": f.number,
                "tracking_url": f.url,
            }
            for f in order.fulfillments
        ],
    }


# Where each kind of id starts, so ids look like Shopify's (large, distinct per kind).
ID_BASES = {
    "Product": 8_000_000_000,
    "ProductVariant": 44_000_000_000,
    "InventoryItem": 46_000_000_000,
    "Location": 70_000_000_000,
    "Order": 5_500_000_000,
    "LineItem": 13_000_000_000,
    "ShippingLine": 4_400_000_000,
    "FulfillmentOrder": 6_600_000_000,
    "FulfillmentOrderLineItem": 14_000_000_000,
    "Fulfillment": 5_100_000_000,
    "InventoryAdjustmentGroup": 3_000_000_000,
    "WebhookSubscription": 1_300_000_000,
}


@dataclass
class ShopifyState:
    """Everything the sandbox shop holds; rebuilt by ShopifySandbox.reset()."""

    taxes_included: bool = True
    timezone_name: str = "Europe/Amsterdam"
    locations: dict[int, Location] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    items: dict[int, Variant] = field(default_factory=dict)  # inventory item id -> variant
    levels: dict[tuple[int, int], Level] = field(default_factory=dict)  # (item, location)
    orders: dict[int, Order] = field(default_factory=dict)
    subscriptions: dict[int, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    next_order_number: int = 1001

    def next_id(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, ID_BASES.get(kind, 1_000_000)) + 1
        return self.counters[kind]

    def variant_for(self, code: str) -> Variant | None:
        """A variant by SKU or barcode (EAN)."""
        for v in self.variants.values():
            if code in (v.sku, v.barcode):
                return v
        return None

    def find_fulfillment_order(self, fo_id: int) -> tuple[Order, FulfillmentOrder] | None:
        for o in self.orders.values():
            for fo in o.fulfillment_orders:
                if fo.id == fo_id:
                    return o, fo
        return None
