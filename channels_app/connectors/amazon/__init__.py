"""Amazon Selling Partner API connector (EU region): orders, stock, shipments, catalogue.

Versions used (reference section 4):
- Orders 2026-01-01 `searchOrders` / `getOrder`: items come with the order (no N+1 calls, the
  cause of the endless QuotaExceeded threads) and PII comes by role, no restricted data token.
  Orders v0 reads are deprecated (migrate by 2027-03-27).
- Orders v0 `confirmShipment` (not deprecated).
- Listings Items 2021-08-01: `patchListingsItem` below `feed_threshold` updates,
  `searchListingsItems` for the catalogue and for reading quantities (20 SKUs per call).
- Feeds 2021-06-30 `JSON_LISTINGS_FEED` at or above `feed_threshold` updates.
Auth is the LWA refresh-token grant; the access token is cached and renewed 60 s before it
expires, and once more when Amazon answers 403 Unauthorized. No SigV4 (ignored since 2023-10).
Every operation is paced by a local token bucket (the default usage plan, corrected by
`x-amzn-RateLimit-Limit`); a 429 empties the bucket, shrinks its burst to 1 and waits
Retry-After or 1/rate before trying again (at most 5 tries).

The package: `client.py` (LWA token, pacing, retries), `orders.py` (reads and mapping),
`stock.py` (Listings PATCH and feeds), `catalogue.py` (listing reads), `shipments.py`
(confirmShipment), and `connector.py`, which puts them together as AmazonConnector.

No Django imports.
"""

from __future__ import annotations

from .client import MAX_TRIES, TOKEN_MARGIN, USAGE_PLANS
from .connector import AmazonConnector
from .orders import CURSOR_LAG, DEFAULT_LOOKBACK, EU_VAT_RATES, INCLUDED_DATA, ZERO
from .shipments import CARRIER_CODES
from .stock import FA_PATCH_OP, FEED_CONTENT_TYPE, FEED_POLL_DELAYS

# Every public name of the former single-module connector (its `__all__` and the rest).
__all__ = [
    "CARRIER_CODES",
    "CURSOR_LAG",
    "DEFAULT_LOOKBACK",
    "EU_VAT_RATES",
    "FA_PATCH_OP",
    "FEED_CONTENT_TYPE",
    "FEED_POLL_DELAYS",
    "INCLUDED_DATA",
    "MAX_TRIES",
    "TOKEN_MARGIN",
    "USAGE_PLANS",
    "ZERO",
    "AmazonConnector",
]
