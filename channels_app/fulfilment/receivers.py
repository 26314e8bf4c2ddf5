"""Signal receivers for tracking numbers: they store rows or queue work; no API calls inline."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from channels_app.models import CarrierMapping, Channel
from exactsync.services.stock_events import register_topic_pass
from exactsync.signals import deliveries_changed, goods_deliveries_read
from exactsync.sync.deliveries import Delivery, DeliveryOutcome

from . import exact_deliveries, service

# An instant GoodsDeliveries webhook asks for a deliveries pass (besides the stock pass).
register_topic_pass("GoodsDeliveries", "deliveries")


@receiver(goods_deliveries_read, dispatch_uid="fulfilment-deliveries-read")
def deliveries_read(
    sender: Any, connection: Any, deliveries: list[Delivery], **kwargs: Any
) -> DeliveryOutcome:
    """A page of Exact deliveries: shipments stored in the page's own transaction."""
    return exact_deliveries.apply_deliveries(connection, deliveries)


@receiver(deliveries_changed, dispatch_uid="fulfilment-deliveries-changed")
def deliveries_done(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The pass is over: every waiting shipment of the connection is considered (queued once)."""
    service.consider_waiting(connection_id=connection.pk)


def _queue_channel(channel_id: int) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "channels_app.tasks.reconsider_shipments_task",
            channel_id,
            task_name=f"shipments-{channel_id}",
            group="fulfilment",
        )
    )


@receiver(post_save, sender=CarrierMapping, dispatch_uid="fulfilment-carrier-saved")
@receiver(post_save, sender=Channel, dispatch_uid="fulfilment-channel-saved")
def mapping_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A carrier mapping (or the fulfilment mode) changed: blocked shipments may go now."""
    if sender is Channel and created:
        return
    _queue_channel(instance.pk if sender is Channel else instance.channel_id)
