"""Signals the channels app sends. Receivers only queue work; they never call an API inline."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a channel order was stored and something about it changed (new, updated, cancelled,
# mapped): kwargs order (ChannelOrder), created (bool). Sent inside the transaction that stored
# the order, so a receiver's own rows commit (or roll back) with it; queue tasks with on_commit.
# A re-read that changed nothing sends nothing. Forwarding to Exact listens here.
channel_order_stored = Signal()
