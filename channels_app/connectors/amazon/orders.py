"""Amazon orders (Orders 2026-01-01 `searchOrders` / `getOrder`) and their mapping.

Items come with the order (no N+1 calls) and PII comes by role, no restricted data token.
No Django imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from channels_app.connectors.base import (
    Address,
    ChannelOrderData,
    FatalApiError,
    OrderLineData,
    OrderPage,
)

from .client import AmazonClient, _json

INCLUDED_DATA = "BUYER,RECIPIENT,PROCEEDS,PROMOTION,CANCELLATION,FULFILLMENT,TAX"
CURSOR_LAG = 180.0  # Amazon wants the "before" bound >= 2 minutes in the past; 1 min margin
DEFAULT_LOOKBACK = 30 * 86400.0
EU_VAT_RATES = (
    0,
    3,
    4,
    5,
    5.5,
    6,
    7,
    8,
    9,
    10,
    12,
    13,
    13.5,
    14,
    17,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    25.5,
    27,
)
ZERO = Decimal("0")


class OrdersMixin(AmazonClient):
    """Order reads and their mapping to ChannelOrderData; mixed into AmazonConnector."""

    # -- orders ---------------------------------------------------------------------------------
    def iter_order_pages(self, *, cursor: str | None) -> Iterator[OrderPage]:
        """Orders updated since cursor (ISO); the last page's cursor is the window's end.

        Reference: https://developer-docs.amazon.com/sp-api/docs/orders-api-v2026-01-01-reference
        """
        before = self.clock() - CURSOR_LAG
        start = _parse_time(cursor) if cursor else None
        after = start.timestamp() if start else before - DEFAULT_LOOKBACK
        if after >= before:
            yield OrderPage(orders=[], cursor=cursor or _iso(before))
            return
        params = {
            "lastUpdatedAfter": _iso(after),
            "lastUpdatedBefore": _iso(before),
            "marketplaceIds": self._market_param(),
            "maxResultsPerPage": 100,
            "includedData": INCLUDED_DATA,
        }
        token, seen = None, set()
        while True:
            query = {**params, "paginationToken": token} if token else params
            data = _json(
                self._call("searchOrders", "GET", "/orders/2026-01-01/orders", params=query)
            )
            orders = [self._map_order(o) for o in data.get("orders", [])]
            token = (data.get("pagination") or {}).get("nextToken")
            if not token:
                yield OrderPage(orders=orders, cursor=params["lastUpdatedBefore"])
                return
            if token in seen:
                raise FatalApiError("Amazon searchOrders repeated a pagination token")
            seen.add(token)
            yield OrderPage(orders=orders, cursor=params["lastUpdatedAfter"])

    def fetch_order(self, external_id: str) -> ChannelOrderData:
        """One order with its items. Reference: Orders 2026-01-01 getOrder."""
        resp = self._call(
            "getOrder",
            "GET",
            f"/orders/2026-01-01/orders/{quote(external_id)}",
            params={"includedData": INCLUDED_DATA},
        )
        return self._map_order(_json(resp)["order"])

    def _map_order(self, o: dict[str, Any]) -> ChannelOrderData:
        fulfillment = o.get("fulfillment") or {}
        status = str(fulfillment.get("fulfillmentStatus", ""))
        afn = fulfillment.get("fulfilledBy") == "AMAZON"
        cancelled = status == "CANCELLED"
        market = (o.get("salesChannel") or {}).get("marketplaceId", "")
        if market:
            self._order_markets[o["orderId"]] = market
        lines, currency = [], ""
        shipping = discount = ZERO
        shipping_rates: set[Decimal | None] = set()
        for item in o.get("orderItems", []):
            line, amounts = self._map_line(item, cancelled=cancelled, afn=afn)
            lines.append(line)
            currency = currency or amounts["currency"]
            shipping += amounts["shipping"]
            discount += amounts["discount"]
            if amounts["shipping"]:
                shipping_rates.add(amounts["shipping_rate"])
        buyer = o.get("buyer") or {}
        addr = (o.get("recipient") or {}).get("deliveryAddress") or {}
        ship_by = (fulfillment.get("shipByWindow") or {}).get("latestDateTime")
        return ChannelOrderData(
            external_id=o["orderId"],
            number=o["orderId"],
            status=status,
            placed_at=_parse_time(o["createdTime"]),
            updated_at=_parse_time(o["lastUpdatedTime"]),
            currency=currency or "EUR",
            lines=lines,
            shipping_incl=shipping,
            shipping_vat_rate=shipping_rates.pop() if len(shipping_rates) == 1 else None,
            discount_incl=discount,
            buyer=Address(
                name=buyer.get("buyerName", ""),
                company=buyer.get("buyerCompanyName", ""),
                email=buyer.get("buyerEmail", ""),
            ),
            delivery=_address(addr),
            buyer_vat_number=_buyer_vat(o),
            buyer_reference=buyer.get("buyerPurchaseOrderNumber", ""),
            cancelled=cancelled,
            cancellation_requested=any(line.cancellation_requested for line in lines),
            marketplace_fulfilled=afn,
            ship_by=_parse_time(ship_by) if ship_by else None,
            raw=o,
        )

    def _map_line(
        self, item: dict[str, Any], *, cancelled: bool, afn: bool
    ) -> tuple[OrderLineData, dict[str, Any]]:
        qty = int(item["quantityOrdered"])
        product = item.get("product") or {}
        parts = {b["type"]: b for b in (item.get("proceeds") or {}).get("breakdowns", [])}
        unit = (product.get("price") or {}).get("unitPrice") or {}
        currency = unit.get("currencyCode") or next(
            (b["subtotal"].get("currencyCode", "") for b in parts.values()), ""
        )
        line_amount = (
            _amount(parts["ITEM"]["subtotal"])
            if "ITEM" in parts
            else (_amount(unit) * qty if unit else ZERO)
        )
        tax = parts.get("TAX") or {}
        taxes = {d["subtype"]: _amount(d["value"]) for d in tax.get("detailedBreakdowns", [])}
        if tax and not taxes:
            taxes = {"ITEM": _amount(tax["subtotal"])}
        item_tax, ship_tax = taxes.get("ITEM", ZERO), taxes.get("SHIPPING", ZERO)
        ship = _amount(parts["SHIPPING"]["subtotal"]) if "SHIPPING" in parts else ZERO
        disc = abs(_amount(parts["DISCOUNT"]["subtotal"])) if "DISCOUNT" in parts else ZERO
        if not self.prices_include_tax:  # US-style: tax comes on top of the amounts
            line_amount += item_tax
            ship += ship_tax
            disc += abs(taxes.get("DISCOUNT", ZERO))
        cancellation = item.get("cancellation") or {}
        fulfilled = int((item.get("fulfillment") or {}).get("quantityFulfilled", 0))
        line = OrderLineData(
            external_line_id=str(item["orderItemId"]),
            quantity=qty,
            sku=product.get("sellerSku", ""),
            listing_external_id=product.get("sellerSku", ""),
            title=product.get("title", ""),
            unit_price_incl=_unit(line_amount, qty),
            unit_price_excl=_unit(line_amount - item_tax, qty) if item_tax else None,
            vat_rate=_vat_rate(line_amount, item_tax),
            quantity_cancelled=qty if cancelled or "cancellationExecution" in cancellation else 0,
            quantity_shipped=fulfilled,
            cancellation_requested="cancellationRequest" in cancellation,
            marketplace_fulfilled=afn,
        )
        return line, {
            "currency": currency,
            "shipping": ship,
            "discount": disc,
            "shipping_rate": _vat_rate(ship, ship_tax),
        }


# -- mapping helpers ----------------------------------------------------------------------------
def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _amount(money: dict[str, Any]) -> Decimal:
    return Decimal(str(money.get("amount", "0")))


def _unit(total: Decimal, qty: int) -> Decimal:
    value = total / qty if qty else total
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.quantize(Decimal("0.0001"))


def _vat_rate(incl: Decimal, tax: Decimal) -> Decimal | None:
    """The rate a VAT-included amount and its tax imply, snapped to an EU rate."""
    if tax <= 0 or incl <= tax:
        return None
    rate = tax / (incl - tax) * 100
    nearest = min(EU_VAT_RATES, key=lambda r: abs(Decimal(str(r)) - rate))
    if abs(Decimal(str(nearest)) - rate) <= Decimal("0.6"):
        return Decimal(str(nearest))
    return rate.quantize(Decimal("0.1"))


def _address(addr: dict[str, Any]) -> Address:
    extra = " ".join(x for x in (addr.get("addressLine2"), addr.get("addressLine3")) if x)
    return Address(
        name=addr.get("name", ""),
        company=addr.get("companyName", ""),
        street=addr.get("addressLine1", ""),
        address2=extra,
        postcode=addr.get("postalCode", ""),
        city=addr.get("city", ""),
        country=str(addr.get("countryCode", "")).upper(),
        phone=addr.get("phone", ""),
    )


def _buyer_vat(order: dict[str, Any]) -> str:
    registrations = (order.get("tax") or {}).get("taxRegistrations") or []
    buyer = [r for r in registrations if r.get("entityType") == "BUYER"]
    vat = [r for r in buyer if r.get("taxRegistrationType") == "VAT"] or buyer
    return str(vat[0].get("taxRegistrationNumber", "")) if vat else ""
