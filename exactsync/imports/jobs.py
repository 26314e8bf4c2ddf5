"""Background CSV imports: check a stored upload, then import it on confirmation.

The upload is stored in the default file storage (shared by web and worker processes); the job
row carries status, progress, counts, errors and a sample of the changes for the import page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from exactsync.models import ImportJob, ImportStatus, record_activity

from .engine import ImportReport


class Importer(Protocol):
    def import_file(
        self, stream: Any, *, dry_run: bool, progress: Any = None, user: Any = None
    ) -> ImportReport: ...


ImporterFactory = Callable[[ImportJob], Importer]
_KINDS: dict[str, ImporterFactory] = {}


def register_import_kind(kind: str, factory: ImporterFactory) -> None:
    """Make an import kind available to the background tasks (called from AppConfig.ready)."""
    _KINDS[kind] = factory


def importer_for(job: ImportJob) -> Importer:
    try:
        return _KINDS[job.kind](job)
    except KeyError:
        raise ValueError(f"unknown import kind {job.kind!r}") from None


def _claim(job_id: int, from_status: str, to_status: str) -> ImportJob | None:
    """Compare-and-set the job's status, so two workers never run the same step."""
    updated = ImportJob.objects.filter(pk=job_id, status=from_status).update(
        status=to_status, rows_processed=0, updated_at=timezone.now()
    )
    return ImportJob.objects.get(pk=job_id) if updated else None


def _progress(job_id: int) -> Callable[[int], None]:
    def report(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(rows_processed=rows, updated_at=timezone.now())

    return report


def _store(job: ImportJob, report: ImportReport, status: str) -> None:
    job.status = status
    job.totals = report.totals
    job.errors = [e.as_dict() for e in report.errors]
    job.error_count = report.error_count
    job.sample = report.sample
    job.notes = report.notes
    job.rows_total = report.rows
    job.rows_processed = report.rows
    job.finished_at = timezone.now() if status in (ImportStatus.DONE, ImportStatus.FAILED) else None
    job.save()


def validate_import(*, job_id: int) -> str:
    """Check every row of an uploaded file without writing anything."""
    job = _claim(job_id, ImportStatus.UPLOADED, ImportStatus.VALIDATING)
    if job is None:
        return f"import {job_id}: not waiting to be checked"
    try:
        with job.file.open("rb") as stream:
            report = importer_for(job).import_file(stream, dry_run=True, progress=_progress(job_id))
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            errors=[{"line": 0, "column": "", "message": f"The check stopped: {exc}"}],
            error_count=1,
        )
        raise
    _store(job, report, ImportStatus.INVALID if report.has_errors else ImportStatus.VALIDATED)
    return f"import {job_id}: {report.rows} rows checked, {report.error_count} errors"


def run_import(*, job_id: int) -> str:
    """Import a checked file. It is checked again (data may have moved); any bad row = no writes."""
    job = _claim(job_id, ImportStatus.VALIDATED, ImportStatus.IMPORTING)
    if job is None:
        return f"import {job_id}: not confirmed or already imported"
    try:
        with job.file.open("rb") as stream:
            report = importer_for(job).import_file(
                stream, dry_run=False, progress=_progress(job_id), user=job.created_by
            )
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            errors=[
                {
                    "line": 0,
                    "column": "",
                    "message": f"The import stopped; nothing was written: {exc}",
                }
            ],
            error_count=1,
        )
        raise
    status = ImportStatus.DONE if report.written else ImportStatus.INVALID
    _store(job, report, status)
    record_activity(
        "import.done" if report.written else "import.refused",
        subject=job,
        actor=job.created_by,
        message=f"{job.original_name}: {report.totals}",
        payload={"totals": report.totals},
    )
    return f"import {job_id}: {report.totals}"


def enqueue(func: str, job_id: int) -> None:
    """Queue a job step once the surrounding transaction has committed."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(func, job_id=job_id, task_name=f"import-{job_id}"))
