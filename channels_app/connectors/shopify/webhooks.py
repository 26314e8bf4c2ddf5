"""Shopify webhooks: subscribing to topics, and checking and reading what Shopify delivers.

No Django imports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal

from channels_app.connectors.base import ChannelOrderData, OrderLineData, WebhookVerificationError

from .client import ShopifyClient, ShopifyUserError, _user_errors_text
from .orders import _dec, _money, _parse_time, _rate, _rest_address, _unit_prices
from .queries import WEBHOOK_CREATE


class WebhooksMixin(ShopifyClient):
    """Webhook subscriptions; mixed into ShopifyConnector."""

    # -- webhooks (set-up) ------------------------------------------------------------------------
    def subscribe_webhook(self, topic: str, uri: str) -> str:
        """Subscribe uri to a topic (ORDERS_CREATE, ORDERS_UPDATED, ORDERS_CANCELLED); GID back.

        Reference: https://shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate
        """
        payload = self.graphql(
            WEBHOOK_CREATE,
            {"topic": topic.upper().replace("/", "_"), "uri": uri},
            operation="WebhookSubscriptionCreate",
        )["webhookSubscriptionCreate"]
        if payload.get("userErrors"):
            raise ShopifyUserError(
                _user_errors_text(payload["userErrors"]),
                user_errors=payload["userErrors"],
                url=self.endpoint,
            )
        return str(payload["webhookSubscription"]["id"])


# -- webhooks (receiving) ----------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, val in headers.items():
        if key.lower() == lower or key.upper() == "HTTP_" + name.upper().replace("-", "_"):
            return val
    return None


def verify_webhook(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Check X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client secret, raw body)).

    Reference: https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
    """
    received = _header(headers, "X-Shopify-Hmac-Sha256")
    if not received:
        raise WebhookVerificationError("missing X-Shopify-Hmac-Sha256 header")
    if not secret:
        raise WebhookVerificationError("no client secret configured for this shop")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected.encode(), received.strip().encode()):
        raise WebhookVerificationError("X-Shopify-Hmac-Sha256 does not match the body")


def webhook_event_id(headers: Mapping[str, str]) -> str:
    """X-Shopify-Event-Id: the same on every redelivery of one event (the de-duplication key)."""
    return _header(headers, "X-Shopify-Event-Id") or ""


def parse_webhook_order(body: bytes) -> ChannelOrderData:
    """An orders/* webhook payload (REST representation) as ChannelOrderData.

    REST line items carry no inventory item id or barcode: listing_external_id and ean stay
    empty (match on sku, or fetch_order for the GraphQL view).
    """
    data = json.loads(body)
    taxes_included = bool(data.get("taxes_included"))
    lines = []
    for li in data.get("line_items") or []:
        qty = int(li.get("quantity") or 0)
        current = int(li.get("current_quantity", qty))
        unit = _dec(li.get("price"))
        discount = sum(
            (_dec(a.get("amount")) for a in li.get("discount_allocations") or []), Decimal("0")
        )
        tax_lines = li.get("tax_lines") or []
        tax = sum((_dec(t.get("price")) for t in tax_lines), Decimal("0"))
        rate = sum((_dec(t.get("rate")) * 100 for t in tax_lines), Decimal("0"))
        incl, excl = _unit_prices(unit * qty - discount, tax, qty, taxes_included)
        fulfillable = li.get("fulfillable_quantity")
        lines.append(
            OrderLineData(
                external_line_id=li.get("admin_graphql_api_id")
                or f"gid://shopify/LineItem/{li['id']}",
                quantity=qty,
                sku=li.get("sku") or "",
                title=li.get("name") or li.get("title") or "",
                unit_price_incl=incl,
                unit_price_excl=excl,
                vat_rate=_rate(rate),
                quantity_cancelled=max(0, qty - current),
                quantity_shipped=max(0, current - int(fulfillable))
                if fulfillable is not None
                else 0,
            )
        )
    shipping, shipping_rate = Decimal("0"), None
    for s in data.get("shipping_lines") or []:
        tax_lines = s.get("tax_lines") or []
        net = _dec(s.get("discounted_price", s.get("price")))
        tax = sum((_dec(t.get("price")) for t in tax_lines), Decimal("0"))
        shipping += net if taxes_included else net + tax
        if tax_lines and shipping_rate is None:
            shipping_rate = _rate(sum((_dec(t.get("rate")) * 100 for t in tax_lines), Decimal(0)))
    fulfillment = {
        None: "UNFULFILLED",
        "partial": "PARTIALLY_FULFILLED",
        "fulfilled": "FULFILLED",
        "restocked": "RESTOCKED",
    }.get(data.get("fulfillment_status"), str(data.get("fulfillment_status")).upper())
    billing = _rest_address(data.get("billing_address"), data.get("email"))
    return ChannelOrderData(
        external_id=data.get("admin_graphql_api_id") or f"gid://shopify/Order/{data['id']}",
        number=data.get("name") or str(data.get("order_number", "")),
        status=f"{str(data.get('financial_status') or '').upper()}/{fulfillment}",
        placed_at=_parse_time(data["created_at"]),
        updated_at=_parse_time(data["updated_at"]),
        currency=data.get("currency") or "EUR",
        lines=lines,
        shipping_incl=_money(shipping),
        shipping_vat_rate=shipping_rate,
        buyer=billing,
        delivery=_rest_address(data.get("shipping_address"), data.get("email")),
        billing=billing,
        buyer_reference=data.get("po_number") or "",
        cancelled=data.get("cancelled_at") is not None,
        raw=data,
    )
