"""django-q2 entry points for the sales channels. Thin: each calls one service function.

Schedules carry no arguments; fan-out tasks take primary keys, never model instances or secrets.
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from channels_app.connectors.base import ApiError
from channels_app.connectors.registry import ChannelConfigError
from channels_app.models import Channel
from exactsync.models import ActivityLevel, record_activity


def enqueue(task: str, *args: int, name: str) -> None:
    """Queue `task` (a dotted path in this module) once the current transaction commits."""
    transaction.on_commit(lambda: async_task(task, *args, task_name=name))


def poll_all_channels_task() -> str:
    """Every minute: queue a poll for each channel that is due (and re-queue stuck webhooks)."""
    from channels_app.dispatch import poll_due_channels

    return poll_due_channels()


def poll_channel_orders_task(channel_id: int) -> str:
    """Read one channel's changed orders from its cursor to the end."""
    from channels_app.intake import poll_orders

    channel = Channel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None:
        return f"channel {channel_id}: not active, not polled"
    return str(poll_orders(channel))


def match_listings_task(channel_id: int) -> str:
    """Pull one channel's catalogue and link its listings to our products."""
    from channels_app.listings import match_listings

    channel = Channel.objects.get(pk=channel_id)
    try:
        return str(match_listings(channel))
    except (ApiError, ChannelConfigError) as exc:
        message = f"Match listings for {channel} stopped: {exc.for_staff()}"
        record_activity(
            "listings.match_failed", subject=channel, level=ActivityLevel.ERROR, message=message
        )
        return message


def process_channel_webhook_task(event_id: int) -> str:
    """Store the order of one stored Shopify/WooCommerce webhook event."""
    from channels_app.webhooks import process_webhook_event

    return process_webhook_event(event_id)


# -- stock to the channels ------------------------------------------------------------------------
def stock_changed_task(connection_id: int, product_ids: list[int]) -> str:
    """Availability of these products may have changed: mark their listings (and those of kits
    containing them), then run the stock pass of each channel concerned (one thread each; a
    channel whose pass is already running is left to that pass)."""
    from channels_app.inventory import mark_products_changed, push_channels
    from channels_app.inventory.pending import channels_waiting

    channels = mark_products_changed(connection_id, product_ids)
    waiting = channels_waiting(channels) if channels else []
    done = push_channels(waiting) if waiting else "no channel to push"
    return f"{len(product_ids)} product(s) changed: {done}"


def push_channel_stock_task(channel_id: int) -> str:
    """One channel's stock pass: recompute the waiting listings and push what changed."""
    from channels_app.inventory import run_stock_pass

    return run_stock_pass(channel_id)


def stock_sweep_task() -> str:
    """Every minute: due push retries, new listings, and passes a lost task left behind."""
    from channels_app.inventory import sweep_stock

    return sweep_stock()


def reconcile_all_channels_task() -> str:
    """Nightly: queue a stock reconcile for every active channel with stock sync on."""
    channels = list(
        Channel.objects.filter(is_active=True, sync_stock=True).values_list("pk", flat=True)
    )
    for channel_id in channels:
        enqueue(
            "channels_app.tasks.reconcile_channel_stock_task",
            channel_id,
            name=f"stock-reconcile-{channel_id}",
        )
    return f"{len(channels)} stock reconcile(s) queued"


def reconcile_channel_stock_task(channel_id: int, user_id: int | None = None) -> str:
    """Compare what one channel shows with what we computed; store the differences."""
    from django.contrib.auth import get_user_model

    from channels_app.inventory import reconcile_channel

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return str(reconcile_channel(channel_id, user=user))


# -- tracking numbers to the channels (issue 9) ---------------------------------------------------
def reconsider_shipments_task(channel_id: int) -> str:
    """A carrier mapping or the fulfilment mode changed: waiting shipments may go (or skip) now."""
    from channels_app.fulfilment import consider_waiting

    return f"channel {channel_id}: {consider_waiting(channel_id=channel_id)} shipment(s) moved on"


def deliveries_safety_pass_task() -> str:
    """Every 15 minutes: a deliveries pass per Exact administration whose channels take their
    tracking numbers from Exact (behind lost GoodsDeliveries webhooks)."""
    from channels_app.models import FulfilmentMode

    connection_ids = sorted(
        set(
            Channel.objects.filter(
                is_active=True,
                fulfilment_mode__in=[FulfilmentMode.EXACT, FulfilmentMode.OFF],
                connection__is_active=True,
            ).values_list("connection_id", flat=True)
        )
    )
    for connection_id in connection_ids:
        async_task(
            "exactsync.tasks.sync_entity_task",
            connection_id,
            "deliveries",
            task_name=f"sync-deliveries-{connection_id}",
            group="sync-deliveries",
        )
    return f"queued {len(connection_ids)} deliveries pass(es)"
