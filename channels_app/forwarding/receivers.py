"""Signal receivers: they only queue work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from channels_app.models import (
    Channel,
    ChannelOrder,
    CustomerMapping,
    OrderState,
    VatMapping,
)
from channels_app.signals import channel_order_stored
from exactsync.signals import stock_pass_completed

NOT_FORWARDED_HOLD_HOURS = 24


def _queue(task: str, *args: int) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(task, *args, group="forwarding"))


@receiver(channel_order_stored, dispatch_uid="forward-on-store")
def order_stored(sender: Any, order: ChannelOrder, created: bool, **kwargs: Any) -> None:
    _queue("channels_app.forwarding.tasks.consider_order_task", order.pk)


@receiver(post_save, sender=Channel, dispatch_uid="forward-channel-saved")
@receiver(post_save, sender=VatMapping, dispatch_uid="forward-vat-saved")
@receiver(post_save, sender=CustomerMapping, dispatch_uid="forward-customer-saved")
def mapping_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    channel_id = instance.pk if sender is Channel else instance.channel_id
    _queue("channels_app.forwarding.tasks.reconsider_channel_task", channel_id)


@receiver(stock_pass_completed, dispatch_uid="release-holds-seen-in-exact")
def stock_read(sender: Any, connection: Any, started_at: Any, **kwargs: Any) -> None:
    """A stock pass that started after an order reached Exact has read its effect on FreeStock:
    the order's holds are no longer needed (Exact's own reservation counts now)."""
    from channels_app.holds import release_holds_for_orders

    # Orders kept here (forwarding off) reach Exact some other way (typed in by hand): their holds
    # expire after a day rather than hold stock back for ever.
    stale = timezone.now() - timedelta(hours=NOT_FORWARDED_HOLD_HOURS)
    open_holds = ChannelOrder.objects.filter(
        channel__connection=connection, holds__released_at__isnull=True
    )
    seen = list(
        open_holds.filter(forwarded_at__lt=started_at).values_list("pk", flat=True).distinct()
    )
    expired = list(
        open_holds.filter(state=OrderState.NOT_FORWARDED, placed_at__lt=stale)
        .values_list("pk", flat=True)
        .distinct()
    )
    # Released through the ledger, which also recomputes (and pushes) the products' availability.
    if seen:
        release_holds_for_orders(seen, "sales order seen in Exact", source="stock pass")
    if expired:
        release_holds_for_orders(expired, "not forwarded; expired after a day", source="stock pass")
