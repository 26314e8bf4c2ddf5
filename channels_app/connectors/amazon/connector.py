"""AmazonConnector: the parts of this package put together as one ChannelConnector.

No Django imports.
"""

from __future__ import annotations

from channels_app.connectors.base import ChannelConnector

from .catalogue import CatalogueMixin
from .orders import OrdersMixin
from .shipments import ShipmentsMixin
from .stock import StockMixin


class AmazonConnector(OrdersMixin, StockMixin, CatalogueMixin, ShipmentsMixin, ChannelConnector):
    """One seller account on the SP-API EU endpoint.

    Reference: https://developer-docs.amazon.com/sp-api/docs/
    """

    kind = "amazon"

    def test_connection(self) -> str:
        """Log in and count the seller's listings."""
        data = self._search_listings({"pageSize": 1, "includedData": "summaries"})
        return (
            f"Amazon seller {self.seller_id}: {data.get('numberOfResults', 0)} listings in "
            f"{', '.join(self.marketplace_ids)}"
        )
