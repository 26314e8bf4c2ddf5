"""Small pieces shared by the admin modules."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit and mirror tables: nobody adds or edits rows by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActiveFilter(admin.SimpleListFilter):
    """Working lists show active products only unless asked otherwise (history is kept)."""

    title = "active"
    parameter_name = "active"
    field_path = "is_active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Inactive (end date passed or deleted)"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Active",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "all":
            return queryset
        return queryset.filter(**{self.field_path: value != "no"})


def pretty_json(data: Any) -> str:
    return format_html(
        "<pre class='raw-json'>{}</pre>", json.dumps(data, indent=2, sort_keys=True, default=str)
    )


def admin_link(obj: Model | None, label: str | None = None) -> str:
    if obj is None:
        return "-"
    from django.urls import reverse

    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


def badge(text: str, tone: str) -> str:
    """tone: ok, warn, bad, muted."""
    return format_html('<span class="badge badge-{}">{}</span>', tone, text)


def timeline_of(obj: Model) -> list[dict[str, Any]]:
    """Every ActivityEvent recorded on `obj`, oldest first, with its payload pretty-printed."""
    from django.contrib.contenttypes.models import ContentType

    from exactsync.models import ActivityEvent

    events = ActivityEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(obj), subject_id=obj.pk
    ).order_by("created_at", "id")[:500]
    return [{"event": event, "payload": pretty_json(event.payload)} for event in events]


class TimelineMixin:
    """Shows the object's timeline on its change page (template: admin/includes/timeline.html)."""

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        extra_context = {
            **(extra_context or {}),
            "timeline": timeline_of(obj) if obj is not None else None,
        }
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
