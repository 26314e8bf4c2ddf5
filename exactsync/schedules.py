"""Every django-q2 schedule, in code, keyed by name. `setup_schedules` applies them idempotently.

Schedules carry no arguments (django-q2 literal-evals them); dispatcher tasks fan out per
connection or channel. Daily jobs name their local time; the first run is the next occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule


@dataclass(frozen=True)
class Planned:
    name: str
    func: str
    minutes: int | None = None  # every N minutes
    daily_at: time | None = None  # once a day at this local time
    description: str = ""


SCHEDULES: list[Planned] = [
    Planned(
        "exact: suppliers",
        "exactsync.tasks.sync_suppliers_task",
        minutes=30,
        description="Suppliers and customers from Exact.",
    ),
    Planned(
        "exact: catalogue, stock, receipts, sales",
        "exactsync.tasks.sync_frequent_task",
        minutes=15,
        description="Products, supplier items, deletions, stock (safety net behind the webhooks), Exact's "
        "purchase orders, goods received and goods sold, incrementally.",
    ),
    Planned(
        "exact: nightly full pass",
        "exactsync.tasks.sync_nightly_task",
        daily_at=time(2, 30),
        description="Everything in full, so passing end dates and anything missed take effect.",
    ),
    Planned(
        "retention",
        "exactsync.tasks.retention_task",
        daily_at=time(3, 30),
        description="Prune old activity and webhook payloads; anonymise buyers of delivered orders.",
    ),
    Planned(
        "forwarding: orders waiting for a mapping",
        "channels_app.forwarding.tasks.reconsider_all_task",
        minutes=15,
        description="Re-check orders in 'needs attention' (a mapping or account may be fixed).",
    ),
    Planned(
        "purchase orders: not arrived check",
        "exactsync.tasks.flag_not_arrived_task",
        minutes=60,
        description="Flag purchase orders not in Exact one hour after they were placed.",
    ),
    Planned(
        "morning report",
        "exactsync.tasks.morning_report_task",
        daily_at=time(7, 0),
        description="Open problems (failed, stuck, not arrived, ...) on the dashboard and by e-mail.",
    ),
    Planned(
        "sweeper",
        "exactsync.tasks.sweep_task",
        minutes=5,
        description="Re-queue work a lost task left behind (imports, outbox, webhooks).",
    ),
    Planned(
        "channel-orders",
        "channels_app.tasks.poll_all_channels_task",
        minutes=1,
        description="Poll each active channel's orders every poll_minutes (the webhooks' safety "
        "net) and re-queue channel webhook events a lost task left behind.",
    ),
    Planned(
        "channel-stock",
        "channels_app.tasks.stock_sweep_task",
        minutes=1,
        description="Stock to the channels: push retries that are due, new listings, and passes "
        "a lost task left behind.",
    ),
    Planned(
        "channel-stock-reconcile",
        "channels_app.tasks.reconcile_all_channels_task",
        daily_at=time(3, 30),
        description="Compare what each channel shows with the stock we computed; list the "
        "differences on the channel page.",
    ),
    Planned(
        "deliveries: safety pass",
        "channels_app.tasks.deliveries_safety_pass_task",
        minutes=15,
        description="Read Exact's goods deliveries (tracking numbers) behind lost GoodsDeliveries "
        "webhooks, for administrations whose channels ship through Exact.",
    ),
]


def next_daily(at: time, now: datetime | None = None) -> datetime:
    now = timezone.localtime(now or timezone.now())
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def apply_schedules() -> list[tuple[str, str]]:
    """Create or update every planned schedule; disable schedules we no longer plan."""
    done = []
    for plan in SCHEDULES:
        if plan.daily_at:
            fields = {"func": plan.func, "schedule_type": Schedule.DAILY, "minutes": None}
        else:
            fields = {"func": plan.func, "schedule_type": Schedule.MINUTES, "minutes": plan.minutes}
        existing = Schedule.objects.filter(name=plan.name).order_by("id")
        schedule = existing.first()
        if schedule is None:
            next_run = (
                next_daily(plan.daily_at)
                if plan.daily_at
                else timezone.now() + timedelta(minutes=1)
            )
            Schedule.objects.create(name=plan.name, next_run=next_run, repeats=-1, **fields)
            done.append((plan.name, "created"))
            continue
        existing.exclude(pk=schedule.pk).delete()  # duplicates from an older, non-idempotent setup
        changed = any(getattr(schedule, k) != v for k, v in fields.items())
        if changed:
            for key, value in fields.items():
                setattr(schedule, key, value)
            schedule.next_run = next_daily(plan.daily_at) if plan.daily_at else timezone.now()
            schedule.save()
        done.append((plan.name, "updated" if changed else "unchanged"))
    planned = {p.name for p in SCHEDULES}
    ours = Q(func__startswith="exactsync.") | Q(func__startswith="channels_app.")
    for stale in Schedule.objects.exclude(name__in=planned).filter(ours).exclude(repeats=0):
        stale.repeats = 0  # paused, not deleted: its task history stays readable
        stale.save(update_fields=["repeats"])
        done.append((stale.name or str(stale.pk), "paused (no longer planned)"))
    return done
