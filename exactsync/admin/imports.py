"""Admin pages for background CSV imports: upload -> check (task) -> preview -> confirm -> import.

A ModelAdmin mixes in BackgroundImportMixin, names its `import_kind` and its column list; the
mixin adds the Import button, the upload page, the template download, and the job page that shows
progress while a django-q2 task works, then every error or a sample of the changes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from exactsync.imports import jobs
from exactsync.models import ExactConnection, ImportJob, ImportStatus, record_activity

MAX_UPLOAD_BYTES = getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)


class UploadForm(forms.Form):
    import_file = forms.FileField(
        label="CSV file", help_text="UTF-8; separated by commas or semicolons."
    )
    connection = forms.ModelChoiceField(
        queryset=ExactConnection.objects.none(), required=True, label="Exact administration"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = ExactConnection.objects.filter(is_active=True)
        field = self.fields["connection"]
        field.queryset = qs  # type: ignore[attr-defined]
        self.only_connection = qs.first() if qs.count() == 1 else None
        if self.only_connection is not None:
            field.initial = self.only_connection
            field.required = False
            field.widget = forms.HiddenInput()

    def clean_connection(self) -> ExactConnection:
        chosen = self.cleaned_data.get("connection") or self.only_connection
        if chosen is None:
            raise forms.ValidationError("Choose the Exact administration this file belongs to.")
        return chosen

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(
                f"'{upload.name}' is not a CSV file (expected a name ending in .csv)."
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class BackgroundImportMixin:
    """Adds a background, previewed CSV import to a ModelAdmin."""

    import_kind: str = ""
    import_columns: list[str] = []
    import_column_help: dict[str, str] = {}
    import_title: str = "Import"

    def _import_url_name(self, suffix: str) -> str:
        opts = self.model._meta  # type: ignore[attr-defined]
        return f"{opts.app_label}_{opts.model_name}_{suffix}"

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("import/", wrap(self.import_view), name=self._import_url_name("import")),
            path(
                "import/template/",
                wrap(self.import_template_view),
                name=self._import_url_name("import_template"),
            ),
            path(
                "import/<int:job_id>/",
                wrap(self.import_job_view),
                name=self._import_url_name("import_job"),
            ),
            path(
                "import/<int:job_id>/status/",
                wrap(self.import_status_view),
                name=self._import_url_name("import_status"),
            ),
            path(
                "import/<int:job_id>/confirm/",
                wrap(require_POST(self.import_confirm_view)),
                name=self._import_url_name("import_confirm"),
            ),
            path(
                "import/<int:job_id>/cancel/",
                wrap(require_POST(self.import_cancel_view)),
                name=self._import_url_name("import_cancel"),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)  # type: ignore[attr-defined]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        extra_context = extra_context or {}
        extra_context["background_import_url"] = (
            reverse(f"admin:{self._import_url_name('import')}")
            if self.has_import_permission(request)
            else ""
        )
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        opts = self.model._meta  # type: ignore[attr-defined]
        return {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": opts,
            "title": self.import_title,
            "columns": [(c, self.import_column_help.get(c, "")) for c in self.import_columns],
            "template_url": reverse(f"admin:{self._import_url_name('import_template')}"),
            "import_url": reverse(f"admin:{self._import_url_name('import')}"),
            "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            **extra,
        }

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            job = ImportJob.objects.create(
                kind=self.import_kind,
                connection=form.cleaned_data["connection"],
                file=upload,
                original_name=upload.name[:255],
                created_by=request.user,
            )
            record_activity("import.uploaded", subject=job, actor=request.user, message=upload.name)
            jobs.enqueue("exactsync.tasks.validate_import_task", job.pk)
            return HttpResponseRedirect(
                reverse(f"admin:{self._import_url_name('import_job')}", args=[job.pk])
            )
        recent = ImportJob.objects.filter(kind=self.import_kind).order_by("-created_at")[:10]
        return TemplateResponse(
            request,
            "admin/exactsync/import_upload.html",
            self._context(request, form=form, recent=recent),
        )

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        buffer = io.StringIO()
        csv.writer(buffer).writerow(self.import_columns)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.import_kind}-template.csv"'
        return response

    def _job(self, request: HttpRequest, job_id: int) -> ImportJob:
        if not self.has_import_permission(request):
            raise PermissionDenied
        return get_object_or_404(ImportJob, pk=job_id, kind=self.import_kind)

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        busy = job.status in (
            ImportStatus.UPLOADED,
            ImportStatus.VALIDATING,
            ImportStatus.IMPORTING,
        )
        return TemplateResponse(
            request,
            "admin/exactsync/import_job.html",
            self._context(
                request,
                job=job,
                busy=busy,
                title=f"{self.import_title}: {job.original_name}",
                confirm_url=reverse(
                    f"admin:{self._import_url_name('import_confirm')}", args=[job.pk]
                ),
                cancel_url=reverse(
                    f"admin:{self._import_url_name('import_cancel')}", args=[job.pk]
                ),
                status_url=reverse(
                    f"admin:{self._import_url_name('import_status')}", args=[job.pk]
                ),
            ),
        )

    def import_status_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        return JsonResponse(
            {
                "status": job.status,
                "rows_processed": job.rows_processed,
                "rows_total": job.rows_total,
                "totals": job.totals,
                "error_count": job.error_count,
            }
        )

    def import_confirm_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        job_url = reverse(f"admin:{self._import_url_name('import_job')}", args=[job.pk])
        if job.status != ImportStatus.VALIDATED:
            messages.error(
                request, "This file cannot be imported: it has errors, or was imported already."
            )
            return HttpResponseRedirect(job_url)
        record_activity(
            "import.confirmed", subject=job, actor=request.user, message=job.original_name
        )
        jobs.enqueue("exactsync.tasks.run_import_task", job.pk)
        messages.info(request, "Import started. This page shows its progress.")
        return HttpResponseRedirect(job_url)

    def import_cancel_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        cancelled = ImportJob.objects.filter(
            pk=job.pk,
            status__in=[ImportStatus.VALIDATED, ImportStatus.INVALID, ImportStatus.UPLOADED],
        ).update(status=ImportStatus.CANCELLED)
        if cancelled:
            job.file.delete(save=False)
            messages.info(request, f"Import of {job.original_name} cancelled; nothing was written.")
        return HttpResponseRedirect(reverse(f"admin:{self._import_url_name('import')}"))
