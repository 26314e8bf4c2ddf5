"""Sales channels, their listings and orders."""

from __future__ import annotations

from .channel import (
    CREDENTIAL_FIELDS,
    CarrierMapping,
    Channel,
    ChannelKind,
    CustomerMapping,
    CustomerMode,
    FulfilmentMode,
    Listing,
    MatchState,
    VatMapping,
)
from .intake import ChannelPoll
from .orders import (
    ChannelOrder,
    ChannelOrderLine,
    OrderState,
    Shipment,
    ShipmentLine,
    ShipmentSource,
    ShipmentState,
    StockHold,
    StockPush,
)
from .stock import (
    DifferenceState,
    HeldPassState,
    HeldStockPass,
    PendingPush,
    StockDifference,
    StockReconcile,
    StockSyncState,
)

__all__ = [
    "CREDENTIAL_FIELDS",
    "CarrierMapping",
    "Channel",
    "ChannelKind",
    "ChannelOrder",
    "ChannelOrderLine",
    "ChannelPoll",
    "CustomerMapping",
    "CustomerMode",
    "DifferenceState",
    "FulfilmentMode",
    "HeldPassState",
    "HeldStockPass",
    "Listing",
    "MatchState",
    "OrderState",
    "PendingPush",
    "Shipment",
    "ShipmentLine",
    "ShipmentSource",
    "ShipmentState",
    "StockDifference",
    "StockHold",
    "StockPush",
    "StockReconcile",
    "StockSyncState",
    "VatMapping",
]
