"""Replaying channel webhook events (Shopify, WooCommerce) from the admin: a dry run says what the
stored order would become; the replay stores it again (one row per channel order: idempotent)."""

from __future__ import annotations

from channels_app.models import Channel, ChannelOrder
from channels_app.webhooks import RECEIVERS, process_webhook_event
from exactsync.models import WebhookEvent
from exactsync.replay import Replayer, register


def preview(event: WebhookEvent) -> str:
    receiver = RECEIVERS.get(event.source)  # type: ignore[call-overload]
    channel = Channel.objects.filter(pk=int(event.source_ref or 0)).first()
    if receiver is None or channel is None:
        return "the channel no longer exists: nothing would happen"
    if event.topic not in receiver.order_topics:
        return f"topic {event.topic or '(none)'} is not an order change: nothing would happen"
    try:
        data = receiver.parse(event.body.encode())
    except Exception as exc:
        return f"the body cannot be read ({exc}): it would fail again"
    order = ChannelOrder.objects.filter(channel=channel, external_id=data.external_id).first()
    if order is None:
        return f"would create order {data.number} with {len(data.lines)} line(s)"
    changes = []
    if order.channel_status != data.status:
        changes.append(f"status {order.channel_status} -> {data.status}")
    if order.cancelled != data.cancelled:
        changes.append("cancelled" if data.cancelled else "no longer cancelled")
    if order.lines.count() != len(data.lines):
        changes.append(f"lines {order.lines.count()} -> {len(data.lines)}")
    return f"order {order.number}: " + (
        "; ".join(changes) if changes else "no change (already up to date)"
    )


def replay(event: WebhookEvent) -> str:
    return process_webhook_event(event.pk)


for _source in RECEIVERS:
    register(str(_source), Replayer(preview=preview, replay=replay))
