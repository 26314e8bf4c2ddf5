"""Shopify Admin GraphQL connector: orders, stock, shipments, catalogue, webhooks.

Targets API version 2026-04 (supported until at least 2027-04): stock is written with
`inventorySetQuantities` carrying `changeFromQuantity: null` (we are the source of truth) and an
`@idempotent(key:)` directive, so a stock batch whose response was lost can be re-sent with the
same key and is applied once. Older versions (2025-10: `ignoreCompareQuantity`) still work.

Costs: Shopify prices every query up front (objects 1, connections 2 + first x node) and refuses
any query over 1000 points, so orders are read in two steps: a cheap page of 50 order ids sorted
by UPDATED_AT, then the details through `nodes(ids:)` in batches that fit the bucket. Every
response's `extensions.cost.throttleStatus` paces the next call; a THROTTLED answer (HTTP 200 or
429) waits `(requested - currentlyAvailable) / restoreRate` seconds and retries (bounded).

The package: `client.py` (transport, throttling, errors), `queries.py` (GraphQL documents and
the sizes they are priced for), `orders.py` (reads and mapping), `stock.py` (stock and
catalogue), `shipments.py` (fulfilments), `webhooks.py` (subscribing and receiving), and
`connector.py`, which puts them together as ShopifyConnector.

No Django imports. Reference: https://shopify.dev/docs/api/admin-graphql
"""

from __future__ import annotations

from .client import (
    MAX_THROTTLE_RETRIES,
    ShopifyGraphQLError,
    ShopifyQueryCostError,
    ShopifyThrottledError,
    ShopifyUserError,
)
from .connector import ShopifyConnector
from .orders import DEFAULT_LOOKBACK, order_from_graphql
from .queries import (
    API_VERSION,
    CATALOGUE_PAGE,
    CATALOGUE_QUERY,
    DETAIL_BATCH,
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDER_LINES_QUERY,
    FULFILLMENT_ORDERS_QUERY,
    FULFILLMENTS_QUERY,
    LINE_FIELDS,
    LOCATIONS_QUERY,
    MAX_QUERY_COST,
    ORDER_DETAILS_QUERY,
    ORDER_FIELDS,
    ORDER_LINES_QUERY,
    ORDER_PAGE_QUERY,
    ORDER_PAGE_SIZE,
    ORDER_QUERY,
    SHOP_QUERY,
    STOCK_BATCH,
    STOCK_READ_BATCH,
    STOCK_READ_QUERY,
    WEBHOOK_CREATE,
)
from .shipments import CARRIER_COMPANIES, OPEN_FO_STATUSES
from .stock import STOCK_ROUNDS
from .webhooks import parse_webhook_order, verify_webhook, webhook_event_id

# Every public name of the former single-module connector (its `__all__` and the rest).
__all__ = [
    "API_VERSION",
    "CARRIER_COMPANIES",
    "CATALOGUE_PAGE",
    "CATALOGUE_QUERY",
    "DEFAULT_LOOKBACK",
    "DETAIL_BATCH",
    "FULFILLMENTS_QUERY",
    "FULFILLMENT_CREATE",
    "FULFILLMENT_ORDERS_QUERY",
    "FULFILLMENT_ORDER_LINES_QUERY",
    "LINE_FIELDS",
    "LOCATIONS_QUERY",
    "MAX_QUERY_COST",
    "MAX_THROTTLE_RETRIES",
    "OPEN_FO_STATUSES",
    "ORDER_DETAILS_QUERY",
    "ORDER_FIELDS",
    "ORDER_LINES_QUERY",
    "ORDER_PAGE_QUERY",
    "ORDER_PAGE_SIZE",
    "ORDER_QUERY",
    "SHOP_QUERY",
    "STOCK_BATCH",
    "STOCK_READ_BATCH",
    "STOCK_READ_QUERY",
    "STOCK_ROUNDS",
    "WEBHOOK_CREATE",
    "ShopifyConnector",
    "ShopifyGraphQLError",
    "ShopifyQueryCostError",
    "ShopifyThrottledError",
    "ShopifyUserError",
    "order_from_graphql",
    "parse_webhook_order",
    "verify_webhook",
    "webhook_event_id",
]
