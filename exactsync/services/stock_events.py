"""Coalesced passes driven by Exact's webhooks.

A webhook carries only a key, and a call per event would burn Exact's daily budget, so every event
of a topic within a short window (STOCK_COALESCE_SECONDS, default 2 s) is served by one
incremental pass. One pass per division and entity runs at a time (the sync lease); events that
arrive during a pass set the request flag again and cause exactly one more pass after it. Under a
flood the pace follows the Exact budget left today, so stock never starves orders. The scheduled
15-minute pass stays as the safety net behind lost webhooks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from exactsync.client.governor import RESERVES, Priority
from exactsync.governor_store import budget_store
from exactsync.models import EventStatus, ExactConnection, RunStatus, SyncCheckpoint, WebhookEvent
from exactsync.sync import run_entity
from exactsync.sync.base import checkpoint_for

# Which incremental passes serve which webhook topic.
TOPIC_PASSES: dict[str, list[str]] = {
    "StockPositions": ["stock"],
    "PurchaseOrders": ["stock", "purchase_orders"],
    "SalesOrders": ["stock"],
    "GoodsDeliveries": ["stock"],
    "Items": ["items"],
    "Accounts": ["accounts"],
}
MAX_INTERVAL = 900.0  # never slower than the safety pass


def register_topic_pass(topic: str, entity: str) -> None:
    """Other parts add passes (e.g. deliveries for tracking numbers) for a topic."""
    passes = TOPIC_PASSES.setdefault(topic, [])
    if entity not in passes:
        passes.append(entity)


def request_passes(connection_id: int, topic: str) -> int:
    """Ask for the passes a topic needs; queue a task only when none is waiting already.

    This runs once per webhook, so it stays small: a conditional UPDATE per pass (it changes no
    row while a pass is already requested) and, when it changed nothing, an existence check; the
    checkpoint row is created only the first time.
    """
    from django_q.tasks import async_task

    queued = 0
    for entity in TOPIC_PASSES.get(topic, []):
        waiting = SyncCheckpoint.objects.filter(connection_id=connection_id, entity=entity)
        flagged = waiting.filter(requested_at__isnull=True).update(requested_at=timezone.now())
        if not flagged and not waiting.exists():
            connection = ExactConnection.objects.get(pk=connection_id)
            checkpoint = checkpoint_for(connection, entity)
            flagged = SyncCheckpoint.objects.filter(
                pk=checkpoint.pk, requested_at__isnull=True
            ).update(requested_at=timezone.now())
        if flagged:
            async_task(
                "exactsync.tasks.coalesced_pass_task",
                connection_id,
                entity,
                task_name=f"pass-{entity}-{connection_id}",
                group="webhook-passes",
            )
            queued += 1
    return queued


def pacing_interval(connection: ExactConnection, *, window: float) -> float:
    """Seconds between webhook passes: the window while the day's budget is ample, slower under a
    flood so that webhook passes use at most half of what is left today (beyond the reserve)."""
    if not connection.division:
        return window
    state = budget_store().read(connection.division)
    now_ms = time.time() * 1000
    left = int(state.get("day_remaining", 5000)) - RESERVES[Priority.STOCK][1]
    limit = int(state.get("day_limit", 5000)) or 5000
    if left >= limit / 2:
        return window
    seconds_left = max(60.0, (int(state.get("day_reset", 0)) - now_ms) / 1000)
    if left <= 0:
        return MAX_INTERVAL
    return max(window, min(MAX_INTERVAL, seconds_left / (left / 2)))


def run_coalesced_pass(
    connection_id: int,
    entity: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    window: float | None = None,
) -> str:
    """Wait out the window, then one incremental pass that serves every event so far."""
    from django_q.tasks import async_task

    window = settings.STOCK_COALESCE_SECONDS if window is None else window
    connection = ExactConnection.objects.get(pk=connection_id)
    checkpoint = checkpoint_for(connection, entity)
    if checkpoint.requested_at is None:
        return f"{entity}: nothing requested"
    waited = window - (timezone.now() - checkpoint.requested_at).total_seconds()
    if checkpoint.last_pass_at:
        since_last = (timezone.now() - checkpoint.last_pass_at).total_seconds()
        waited = max(waited, pacing_interval(connection, window=window) - since_last)
    if waited > 0:
        sleep(waited)
    started = timezone.now()
    # From here on, new events ask for a new pass (the flag is clear) that runs after this one.
    SyncCheckpoint.objects.filter(pk=checkpoint.pk).update(requested_at=None, last_pass_at=started)
    topics = [t for t, passes in TOPIC_PASSES.items() if passes and passes[0] == entity]
    served = WebhookEvent.objects.filter(
        Q(topic__in=topics),
        source="exact",
        source_ref=str(connection.division),
        status=EventStatus.PENDING,
        received_at__lte=started,
    )
    event_ids = list(served.values_list("pk", flat=True))
    WebhookEvent.objects.filter(pk__in=event_ids).update(status=EventStatus.PROCESSING)
    run = run_entity(connection, entity, triggered_by="webhook")
    if run.status == RunStatus.SKIPPED:
        # Another pass holds the lease and may have read before these events: ask again.
        WebhookEvent.objects.filter(pk__in=event_ids).update(status=EventStatus.PENDING)
        if SyncCheckpoint.objects.filter(pk=checkpoint.pk, requested_at__isnull=True).update(
            requested_at=timezone.now() + timedelta(seconds=window)
        ):
            async_task(
                "exactsync.tasks.coalesced_pass_task",
                connection_id,
                entity,
                task_name=f"pass-{entity}-{connection_id}",
                group="webhook-passes",
            )
        return f"{entity}: another pass was running; asked again"
    failed = run.status == RunStatus.FAILED
    WebhookEvent.objects.filter(pk__in=event_ids).update(
        status=EventStatus.FAILED if failed else EventStatus.DONE,
        processed_at=timezone.now(),
        attempts=1,
        error=run.error[:2000] if failed else "",
    )
    return f"{entity}: one pass for {len(event_ids)} events, {run.api_calls} calls ({run.status})"
