"""The part of Shopify's Admin GraphQL schema the sandbox serves, and the read side of it.

`SCHEMA` lists the types and fields (validated like Shopify: unknown fields are errors);
`ShopifyGraph` is a mixin that turns the in-memory shop into GraphQL objects (dicts whose
callable values take field arguments) and answers the query root: shop, orders, order,
productVariants, inventoryItem, locations, nodes, fulfillmentOrder, webhookSubscriptions.
Connections use opaque cursors (base64 JSON of the last sort value and id) and Shopify's search
syntax for `query:` (`updated_at:>='...'`, `status:any`, `sku:...`). No Django imports.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from channels_app.sandbox.shopify_graphql import FieldError, Info, Schema
from channels_app.sandbox.shopify_store import (
    COUNTRY_NAMES,
    FOLine,
    Fulfillment,
    FulfillmentOrder,
    Level,
    Line,
    Location,
    Order,
    ShippingLine,
    ShopifyState,
    Variant,
    gid,
    iso,
    money,
    parse_gid,
)

T = TypeVar("T")
Obj = dict[str, Any]

_MONEY = "MoneyBag"
SCHEMA = Schema(
    {
        "QueryRoot": {
            "shop": "Shop",
            "orders": "OrderConnection",
            "order": "Order",
            "productVariants": "ProductVariantConnection",
            "productVariant": "ProductVariant",
            "inventoryItem": "InventoryItem",
            "locations": "LocationConnection",
            "location": "Location",
            "nodes": "[Node]",
            "node": "Node",
            "fulfillmentOrder": "FulfillmentOrder",
            "webhookSubscriptions": "WebhookSubscriptionConnection",
        },
        "Mutation": {
            "inventorySetQuantities": "InventorySetQuantitiesPayload",
            "fulfillmentCreate": "FulfillmentCreatePayload",
            "webhookSubscriptionCreate": "WebhookSubscriptionCreatePayload",
            "webhookSubscriptionDelete": "WebhookSubscriptionDeletePayload",
        },
        "Node": {"id": "ID"},
        "Shop": {
            "id": "ID",
            "name": "String",
            "email": "String",
            "myshopifyDomain": "String",
            "currencyCode": "CurrencyCode",
            "taxesIncluded": "Boolean",
            "ianaTimezone": "String",
            "plan": "ShopPlan",
            "primaryDomain": "Domain",
        },
        "ShopPlan": {
            "displayName": "String",
            "partnerDevelopment": "Boolean",
            "shopifyPlus": "Boolean",
        },
        "Domain": {"host": "String", "url": "URL"},
        "Order": {
            "id": "ID",
            "legacyResourceId": "UnsignedInt64",
            "name": "String",
            "createdAt": "DateTime",
            "updatedAt": "DateTime",
            "processedAt": "DateTime",
            "cancelledAt": "DateTime",
            "cancelReason": "OrderCancelReason",
            "closed": "Boolean",
            "closedAt": "DateTime",
            "confirmed": "Boolean",
            "test": "Boolean",
            "email": "String",
            "phone": "String",
            "poNumber": "String",
            "note": "String",
            "tags": "[String]",
            "currencyCode": "CurrencyCode",
            "presentmentCurrencyCode": "CurrencyCode",
            "taxesIncluded": "Boolean",
            "displayFinancialStatus": "OrderDisplayFinancialStatus",
            "displayFulfillmentStatus": "OrderDisplayFulfillmentStatus",
            "shippingAddress": "MailingAddress",
            "billingAddress": "MailingAddress",
            "lineItems": "LineItemConnection",
            "shippingLines": "ShippingLineConnection",
            "shippingLine": "ShippingLine",
            "totalShippingPriceSet": _MONEY,
            "totalPriceSet": _MONEY,
            "subtotalPriceSet": _MONEY,
            "totalTaxSet": _MONEY,
            "totalDiscountsSet": _MONEY,
            "currentTotalDiscountsSet": _MONEY,
            "discountCodes": "[String]",
            "taxLines": "[TaxLine]",
            "fulfillmentOrders": "FulfillmentOrderConnection",
            "fulfillments": "[Fulfillment]",
        },
        "MailingAddress": {
            "name": "String",
            "firstName": "String",
            "lastName": "String",
            "company": "String",
            "address1": "String",
            "address2": "String",
            "city": "String",
            "zip": "String",
            "province": "String",
            "provinceCode": "String",
            "country": "String",
            "countryCodeV2": "CountryCode",
            "phone": "String",
        },
        "MoneyBag": {"shopMoney": "MoneyV2", "presentmentMoney": "MoneyV2"},
        "MoneyV2": {"amount": "Decimal", "currencyCode": "CurrencyCode"},
        "LineItem": {
            "id": "ID",
            "sku": "String",
            "name": "String",
            "title": "String",
            "variantTitle": "String",
            "vendor": "String",
            "quantity": "Int",
            "currentQuantity": "Int",
            "unfulfilledQuantity": "Int",
            "nonFulfillableQuantity": "Int",
            "requiresShipping": "Boolean",
            "taxable": "Boolean",
            "originalUnitPriceSet": _MONEY,
            "discountedUnitPriceSet": _MONEY,
            "discountedUnitPriceAfterAllDiscountsSet": _MONEY,
            "originalTotalSet": _MONEY,
            "discountedTotalSet": _MONEY,
            "totalDiscountSet": _MONEY,
            "discountAllocations": "[DiscountAllocation]",
            "taxLines": "[TaxLine]",
            "variant": "ProductVariant",
            "product": "Product",
        },
        "DiscountAllocation": {"allocatedAmountSet": _MONEY},
        "TaxLine": {
            "title": "String",
            "rate": "Float",
            "ratePercentage": "Float",
            "priceSet": _MONEY,
            "channelLiable": "Boolean",
        },
        "ShippingLine": {
            "id": "ID",
            "title": "String",
            "code": "String",
            "source": "String",
            "carrierIdentifier": "String",
            "originalPriceSet": _MONEY,
            "discountedPriceSet": _MONEY,
            "taxLines": "[TaxLine]",
        },
        "Product": {
            "id": "ID",
            "legacyResourceId": "UnsignedInt64",
            "title": "String",
            "handle": "String",
            "status": "ProductStatus",
            "vendor": "String",
        },
        "ProductVariant": {
            "id": "ID",
            "legacyResourceId": "UnsignedInt64",
            "sku": "String",
            "barcode": "String",
            "title": "String",
            "displayName": "String",
            "price": "Money",
            "inventoryQuantity": "Int",
            "createdAt": "DateTime",
            "updatedAt": "DateTime",
            "product": "Product",
            "inventoryItem": "InventoryItem",
        },
        "InventoryItem": {
            "id": "ID",
            "legacyResourceId": "UnsignedInt64",
            "sku": "String",
            "tracked": "Boolean",
            "createdAt": "DateTime",
            "updatedAt": "DateTime",
            "variant": "ProductVariant",
            "inventoryLevel": "InventoryLevel",
            "inventoryLevels": "InventoryLevelConnection",
        },
        "InventoryLevel": {
            "id": "ID",
            "location": "Location",
            "item": "InventoryItem",
            "quantities": "[InventoryQuantity]",
            "updatedAt": "DateTime",
        },
        "InventoryQuantity": {
            "id": "ID",
            "name": "String",
            "quantity": "Int",
            "updatedAt": "DateTime",
        },
        "Location": {
            "id": "ID",
            "legacyResourceId": "UnsignedInt64",
            "name": "String",
            "isActive": "Boolean",
            "fulfillsOnlineOrders": "Boolean",
        },
        "FulfillmentOrder": {
            "id": "ID",
            "status": "FulfillmentOrderStatus",
            "requestStatus": "FulfillmentOrderRequestStatus",
            "createdAt": "DateTime",
            "updatedAt": "DateTime",
            "orderId": "ID",
            "orderName": "String",
            "order": "Order",
            "assignedLocation": "FulfillmentOrderAssignedLocation",
            "lineItems": "FulfillmentOrderLineItemConnection",
        },
        "FulfillmentOrderAssignedLocation": {
            "name": "String",
            "countryCode": "CountryCode",
            "location": "Location",
        },
        "FulfillmentOrderLineItem": {
            "id": "ID",
            "sku": "String",
            "totalQuantity": "Int",
            "remainingQuantity": "Int",
            "inventoryItemId": "ID",
            "lineItem": "LineItem",
            "variant": "ProductVariant",
        },
        "Fulfillment": {
            "id": "ID",
            "legacyResourceId": "UnsignedInt64",
            "name": "String",
            "status": "FulfillmentStatus",
            "displayStatus": "FulfillmentDisplayStatus",
            "createdAt": "DateTime",
            "updatedAt": "DateTime",
            "trackingInfo": "[FulfillmentTrackingInfo]",
            "order": "Order",
            "fulfillmentLineItems": "FulfillmentLineItemConnection",
        },
        "FulfillmentLineItem": {"id": "ID", "quantity": "Int", "lineItem": "LineItem"},
        "FulfillmentTrackingInfo": {"company": "String", "number": "String", "url": "URL"},
        "InventorySetQuantitiesPayload": {
            "inventoryAdjustmentGroup": "InventoryAdjustmentGroup",
            "userErrors": "[InventorySetQuantitiesUserError]",
        },
        "InventorySetQuantitiesUserError": {
            "code": "InventorySetQuantitiesUserErrorCode",
            "field": "[String]",
            "message": "String",
        },
        "InventoryAdjustmentGroup": {
            "id": "ID",
            "createdAt": "DateTime",
            "reason": "String",
            "referenceDocumentUri": "String",
            "changes": "[InventoryChange]",
        },
        "InventoryChange": {
            "name": "String",
            "delta": "Int",
            "quantityAfterChange": "Int",
            "item": "InventoryItem",
            "location": "Location",
        },
        "FulfillmentCreatePayload": {"fulfillment": "Fulfillment", "userErrors": "[UserError]"},
        "UserError": {"field": "[String]", "message": "String"},
        "WebhookSubscriptionCreatePayload": {
            "webhookSubscription": "WebhookSubscription",
            "userErrors": "[UserError]",
        },
        "WebhookSubscriptionDeletePayload": {
            "deletedWebhookSubscriptionId": "ID",
            "userErrors": "[UserError]",
        },
        "WebhookSubscription": {
            "id": "ID",
            "topic": "WebhookSubscriptionTopic",
            "format": "WebhookSubscriptionFormat",
            "uri": "String",
            "callbackUrl": "URL",
            "createdAt": "DateTime",
            "updatedAt": "DateTime",
        },
    },
    interfaces={
        "Node": {
            "Order",
            "ProductVariant",
            "Product",
            "InventoryItem",
            "InventoryLevel",
            "Location",
            "FulfillmentOrder",
            "Fulfillment",
            "WebhookSubscription",
        }
    },
)


# -- connections and search ------------------------------------------------------------------------


def encode_cursor(item_id: int, value: Any) -> str:
    raw = json.dumps({"last_id": item_id, "last_value": value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return data["last_value"], int(data["last_id"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise FieldError("Invalid cursor for current pagination sort.", "BAD_REQUEST") from exc


def connection(
    items: Sequence[T],
    args: Obj,
    *,
    typename: str,
    ident: Callable[[T], int],
    sort_value: Callable[[T], Any],
    node: Callable[[T], Obj],
) -> Obj:
    """A Relay connection page over items, Shopify-style (first/after, last/before, reverse)."""
    reverse = bool(args.get("reverse"))
    ordered = sorted(items, key=lambda x: (sort_value(x), ident(x)), reverse=reverse)
    if args.get("after"):
        pos = decode_cursor(args["after"])
        ordered = [
            x
            for x in ordered
            if ((sort_value(x), ident(x)) < pos if reverse else (sort_value(x), ident(x)) > pos)
        ]
    if args.get("before"):
        pos = decode_cursor(args["before"])
        ordered = [
            x
            for x in ordered
            if ((sort_value(x), ident(x)) > pos if reverse else (sort_value(x), ident(x)) < pos)
        ]
    if args.get("first") is not None:
        page, has_next, has_prev = ordered[: args["first"]], len(ordered) > args["first"], False
    else:
        last = args.get("last") or 0
        page, has_next, has_prev = ordered[-last:] if last else [], False, len(ordered) > last
    cursors = [encode_cursor(ident(x), sort_value(x)) for x in page]
    base = typename[: -len("Connection")]
    return {
        "__typename": typename,
        "nodes": lambda a, i: [node(x) for x in page],
        "edges": lambda a, i: [
            {"__typename": f"{base}Edge", "cursor": c, "node": node(x)}
            for x, c in zip(page, cursors, strict=True)
        ],
        "pageInfo": {
            "__typename": "PageInfo",
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev or bool(args.get("after")),
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


_TERM = re.compile(r"""(-)?([a-z_]+):(>=|<=|>|<)?("[^"]*"|'[^']*'|\S+)""")


def search_terms(query: str | None) -> list[tuple[bool, str, str, str]]:
    """Shopify search syntax as (negated, field, comparator, value) terms; free text ignored."""
    out = []
    for neg, name, op, value in _TERM.findall(query or ""):
        out.append((bool(neg), name, op or ":", value.strip("'\"")))
    return out


def parse_when(value: str) -> float:
    text = value.strip()
    if len(text) == 10:
        text += "T00:00:00Z"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FieldError(f"Invalid date in search query: {value}", "BAD_REQUEST") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def compare(left: Any, op: str, right: Any) -> bool:
    return {
        ":": left == right,
        ">=": left >= right,
        "<=": left <= right,
        ">": left > right,
        "<": left < right,
    }[op]


# -- the read side -------------------------------------------------------------------------------

ORDER_SORT_KEYS: dict[str, Callable[[Order], Any]] = {
    "ID": lambda o: o.id,
    "UPDATED_AT": lambda o: int(o.updated_at),
    "CREATED_AT": lambda o: int(o.created_at),
    "PROCESSED_AT": lambda o: int(o.created_at),
    "ORDER_NUMBER": lambda o: o.number,
}
VARIANT_SORT_KEYS: dict[str, Callable[[Variant], Any]] = {
    "ID": lambda v: v.id,
    "SKU": lambda v: v.sku,
    "TITLE": lambda v: v.title,
}
FULFILLMENT_SEARCH = {
    "shipped": {"FULFILLED"},
    "partial": {"PARTIALLY_FULFILLED"},
    "unshipped": {"UNFULFILLED", "ON_HOLD"},
    "unfulfilled": {"UNFULFILLED", "ON_HOLD", "PARTIALLY_FULFILLED"},
}


class ShopifyGraph:
    """GraphQL objects over the sandbox state (mixed into ShopifySandbox)."""

    state: ShopifyState
    shop_domain: str
    shop_name: str

    # -- small value objects --------------------------------------------------------------------
    def g_money(self, amount: Decimal, currency: str) -> Obj:
        m = {"__typename": "MoneyV2", "amount": str(money(amount)), "currencyCode": currency}
        return {"__typename": "MoneyBag", "shopMoney": m, "presentmentMoney": dict(m)}

    def g_tax_line(self, title: str, rate: Decimal, amount: Decimal, currency: str) -> Obj:
        return {
            "__typename": "TaxLine",
            "title": title,
            "rate": float(rate / 100),
            "ratePercentage": float(rate),
            "channelLiable": False,
            "priceSet": self.g_money(amount, currency),
        }

    def g_address(self, addr: dict[str, str]) -> Obj:
        code = addr.get("country_code", "")
        return {
            "__typename": "MailingAddress",
            "name": addr.get("name"),
            "firstName": addr.get("first_name"),
            "lastName": addr.get("last_name"),
            "company": addr.get("company") or None,
            "address1": addr.get("address1"),
            "address2": addr.get("address2") or None,
            "city": addr.get("city"),
            "zip": addr.get("zip"),
            "province": addr.get("province") or None,
            "provinceCode": addr.get("province_code") or None,
            "country": COUNTRY_NAMES.get(code, code),
            "countryCodeV2": code,
            "phone": addr.get("phone") or None,
        }

    # -- catalogue and inventory ----------------------------------------------------------------
    def g_location(self, loc: Location) -> Obj:
        return {
            "__typename": "Location",
            "id": gid("Location", loc.id),
            "legacyResourceId": str(loc.id),
            "name": loc.name,
            "isActive": loc.active,
            "fulfillsOnlineOrders": loc.active,
        }

    def g_level(self, level: Level) -> Obj:
        def quantities(args: Obj, info: Info) -> list[Obj]:
            values = {
                "available": level.available,
                "committed": level.committed,
                "on_hand": level.on_hand,
                "reserved": 0,
                "incoming": 0,
                "damaged": 0,
                "safety_stock": 0,
                "quality_control": 0,
            }
            names = args.get("names") or []
            return [
                {
                    "__typename": "InventoryQuantity",
                    "id": None,
                    "name": n,
                    "quantity": values.get(n, 0),
                    "updatedAt": iso(level.updated_at),
                }
                for n in names
            ]

        return {
            "__typename": "InventoryLevel",
            "id": f"gid://shopify/InventoryLevel/{level.location_id}"
            f"?inventory_item_id={level.item_id}",
            "location": self.g_location(self.state.locations[level.location_id]),
            "item": lambda a, i: self.g_item(self.state.items[level.item_id]),
            "quantities": quantities,
            "updatedAt": iso(level.updated_at),
        }

    def g_item(self, variant: Variant) -> Obj:
        item_id = variant.inventory_item_id
        levels = [lv for (it, _), lv in self.state.levels.items() if it == item_id]

        def level_at(args: Obj, info: Info) -> Obj | None:
            loc = parse_gid(args.get("locationId"), "Location")
            lv = self.state.levels.get((item_id, loc or 0))
            return self.g_level(lv) if lv else None

        return {
            "__typename": "InventoryItem",
            "id": gid("InventoryItem", item_id),
            "legacyResourceId": str(item_id),
            "sku": variant.sku,
            "tracked": True,
            "createdAt": iso(variant.created_at),
            "updatedAt": iso(variant.updated_at),
            "variant": lambda a, i: self.g_variant(variant),
            "inventoryLevel": level_at,
            "inventoryLevels": lambda a, i: connection(
                levels,
                a,
                typename="InventoryLevelConnection",
                ident=lambda lv: lv.location_id,
                sort_value=lambda lv: lv.location_id,
                node=self.g_level,
            ),
        }

    def g_product(self, variant: Variant) -> Obj:
        return {
            "__typename": "Product",
            "id": gid("Product", variant.product_id),
            "legacyResourceId": str(variant.product_id),
            "title": variant.title,
            "handle": re.sub(r"[^a-z0-9]+", "-", variant.title.lower()).strip("-"),
            "status": "ACTIVE",
            "vendor": "Sandbox",
        }

    def g_variant(self, v: Variant) -> Obj:
        total = sum(
            lv.available for (it, _), lv in self.state.levels.items() if it == v.inventory_item_id
        )
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", v.id),
            "legacyResourceId": str(v.id),
            "sku": v.sku,
            "barcode": v.barcode,
            "title": "Default Title",
            "displayName": f"{v.title} - Default Title",
            "price": str(money(v.price)),
            "inventoryQuantity": total,
            "createdAt": iso(v.created_at),
            "updatedAt": iso(v.updated_at),
            "product": lambda a, i: self.g_product(v),
            "inventoryItem": lambda a, i: self.g_item(v),
        }

    # -- orders ---------------------------------------------------------------------------------
    def g_line(self, order: Order, li: Line) -> Obj:
        cur = order.currency
        after_all = money(li.net / li.quantity) if li.quantity else Decimal("0")
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", li.id),
            "sku": li.sku or None,
            "name": li.title,
            "title": li.title,
            "variantTitle": None,
            "vendor": "Sandbox",
            "quantity": li.quantity,
            "currentQuantity": li.current_quantity,
            "unfulfilledQuantity": max(0, li.current_quantity - order.fulfilled(li.id)),
            "nonFulfillableQuantity": li.quantity - li.current_quantity,
            "requiresShipping": True,
            "taxable": True,
            "originalUnitPriceSet": self.g_money(li.unit_price, cur),
            "discountedUnitPriceSet": self.g_money(li.unit_price, cur),
            "discountedUnitPriceAfterAllDiscountsSet": self.g_money(after_all, cur),
            "originalTotalSet": self.g_money(li.unit_price * li.quantity, cur),
            "discountedTotalSet": self.g_money(li.unit_price * li.quantity, cur),
            "totalDiscountSet": self.g_money(li.discount, cur),
            "discountAllocations": [
                {"__typename": "DiscountAllocation", "allocatedAmountSet": self.g_money(a, cur)}
                for a in li.allocations
                if a
            ],
            "taxLines": [self.g_tax_line(li.tax_title, li.tax_rate, li.tax, cur)],
            "variant": (lambda a, i: self.g_variant(li.variant)) if li.variant else None,
            "product": (lambda a, i: self.g_product(li.variant)) if li.variant else None,
        }

    def g_shipping_line(self, order: Order, s: ShippingLine) -> Obj:
        cur = order.currency
        return {
            "__typename": "ShippingLine",
            "id": gid("ShippingLine", s.id),
            "title": s.title,
            "code": s.code,
            "source": "shopify",
            "carrierIdentifier": None,
            "originalPriceSet": self.g_money(s.price, cur),
            "discountedPriceSet": self.g_money(s.net, cur),
            "taxLines": [self.g_tax_line(s.tax_title, s.tax_rate, s.tax, cur)],
        }

    def g_fo_line(self, order: Order, fol: FOLine) -> Obj:
        li = next(x for x in order.lines if x.id == fol.line_id)
        return {
            "__typename": "FulfillmentOrderLineItem",
            "id": gid("FulfillmentOrderLineItem", fol.id),
            "sku": li.sku or None,
            "totalQuantity": fol.total,
            "remainingQuantity": fol.remaining,
            "inventoryItemId": gid("InventoryItem", li.variant.inventory_item_id)
            if li.variant
            else None,
            "lineItem": lambda a, i: self.g_line(order, li),
            "variant": (lambda a, i: self.g_variant(li.variant)) if li.variant else None,
        }

    def g_fulfillment_order(self, order: Order, fo: FulfillmentOrder) -> Obj:
        loc = self.state.locations[fo.location_id]
        return {
            "__typename": "FulfillmentOrder",
            "id": gid("FulfillmentOrder", fo.id),
            "status": fo.status,
            "requestStatus": "UNSUBMITTED",
            "createdAt": iso(fo.created_at),
            "updatedAt": iso(fo.updated_at),
            "orderId": gid("Order", order.id),
            "orderName": order.name,
            "order": lambda a, i: self.g_order(order),
            "assignedLocation": {
                "__typename": "FulfillmentOrderAssignedLocation",
                "name": loc.name,
                "countryCode": "NL",
                "location": self.g_location(loc),
            },
            "lineItems": lambda a, i: connection(
                fo.lines,
                a,
                typename="FulfillmentOrderLineItemConnection",
                ident=lambda x: x.id,
                sort_value=lambda x: x.id,
                node=lambda x: self.g_fo_line(order, x),
            ),
        }

    def g_fulfillment(self, order: Order, f: Fulfillment) -> Obj:
        lines = [(i, lid, q) for i, (_, lid, q) in enumerate(f.lines)]
        return {
            "__typename": "Fulfillment",
            "id": gid("Fulfillment", f.id),
            "legacyResourceId": str(f.id),
            "name": f"{order.name}-F{f.id % 1000}",
            "status": f.status,
            "displayStatus": "FULFILLED",
            "createdAt": iso(f.created_at),
            "updatedAt": iso(f.created_at),
            "trackingInfo": lambda a, i: [
                {
                    "__typename": "FulfillmentTrackingInfo",
                    "company": f.company,
                    "number": f.number,
                    "url": f.url,
                }
            ][: a.get("first") or None],
            "order": lambda a, i: self.g_order(order),
            "fulfillmentLineItems": lambda a, i: connection(
                lines,
                a,
                typename="FulfillmentLineItemConnection",
                ident=lambda x: x[0],
                sort_value=lambda x: x[0],
                node=lambda x: {
                    "__typename": "FulfillmentLineItem",
                    "id": gid("FulfillmentLineItem", f.id * 100 + x[0]),
                    "quantity": x[2],
                    "lineItem": self.g_line(order, next(li for li in order.lines if li.id == x[1])),
                },
            ),
        }

    def g_order(self, o: Order) -> Obj:
        cur = o.currency
        totals = o.totals()
        return {
            "__typename": "Order",
            "id": gid("Order", o.id),
            "legacyResourceId": str(o.id),
            "name": o.name,
            "createdAt": iso(o.created_at),
            "updatedAt": iso(o.updated_at),
            "processedAt": iso(o.created_at),
            "cancelledAt": iso(o.cancelled_at),
            "cancelReason": o.cancel_reason,
            "closed": False,
            "closedAt": None,
            "confirmed": True,
            "test": False,
            "email": o.email,
            "phone": o.phone,
            "poNumber": o.po_number,
            "note": o.note,
            "tags": [],
            "currencyCode": cur,
            "presentmentCurrencyCode": cur,
            "taxesIncluded": o.taxes_included,
            "displayFinancialStatus": o.financial_status,
            "displayFulfillmentStatus": o.display_fulfillment_status,
            "shippingAddress": self.g_address(o.shipping_address),
            "billingAddress": self.g_address(o.billing_address),
            "lineItems": lambda a, i: connection(
                o.lines,
                a,
                typename="LineItemConnection",
                ident=lambda x: x.id,
                sort_value=lambda x: x.id,
                node=lambda x: self.g_line(o, x),
            ),
            "shippingLines": lambda a, i: connection(
                o.shipping_lines,
                a,
                typename="ShippingLineConnection",
                ident=lambda x: x.id,
                sort_value=lambda x: x.id,
                node=lambda x: self.g_shipping_line(o, x),
            ),
            "shippingLine": (
                self.g_shipping_line(o, o.shipping_lines[0]) if o.shipping_lines else None
            ),
            "totalShippingPriceSet": self.g_money(totals["shipping"], cur),
            "totalPriceSet": self.g_money(totals["total"], cur),
            "subtotalPriceSet": self.g_money(totals["subtotal"], cur),
            "totalTaxSet": self.g_money(totals["tax"], cur),
            "totalDiscountsSet": self.g_money(totals["discounts"], cur),
            "currentTotalDiscountsSet": self.g_money(totals["discounts"], cur),
            "discountCodes": list(o.discount_codes),
            "taxLines": [
                self.g_tax_line(o.lines[0].tax_title, o.lines[0].tax_rate, totals["tax"], cur)
            ]
            if o.lines
            else [],
            "fulfillmentOrders": lambda a, i: connection(
                o.fulfillment_orders,
                a,
                typename="FulfillmentOrderConnection",
                ident=lambda x: x.id,
                sort_value=lambda x: x.id,
                node=lambda x: self.g_fulfillment_order(o, x),
            ),
            "fulfillments": lambda a, i: [self.g_fulfillment(o, f) for f in o.fulfillments][
                : a.get("first") or None
            ],
        }

    def g_shop(self) -> Obj:
        return {
            "__typename": "Shop",
            "id": "gid://shopify/Shop/1",
            "name": self.shop_name,
            "email": "owner@example.com",
            "myshopifyDomain": self.shop_domain,
            "currencyCode": "EUR",
            "taxesIncluded": self.state.taxes_included,
            "ianaTimezone": self.state.timezone_name,
            "plan": {
                "__typename": "ShopPlan",
                "displayName": "Basic",
                "partnerDevelopment": True,
                "shopifyPlus": False,
            },
            "primaryDomain": {
                "__typename": "Domain",
                "host": self.shop_domain,
                "url": f"https://{self.shop_domain}",
            },
        }

    # -- query root -------------------------------------------------------------------------------
    def order_matches(self, o: Order, terms: list[tuple[bool, str, str, str]]) -> bool:
        for neg, name, op, value in terms:
            if name in ("updated_at", "created_at", "processed_at"):
                ts = o.updated_at if name == "updated_at" else o.created_at
                ok = compare(int(ts), op, int(parse_when(value)))
            elif name == "status":
                ok = {
                    "any": True,
                    "cancelled": o.cancelled_at is not None,
                    "open": o.cancelled_at is None,
                    "closed": False,
                }.get(value.lower(), True)
            elif name == "financial_status":
                ok = value.lower() in ("any", o.financial_status.lower())
            elif name == "fulfillment_status":
                wanted = FULFILLMENT_SEARCH.get(value.lower())
                ok = wanted is None or o.display_fulfillment_status in wanted
            elif name == "name":
                ok = o.name.lstrip("#") == value.lstrip("#")
            elif name == "id":
                ok = compare(o.id, op, int(value)) if value.isdigit() else False
            else:
                continue  # Shopify ignores unknown search fields (with a warning)
            if ok == neg:
                return False
        return True

    def variant_matches(self, v: Variant, terms: list[tuple[bool, str, str, str]]) -> bool:
        for neg, name, op, value in terms:
            if name == "sku":
                ok = v.sku == value
            elif name == "barcode":
                ok = v.barcode == value
            elif name == "updated_at":
                ok = compare(int(v.updated_at), op, int(parse_when(value)))
            elif name == "product_id":
                ok = str(v.product_id) == value
            else:
                continue
            if ok == neg:
                return False
        return True

    def q_orders(self, args: Obj, info: Info) -> Obj:
        sort_key = str(args.get("sortKey") or "ID")
        if sort_key not in ORDER_SORT_KEYS:
            raise FieldError(f"Invalid sort key {sort_key} for orders", "BAD_REQUEST")
        terms = search_terms(args.get("query"))
        orders = [o for o in self.state.orders.values() if self.order_matches(o, terms)]
        return connection(
            orders,
            args,
            typename="OrderConnection",
            ident=lambda o: o.id,
            sort_value=ORDER_SORT_KEYS[sort_key],
            node=self.g_order,
        )

    def q_variants(self, args: Obj, info: Info) -> Obj:
        sort_key = str(args.get("sortKey") or "ID")
        if sort_key not in VARIANT_SORT_KEYS:
            raise FieldError(f"Invalid sort key {sort_key} for productVariants", "BAD_REQUEST")
        terms = search_terms(args.get("query"))
        variants = [v for v in self.state.variants.values() if self.variant_matches(v, terms)]
        return connection(
            variants,
            args,
            typename="ProductVariantConnection",
            ident=lambda v: v.id,
            sort_value=VARIANT_SORT_KEYS[sort_key],
            node=self.g_variant,
        )

    def lookup(self, node_id: Any) -> Obj | None:
        """Any object by GID (the `node`/`nodes` roots)."""
        text = str(node_id or "")
        m = re.match(r"^gid://shopify/(\w+)/(\d+)", text)
        if not m:
            return None
        kind, number = m.group(1), int(m.group(2))
        st = self.state
        if kind == "Order" and number in st.orders:
            return self.g_order(st.orders[number])
        if kind == "ProductVariant" and number in st.variants:
            return self.g_variant(st.variants[number])
        if kind == "InventoryItem" and number in st.items:
            return self.g_item(st.items[number])
        if kind == "Product":
            v = next((v for v in st.variants.values() if v.product_id == number), None)
            return self.g_product(v) if v else None
        if kind == "Location" and number in st.locations:
            return self.g_location(st.locations[number])
        if kind == "FulfillmentOrder":
            found = st.find_fulfillment_order(number)
            return self.g_fulfillment_order(*found) if found else None
        if kind == "Fulfillment":
            for o in st.orders.values():
                for f in o.fulfillments:
                    if f.id == number:
                        return self.g_fulfillment(o, f)
        if kind == "InventoryLevel":
            item = parse_gid(text.partition("inventory_item_id=")[2], "InventoryItem")
            lv = st.levels.get((item or 0, number))
            return self.g_level(lv) if lv else None
        if kind == "WebhookSubscription" and number in st.subscriptions:
            return self.g_subscription(st.subscriptions[number])
        return None

    def g_subscription(self, sub: Obj) -> Obj:
        return {
            "__typename": "WebhookSubscription",
            "id": gid("WebhookSubscription", sub["id"]),
            "topic": sub["topic"],
            "format": "JSON",
            "uri": sub["uri"],
            "callbackUrl": sub["uri"],
            "createdAt": iso(sub["created_at"]),
            "updatedAt": iso(sub["created_at"]),
        }

    def query_root(self) -> Obj:
        st = self.state
        by_id = self.lookup
        return {
            "__typename": "QueryRoot",
            "shop": lambda a, i: self.g_shop(),
            "orders": self.q_orders,
            "order": lambda a, i: by_id(a.get("id")) if "/Order/" in str(a.get("id")) else None,
            "productVariants": self.q_variants,
            "productVariant": lambda a, i: (
                by_id(a.get("id")) if "/ProductVariant/" in str(a.get("id")) else None
            ),
            "inventoryItem": lambda a, i: (
                by_id(a.get("id")) if "/InventoryItem/" in str(a.get("id")) else None
            ),
            "locations": lambda a, i: connection(
                [loc for loc in st.locations.values() if loc.active or a.get("includeInactive")],
                a,
                typename="LocationConnection",
                ident=lambda x: x.id,
                sort_value=lambda x: x.id,
                node=self.g_location,
            ),
            "location": lambda a, i: (
                by_id(a.get("id"))
                if a.get("id")
                else self.g_location(next(iter(st.locations.values())))
            ),
            "nodes": lambda a, i: [by_id(x) for x in a.get("ids") or []],
            "node": lambda a, i: by_id(a.get("id")),
            "fulfillmentOrder": lambda a, i: (
                by_id(a.get("id")) if "/FulfillmentOrder/" in str(a.get("id")) else None
            ),
            "webhookSubscriptions": lambda a, i: connection(
                [
                    s
                    for s in st.subscriptions.values()
                    if not a.get("topics") or s["topic"] in a["topics"]
                ],
                a,
                typename="WebhookSubscriptionConnection",
                ident=lambda s: s["id"],
                sort_value=lambda s: s["id"],
                node=self.g_subscription,
            ),
        }
