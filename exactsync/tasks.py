"""django-q2 entry points for Exact work. Thin: each calls one service function.

Schedules carry no arguments; fan-out tasks take primary keys, never model instances or secrets.
"""

from __future__ import annotations

from exactsync.imports import jobs


def validate_import_task(job_id: int) -> str:
    """Check an uploaded CSV (no writes)."""
    return jobs.validate_import(job_id=job_id)


def run_import_task(job_id: int) -> str:
    """Import a checked and confirmed CSV."""
    return jobs.run_import(job_id=job_id)


def sweep_task() -> str:
    """Pick up whatever a lost task left behind (the Redis broker does not redeliver)."""
    from exactsync.services.sweeper import sweep

    return sweep()


def sync_entity_task(connection_id: int, entity: str, full: bool = False) -> str:
    """Run one entity's sync for one connection."""
    from exactsync.models import ExactConnection
    from exactsync.sync import run_entity

    connection = ExactConnection.objects.get(pk=connection_id)
    return run_entity(connection, entity, full=full, triggered_by="schedule").summary()


def _fan_out(entities: list[str], *, full: bool = False) -> str:
    from django_q.tasks import async_task

    from exactsync.models import ExactConnection, TokenState

    connections = ExactConnection.objects.filter(is_active=True, division__isnull=False).exclude(
        token_state__in=[TokenState.NEEDS_LOGIN, TokenState.NOT_CONNECTED]
    )
    count = 0
    for connection in connections:
        for entity in entities:
            if entity == "boms" and not connection.use_bills_of_material:
                continue
            async_task(
                "exactsync.tasks.sync_entity_task",
                connection.pk,
                entity,
                full,
                task_name=f"sync-{entity}-{connection.pk}",
                group=f"sync-{entity}",
            )
            count += 1
    return f"queued {count} syncs"


def sync_suppliers_task() -> str:
    """Every 30 minutes: suppliers and customers."""
    return _fan_out(["accounts"])


def sync_frequent_task() -> str:
    """Every 15 minutes: products, supplier items, deletions, stock (safety net), Exact's purchase
    orders, goods received and goods sold."""
    return _fan_out(
        ["items", "supplier_items", "deleted", "stock", "purchase_orders", "receipts", "sales"]
    )


def sync_nightly_task() -> str:
    """Nightly: a full pass of everything, so passing end dates and missed changes take effect."""
    from exactsync.sync import ENTITIES

    return _fan_out(list(ENTITIES), full=True)


def coalesced_pass_task(connection_id: int, entity: str) -> str:
    """One incremental pass serving every webhook event of the last moments."""
    from exactsync.services.stock_events import run_coalesced_pass

    return run_coalesced_pass(connection_id, entity)


def subscribe_webhooks_task(connection_id: int, base_url: str = "") -> str:
    """Subscribe the connection to Exact's webhooks (stock, orders, deliveries)."""
    from exactsync.models import ExactConnection
    from exactsync.services.exact_webhooks import subscribe

    return str(subscribe(ExactConnection.objects.get(pk=connection_id), base_url=base_url))


def unsubscribe_webhooks_task(connection_id: int) -> str:
    from exactsync.models import ExactConnection
    from exactsync.services.exact_webhooks import unsubscribe

    return str(unsubscribe(ExactConnection.objects.get(pk=connection_id)))


def process_outbox_task(entry_id: int) -> str:
    """Attempt one recorded write (to Exact or a channel)."""
    from exactsync import outbox

    return outbox.process(entry_id)


def flag_not_arrived_task() -> str:
    """Hourly: purchase orders not in Exact an hour after they were placed."""
    from exactsync.purchasing import flag_not_arrived

    return f"{flag_not_arrived()} orders flagged as not arrived"


def morning_report_task() -> str:
    """07:00: open problems on the dashboard and by e-mail."""
    from exactsync.reports import send_morning_report

    report = send_morning_report()
    return f"{report.title}; e-mailed to {len(report.emailed_to)}"


def retention_task() -> str:
    """Daily: prune old activity and webhook payloads; anonymise buyers of delivered orders."""
    from exactsync.retention import prune

    return str(prune())
