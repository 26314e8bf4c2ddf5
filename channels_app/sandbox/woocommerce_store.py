"""Data of the local WooCommerce: catalogue generation, tax maths, the wc/v3 order shape.

Plain functions over JSON-ready dicts; the WSGI app in `woocommerce.py` owns the state and the
lock. Money is Decimal here and becomes 2-decimal strings in the JSON, as WooCommerce sends it.
No Django imports.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Europe/Amsterdam")  # the shop's own timezone: `date_*` fields, not `*_gmt`
CENT = Decimal("0.01")
ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
)
STOCK_REDUCING_STATUSES = {"processing", "on-hold", "completed"}
VAT_NUMBER_META_KEY = "_billing_vat_number"  # where the sandbox's "EU VAT plugin" stores it


@dataclass(frozen=True)
class TaxRate:
    id: int
    country: str
    percent: Decimal
    label: str

    @property
    def fraction(self) -> Decimal:
        return self.percent / 100


# One standard rate per country, as a Dutch shop would configure them (OSS). Countries not
# listed get no tax at all (export outside the EU).
TAX_RATES = {
    "NL": TaxRate(1, "NL", Decimal("21"), "BTW"),
    "BE": TaxRate(2, "BE", Decimal("21"), "BTW"),
    "DE": TaxRate(3, "DE", Decimal("19"), "MwSt."),
    "FR": TaxRate(4, "FR", Decimal("20"), "TVA"),
    "AT": TaxRate(5, "AT", Decimal("20"), "USt."),
    "LU": TaxRate(6, "LU", Decimal("17"), "TVA"),
}


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def gmt(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def local(ts: float) -> str:
    return datetime.fromtimestamp(ts, SITE_TZ).strftime("%Y-%m-%dT%H:%M:%S")


def stamp(obj: dict[str, Any], field: str, ts: float | None) -> None:
    """Set `date_<field>` (site time) and `date_<field>_gmt` (UTC) the way wc/v3 shows them."""
    obj[f"date_{field}"] = local(ts) if ts is not None else None
    obj[f"date_{field}_gmt"] = gmt(ts) if ts is not None else None


def ean13(body12: str) -> str:
    """Append the EAN-13 check digit to 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def default_products(seed: int, count: int = 20) -> list[dict[str, Any]]:
    """`count` articles "ART-00001".. with valid EAN-13s and prices that vary with the seed."""
    rng = random.Random(seed)
    rows = []
    for n in range(1, count + 1):
        price = Decimal(rng.randrange(250, 8000)) / 100
        rows.append(
            {
                "code": f"ART-{n:05d}",
                "ean": ean13(f"871{seed % 1000:03d}{n:06d}"),
                "title": f"Artikel {n}",
                "price": str(price),
            }
        )
    return rows


def product_json(
    *,
    pid: int,
    name: str,
    sku: str,
    ean: str,
    price: str,
    ts: float,
    stock: int | None,
    kind: str = "simple",
    parent_id: int = 0,
    option: str = "",
) -> dict[str, Any]:
    """A product (simple/variable) or a variation, in the products endpoint's shape."""
    manage = stock is not None
    data: dict[str, Any] = {
        "id": pid,
        "name": name,
        "slug": sku.lower(),
        "type": kind,
        "status": "publish",
        "sku": sku,
        "global_unique_id": ean,  # WooCommerce 9.2+: GTIN, UPC, EAN or ISBN
        "price": price,
        "regular_price": price,
        "sale_price": "",
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": manage,
        "stock_quantity": stock,
        "stock_status": "instock",
        "backorders": "no",
        "parent_id": parent_id,
        "variations": [],
        "attributes": [{"id": 0, "name": "Variant", "option": option}] if option else [],
        "meta_data": [],
    }
    stamp(data, "created", ts)
    stamp(data, "modified", ts)
    refresh_stock_status(data)
    return data


def refresh_stock_status(item: dict[str, Any]) -> None:
    if item["type"] == "variable":
        return
    if item["manage_stock"] is True:
        qty = item["stock_quantity"] or 0
        item["stock_status"] = "instock" if qty > 0 else "outofstock"


def variation_view(item: dict[str, Any]) -> dict[str, Any]:
    """How the variations endpoint shows a variation (no type/variations keys)."""
    view = {k: v for k, v in item.items() if k not in ("type", "variations", "slug")}
    return view


def build_catalogue(
    rows: Sequence[dict[str, Any]], *, seed: int, ts: float, next_id: int
) -> tuple[dict[int, dict[str, Any]], int]:
    """Products keyed by id; the last quarter of `rows` become variations of variable parents."""
    rng = random.Random(seed * 7919)
    n_variations = len(rows) // 4
    simple_rows = rows[: len(rows) - n_variations]
    variation_rows = rows[len(rows) - n_variations :]
    items: dict[int, dict[str, Any]] = {}
    for row in simple_rows:
        items[next_id] = product_json(
            pid=next_id,
            name=row["title"],
            sku=row["code"],
            ean=row.get("ean", ""),
            price=str(row["price"]),
            ts=ts,
            stock=rng.randrange(0, 60),
        )
        next_id += 1
    for group_no, start in enumerate(range(0, len(variation_rows), 3), start=1):
        group = variation_rows[start : start + 3]
        parent = product_json(
            pid=next_id,
            name=f"Variabel artikel {group_no}",
            sku=f"VAR-{group_no:05d}",
            ean="",
            price=str(min(Decimal(str(r["price"])) for r in group)),
            ts=ts,
            stock=None,
            kind="variable",
        )
        items[next_id] = parent
        next_id += 1
        for row in group:
            items[next_id] = product_json(
                pid=next_id,
                name=f"{parent['name']} - {row['title']}",
                sku=row["code"],
                ean=row.get("ean", ""),
                price=str(row["price"]),
                ts=ts,
                stock=rng.randrange(0, 60),
                kind="variation",
                parent_id=parent["id"],
                option=row["title"],
            )
            parent["variations"].append(next_id)
            next_id += 1
    return items, next_id


@dataclass
class LineSpec:
    item: dict[str, Any]  # product or variation
    parent: dict[str, Any] | None
    quantity: int


class IdSeq:
    def __init__(self, start: int) -> None:
        self.value = start

    def __call__(self) -> int:
        self.value += 1
        return self.value


def _split(
    amount: Decimal, rate: TaxRate | None, *, incl: bool, exempt: bool
) -> tuple[Decimal, Decimal]:
    """(net, tax) for an amount in the shop's price convention."""
    if rate is None:
        return round2(amount), Decimal("0")
    if incl:
        net = round2(amount / (1 + rate.fraction))
        return net, (Decimal("0") if exempt else round2(amount) - net)
    net = round2(amount)
    return net, (Decimal("0") if exempt else round2(net * rate.fraction))


def _taxes(
    rate: TaxRate | None, tax: Decimal, subtotal_tax: Decimal | None = None
) -> list[dict[str, Any]]:
    if rate is None or (tax == 0 and not subtotal_tax):
        return []
    row: dict[str, Any] = {"id": rate.id, "total": money(tax)}
    if subtotal_tax is not None:
        row["subtotal"] = money(subtotal_tax)
    return [row]


def _address(
    kind: str, *, first: str, last: str, company: str, country: str, email: str
) -> dict[str, str]:
    data = {
        "first_name": first,
        "last_name": last,
        "company": company,
        "address_1": "Dorpsstraat 12",
        "address_2": "",
        "city": "Utrecht" if country == "NL" else "Antwerpen" if country == "BE" else "Köln",
        "state": "",
        "postcode": "3511 AB" if country == "NL" else "2000" if country == "BE" else "50667",
        "country": country,
        "phone": "+31612345678",
    }
    if kind == "billing":
        data["email"] = email
    return data


def build_order(
    *,
    order_id: int,
    ts: float,
    lines: Sequence[LineSpec],
    line_ids: IdSeq,
    meta_ids: IdSeq,
    country: str = "NL",
    status: str = "processing",
    prices_include_tax: bool = True,
    company: str | None = None,
    vat_number: str | None = None,
    vat_exempt: bool | None = None,
    shipping: Decimal | str = Decimal("4.95"),
    shipping_method: str = "PostNL",
    fees: Sequence[tuple[str, Decimal | str]] = (),
    discount: Decimal | str = Decimal("0"),
    first_name: str = "Jan",
    last_name: str = "Jansen",
    email: str = "",
    currency: str = "EUR",
    customer_note: str = "",
    meta_data: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """One order in the wc/v3 shape, with WooCommerce's arithmetic.

    Line `total`/`subtotal` are always excl. tax (WooCommerce stores them so); the unit price the
    shop entered is incl. tax when `prices_include_tax`. Shipping and fee amounts are excl. tax
    (as WooCommerce's flat-rate settings take them). `discount` (a coupon, in the shop's price
    convention) is spread over the lines, so line totals are after discount. A company with a VAT
    number outside NL is treated as reverse charge, as the common EU VAT plugins do.
    """
    rate = TAX_RATES.get(country.upper())
    if vat_exempt is None:
        vat_exempt = bool(company and vat_number and country.upper() != "NL")
    gross = [Decimal(str(s.item["price"])) * s.quantity for s in lines]
    base_sum = sum(gross, Decimal("0"))
    discount = Decimal(str(discount))
    shares: list[Decimal] = []
    for i, g in enumerate(gross):
        if i == len(gross) - 1:
            shares.append(discount - sum(shares, Decimal("0")))
        else:
            shares.append(round2(discount * g / base_sum) if base_sum else Decimal("0"))
    line_items, cart_tax, discount_total, discount_tax = (
        [],
        Decimal("0"),
        Decimal("0"),
        Decimal("0"),
    )
    items_net = Decimal("0")
    for spec, g, share in zip(lines, gross, shares, strict=True):
        sub_net, sub_tax = _split(g, rate, incl=prices_include_tax, exempt=vat_exempt)
        net, tax = _split(g - share, rate, incl=prices_include_tax, exempt=vat_exempt)
        cart_tax += tax
        items_net += net
        discount_total += sub_net - net
        discount_tax += sub_tax - tax
        variation = spec.item["type"] == "variation"
        line_items.append(
            {
                "id": line_ids(),
                "name": spec.item["name"],
                "product_id": spec.parent["id"] if variation and spec.parent else spec.item["id"],
                "variation_id": spec.item["id"] if variation else 0,
                "quantity": spec.quantity,
                "tax_class": "",
                "subtotal": money(sub_net),
                "subtotal_tax": money(sub_tax),
                "total": money(net),
                "total_tax": money(tax),
                "taxes": _taxes(rate, tax, sub_tax),
                "meta_data": [],
                "sku": spec.item["sku"],
                # documented as a string, sent as a JSON number (net unit price after discount)
                "price": float(round(net / spec.quantity, 6)) if spec.quantity else 0.0,
                "parent_name": spec.parent["name"] if variation and spec.parent else None,
            }
        )
    shipping = Decimal(str(shipping))
    ship_tax = Decimal("0") if (rate is None or vat_exempt) else round2(shipping * rate.fraction)
    shipping_lines = [
        {
            "id": line_ids(),
            "method_title": shipping_method if shipping else "Gratis verzending",
            "method_id": "flat_rate" if shipping else "free_shipping",
            "instance_id": "1",
            "total": money(shipping),
            "total_tax": money(ship_tax),
            "taxes": _taxes(rate, ship_tax),
            "meta_data": [],
        }
    ]
    fee_lines, fees_net = [], Decimal("0")
    for name, amount in fees:
        amount = Decimal(str(amount))
        fee_tax = Decimal("0") if (rate is None or vat_exempt) else round2(amount * rate.fraction)
        cart_tax += fee_tax
        fees_net += amount
        fee_lines.append(
            {
                "id": line_ids(),
                "name": name,
                "tax_class": "",
                "tax_status": "taxable",
                "amount": money(amount),
                "total": money(amount),
                "total_tax": money(fee_tax),
                "taxes": _taxes(rate, fee_tax),
                "meta_data": [],
            }
        )
    tax_lines = []
    if rate is not None and not vat_exempt:
        tax_lines.append(
            {
                "id": line_ids(),
                "rate_code": f"{rate.country}-{rate.label.upper().rstrip('.')}-1",
                "rate_id": rate.id,
                "label": rate.label,
                "compound": False,
                "tax_total": money(cart_tax),
                "shipping_tax_total": money(ship_tax),
                "rate_percent": float(rate.percent),
                "meta_data": [],
            }
        )
    coupon_lines = []
    if discount:
        coupon_lines.append(
            {
                "id": line_ids(),
                "code": "korting",
                "discount": money(discount_total),
                "discount_tax": money(discount_tax),
                "meta_data": [],
            }
        )
    meta = [{"id": meta_ids(), **m} for m in meta_data]
    if vat_number:
        meta.append({"id": meta_ids(), "key": VAT_NUMBER_META_KEY, "value": vat_number})
    if vat_exempt:
        meta.append({"id": meta_ids(), "key": "is_vat_exempt", "value": "yes"})
    total = items_net + fees_net + shipping + cart_tax + ship_tax
    email = email or f"{first_name.lower()}.{last_name.lower()}{order_id}@example.com"
    order: dict[str, Any] = {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": f"wc_order_sb{order_id:08d}",
        "created_via": "checkout",
        "version": "9.4.0",
        "status": status,
        "currency": currency,
        "prices_include_tax": prices_include_tax,
        "discount_total": money(discount_total),
        "discount_tax": money(discount_tax),
        "shipping_total": money(shipping),
        "shipping_tax": money(ship_tax),
        "cart_tax": money(cart_tax),
        "total": money(total),
        "total_tax": money(cart_tax + ship_tax),
        "customer_id": 0,
        "customer_note": customer_note,
        "billing": _address(
            "billing",
            first=first_name,
            last=last_name,
            company=company or "",
            country=country,
            email=email,
        ),
        "shipping": _address(
            "shipping",
            first=first_name,
            last=last_name,
            company=company or "",
            country=country,
            email=email,
        ),
        "payment_method": "mollie_wc_gateway_ideal",
        "payment_method_title": "iDEAL",
        "transaction_id": f"tr_sb{order_id}" if status in STOCK_REDUCING_STATUSES else "",
        "meta_data": meta,
        "line_items": line_items,
        "tax_lines": tax_lines,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "coupon_lines": coupon_lines,
        "refunds": [],
    }
    stamp(order, "created", ts)
    stamp(order, "modified", ts)
    stamp(order, "paid", ts if status in ("processing", "completed") else None)
    stamp(order, "completed", ts if status == "completed" else None)
    return order
