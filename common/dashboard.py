"""What the admin index shows: the state of everything at a glance (read-only selectors)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from exactsync.governor_store import budget_store
from exactsync.models import (
    EventStatus,
    ExactConnection,
    Outbox,
    OutboxKind,
    OutboxState,
    Report,
    SyncRun,
    WebhookEvent,
)

# How often each sync should run (minutes): older than twice this is "late".
EXPECTED_MINUTES = {
    "accounts": 30,
    "items": 15,
    "supplier_items": 15,
    "deleted": 15,
    "stock": 15,
    "purchase_orders": 15,
    "receipts": 15,
    "sales": 15,
    "reference": 24 * 60,
    "boms": 24 * 60,
    "deliveries": 15,
}
STUCK_AFTER = timedelta(minutes=15)


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def sync_health(connection: ExactConnection) -> list[dict[str, Any]]:
    from exactsync.sync import ENTITIES

    latest: dict[str, SyncRun] = {}
    for run in (
        SyncRun.objects.filter(connection=connection)
        .exclude(status="skipped")
        .order_by("-started_at")[:400]
    ):
        latest.setdefault(run.entity, run)
    now = timezone.now()
    rows = []
    for name, spec in ENTITIES.items():
        if name == "boms" and not connection.use_bills_of_material:
            continue
        run = latest.get(name)
        expected = timedelta(minutes=EXPECTED_MINUTES.get(name, 60))
        if run is None:
            colour, note = "amber", "never ran"
        elif run.status == "failed":
            colour, note = "red", run.error[:160]
        elif now - run.started_at > 2 * expected:
            colour, note = "amber", "late"
        else:
            colour, note = "green", ""
        rows.append(
            {
                "entity": name,
                "label": spec.label,
                "run": run,
                "colour": colour,
                "note": note,
                "age": now - run.started_at if run else None,
                "url": _url(
                    "admin:exactsync_syncrun_changelist",
                    f"entity={name}&connection__id__exact={connection.pk}",
                ),
            }
        )
    return rows


def calls_per_hour(connection: ExactConnection) -> list[tuple[str, float]]:
    if not connection.division:
        return []
    hours = budget_store().read(connection.division).get("hours", {})
    now_hour = int(timezone.now().timestamp() // 3600)
    points = []
    for hour in range(now_hour - 23, now_hour + 1):
        label = timezone.localtime(datetime.fromtimestamp(hour * 3600, tz=UTC)).strftime("%H:00")
        points.append((label, float(hours.get(str(hour), 0))))
    return points


def connections() -> list[dict[str, Any]]:
    out = []
    for connection in ExactConnection.objects.filter(is_active=True).order_by("name"):
        budget = budget_store().read(connection.division) if connection.division else {}
        limit = budget.get("day_limit", 5000) or 5000
        used = budget.get("day_used", 0)
        out.append(
            {
                "connection": connection,
                "syncs": sync_health(connection),
                "budget_used": used,
                "budget_left": budget.get("day_remaining", limit),
                "budget_limit": limit,
                "budget_pct": min(100, int(100 * used / limit)),
                "calls_per_hour": calls_per_hour(connection),
                "url": reverse("admin:exactsync_exactconnection_change", args=[connection.pk]),
            }
        )
    return out


def writes() -> dict[str, Any]:
    kinds = [OutboxKind.PURCHASE_ORDER, OutboxKind.SALES_ORDER]
    stuck = Q(
        state__in=[OutboxState.PENDING, OutboxState.UNKNOWN, OutboxState.IN_PROGRESS],
        created_at__lt=timezone.now() - STUCK_AFTER,
    )
    base = Outbox.objects.filter(kind__in=kinds)
    return {
        "failed": base.filter(state=OutboxState.FAILED).count(),
        "stuck": base.filter(stuck).count(),
        "url": _url("admin:exactsync_failedwrite_changelist"),
    }


def webhooks_waiting() -> dict[str, Any]:
    count = WebhookEvent.objects.filter(
        status__in=[EventStatus.PENDING, EventStatus.PROCESSING]
    ).count()
    failed = WebhookEvent.objects.filter(status=EventStatus.FAILED).count()
    return {
        "waiting": count,
        "failed": failed,
        "url": _url("admin:exactsync_webhookevent_changelist", "status__exact=pending"),
        "failed_url": _url("admin:exactsync_webhookevent_changelist", "status__exact=failed"),
    }


def channels() -> list[dict[str, Any]]:
    from channels_app.models import Channel, ChannelOrder, Listing, OrderState

    waiting_states = [
        OrderState.QUEUED,
        OrderState.NEEDS_ATTENTION,
        OrderState.NEEDS_MAPPING,
        OrderState.FAILED,
        OrderState.RECEIVED,
    ]
    overdue = _overdue_by_channel()
    rows = []
    for channel in Channel.objects.filter(is_active=True).order_by("name"):
        waiting = ChannelOrder.objects.filter(channel=channel, state__in=waiting_states).count()
        failing = Listing.objects.filter(channel=channel).exclude(last_push_error="").count()
        rows.append(
            {
                "channel": channel,
                "waiting": waiting,
                "failing_pushes": failing,
                "overdue": overdue.get(channel.pk, {}).get("late", 0),
                "due_soon": overdue.get(channel.pk, {}).get("due", 0),
                "orders_url": _url(
                    "admin:channels_app_channelorder_changelist", f"channel__id__exact={channel.pk}"
                ),
                "url": reverse("admin:channels_app_channel_change", args=[channel.pk]),
            }
        )
    return rows


def _overdue_by_channel() -> dict[int, dict[str, int]]:
    """Per channel: orders past their ship-by time and orders due within 4 hours, not yet shipped."""
    from channels_app.fulfilment.selectors import orders_due_to_ship

    counts: dict[int, dict[str, int]] = {}
    for channel_id, late in orders_due_to_ship().values_list("channel_id", "late"):
        entry = counts.setdefault(channel_id, {"late": 0, "due": 0})
        entry["late" if late else "due"] += 1
    return counts


def orders_per_channel_per_day(days: int = 14) -> list[dict[str, Any]]:
    from channels_app.models import Channel, ChannelOrder

    since = timezone.localdate() - timedelta(days=days - 1)
    counts: dict[tuple[int, Any], int] = {
        (row["channel"], row["day"]): row["n"]
        for row in ChannelOrder.objects.filter(placed_at__date__gte=since)
        .annotate(day=TruncDate("placed_at"))
        .values("channel", "day")
        .annotate(n=Count("id"))
    }
    out = []
    for channel in Channel.objects.filter(is_active=True).order_by("name"):
        points = [
            (
                (since + timedelta(days=i)).strftime("%d-%m"),
                float(counts.get((channel.pk, since + timedelta(days=i)), 0)),
            )
            for i in range(days)
        ]
        out.append({"channel": channel, "points": points})
    return out


def push_latency() -> list[tuple[str, float]]:
    """Median seconds from computing a quantity to the channel accepting it, per hour today."""
    from channels_app.models import StockPush

    since = timezone.now() - timedelta(hours=24)
    by_hour: dict[str, list[float]] = {}
    for pushed, computed in (
        StockPush.objects.filter(pushed_at__gte=since, ok=True, computed_at__isnull=False)
        .values_list("pushed_at", "computed_at")
        .order_by("pushed_at")[:20000]
    ):
        key = timezone.localtime(pushed).strftime("%H:00")
        by_hour.setdefault(key, []).append(max(0.0, (pushed - computed).total_seconds()))
    return [(hour, round(sorted(v)[len(v) // 2], 2)) for hour, v in by_hour.items()]


def build() -> dict[str, Any]:
    return {
        "connections": connections(),
        "writes": writes(),
        "webhooks": webhooks_waiting(),
        "channels": channels(),
        "orders_per_day": orders_per_channel_per_day(),
        "push_latency": push_latency(),
        "report": Report.objects.first(),
        "report_url": _url("admin:exactsync_report_changelist"),
    }
