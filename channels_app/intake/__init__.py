"""Order intake: channel orders stored once, kept up to date, mapped, held and announced.

`store_order` is the one way an order gets in (polling, webhooks, staff); `poll_orders` reads a
channel's changed orders page by page under a lease; `remap_parked_orders` retries the mapping
of parked orders once a listing is linked.
"""

from __future__ import annotations

from .poll import PollSummary, poll_orders
from .store import StoreResult, remap_parked_orders, store_order, store_order_result

__all__ = [
    "PollSummary",
    "StoreResult",
    "poll_orders",
    "remap_parked_orders",
    "store_order",
    "store_order_result",
]
