"""WooCommerce REST API v3 connector: orders in, stock out, shipments confirmed.

Reference: https://woocommerce.github.io/woocommerce-rest-api-docs/ and
/work/shared/reference/channel-apis.md section 3. Plain Python (no Django): the channel's site
URL and consumer key/secret come in through the constructor; all HTTP goes through common.http.

Choices worth knowing:
- Auth is HTTP Basic (production must be https). `query_string_auth=True` sends the key and
  secret as query parameters instead, for hosts that strip the Authorization header
  (wc-api-python #16). OAuth 1.0a for plain-http shops is not implemented.
- Orders are read incrementally with `modified_after=<cursor - 1 s>&dates_are_gmt=true&
  orderby=modified&order=asc`, 100 per page, following X-WP-TotalPages. The cursor is the highest
  `date_modified_gmt` seen ("YYYY-MM-DDTHH:MM:SS", UTC). WooCommerce's `modified_after` is strict
  and its dates have one-second resolution, so the next run re-reads the cursor's own second
  rather than miss an order modified later in that same second; callers upsert idempotently.
- Line prices are WooCommerce's line `total`/`total_tax`, i.e. after coupons; so
  `discount_incl` only carries negative fee lines (discounts some plugins add as fees).
- The buyer's VAT number is read from order meta, first key of VAT_NUMBER_META_KEYS present.
- Stock goes through the batch endpoints (products, and variations per parent), 100 per call;
  quantities are absolute, so a retried batch is harmless.
- Shipments: the Shipment Tracking extension when the shop has it (detected once per connector
  via the providers route), else a customer note. What was shipped per line is kept in the order
  meta SHIPPED_META_KEY, so the order is completed once every line is fully shipped, across
  partial shipments and retries.

The package: `client.py` (auth, retries, paging), `orders.py` (reads and mapping), `stock.py`
(stock and catalogue), `shipments.py` (tracking, notes, completion), `webhooks.py` (receiving),
and `connector.py`, which puts them together as WooCommerceConnector.
"""

from __future__ import annotations

from .client import API_PREFIX, HINTS, TRACKING_PREFIX
from .connector import WooCommerceConnector
from .orders import CANCELLED_STATUSES, VAT_NUMBER_META_KEYS, ZERO, map_order
from .shipments import NOT_SHIPPABLE_STATUSES, SHIPPED_META_KEY, TRACKING_PROVIDERS
from .stock import EAN_META_KEYS
from .webhooks import (
    PING_BODY,
    is_webhook_ping,
    parse_webhook_order,
    verify_webhook,
    webhook_event_id,
)

# Every public name of the former single-module connector.
__all__ = [
    "API_PREFIX",
    "CANCELLED_STATUSES",
    "EAN_META_KEYS",
    "HINTS",
    "NOT_SHIPPABLE_STATUSES",
    "PING_BODY",
    "SHIPPED_META_KEY",
    "TRACKING_PREFIX",
    "TRACKING_PROVIDERS",
    "VAT_NUMBER_META_KEYS",
    "ZERO",
    "WooCommerceConnector",
    "is_webhook_ping",
    "map_order",
    "parse_webhook_order",
    "verify_webhook",
    "webhook_event_id",
]
