"""The stock pass of one channel: recompute the listings that wait, push what changed.

One pass per channel at a time (a lease on StockSyncState, taken by compare-and-set). A pass
takes every waiting listing, clears the mark, recomputes, lets the drop guard look at it, pushes
in the batches the connector makes, records each push and updates the listings. It loops while
listings keep waiting, and looks once more after letting go of the lease, so a change that
arrives during a pass always gets a pass of its own.

A pass works for a time slice: past it, what is left waits again and a new task continues, so a
channel behind a tight rate limit (Amazon's 5 listings a second) never holds a worker for
minutes. `push_channels` runs several channels' passes at once, a thread each.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.conf import Conf

from channels_app.connectors.base import (
    ApiError,
    ChannelConnector,
    StockUpdate,
)
from channels_app.connectors.registry import ChannelConfigError, build_connector
from channels_app.models import (
    Channel,
    Listing,
    PendingPush,
    StockSyncState,
)

from .availability import listing_availability
from .guard import DropGuard
from .pending import pushable_listings, queue_push
from .record import PassSummary, Planned, align, listing_ref, record, record_failures

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
PUSH_CHUNK = 500  # listings per connector call (the connector batches further: 100/250/feed)
# Channels whose API takes listings one at a time under a rate limit get small chunks in small
# passes, so a pass can hand its worker back (see TIME_SLICE) and recompute between chunks.
SLOW_CHUNKS = {"amazon": 10, "bol": 50}  # about 2 s each at 5/s (Listings PATCH), 25/s (PUT)
MAX_THREADS = 8  # channels pushed at once by one task
READ_CHUNK = 2000  # ids per IN (...) when reading listings
TIME_SLICE = 3.0  # seconds; a pass with more to push re-queues itself and lets other work run
FORCED = {PendingPush.FULL, PendingPush.RETRY, PendingPush.RECONCILE, PendingPush.CONFIRMED}

ConnectorFactory = Callable[[Channel], ChannelConnector]


# -- the lease --------------------------------------------------------------------------------------
def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(channel_id: int, owner: str) -> bool:
    now = timezone.now()
    StockSyncState.objects.get_or_create(channel_id=channel_id)
    return bool(
        StockSyncState.objects.filter(pk=channel_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_until=now + LEASE, lease_owner=owner, last_started_at=now)
    )


def _renew(channel_id: int, owner: str) -> None:
    StockSyncState.objects.filter(pk=channel_id, lease_owner=owner).update(
        lease_until=timezone.now() + LEASE
    )


def _release(channel_id: int, owner: str, summary: PassSummary, error: str) -> None:
    StockSyncState.objects.filter(pk=channel_id, lease_owner=owner).update(
        lease_until=None,
        lease_owner="",
        last_finished_at=timezone.now(),
        last_summary=str(summary)[:300],
        last_error=error,
    )


# -- the pass ---------------------------------------------------------------------------------------
def run_stock_pass(channel_id: int, *, connector_factory: ConnectorFactory | None = None) -> str:
    """Push every waiting listing of the channel; returns a one-line summary. When another pass
    holds the channel this returns at once: that pass picks the waiting listings up."""
    owner = _owner()
    summaries: list[PassSummary] = []
    StockSyncState.objects.filter(pk=channel_id).update(queued_at=None)  # a new task may queue
    while True:
        channel = Channel.objects.filter(pk=channel_id).select_related("connection").first()
        if channel is None:
            return f"channel {channel_id}: gone"
        if not take_lease(channel_id, owner):
            break
        summary = PassSummary(channel=str(channel), deadline=time.monotonic() + TIME_SLICE)
        error = ""
        try:
            _drain(channel, owner, summary, connector_factory or build_connector)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            _release(channel_id, owner, summary, error or "; ".join(summary.errors)[:2000])
            summaries.append(summary)
        if summary.yielded:
            queue_push([channel_id])  # the rest in a new task: other work gets a worker first
            break
        if not _waiting(channel_id).exists():
            break
    if not summaries:
        return f"channel {channel_id}: a pass is running; it takes these changes too"
    return "; ".join(str(s) for s in summaries)


def push_channels(
    channel_ids: Iterable[int], *, connector_factory: ConnectorFactory | None = None
) -> str:
    """Run the passes of several channels at once, one thread each (a slow, rate-limited
    channel does not hold up the others, and one task serves them all). Inline, one after the
    other, when tasks run synchronously (tests) or for a single channel."""
    ids = sorted(set(channel_ids))
    if len(ids) <= 1 or Conf.SYNC:
        return "; ".join(run_stock_pass(pk, connector_factory=connector_factory) for pk in ids)

    def one(channel_id: int) -> str:
        try:
            return run_stock_pass(channel_id, connector_factory=connector_factory)
        except Exception as exc:  # recorded on the channel; the sweeper runs it again
            log.exception("Stock pass for channel %s failed", channel_id)
            return f"channel {channel_id}: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(max_workers=min(len(ids), MAX_THREADS)) as pool:
        return "; ".join(pool.map(one, ids))


def _waiting(channel_id: int) -> QuerySet[Listing]:
    return pushable_listings([channel_id]).exclude(stock_pending="")


def _drain(channel: Channel, owner: str, summary: PassSummary, factory: ConnectorFactory) -> None:
    guard = DropGuard(channel)
    connector: list[ChannelConnector] = []  # built once, on the first push
    while True:
        _renew(channel.pk, owner)
        rows = list(_waiting(channel.pk).values_list("pk", "stock_pending"))
        if not rows:
            return
        summary.rounds += 1
        _clear_marks(rows)
        try:
            stop = _round(channel, owner, dict(rows), guard, summary, factory, connector)
        except Exception:
            _restore_marks(rows)  # nothing of this round is lost: the sweeper runs it again
            raise
        if stop or summary.yielded:
            return
        if time.monotonic() > summary.deadline:
            summary.yielded = _waiting(channel.pk).exists()
            return


def _round(
    channel: Channel,
    owner: str,
    reasons: dict[int, str],
    guard: DropGuard,
    summary: PassSummary,
    factory: ConnectorFactory,
    connector: list[ChannelConnector],
) -> bool:
    """One round: recompute the listings read, push what changed. True = stop the pass."""
    ids = sorted(reasons)
    listings = [
        listing
        for start in range(0, len(ids), READ_CHUNK)
        for listing in pushable_listings([channel.pk]).filter(
            pk__in=ids[start : start + READ_CHUNK]
        )
    ]
    found = listing_availability(
        channel, [(x.pk, x.product_id, x.buffer_override) for x in listings]
    )
    summary.computed += len(listings)
    plan, settled = [], []
    for listing in listings:
        availability = found[listing.pk]
        reason = reasons.get(listing.pk, PendingPush.CHANGE)
        if reason in FORCED or availability.quantity != listing.last_pushed_quantity:
            plan.append(Planned(listing, availability, reason))
        else:
            settled.append(listing)
    summary.unchanged += len(settled)
    _settle(settled)
    plan = guard.filter(plan, summary)
    if not plan:
        return False
    plan.sort(key=_urgency)
    if not connector:
        try:
            connector.append(factory(channel))
        except ChannelConfigError as exc:
            record_failures(channel, plan, exc.for_staff(), summary)
            return True
    return _push(channel, owner, connector[0], plan, summary)


def _urgency(planned: Planned) -> tuple[bool, bool, bool, Any]:
    """Push order within a round. What can be oversold goes first: listings going to 0, then
    listings going down from what the channel shows; on a channel that takes one call per listing
    (bol.com, Amazon's patches) a flood of changes then delays a restock, never a sell-out. Within
    each group the longest unpushed first, so a pass cut short by its time slice starves nobody."""
    listing, quantity = planned.listing, planned.availability.quantity
    shown = (
        listing.last_pushed_quantity
        if listing.last_pushed_quantity is not None
        else listing.channel_quantity
    )
    lower = shown is not None and quantity < shown
    return (
        not (lower and quantity <= 0),
        not lower,
        listing.last_pushed_at is not None,
        listing.last_pushed_at or 0,
    )


def _clear_marks(rows: Sequence[tuple[int, str]]) -> None:
    """Clear each mark only if it is still the one read: a newer mark survives for the next
    round (compute happens after this, so it sees whatever caused the newer mark)."""
    by_reason: dict[str, list[int]] = {}
    for pk, reason in rows:
        by_reason.setdefault(reason, []).append(pk)
    for reason, ids in by_reason.items():
        for start in range(0, len(ids), 2000):
            Listing.objects.filter(pk__in=ids[start : start + 2000], stock_pending=reason).update(
                stock_pending=""
            )


def _restore_marks(rows: Sequence[tuple[int, str]]) -> None:
    """Listings read but not pushed wait again; a forced reason wins over a newer "change"."""
    by_reason: dict[str, list[int]] = {}
    for pk, reason in rows:
        by_reason.setdefault(reason, []).append(pk)
    for reason, ids in by_reason.items():
        weaker = [""] if reason == PendingPush.CHANGE else ["", PendingPush.CHANGE]
        for start in range(0, len(ids), 2000):
            Listing.objects.filter(
                pk__in=ids[start : start + 2000], stock_pending__in=weaker
            ).update(stock_pending=reason)


def _settle(listings: list[Listing]) -> None:
    """The channel already has the quantity we computed: a pending retry is no longer needed."""
    stale = [x.pk for x in listings if x.next_push_at or x.last_push_error or x.push_attempts]
    if stale:
        Listing.objects.filter(pk__in=stale).update(
            next_push_at=None, push_attempts=0, last_push_error=""
        )


def _push(
    channel: Channel,
    owner: str,
    connector: ChannelConnector,
    plan: list[Planned],
    summary: PassSummary,
) -> bool:
    """Push the plan in chunks; True when the channel refused outright (stop the pass).

    Past the pass's time slice, what is left waits again (marks restored) for the next task.
    """
    size = SLOW_CHUNKS.get(channel.kind, PUSH_CHUNK) if len(plan) < PUSH_CHUNK else PUSH_CHUNK
    for start in range(0, len(plan), size):
        if start and time.monotonic() > summary.deadline:
            _restore_marks([(p.listing.pk, p.reason) for p in plan[start:]])
            summary.yielded = True
            return False
        chunk = plan[start : start + size]
        _renew(channel.pk, owner)
        updates = [
            StockUpdate(ref=listing_ref(p.listing), quantity=p.availability.quantity) for p in chunk
        ]
        try:
            results = connector.push_stock(updates)
        except (ApiError, ChannelConfigError) as exc:
            # the whole channel refused (login, config, an error the connector raises): every
            # listing left in this pass fails with it and retries later
            record_failures(channel, plan[start:], exc.for_staff(), summary)
            return True
        if len(results) != len(chunk):
            results = align(chunk, results)
        record(channel, chunk, results, summary)
    return False
