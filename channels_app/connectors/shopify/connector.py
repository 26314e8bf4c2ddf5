"""ShopifyConnector: the parts of this package put together as one ChannelConnector.

No Django imports.
"""

from __future__ import annotations

from channels_app.connectors.base import ChannelConnector

from .orders import OrdersMixin
from .queries import SHOP_QUERY
from .shipments import ShipmentsMixin
from .stock import StockMixin
from .webhooks import WebhooksMixin


class ShopifyConnector(OrdersMixin, StockMixin, ShipmentsMixin, WebhooksMixin, ChannelConnector):
    """One Shopify store, through the Admin GraphQL API."""

    kind = "shopify"

    # -- interface ----------------------------------------------------------------------------------
    def test_connection(self) -> str:
        """Read the shop's name. Reference: https://shopify.dev/docs/api/admin-graphql/latest/queries/shop"""
        shop = self.graphql(SHOP_QUERY, operation="ShopInfo")["shop"]
        return (
            f"Shopify shop {shop['name']!r} ({shop['myshopifyDomain']}, "
            f"{shop['currencyCode']}), API {self.api_version}"
        )
