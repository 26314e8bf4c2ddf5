"""The e-commerce side of the console: channels, mappings, listings, orders, shipments."""

from __future__ import annotations

from . import (
    channels,
    listings,
    orders,
    shipments,  # noqa: F401 - after orders: adds its shipments inline, ship-by filter
)

__all__ = ["channels", "listings", "orders"]
