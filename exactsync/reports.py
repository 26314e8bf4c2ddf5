"""The morning report: open problems, on the dashboard and by e-mail.

Sections are contributed by the parts that own them (purchase orders here; sales order
forwards, shipments past deadline, stock pushes from the channels app) through `section()`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from exactsync.models import (
    Outbox,
    OutboxKind,
    OutboxState,
    PurchaseOrder,
    PurchaseOrderStatus,
    Report,
)

Section = Callable[[], tuple[str, list[str]]]
SECTIONS: list[Section] = []
STUCK_AFTER = timedelta(hours=1)


def section(fn: Section) -> Section:
    SECTIONS.append(fn)
    return fn


def _age(moment: Any) -> str:
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


@section
def failed_writes() -> tuple[str, list[str]]:
    rows = Outbox.objects.filter(state=OutboxState.FAILED).order_by("created_at")
    return "Failed writes", [
        f"{e.target_label}: {e.last_error[:200]} ({e.attempts} attempts, {_age(e.created_at)} old)"
        for e in rows[:200]
    ]


@section
def stuck_writes() -> tuple[str, list[str]]:
    rows = Outbox.objects.filter(
        state__in=[OutboxState.PENDING, OutboxState.UNKNOWN, OutboxState.IN_PROGRESS],
        created_at__lt=timezone.now() - STUCK_AFTER,
    ).order_by("created_at")
    return "Stuck writes (queued more than an hour)", [
        f"{e.target_label}: {e.get_state_display()}{' - ' + e.last_error[:150] if e.last_error else ''} "
        f"({_age(e.created_at)} old)"
        for e in rows[:200]
    ]


@section
def not_arrived() -> tuple[str, list[str]]:
    rows = PurchaseOrder.objects.filter(
        not_arrived_flagged_at__isnull=False,
        exact_order_number__isnull=True,
        status=PurchaseOrderStatus.PLACED,
    ).select_related("supplier")
    return "Purchase orders not arrived in Exact", [
        f"{o.number} to {o.supplier.name}, placed {_age(o.placed_at)} ago{': ' + o.last_error[:150] if o.last_error else ''}"
        for o in rows[:200]
    ]


def build_report() -> Report:
    sections = [fn() for fn in SECTIONS]
    total = sum(len(items) for _, items in sections)
    lines = [f"Open problems on {timezone.localtime():%A %d %B %Y}: {total}", ""]
    for title, items in sections:
        if items:
            lines += [f"{title} ({len(items)})", *[f"  - {item}" for item in items], ""]
    if total == 0:
        lines.append("Nothing needs attention.")
    return Report(
        title=f"Morning report: {total} open problem{'s' if total != 1 else ''}",
        body="\n".join(lines),
        data=dict(sections),
        problem_count=total,
    )


def send_morning_report() -> Report:
    report = build_report()
    recipients = list(settings.REPORT_EMAILS)
    if recipients:
        send_mail(
            report.title, report.body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False
        )
    report.emailed_to = recipients
    report.save()
    return report


__all__ = ["OutboxKind", "build_report", "section", "send_morning_report"]
