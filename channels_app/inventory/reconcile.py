"""Reconcile: what each channel shows against what we computed; differences kept and fixable.

Nightly for every channel with stock sync on, and on demand from the channel page. Reading is
the connector's `read_stock` (Shopify and Amazon read per item, bol and WooCommerce through their
catalogue). Fixing pushes our computed quantity again for the listings that differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels_app.connectors.base import ApiError
from channels_app.connectors.registry import ChannelConfigError, build_connector
from channels_app.models import (
    Channel,
    DifferenceState,
    Listing,
    PendingPush,
    StockDifference,
    StockReconcile,
)
from exactsync.models import ActivityLevel, record_activity

from .availability import listing_availability
from .pending import mark_listings, pushable_listings, queue_push
from .push import ConnectorFactory
from .record import listing_ref


def reconcile_channel(
    channel_id: int, *, user: Any = None, connector_factory: ConnectorFactory | None = None
) -> StockReconcile:
    """Read the channel's quantities, compare with ours, store the differences."""
    channel = Channel.objects.select_related("connection").get(pk=channel_id)
    run = StockReconcile.objects.create(channel=channel, requested_by=user)
    if not channel.sync_stock:
        return _finish(run, error="Stock sync is off for this channel: nothing to compare.")
    listings = list(pushable_listings([channel.pk]))
    try:
        connector = (connector_factory or build_connector)(channel)
        shown = connector.read_stock([listing_ref(x) for x in listings]) if listings else {}
    except (ApiError, ChannelConfigError) as exc:
        return _finish(run, error=f"Could not read the channel's stock: {exc.for_staff()}")
    computed = listing_availability(
        channel, [(x.pk, x.product_id, x.buffer_override) for x in listings]
    )
    now = timezone.now()
    differences = []
    for listing in listings:
        quantity = shown.get(listing.external_id)
        listing.channel_quantity, listing.channel_checked_at = quantity, now
        if quantity is None:
            run.unreadable += 1
            continue
        ours = computed[listing.pk].quantity
        if quantity != ours:
            differences.append(
                StockDifference(
                    reconcile=run,
                    listing=listing,
                    computed=ours,
                    shown=quantity,
                    last_pushed=listing.last_pushed_quantity,
                )
            )
    with transaction.atomic():
        Listing.objects.bulk_update(
            listings, ["channel_quantity", "channel_checked_at"], batch_size=500
        )
        StockDifference.objects.bulk_create(differences, batch_size=500)
    run.checked, run.differences = len(listings), len(differences)
    return _finish(run)


def _finish(run: StockReconcile, *, error: str = "") -> StockReconcile:
    run.finished_at, run.error = timezone.now(), error
    run.save()
    if error:
        message, level = error, ActivityLevel.ERROR
    else:
        message = (
            f"Stock reconcile: {run.checked} listing(s) compared, {run.differences} "
            f"difference(s), {run.unreadable} not reported by the channel."
        )
        level = ActivityLevel.WARNING if run.differences else ActivityLevel.INFO
    record_activity(
        "stock.reconciled",
        subject=run.channel,
        actor=run.requested_by,
        level=level,
        message=message,
        payload={"reconcile": run.pk, "differences": run.differences, "checked": run.checked},
    )
    return run


def fix_differences(
    reconcile_id: int, *, difference_ids: Iterable[int] | None = None, user: Any = None
) -> int:
    """Push our computed quantity again for the open differences (all, or the ones given)."""
    rows = StockDifference.objects.filter(reconcile_id=reconcile_id, state=DifferenceState.OPEN)
    if difference_ids is not None:
        rows = rows.filter(pk__in=list(difference_ids))
    listing_ids = list(rows.values_list("listing_id", flat=True))
    if not listing_ids:
        return 0
    with transaction.atomic():
        rows.update(state=DifferenceState.FIXING)
        channels = mark_listings(listing_ids, PendingPush.RECONCILE)
        queue_push(channels)
    reconcile = StockReconcile.objects.select_related("channel").get(pk=reconcile_id)
    record_activity(
        "stock.fix_requested",
        subject=reconcile.channel,
        actor=user,
        message=f"Fix requested for {len(listing_ids)} stock difference(s).",
        payload={"reconcile": reconcile_id, "listings": len(listing_ids)},
    )
    return len(listing_ids)


def latest_reconcile(channel: Channel) -> StockReconcile | None:
    return StockReconcile.objects.filter(channel=channel).order_by("-started_at", "-pk").first()
