"""Which listings wait for a stock pass, and the nudges that start one.

Rows are the truth: a listing waits while `Listing.stock_pending` is set, whatever happens to the
task that was meant to push it. Marking is one UPDATE per chunk of products; the push pass clears
the mark before it computes, so a change that lands during a pass marks the listing again and
causes one more pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from channels_app.models import Channel, Listing, MatchState, PendingPush, StockSyncState
from exactsync.models import BomKind, BomLine

from .availability import MAX_DEPTH, _chunks

PUSH_TASK = "channels_app.tasks.push_channel_stock_task"
QUEUED_STALE = timedelta(minutes=2)  # a queued pass task not started by then counts as lost
CHANGED_TASK = "channels_app.tasks.stock_changed_task"


def pushable_listings(channel_ids: Iterable[int] | None = None) -> QuerySet[Listing]:
    """Listings that get stock: active, linked to a product, on an active channel with stock sync
    on."""
    qs = Listing.objects.filter(
        is_active=True,
        product__isnull=False,
        channel__is_active=True,
        channel__sync_stock=True,
    ).exclude(match_state__in=[MatchState.UNMATCHED, MatchState.AMBIGUOUS])
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=list(channel_ids))
    return qs


def with_kits(product_ids: Iterable[int]) -> set[int]:
    """The products plus every kit that contains one of them (nested kits too)."""
    found = set(product_ids)
    frontier = set(found)
    for _ in range(MAX_DEPTH):
        kits: set[int] = set()
        for chunk in _chunks(frontier):
            kits.update(
                BomLine.objects.filter(component_id__in=chunk, kind=BomKind.ASSEMBLY).values_list(
                    "kit_id", flat=True
                )
            )
        frontier = kits - found
        found |= kits
        if not frontier:
            break
    return found


def mark_products_changed(connection_id: int, product_ids: Iterable[int]) -> set[int]:
    """Mark the listings of these products (and of kits containing them) as waiting for a pass.

    Returns the ids of the channels that now have listings waiting.
    """
    affected = with_kits(product_ids)
    channels: set[int] = set()
    for chunk in _chunks(affected):
        listings = pushable_listings().filter(
            channel__connection_id=connection_id, product_id__in=chunk
        )
        listings.filter(stock_pending="").update(stock_pending=PendingPush.CHANGE)
        channels.update(listings.values_list("channel_id", flat=True).distinct())
    return channels


def mark_listings(listing_ids: Iterable[int], reason: str) -> set[int]:
    """Mark listings to be pushed whatever was pushed before (full push, retry, fix, confirm)."""
    channels: set[int] = set()
    for chunk in _chunks(listing_ids):
        listings = pushable_listings().filter(pk__in=chunk)
        listings.update(stock_pending=reason)
        channels.update(listings.values_list("channel_id", flat=True).distinct())
    return channels


def mark_channel(channel: Channel, reason: str = PendingPush.FULL) -> int:
    """Every pushable listing of the channel waits for a push ("push all now"); with reason
    "change" (warehouses, buffer or cap edited) only those whose quantity differs are pushed."""
    listings = pushable_listings([channel.pk])
    if reason == PendingPush.CHANGE:
        listings = listings.filter(stock_pending="")
    return listings.update(stock_pending=reason)


def channels_waiting(channel_ids: Iterable[int] | None = None) -> list[int]:
    """Channels with listings waiting and no pass running right now."""
    now = timezone.now()
    waiting = pushable_listings(channel_ids).exclude(stock_pending="")
    ids = set(waiting.values_list("channel_id", flat=True).distinct())
    busy = StockSyncState.objects.filter(pk__in=ids, lease_until__gt=now).values_list(
        "pk", flat=True
    )
    return sorted(ids - set(busy))


def queue_push(channel_ids: Iterable[int] | None) -> list[int]:
    """Queue a pass for each channel that has listings waiting and none running (on commit);
    None = every channel. At most one pass task waits per channel.

    A channel whose pass is running is left alone: the pass looks for waiting listings again
    after it lets go of the lease, so nothing marked before that is missed.
    """
    queued = []
    for channel_id in channels_waiting(channel_ids):
        if claim_queue(channel_id):
            _enqueue(PUSH_TASK, channel_id, name=f"stock-push-{channel_id}")
            queued.append(channel_id)
    return queued


def claim_queue(channel_id: int) -> bool:
    """True when no pass task waits for the channel (or the one that did is long lost)."""
    now = timezone.now()
    StockSyncState.objects.get_or_create(channel_id=channel_id)
    return bool(
        StockSyncState.objects.filter(pk=channel_id)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUED_STALE))
        .update(queued_at=now)
    )


def queue_stock_recompute(connection_id: int, product_ids: Iterable[int]) -> None:
    """Recompute and push these products on every channel, once the transaction commits.

    The one call for "availability of these products may have changed" (stock, holds, BOMs).
    """
    ids = sorted(set(product_ids))
    if ids and stock_sync_on(connection_id):
        _enqueue(CHANGED_TASK, connection_id, ids, name=f"stock-changed-{connection_id}")


def stock_sync_on(connection_id: int) -> bool:
    """Does any active channel of this Exact administration get stock? (Else: no task at all.)"""
    return Channel.objects.filter(
        connection_id=connection_id, is_active=True, sync_stock=True
    ).exists()


def sweep_stock() -> str:
    """Every minute: due retries and never-pushed listings wait for a pass; channels with
    listings waiting and no pass running get one (whatever happened to earlier tasks)."""
    now = timezone.now()
    retries = (
        pushable_listings()
        .filter(next_push_at__lte=now, stock_pending="")
        .update(stock_pending=PendingPush.RETRY, next_push_at=None)
    )
    new = (
        pushable_listings()
        .filter(last_pushed_quantity__isnull=True, push_attempts=0, stock_pending="")
        .update(stock_pending=PendingPush.FULL)
    )
    queued = queue_push(None)
    return f"{retries} retry(ies) due, {new} new listing(s), {len(queued)} channel pass(es) queued"


def _enqueue(task: str, *args: object, name: str) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(task, *args, task_name=name))
