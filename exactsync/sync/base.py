"""The frame every entity sync runs in: one run at a time, a SyncRun row, checkpoints per page.

A sync module provides `ENTITY`, `PRIORITY` and `run(ctx)`. `run` pages through Exact (sync or bulk
endpoints, `$select`, the stored Timestamp), maps each page, upserts it in one transaction
together with the checkpoint, and adds its counts to the run. A run killed at any moment resumes
from the last committed page; a second run straight after reads nothing new.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from common.http import ApiError
from exactsync.client import CallLog, ExactClient, NeedsLoginError, Priority
from exactsync.models import ExactConnection, RunStatus, SyncCheckpoint, SyncMode, SyncRun

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=15)
MAX_SKIPPED_KEPT = 100


@dataclass
class Counts:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: int = 0
    skipped_rows: list[dict[str, str]] = field(default_factory=list)

    def skip(self, key: str, reason: str) -> None:
        """A bad row: recorded with its key, never stops the run."""
        self.skipped += 1
        if len(self.skipped_rows) < MAX_SKIPPED_KEPT:
            self.skipped_rows.append({"key": key, "reason": reason})


@dataclass
class SyncContext:
    """What a sync module gets: the connection, a governed client, the run and its checkpoint."""

    connection: ExactConnection
    client: ExactClient
    run: SyncRun
    checkpoint: SyncCheckpoint
    full: bool

    @property
    def since(self) -> int:
        """The Timestamp to read after: a full run resumes its own pass, else the incremental mark."""
        return self.checkpoint.full_timestamp if self.full else self.checkpoint.timestamp

    def commit_page(
        self, counts: Counts, *, timestamp: int | None = None, cursor: str | None = None
    ) -> None:
        """Save the page's counts and move the checkpoint (call inside the page's transaction)."""
        updates: dict[str, Any] = {}
        if timestamp is not None:
            field_name = "full_timestamp" if self.full else "timestamp"
            setattr(
                self.checkpoint, field_name, max(getattr(self.checkpoint, field_name), timestamp)
            )
            updates[field_name] = getattr(self.checkpoint, field_name)
        if cursor is not None:
            self.checkpoint.cursor = cursor
            updates["cursor"] = cursor
        if updates:
            SyncCheckpoint.objects.filter(pk=self.checkpoint.pk).update(
                **updates, updated_at=timezone.now()
            )
        add_counts(self.run, counts, api_calls=self.client.calls.count)


def add_counts(run: SyncRun, counts: Counts, *, api_calls: int) -> None:
    """Add a page's counts to the run row (so a killed run still shows what it did)."""
    SyncRun.objects.filter(pk=run.pk).update(
        rows_read=F("rows_read") + counts.rows_read,
        created=F("created") + counts.created,
        updated=F("updated") + counts.updated,
        unchanged=F("unchanged") + counts.unchanged,
        deactivated=F("deactivated") + counts.deactivated,
        skipped=F("skipped") + counts.skipped,
        api_calls=api_calls,
    )
    if counts.skipped_rows:
        run.refresh_from_db(fields=["skipped_rows"])
        run.skipped_rows = (run.skipped_rows + counts.skipped_rows)[:MAX_SKIPPED_KEPT]
        SyncRun.objects.filter(pk=run.pk).update(skipped_rows=run.skipped_rows)
    for name in ("rows_read", "created", "updated", "unchanged", "deactivated", "skipped"):
        setattr(run, name, getattr(run, name) + getattr(counts, name))
    run.api_calls = api_calls


def checkpoint_for(connection: ExactConnection, entity: str) -> SyncCheckpoint:
    checkpoint, _ = SyncCheckpoint.objects.get_or_create(connection=connection, entity=entity)
    return checkpoint


def claim(checkpoint: SyncCheckpoint, owner: str) -> bool:
    """Compare-and-set lease: at most one run per connection and entity, across hosts."""
    now = timezone.now()
    claimed = SyncCheckpoint.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=checkpoint.pk
    ).update(lease_until=now + LEASE, lease_owner=owner)
    return claimed == 1


def release(checkpoint: SyncCheckpoint, owner: str) -> None:
    SyncCheckpoint.objects.filter(pk=checkpoint.pk, lease_owner=owner).update(
        lease_until=None, lease_owner=""
    )


ClientFactory = Callable[..., ExactClient]


def execute(
    *,
    connection: ExactConnection,
    entity: str,
    body: Callable[[SyncContext], None],
    priority: Priority,
    full: bool = False,
    triggered_by: str = "",
    client_factory: ClientFactory | None = None,
) -> SyncRun:
    """Run one entity's sync inside the frame: lease, run row, error capture, checkpoint finish."""
    from exactsync.services.exact import build_exact_client

    checkpoint = checkpoint_for(connection, entity)
    owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    mode = SyncMode.FULL if full else SyncMode.INCREMENTAL
    if not claim(checkpoint, owner):
        return SyncRun.objects.create(
            connection=connection,
            entity=entity,
            mode=mode,
            status=RunStatus.SKIPPED,
            finished_at=timezone.now(),
            triggered_by=triggered_by,
            error="Another run of this sync was busy; it covers these changes.",
        )
    run = SyncRun.objects.create(
        connection=connection, entity=entity, mode=mode, triggered_by=triggered_by
    )
    calls = CallLog()
    try:
        factory = client_factory or build_exact_client
        client = factory(connection, priority=priority, calls=calls)
        checkpoint.refresh_from_db()
        ctx = SyncContext(
            connection=connection, client=client, run=run, checkpoint=checkpoint, full=full
        )
        body(ctx)
        if full:
            # The full pass is complete: its high-water mark becomes the incremental one.
            with transaction.atomic():
                checkpoint.refresh_from_db()
                SyncCheckpoint.objects.filter(pk=checkpoint.pk).update(
                    timestamp=max(checkpoint.timestamp, checkpoint.full_timestamp), full_timestamp=0
                )
        SyncCheckpoint.objects.filter(pk=checkpoint.pk).update(last_success_at=timezone.now())
        run.refresh_from_db()
        run.status = RunStatus.PARTIAL if run.skipped else RunStatus.SUCCESS
    except (ApiError, NeedsLoginError) as exc:
        run.refresh_from_db()
        run.status = RunStatus.FAILED
        run.error = exc.for_staff() if isinstance(exc, ApiError) else str(exc)
        connection.record_error(f"{entity} sync: {run.error}")
        log.warning("exact sync %s failed for %s: %s", entity, connection, run.error)
    except Exception as exc:
        run.refresh_from_db()
        run.status = RunStatus.FAILED
        run.error = f"Unexpected error: {exc!r}"
        log.exception("exact sync %s crashed for %s", entity, connection)
        raise
    finally:
        run.api_calls = calls.count
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "api_calls", "finished_at"])
        release(checkpoint, owner)
    return run


def by_exact_id(
    model: Any, connection: ExactConnection, ids: Iterable[str], *fields: str
) -> dict[str, Any]:
    """One query: existing rows of a page keyed by Exact id (as str)."""
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = model.objects.filter(connection=connection, exact_id__in=wanted).values(
        "pk", "exact_id", *fields
    )
    return {str(row["exact_id"]): row for row in rows}
