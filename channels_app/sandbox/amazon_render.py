"""JSON shapes of sandbox orders: Orders v0 (PascalCase) and Orders 2026-01-01 (camelCase).

Tax modes (`AmazonSandbox.item_tax_mode`), because EU VAT in ItemPrice is unverified:
- "zero" (default): ItemPrice is the line total VAT included and ItemTax is 0.00, which is what
  EU sellers report seeing (selling-partner-api-models #1766, #3004, #4858);
- "included": ItemPrice VAT included and ItemTax the VAT it contains;
- "excluded": ItemPrice without VAT and ItemTax on top (the US sales-tax convention).
In 2026-01-01 the same amounts appear as proceeds breakdowns ITEM / SHIPPING / DISCOUNT
(negative) / TAX (with detailedBreakdowns per subtype); TAX is left out when it is zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from channels_app.sandbox.amazon_data import (
    ADDRESS_STATUSES,
    MARKETPLACES,
    STATUS_2026,
    Order,
    OrderItem,
    cents,
    iso,
    money,
    money_v0,
)

ZERO = Decimal("0")


def line_amounts(order: Order, item: OrderItem, mode: str) -> dict[str, Decimal]:
    """The reported amounts of one order line, per the tax mode."""
    rate = Decimal(0 if order.reverse_charge else item.vat_rate)
    out: dict[str, Decimal] = {}
    for name, gross in (
        ("item", cents(item.unit_price * item.quantity)),
        ("shipping", cents(item.shipping)),
        ("discount", cents(item.discount)),
    ):
        tax = cents(gross * rate / (100 + rate))
        out[name] = gross - tax if mode == "excluded" else gross
        out[f"{name}_tax"] = ZERO if mode == "zero" else tax
    return out


def line_total(amounts: dict[str, Decimal], mode: str) -> Decimal:
    total = amounts["item"] + amounts["shipping"] - amounts["discount"]
    if mode == "excluded":
        total += amounts["item_tax"] + amounts["shipping_tax"] - amounts["discount_tax"]
    return total


def _pending(order: Order) -> bool:
    return order.status in ("Pending", "PendingAvailability")


def _unshipped(order: Order, item: OrderItem) -> int:
    return 0 if order.status == "Canceled" else item.quantity - item.shipped


# -- Orders v0 ----------------------------------------------------------------------------------
def v0_order(order: Order, *, mode: str, pii: frozenset[str]) -> dict[str, Any]:
    """An Orders v0 Order; buyer and address PII only with a restricted data token."""
    country, channel, currency, _ = MARKETPLACES[order.marketplace_id]
    domestic = order.address["country"] == country
    out: dict[str, Any] = {
        "AmazonOrderId": order.order_id,
        "SellerOrderId": order.order_id,
        "PurchaseDate": iso(order.created),
        "LastUpdateDate": iso(order.updated),
        "OrderStatus": order.status,
        "FulfillmentChannel": "AFN" if order.afn else "MFN",
        "SalesChannel": channel,
        "MarketplaceId": order.marketplace_id,
        "ShipServiceLevel": f"Std {country} Dom_1" if domestic else f"Std {country} Intl",
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "NumberOfItemsShipped": sum(i.shipped for i in order.items),
        "NumberOfItemsUnshipped": sum(_unshipped(order, i) for i in order.items),
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "EarliestShipDate": iso(order.earliest_ship),
        "LatestShipDate": iso(order.latest_ship),
        "EarliestDeliveryDate": iso(order.earliest_delivery),
        "LatestDeliveryDate": iso(order.latest_delivery),
        "IsPrime": order.prime,
        "IsBusinessOrder": order.business,
        "IsReplacementOrder": False,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    }
    if not _pending(order):
        total = sum((line_total(line_amounts(order, i, mode), mode) for i in order.items), ZERO)
        out["OrderTotal"] = money_v0(total, currency)
    if order.status in ADDRESS_STATUSES:
        addr = order.address
        shipping: dict[str, Any] = {
            "City": addr["city"],
            "PostalCode": addr["postcode"],
            "CountryCode": addr["country"],
        }
        if "shippingAddress" in pii:
            shipping = {
                "Name": addr["name"],
                "AddressLine1": addr["street"],
                **shipping,
                "AddressType": "Commercial" if order.business else "Residential",
            }
            if addr.get("company"):
                shipping["CompanyName"] = addr["company"]
            if not order.afn:
                shipping["Phone"] = addr["phone"]
        out["ShippingAddress"] = shipping
    out["BuyerInfo"] = _v0_buyer(order) if "buyerInfo" in pii else {}
    return out


def _v0_buyer(order: Order) -> dict[str, Any]:
    buyer: dict[str, Any] = {"BuyerEmail": order.buyer_email, "BuyerName": order.buyer_name}
    if order.purchase_order:
        buyer["PurchaseOrderNumber"] = order.purchase_order
    if order.business and order.vat_number:
        buyer["BuyerTaxInfo"] = {
            "CompanyLegalName": order.company,
            "TaxingRegion": order.address["country"],
            "TaxClassifications": [{"Name": "VATNumber", "Value": order.vat_number}],
        }
    return buyer


def v0_item(order: Order, item: OrderItem, *, mode: str) -> dict[str, Any]:
    """An Orders v0 OrderItem; a Pending order has no prices yet."""
    out: dict[str, Any] = {
        "ASIN": item.asin,
        "SellerSKU": item.sku,
        "OrderItemId": item.order_item_id,
        "Title": item.title,
        "QuantityOrdered": item.quantity,
        "QuantityShipped": item.shipped,
        "ProductInfo": {"NumberOfItems": "1"},
        "IsGift": "false",
        "ConditionId": "New",
        "ConditionSubtypeId": "New",
        "IsTransparency": False,
        "SerialNumberRequired": False,
        "BuyerRequestedCancel": {
            "IsBuyerRequestedCancel": "true" if item.cancel_requested else "false",
            "BuyerCancelReason": item.cancel_reason,
        },
    }
    if _pending(order):
        return out
    a, cur = line_amounts(order, item, mode), order.currency
    out.update(
        {
            "ItemPrice": money_v0(a["item"], cur),
            "ItemTax": money_v0(a["item_tax"], cur),
            "ShippingPrice": money_v0(a["shipping"], cur),
            "ShippingTax": money_v0(a["shipping_tax"], cur),
            "ShippingDiscount": money_v0(ZERO, cur),
            "ShippingDiscountTax": money_v0(ZERO, cur),
            "PromotionDiscount": money_v0(a["discount"], cur),
            "PromotionDiscountTax": money_v0(a["discount_tax"], cur),
        }
    )
    if item.promotion_id:
        out["PromotionIds"] = [item.promotion_id]
    return out


# -- Orders 2026-01-01 --------------------------------------------------------------------------
def order_2026(order: Order, *, mode: str, included: frozenset[str]) -> dict[str, Any]:
    """An Orders 2026-01-01 Order with the includedData sections asked for."""
    _, channel, _, _ = MARKETPLACES[order.marketplace_id]
    programs = (["AMAZON_BUSINESS"] if order.business else []) + (["PRIME"] if order.prime else [])
    out: dict[str, Any] = {
        "orderId": order.order_id,
        "orderAliases": [{"aliasId": order.order_id, "aliasType": "SELLER_ORDER_ID"}],
        "createdTime": iso(order.created),
        "lastUpdatedTime": iso(order.updated),
        "programs": programs,
        "associatedOrders": [],
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": order.marketplace_id,
            "marketplaceName": channel,
        },
    }
    if "BUYER" in included:
        out["buyer"] = _buyer_2026(order)
    if "RECIPIENT" in included and order.status in ADDRESS_STATUSES:
        out["recipient"] = {"deliveryAddress": _address_2026(order)}
    items = [_item_2026(order, i, mode=mode, included=included) for i in order.items]
    if "PROCEEDS" in included and not _pending(order):
        out["proceeds"] = _order_proceeds(items, order.currency)
    if "TAX" in included and order.business and order.vat_number:
        out["tax"] = {
            "taxRegistrations": [
                {
                    "entityType": "BUYER",
                    "legalName": order.company,
                    "taxRegistrationType": "VAT",
                    "taxRegistrationNumber": order.vat_number,
                    "taxRegistrationAddress": {"countryCode": order.address["country"]},
                }
            ]
        }
    if "FULFILLMENT" in included:
        out["fulfillment"] = {
            "fulfillmentStatus": STATUS_2026[order.status],
            "fulfilledBy": "AMAZON" if order.afn else "MERCHANT",
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": {
                "earliestDateTime": iso(order.earliest_ship),
                "latestDateTime": iso(order.latest_ship),
            },
            "deliverByWindow": {
                "earliestDateTime": iso(order.earliest_delivery),
                "latestDateTime": iso(order.latest_delivery),
            },
        }
    out["orderItems"] = items
    if "PACKAGES" in included and not order.afn:
        out["packages"] = [_package_2026(p) for p in order.packages.values()]
    return out


def _buyer_2026(order: Order) -> dict[str, Any]:
    buyer: dict[str, Any] = {"buyerName": order.buyer_name}
    if not order.afn:  # the model: buyerEmail only for merchant-fulfilled orders
        buyer["buyerEmail"] = order.buyer_email
    if order.business and order.company:
        buyer["buyerCompanyName"] = order.company
    if order.purchase_order:
        buyer["buyerPurchaseOrderNumber"] = order.purchase_order
    return buyer


def _address_2026(order: Order) -> dict[str, Any]:
    addr = order.address
    out: dict[str, Any] = {"name": addr["name"]}
    if addr.get("company"):
        out["companyName"] = addr["company"]
    out.update(
        {
            "addressLine1": addr["street"],
            "city": addr["city"],
            "postalCode": addr["postcode"],
            "countryCode": addr["country"],
        }
    )
    if not order.afn:  # phone is suppressed for FBA orders
        out["phone"] = addr["phone"]
    out["addressType"] = "COMMERCIAL" if order.business else "RESIDENTIAL"
    return out


def _item_2026(
    order: Order, item: OrderItem, *, mode: str, included: frozenset[str]
) -> dict[str, Any]:
    a, cur = line_amounts(order, item, mode), order.currency
    product: dict[str, Any] = {
        "asin": item.asin,
        "title": item.title,
        "sellerSku": item.sku,
        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
    }
    if not _pending(order):
        price: dict[str, Any] = {"unitPrice": money(a["item"] / item.quantity, cur)}
        if order.business:
            price["priceDesignation"] = "BUSINESS_PRICE"
        product["price"] = price
    out: dict[str, Any] = {
        "orderItemId": item.order_item_id,
        "quantityOrdered": item.quantity,
        "programs": [],
        "product": product,
    }
    if "PROCEEDS" in included and not _pending(order):
        out["proceeds"] = _item_proceeds(a, mode, cur)
    if "PROMOTION" in included and item.promotion_id:
        out["promotion"] = {"breakdowns": [{"promotionId": item.promotion_id}]}
    cancellation: dict[str, Any] = {}
    if item.cancel_requested:
        cancellation["cancellationRequest"] = {
            "requester": "BUYER",
            "cancelReason": item.cancel_reason,
        }
    if order.status == "Canceled":
        cancellation["cancellationExecution"] = {
            "cancelledBy": order.cancelled_by or "AMAZON",
            "cancelReason": item.cancel_reason,
        }
    if "CANCELLATION" in included and cancellation:
        out["cancellation"] = cancellation
    if "FULFILLMENT" in included:
        out["fulfillment"] = {
            "quantityFulfilled": item.shipped,
            "quantityUnfulfilled": _unshipped(order, item),
        }
    return out


def _item_proceeds(a: dict[str, Decimal], mode: str, cur: str) -> dict[str, Any]:
    breakdowns: list[dict[str, Any]] = [{"type": "ITEM", "subtotal": money(a["item"], cur)}]
    if a["shipping"]:
        breakdowns.append({"type": "SHIPPING", "subtotal": money(a["shipping"], cur)})
    if a["discount"]:
        breakdowns.append(
            {
                "type": "DISCOUNT",
                "subtotal": money(-a["discount"], cur),
                "detailedBreakdowns": [{"subtype": "ITEM", "value": money(-a["discount"], cur)}],
            }
        )
    tax = a["item_tax"] + a["shipping_tax"] - a["discount_tax"]
    if tax:
        details = [{"subtype": "ITEM", "value": money(a["item_tax"], cur)}]
        if a["shipping_tax"]:
            details.append({"subtype": "SHIPPING", "value": money(a["shipping_tax"], cur)})
        if a["discount_tax"]:
            details.append({"subtype": "DISCOUNT", "value": money(-a["discount_tax"], cur)})
        breakdowns.append(
            {"type": "TAX", "subtotal": money(tax, cur), "detailedBreakdowns": details}
        )
    return {"proceedsTotal": money(line_total(a, mode), cur), "breakdowns": breakdowns}


def _order_proceeds(items: list[dict[str, Any]], cur: str) -> dict[str, Any]:
    totals: dict[str, Decimal] = {}
    grand = ZERO
    for item in items:
        proceeds = item.get("proceeds", {})
        grand += Decimal(proceeds.get("proceedsTotal", {}).get("amount", "0"))
        for b in proceeds.get("breakdowns", []):
            totals[b["type"]] = totals.get(b["type"], ZERO) + Decimal(b["subtotal"]["amount"])
    return {
        "grandTotal": money(grand, cur),
        "breakdowns": [{"type": k, "subtotal": money(v, cur)} for k, v in totals.items()],
    }


def _package_2026(package: Any) -> dict[str, Any]:
    return {
        "packageReferenceId": package.package_reference_id,
        "createdTime": iso(package.created),
        "packageStatus": {"status": "SHIPPED"},
        "carrier": package.carrier_name
        if package.carrier_code == "Other"
        else package.carrier_code,
        "shipTime": package.ship_date,
        "shippingService": package.shipping_method,
        "trackingNumber": package.tracking_number,
        "packageItems": [{"orderItemId": k, "quantity": v} for k, v in package.items.items()],
    }
