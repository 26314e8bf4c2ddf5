"""Admin for the operational records: sync runs, inbox, outbox, activity, imports, connection."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from exactsync.models import (
    ActivityEvent,
    ImportJob,
    Outbox,
    Report,
    SyncCheckpoint,
    SyncRun,
    WebhookEvent,
)

from .base import ReadOnlyAdmin, badge, pretty_json

STATUS_TONE = {
    "success": "ok",
    "partial": "warn",
    "failed": "bad",
    "running": "muted",
    "skipped": "muted",
}


class HasErrorFilter(admin.SimpleListFilter):
    title = "error"
    parameter_name = "has_error"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has an error"), ("no", "No error")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        field = "last_error" if hasattr(queryset.model, "last_error") else "error"
        if self.value() == "yes":
            return queryset.exclude(**{field: ""})
        if self.value() == "no":
            return queryset.filter(**{field: ""})
        return queryset


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "entity",
        "mode",
        "status_badge",
        "started_at",
        "duration_s",
        "rows_read",
        "created",
        "updated",
        "unchanged",
        "deactivated",
        "skipped",
        "api_calls",
    )
    list_filter = ("status", "entity", "mode", "connection")
    date_hierarchy = "started_at"
    show_full_result_count = False
    readonly_fields = ("skipped_rows_json",)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: SyncRun) -> str:
        return badge(obj.get_status_display(), STATUS_TONE.get(obj.status, "muted"))

    @admin.display(description="Duration (s)")
    def duration_s(self, obj: SyncRun) -> str:
        return "-" if obj.duration is None else f"{obj.duration:.1f}"

    @admin.display(description="Skipped rows")
    def skipped_rows_json(self, obj: SyncRun) -> str:
        return pretty_json(obj.skipped_rows)


@admin.register(SyncCheckpoint)
class SyncCheckpointAdmin(ReadOnlyAdmin):
    list_display = (
        "entity",
        "connection",
        "timestamp",
        "last_success_at",
        "lease_until",
        "updated_at",
    )
    list_filter = ("connection",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "source",
        "source_ref",
        "topic",
        "key",
        "status",
        "attempts",
        "processed_at",
    )
    list_filter = ("source", "status", "topic")
    search_fields = ("key", "topic", "body")
    date_hierarchy = "received_at"
    show_full_result_count = False
    exclude = ("body", "headers")
    readonly_fields = ("body_json",)
    actions = ("replay_action",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The event itself is read-only; 'change' is the right to replay it (operator role).
        return obj is None and request.user.has_perm("exactsync.change_webhookevent")

    @admin.action(
        description="Replay selected events (shows a dry run first)", permissions=["change"]
    )
    def replay_action(self, request: HttpRequest, queryset: Any) -> Any:
        from django.template.response import TemplateResponse

        from exactsync import replay

        events = list(queryset.order_by("received_at")[:500])
        if request.POST.get("confirm") == "yes":
            results = replay.replay(events, user=request.user)
            self.message_user(request, f"{len(results)} event(s) replayed.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Replay webhook events",
            "rows": replay.dry_run(events),
            "ids": [e.pk for e in events],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/exactsync/webhookevent/replay.html", context)

    @admin.display(description="Body")
    def body_json(self, obj: WebhookEvent) -> str:
        import json

        try:
            return pretty_json(json.loads(obj.body))
        except ValueError:
            return format_html("<pre>{}</pre>", obj.body[:5000])


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "target_label",
        "state",
        "attempts",
        "next_attempt_at",
        "short_error",
    )
    list_filter = ("kind", "state", HasErrorFilter)
    search_fields = ("target_label", "idempotency_key", "last_error")
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="Last error")
    def short_error(self, obj: Outbox) -> str:
        return obj.last_error[:120]


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "level", "verb", "subject_label", "actor_label", "message")
    list_filter = ("level", "verb", "subject_type")
    search_fields = ("subject_label", "message", "verb")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = ("payload_json",)
    exclude = ("payload",)

    @admin.display(description="Payload")
    def payload_json(self, obj: ActivityEvent) -> str:
        return pretty_json(obj.payload)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "original_name",
        "status",
        "rows_total",
        "error_count",
        "created_by",
    )
    list_filter = ("kind", "status")
    search_fields = ("original_name",)
    exclude = ("file",)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "title", "problem_count", "emailed_to")
    date_hierarchy = "created_at"
    readonly_fields = ("body_text",)
    exclude = ("body", "data")

    @admin.display(description="Report")
    def body_text(self, obj: Report) -> str:
        return format_html("<pre>{}</pre>", obj.body)
