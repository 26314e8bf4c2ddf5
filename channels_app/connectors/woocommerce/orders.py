"""WooCommerce orders: incremental reads, and a wc/v3 order as ChannelOrderData.

- Orders are read incrementally with `modified_after=<cursor - 1 s>&dates_are_gmt=true&
  orderby=modified&order=asc`, 100 per page, each page keyed on the last one's modification time
  (see iter_order_pages), stopping at X-WP-TotalPages. The cursor is the highest
  `date_modified_gmt` seen ("YYYY-MM-DDTHH:MM:SS", UTC). WooCommerce's `modified_after` is strict
  and its dates have one-second resolution, so the next run re-reads the cursor's own second
  rather than miss an order modified later in that same second; callers upsert idempotently.
- Line prices are WooCommerce's line `total`/`total_tax`, i.e. after coupons; so
  `discount_incl` only carries negative fee lines (discounts some plugins add as fees).
- The buyer's VAT number is read from order meta, first key of VAT_NUMBER_META_KEYS present.

No Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from channels_app.connectors.base import Address, ChannelOrderData, OrderLineData, OrderPage

from .client import WooCommerceClient

CANCELLED_STATUSES = frozenset({"cancelled", "refunded"})
# Where common EU-VAT plugins keep the buyer's VAT number, most specific first.
VAT_NUMBER_META_KEYS = (
    "_billing_vat_number",  # WooCommerce EU VAT Number (current), the sandbox
    "_vat_number",  # WooCommerce EU VAT Number (older versions)
    "vat_number",  # Aelia EU VAT Assistant
    "_billing_vat_id",  # Germanized
    "VAT Number",  # EU/UK VAT Compliance
)
ZERO = Decimal("0")


class OrdersMixin(WooCommerceClient):
    """Order reads; mixed into WooCommerceConnector."""

    cursor_overlap = timedelta(seconds=1)
    default_lookback = timedelta(days=14)

    # -- orders -------------------------------------------------------------------------------------
    def iter_order_pages(self, *, cursor: str | None) -> Iterator[OrderPage]:
        """Orders modified since `cursor` (GMT ISO), oldest change first, 100 per page.

        Pages are keyed on the modification time, not on page numbers: after a full page the next
        request starts at the last row's second again. An order modified while we page moves to
        the end of the list; with page numbers every order behind it would shift one place
        forward and the first row of the next page would never be read. Rows read twice in one
        run (the overlap second, or an order that moved) are yielded once. Page numbers are used
        only when a whole page falls within one second.

        Reference: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders
        """
        if cursor:
            since = _parse_gmt(cursor) - self.cursor_overlap
        else:
            since = datetime.fromtimestamp(self.clock(), UTC) - self.default_lookback
        high = _parse_gmt(cursor) if cursor else None
        seen: dict[str, datetime] = {}
        page, previous = 1, None
        while True:
            params = {
                "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "asc",
            }
            rows, _total, more = self._list_page("/orders", params, page, previous)
            previous = rows
            orders = [map_order(row) for row in rows]
            fresh = [o for o in orders if seen.get(o.external_id) != o.updated_at]
            for order in fresh:
                seen[order.external_id] = order.updated_at
                high = max(high, order.updated_at) if high else order.updated_at
            yield OrderPage(orders=fresh, cursor=_fmt_gmt(high) if high else (cursor or ""))
            if not more:
                return
            if orders[0].updated_at < orders[-1].updated_at:
                # Restart at the last row's second: everything before it stays behind us.
                since, page, previous = orders[-1].updated_at - self.cursor_overlap, 1, None
            else:
                page += 1  # the whole page is one second: restarting would read it again

    def fetch_order(self, external_id: str) -> ChannelOrderData:
        """One order. Reference: https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order"""
        return map_order(self._get(f"/orders/{int(external_id)}"))


# -- mapping ------------------------------------------------------------------------------------------
def map_order(data: Mapping[str, Any]) -> ChannelOrderData:
    """A wc/v3 order (REST or webhook body) as ChannelOrderData."""
    rates = _rates(data)
    exempt = _meta(data, ("is_vat_exempt",)) == "yes"
    no_tax = exempt or not data.get("tax_lines")
    lines = []
    for item in data.get("line_items") or []:
        qty = int(item.get("quantity") or 0)
        total, tax = _dec(item.get("total")), _dec(item.get("total_tax"))
        lines.append(
            OrderLineData(
                external_line_id=str(item.get("id", "")),
                quantity=qty,
                sku=str(item.get("sku") or ""),
                listing_external_id=str(item.get("variation_id") or item.get("product_id") or ""),
                title=str(item.get("name") or ""),
                unit_price_incl=_per_unit(total + tax, qty),
                unit_price_excl=_per_unit(total, qty),
                vat_rate=_line_rate(item, rates, total, tax, no_tax=no_tax, exempt=exempt),
            )
        )
    shipping_lines = data.get("shipping_lines") or []
    shipping_rate = None
    for line in shipping_lines:
        total, tax = _dec(line.get("total")), _dec(line.get("total_tax"))
        shipping_rate = shipping_rate or _line_rate(
            line, rates, total, tax, no_tax=no_tax, exempt=exempt
        )
    fees = [_dec(f.get("total")) + _dec(f.get("total_tax")) for f in data.get("fee_lines") or []]
    billing, shipping = data.get("billing") or {}, data.get("shipping") or {}
    buyer = _address(billing, billing)
    delivery = _address(shipping, billing) if shipping.get("address_1") else buyer
    placed = _parse_gmt(data.get("date_created_gmt") or "")
    return ChannelOrderData(
        external_id=str(data["id"]),
        number=str(data.get("number") or data["id"]),
        status=str(data.get("status", "")),
        placed_at=placed,
        updated_at=_parse_gmt(data["date_modified_gmt"])
        if data.get("date_modified_gmt")
        else placed,
        currency=str(data.get("currency") or "EUR"),
        lines=lines,
        shipping_incl=sum(
            (_dec(s.get("total")) + _dec(s.get("total_tax")) for s in shipping_lines), ZERO
        ),
        shipping_vat_rate=shipping_rate,
        discount_incl=-sum((f for f in fees if f < 0), ZERO),
        fees_incl=sum((f for f in fees if f > 0), ZERO),
        buyer=buyer,
        delivery=delivery,
        billing=buyer,
        buyer_vat_number=re.sub(r"[\s.\-]", "", _meta(data, VAT_NUMBER_META_KEYS)).upper(),
        cancelled=data.get("status") in CANCELLED_STATUSES,
        raw=dict(data),
    )


def _rates(data: Mapping[str, Any]) -> dict[int, Decimal]:
    rates = {}
    for line in data.get("tax_lines") or []:
        if line.get("rate_percent") is not None:
            rates[int(line.get("rate_id") or 0)] = _normal(_dec(line["rate_percent"]))
    return rates


def _line_rate(
    item: Mapping[str, Any],
    rates: Mapping[int, Decimal],
    total: Decimal,
    tax: Decimal,
    *,
    no_tax: bool,
    exempt: bool,
) -> Decimal | None:
    """The line's VAT %, from its taxes' rate ids (tax_lines.rate_percent), else from the amounts."""
    if exempt:
        return ZERO
    ids = [int(t["id"]) for t in item.get("taxes") or [] if _dec(t.get("total")) != 0]
    if ids and all(i in rates for i in ids):
        return sum((rates[i] for i in ids), ZERO)
    if tax and total:  # older shops without rate_percent: derive, to one decimal
        return _normal((tax / total * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return None if no_tax else ZERO


def _address(data: Mapping[str, Any], billing: Mapping[str, Any]) -> Address:
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    return Address(
        name=name,
        company=str(data.get("company") or ""),
        street=str(data.get("address_1") or ""),
        address2=str(data.get("address_2") or ""),
        postcode=str(data.get("postcode") or ""),
        city=str(data.get("city") or ""),
        country=str(data.get("country") or "").upper(),
        email=str(data.get("email") or billing.get("email") or ""),
        phone=str(data.get("phone") or billing.get("phone") or ""),
    )


def _meta(data: Mapping[str, Any], keys: Sequence[str]) -> str:
    values = {
        m.get("key"): m.get("value") for m in data.get("meta_data") or [] if isinstance(m, dict)
    }
    for key in keys:
        if values.get(key) not in (None, ""):
            return str(values[key]).strip()
    return ""


# -- small parsers ------------------------------------------------------------------------------------
def _dec(value: Any) -> Decimal:
    """Money and rates: strings in the docs, JSON numbers in some versions (`price`)."""
    if value in (None, ""):
        return ZERO
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return ZERO


def _normal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1")) if value == value.to_integral_value() else value.normalize()


def _per_unit(amount: Decimal, qty: int) -> Decimal:
    if qty <= 0:
        return ZERO
    exact = (amount / qty).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    cents = exact.quantize(Decimal("0.01"))
    return cents if cents == exact else exact


def _parse_gmt(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _fmt_gmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
