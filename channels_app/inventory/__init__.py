"""Free stock -> quantity per channel -> push: availability, push passes, drop guard, reconcile.

What other parts call:
- `compute_availability(channel, product_ids)` / `explain_availability(channel, product)`;
- `queue_stock_recompute(connection_id, product_ids)`: availability of these products may have
  changed (stock, holds, bills of material); recompute and push on commit;
- `queue_full_push(channel_id, listing_ids=None)`: push these listings (or all) whatever was
  pushed before (a new listing, "push all now");
- `run_stock_pass(channel_id)`, `reconcile_channel(channel_id)`, `fix_differences(reconcile_id)`,
  `confirm_held_pass(id)`, `discard_held_pass(id)`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from channels_app.models import PendingPush

from .availability import Availability, compute_availability, explain_availability
from .guard import confirm_held_pass, discard_held_pass
from .pending import (
    mark_channel,
    mark_listings,
    mark_products_changed,
    pushable_listings,
    queue_push,
    queue_stock_recompute,
    sweep_stock,
)
from .push import push_channels, run_stock_pass
from .reconcile import fix_differences, reconcile_channel


def queue_full_push(channel_id: int, listing_ids: Iterable[int] | None = None) -> int:
    """Push the channel's listings (all pushable ones, or those given) once, on commit."""
    from channels_app.models import Channel

    with transaction.atomic():
        if listing_ids is None:
            count = mark_channel(Channel.objects.get(pk=channel_id), PendingPush.FULL)
            channels = {channel_id} if count else set()
        else:
            ids = list(listing_ids)
            count = pushable_listings().filter(pk__in=ids).count()
            channels = mark_listings(ids, PendingPush.FULL)
        queue_push(channels)
    return count


__all__ = [
    "Availability",
    "compute_availability",
    "confirm_held_pass",
    "discard_held_pass",
    "explain_availability",
    "fix_differences",
    "mark_products_changed",
    "push_channels",
    "queue_full_push",
    "queue_push",
    "queue_stock_recompute",
    "reconcile_channel",
    "run_stock_pass",
    "sweep_stock",
]
