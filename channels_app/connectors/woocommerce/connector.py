"""WooCommerceConnector: the parts of this package put together as one ChannelConnector.

No Django imports.
"""

from __future__ import annotations

from channels_app.connectors.base import ChannelConnector

from .client import _int
from .orders import OrdersMixin
from .shipments import ShipmentsMixin
from .stock import StockMixin


class WooCommerceConnector(OrdersMixin, StockMixin, ShipmentsMixin, ChannelConnector):
    """One WooCommerce shop. Every method raises common.http ApiError subclasses on failure."""

    kind = "woocommerce"

    # -- connection ---------------------------------------------------------------------------------
    def test_connection(self) -> str:
        """Count products and orders (reads both, so the key's read access is checked)."""
        counts = [
            _int(self._request("GET", path, params={"per_page": 1}).headers.get("X-WP-Total"), 0)
            for path in ("/products", "/orders")
        ]
        products, orders = counts
        return f"WooCommerce at {self.base_url}: {products} products, {orders} orders"
