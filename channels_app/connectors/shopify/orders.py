"""Shopify orders: incremental reads, single orders, and the mapping to ChannelOrderData.

Orders are read in two steps: a cheap page of 50 order ids sorted by UPDATED_AT, then the
details through `nodes(ids:)` in batches that fit the bucket. No Django imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from channels_app.connectors.base import Address, ChannelOrderData, OrderLineData, OrderPage
from common.http import FatalApiError

from .client import ShopifyClient, ShopifyQueryCostError
from .queries import (
    MAX_QUERY_COST,
    ORDER_DETAILS_QUERY,
    ORDER_LINES_QUERY,
    ORDER_PAGE_QUERY,
    ORDER_PAGE_SIZE,
    ORDER_QUERY,
)

DEFAULT_LOOKBACK = timedelta(days=30)


class OrdersMixin(ShopifyClient):
    """Order reads; mixed into ShopifyConnector."""

    def iter_order_pages(self, *, cursor: str | None) -> Iterator[OrderPage]:
        """Orders updated at or after cursor (ISO time), 50 per page, oldest change first.

        Reference: https://shopify.dev/docs/api/admin-graphql/latest/queries/orders
        """
        since = cursor or _iso(datetime.fromtimestamp(self.clock(), tz=UTC) - DEFAULT_LOOKBACK)
        variables: dict[str, Any] = {
            "first": ORDER_PAGE_SIZE,
            "cursor": None,
            "query": f"updated_at:>='{since}' status:any",
        }
        high_water = _parse_time(since)
        seen: set[str] = set()
        while True:
            conn = self.graphql(ORDER_PAGE_QUERY, variables, operation="OrderPage")["orders"]
            headers = conn["nodes"]
            if headers:
                high_water = max([high_water, *(_parse_time(h["updatedAt"]) for h in headers)])
                orders = self._order_details([h["id"] for h in headers])
                yield OrderPage(orders=orders, cursor=_iso(high_water))
            info = conn["pageInfo"]
            if not info["hasNextPage"]:
                return
            nxt = info["endCursor"]
            if not nxt or nxt in seen:
                raise FatalApiError(
                    f"Shopify repeated the orders cursor {nxt!r}; stopping", url=self.endpoint
                )
            seen.add(nxt)
            variables["cursor"] = nxt

    def _order_details(self, ids: list[str]) -> list[ChannelOrderData]:
        out: list[ChannelOrderData] = []
        pos = 0
        while pos < len(ids):
            batch = ids[pos : pos + self._detail_batch]
            per_order = self._op_cost.get("OrderDetails#each")
            try:
                nodes = self.graphql(
                    ORDER_DETAILS_QUERY,
                    {"ids": batch},
                    operation="OrderDetails",
                    expected_cost=per_order * len(batch) if per_order else None,
                )["nodes"]
            except ShopifyQueryCostError as exc:
                if len(batch) == 1:
                    raise
                fits = int(exc.maximum // (exc.requested / len(batch)))
                self._detail_batch = max(1, min(len(batch) - 1, fits))
                continue
            self._learn_detail_cost(len(batch))
            for node in nodes:
                if node:  # deleted orders come back as null
                    out.append(order_from_graphql(self._complete_lines(node)))
            pos += len(batch)
        return out

    def _learn_detail_cost(self, batch: int) -> None:
        """Fit the next detail batches to the single-query cap and the bucket size."""
        requested = self._op_cost.get("OrderDetails")
        if not requested or not self._bucket:
            return
        each = requested / batch
        self._op_cost["OrderDetails#each"] = each
        cap = min(MAX_QUERY_COST, self._bucket[1])
        self._detail_batch = max(1, min(ORDER_PAGE_SIZE, int(cap // each)))

    def _complete_lines(self, node: dict[str, Any]) -> dict[str, Any]:
        """Fetch the rest of an order's line items when it has more than the first 10."""
        conn = node["lineItems"]
        while conn["pageInfo"]["hasNextPage"]:
            more = self.graphql(
                ORDER_LINES_QUERY,
                {"id": node["id"], "cursor": conn["pageInfo"]["endCursor"]},
                operation="OrderLines",
            )["order"]["lineItems"]
            conn = {"pageInfo": more["pageInfo"], "nodes": conn["nodes"] + more["nodes"]}
        node["lineItems"] = conn
        return node

    def fetch_order(self, external_id: str) -> ChannelOrderData:
        """One order by GID. Reference: https://shopify.dev/docs/api/admin-graphql/latest/queries/order"""
        node = self.graphql(ORDER_QUERY, {"id": _order_gid(external_id)}, operation="Order")[
            "order"
        ]
        if node is None:
            raise FatalApiError(
                f"Shopify order {external_id} not found", status=404, url=self.endpoint
            )
        return order_from_graphql(self._complete_lines(node))


# -- mapping ---------------------------------------------------------------------------------------


def order_from_graphql(node: dict[str, Any]) -> ChannelOrderData:
    """An Order node (OrderFields) as ChannelOrderData; discounts are inside the line prices."""
    taxes_included = bool(node.get("taxesIncluded"))
    lines = []
    for li in node["lineItems"]["nodes"]:
        qty = int(li["quantity"])
        current = int(li.get("currentQuantity", qty))
        unit = _amount(li["originalUnitPriceSet"])
        discount = sum(
            (_amount(a["allocatedAmountSet"]) for a in li.get("discountAllocations") or []),
            Decimal("0"),
        )
        tax_lines = li.get("taxLines") or []
        tax = sum((_amount(t["priceSet"]) for t in tax_lines), Decimal("0"))
        rate = sum((_dec(t.get("ratePercentage")) for t in tax_lines), Decimal("0"))
        incl, excl = _unit_prices(unit * qty - discount, tax, qty, taxes_included)
        variant = li.get("variant") or {}
        unfulfilled = li.get("unfulfilledQuantity")
        lines.append(
            OrderLineData(
                external_line_id=li["id"],
                quantity=qty,
                sku=li.get("sku") or "",
                ean=variant.get("barcode") or "",
                listing_external_id=(variant.get("inventoryItem") or {}).get("id", ""),
                title=li.get("name") or "",
                unit_price_incl=incl,
                unit_price_excl=excl,
                vat_rate=_rate(rate),
                quantity_cancelled=max(0, qty - current),
                quantity_shipped=max(0, current - int(unfulfilled))
                if unfulfilled is not None
                else 0,
            )
        )
    shipping, shipping_rate = Decimal("0"), None
    for s in node.get("shippingLines", {}).get("nodes") or []:
        tax_lines = s.get("taxLines") or []
        net = _amount(s["discountedPriceSet"])
        tax = sum((_amount(t["priceSet"]) for t in tax_lines), Decimal("0"))
        shipping += net if taxes_included else net + tax
        if tax_lines and shipping_rate is None:
            shipping_rate = _rate(
                sum((_dec(t.get("ratePercentage")) for t in tax_lines), Decimal("0"))
            )
    billing = _address(node.get("billingAddress"), node.get("email"))
    delivery = _address(node.get("shippingAddress"), node.get("email"))
    return ChannelOrderData(
        external_id=node["id"],
        number=node.get("name") or "",
        status=f"{node.get('displayFinancialStatus')}/{node.get('displayFulfillmentStatus')}",
        placed_at=_parse_time(node["createdAt"]),
        updated_at=_parse_time(node["updatedAt"]),
        currency=node.get("currencyCode") or "EUR",
        lines=lines,
        shipping_incl=_money(shipping),
        shipping_vat_rate=shipping_rate,
        buyer=billing if node.get("billingAddress") else delivery,
        delivery=delivery,
        billing=billing,
        buyer_reference=node.get("poNumber") or "",
        cancelled=node.get("cancelledAt") is not None,
        raw=node,
    )


def _address(a: dict[str, Any] | None, email: str | None) -> Address:
    if not a:
        return Address(email=email or "")
    return Address(
        name=a.get("name") or "",
        company=a.get("company") or "",
        street=a.get("address1") or "",
        address2=a.get("address2") or "",
        postcode=a.get("zip") or "",
        city=a.get("city") or "",
        country=(a.get("countryCodeV2") or "").upper(),
        email=email or "",
        phone=a.get("phone") or "",
    )


def _rest_address(a: dict[str, Any] | None, email: str | None) -> Address:
    if not a:
        return Address(email=email or "")
    name = a.get("name") or " ".join(p for p in (a.get("first_name"), a.get("last_name")) if p)
    return Address(
        name=name,
        company=a.get("company") or "",
        street=a.get("address1") or "",
        address2=a.get("address2") or "",
        postcode=a.get("zip") or "",
        city=a.get("city") or "",
        country=(a.get("country_code") or "").upper(),
        email=email or "",
        phone=a.get("phone") or "",
    )


def _unit_prices(
    net: Decimal, tax: Decimal, qty: int, taxes_included: bool
) -> tuple[Decimal, Decimal]:
    """Per-unit (incl, excl) from a line's discounted amount and its tax."""
    if qty <= 0:
        return Decimal("0"), Decimal("0")
    incl_total, excl_total = (net, net - tax) if taxes_included else (net + tax, net)
    return _per_unit(incl_total, qty), _per_unit(excl_total, qty)


def _per_unit(total: Decimal, qty: int) -> Decimal:
    value = (total / qty).quantize(Decimal("0.0001"))
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value


def _rate(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal("0.01")).normalize() if rate else Decimal("0")


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


def _amount(money_bag: dict[str, Any] | None) -> Decimal:
    return _dec(((money_bag or {}).get("shopMoney") or {}).get("amount"))


def _order_gid(value: str) -> str:
    return value if str(value).startswith("gid://") else f"gid://shopify/Order/{value}"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
