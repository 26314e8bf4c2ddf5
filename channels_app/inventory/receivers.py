"""Signal receivers: they only queue work, on commit; they never compute or call an API."""

from __future__ import annotations

from typing import Any

from .pending import queue_stock_recompute


def stock_levels_changed(sender: Any, *, connection: Any, product_ids: set[int], **_: Any) -> None:
    """Exact's stock changed for these products: recompute and push them (a task, on commit)."""
    queue_stock_recompute(connection.pk, product_ids)
