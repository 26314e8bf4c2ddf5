"""Signals other apps listen to. Receivers only queue work; they never call an API inline."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a page of stock levels is committed: kwargs connection (ExactConnection),
# product_ids (set[int]). The channels app recomputes and pushes availability for them.
stock_levels_changed = Signal()

# Sent after Exact's sales orders were read: kwargs connection, your_refs (set[str]) of the orders
# seen (the channels app releases its stock holds for those).
sales_orders_seen = Signal()

# Sent after goods deliveries were read: kwargs connection, delivery_ids (set[str]).
deliveries_changed = Signal()

# Sent when a stock pass finished: kwargs connection, started_at. Stock read by a pass that started
# after a sales order reached Exact includes that order (the channels app releases its holds).
stock_pass_completed = Signal()

# Sent inside the transaction of each page of goods deliveries read from Exact (sync.deliveries):
# kwargs connection, deliveries (list[exactsync.sync.deliveries.Delivery]: the header - tracking
# number, shipping method code, number, date - and the delivery lines read on this page, or
# lines=None when only the header was read). Receivers store what they need in that transaction
# (it commits together with the checkpoint), may return a DeliveryOutcome for the run's counts,
# and never call an API inline. `deliveries_changed` follows when the pass is over.
goods_deliveries_read = Signal()
