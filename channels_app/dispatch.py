"""The every-minute dispatcher: which channels are due a poll, and webhook events left behind."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from channels_app.models import Channel
from channels_app.tasks import enqueue
from channels_app.webhooks import PROCESS_TASK, RECEIVERS
from exactsync.models import EventStatus, WebhookEvent

POLL_TASK = "channels_app.tasks.poll_channel_orders_task"
SLACK = timedelta(seconds=10)  # the schedule's own jitter must not skip a whole cycle
WEBHOOK_STUCK_AFTER = timedelta(minutes=5)


def due_channels(now: datetime | None = None) -> list[int]:
    """Active channels whose poll_minutes have passed since their last poll started and that
    are not being polled right now."""
    now = now or timezone.now()
    due = []
    rows = Channel.objects.filter(is_active=True).values_list(
        "pk", "poll_minutes", "poll__last_started_at", "poll__lease_until"
    )
    for pk, minutes, last_started, lease_until in rows.order_by("pk"):
        if lease_until is not None and lease_until > now:
            continue
        if last_started is None or last_started <= now - timedelta(minutes=minutes) + SLACK:
            due.append(pk)
    return due


def poll_due_channels() -> str:
    """Queue a poll for every due channel; re-queue channel webhook events a lost task left."""
    channels = due_channels()
    for channel_id in channels:
        enqueue(POLL_TASK, channel_id, name=f"poll-orders-{channel_id}")
    stuck = list(
        WebhookEvent.objects.filter(
            source__in=list(RECEIVERS),
            status=EventStatus.PENDING,
            received_at__lt=timezone.now() - WEBHOOK_STUCK_AFTER,
        ).values_list("pk", flat=True)[:500]
    )
    for event_id in stuck:
        enqueue(PROCESS_TASK, event_id, name=f"channel-webhook-{event_id}")
    return f"{len(channels)} channel poll(s) queued, {len(stuck)} webhook event(s) re-queued"
