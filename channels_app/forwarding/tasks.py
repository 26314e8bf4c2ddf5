"""django-q2 entry points for forwarding (thin)."""

from __future__ import annotations

from channels_app.models import Channel, ChannelOrder

from . import service


def consider_order_task(order_id: int) -> str:
    return f"order {order_id}: {service.consider(ChannelOrder.objects.get(pk=order_id))}"


def reconsider_channel_task(channel_id: int) -> str:
    return (
        f"{service.reconsider_waiting(Channel.objects.get(pk=channel_id))} waiting orders moved on"
    )


def reconsider_all_task() -> str:
    """Every 15 minutes: orders waiting in 'needs attention' are checked again (no API calls)."""
    moved = sum(
        service.reconsider_waiting(channel)
        for channel in Channel.objects.filter(forward_orders=True)
    )
    return f"{moved} waiting orders moved on"
