"""The sweeper: tasks are nudges, rows are the truth. Re-nudge rows a lost task left behind."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from exactsync.imports import jobs
from exactsync.models import ImportJob, ImportStatus

STUCK_AFTER = timedelta(minutes=10)


def sweep_imports() -> int:
    """Uploaded-but-unchecked jobs get their check queued again; steps whose worker died restart."""
    now = timezone.now()
    count = 0
    for job_id in ImportJob.objects.filter(
        status=ImportStatus.UPLOADED, updated_at__lt=now - timedelta(minutes=2)
    ).values_list("id", flat=True):
        jobs.enqueue("exactsync.tasks.validate_import_task", job_id)
        count += 1
    stale = now - STUCK_AFTER
    count += ImportJob.objects.filter(status=ImportStatus.VALIDATING, updated_at__lt=stale).update(
        status=ImportStatus.UPLOADED, updated_at=now
    )
    for job_id in ImportJob.objects.filter(
        status=ImportStatus.IMPORTING, updated_at__lt=stale
    ).values_list("id", flat=True):
        # The import writes in one transaction: a dead worker wrote nothing, so it can start again.
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).update(
            status=ImportStatus.VALIDATED, updated_at=now
        )
        jobs.enqueue("exactsync.tasks.run_import_task", job_id)
        count += 1
    return count


def sweep() -> str:
    from exactsync import outbox

    found = {"imports": sweep_imports(), "outbox": outbox.sweep()}
    return ", ".join(f"{k}: {v}" for k, v in found.items())
