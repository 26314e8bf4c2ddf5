"""WooCommerce webhooks: the creation ping, signatures, order bodies and de-duplication keys.

No Django imports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping

from channels_app.connectors.base import ChannelOrderData, WebhookVerificationError

from .orders import map_order

# -- webhooks -----------------------------------------------------------------------------------------
PING_BODY = re.compile(rb"^webhook_id=\d+$")


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def is_webhook_ping(body: bytes, headers: Mapping[str, str]) -> bool:
    """WooCommerce's creation ping: form body `webhook_id=<id>`, no topic and no signature."""
    h = _headers(headers)
    return "x-wc-webhook-topic" not in h and bool(PING_BODY.match(body.strip()))


def verify_webhook(secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Check X-WC-Webhook-Signature = base64(HMAC-SHA256(raw body, the webhook's secret)).

    The creation ping carries no signature and no data; it passes, so the caller can answer it
    200 (else WooCommerce reports the URL as failing) and then ignore it (`is_webhook_ping`).
    """
    if is_webhook_ping(body, headers):
        return
    signature = _headers(headers).get("x-wc-webhook-signature", "").strip()
    if not signature:
        raise WebhookVerificationError("WooCommerce webhook without X-WC-Webhook-Signature")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise WebhookVerificationError(
            "WooCommerce webhook signature does not match (wrong secret?)"
        )


def parse_webhook_order(body: bytes) -> ChannelOrderData:
    """The order in an order.created/order.updated delivery (same shape as the REST API)."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ValueError("WooCommerce webhook body is not JSON (a ping?)") from exc
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError("WooCommerce webhook body is not an order")
    return map_order(data)


def webhook_event_id(headers: Mapping[str, str], body: bytes = b"") -> str:
    """A de-duplication key: the same state of the same order from the same webhook → same key.

    X-WC-Webhook-Delivery-ID changes on every delivery, so it cannot dedupe a redelivery. The key
    is webhook id, topic, order id, date_modified_gmt and a digest of the body, so a redelivery
    of the same payload collapses and two different changes within one second do not. Without a
    body the delivery id is all there is.
    """
    h = _headers(headers)
    prefix = f"wc:{h.get('x-wc-webhook-id', '')}:{h.get('x-wc-webhook-topic', '')}"
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return f"{prefix}:delivery:{h.get('x-wc-webhook-delivery-id', '')}"
    digest = hashlib.sha256(body).hexdigest()[:16]
    return f"{prefix}:{data.get('id', '')}:{data.get('date_modified_gmt', '')}:{digest}"
