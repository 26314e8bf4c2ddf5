"""Tracking numbers to the channels: shipments from Exact's deliveries or recorded here, carrier
mappings, one confirmation per shipment through the outbox, and ship-by deadlines (issue 9).

- service.py: record_shipment (admin form, CSV, API), consider / retry (skip, block, queue).
- exact_deliveries.py: Exact goods deliveries -> shipments (receives exactsync's signals).
- confirm.py: the outbox handler that confirms a shipment through the channel's connector.
- carriers.py: our carrier or Exact's shipping method -> the channel's code, suggestions.
- selectors.py: orders due to ship (ship-by close or past), shipments needing a person.
- csv_import.py, api.py: the CSV import and the shipping tool's JSON endpoint.
- receivers.py, reports.py: signal hook-up and the morning report sections.
"""

from __future__ import annotations

from .selectors import DUE_SOON, orders_due_to_ship, shipments_needing_attention
from .service import (
    LineQuantity,
    ShipmentRefused,
    consider,
    consider_waiting,
    record_shipment,
    retry,
    still_to_ship,
)

__all__ = [
    "DUE_SOON",
    "LineQuantity",
    "ShipmentRefused",
    "consider",
    "consider_waiting",
    "orders_due_to_ship",
    "record_shipment",
    "retry",
    "shipments_needing_attention",
    "still_to_ship",
]
