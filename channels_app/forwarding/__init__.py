"""Channel orders forwarded to Exact Online as sales orders (see service.py)."""

from __future__ import annotations

from .service import consider, forward_shadow_orders, reconsider_waiting

__all__ = ["consider", "forward_shadow_orders", "reconsider_waiting"]
