"""Retention: activity and raw payloads are pruned by age; buyer personal data on channel orders
is anonymised a configurable number of days after delivery. Nothing history needs is deleted:
orders, lines, quantities and Exact ids stay."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from exactsync.models import ActivityEvent, EventStatus, WebhookEvent


def prune(*, now: object = None) -> dict[str, int]:
    now = now or timezone.now()
    activity_cutoff = now - timedelta(days=settings.ACTIVITY_RETENTION_DAYS)  # type: ignore[operator]
    webhook_cutoff = now - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)  # type: ignore[operator]
    activity = ActivityEvent.objects.filter(created_at__lt=activity_cutoff).delete()[0]
    webhooks = (
        WebhookEvent.objects.filter(received_at__lt=webhook_cutoff)
        .exclude(status__in=[EventStatus.PENDING, EventStatus.PROCESSING])
        .delete()[0]
    )
    from channels_app.models import StockPush

    pushes = StockPush.objects.filter(pushed_at__lt=activity_cutoff).delete()[0]
    return {
        "activity": activity,
        "webhook_events": webhooks,
        "stock_pushes": pushes,
        **anonymise(now=now),
    }


def anonymise(*, now: object = None) -> dict[str, int]:
    """Blank the buyer's name, e-mail, phone and addresses on delivered orders past the retention."""
    from channels_app.models import ChannelOrder

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BUYER_DATA_RETENTION_DAYS)  # type: ignore[operator]
    due = ChannelOrder.objects.filter(anonymised_at__isnull=True, shipped_at__lt=cutoff)
    count = due.update(
        buyer_name="",
        buyer_email="",
        delivery_address={},
        billing_address={},
        raw={},
        preview={},
        anonymised_at=now,
    )
    return {"orders_anonymised": count}
