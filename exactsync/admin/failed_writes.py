"""Failed order writes: the page staff open daily (purchase orders, and sales orders to Exact).

Every failed or stuck write with its reason (Exact's text and our reading of it), age and
attempts; actions: retry, edit and retry, cancel, mark as entered by hand in Exact.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from exactsync import outbox
from exactsync.failed_writes import ACTIONS
from exactsync.models import FailedWrite, OutboxState

STUCK_AFTER = timedelta(minutes=15)


class ManualForm(forms.Form):
    exact_order_number = forms.IntegerField(
        min_value=1,
        label="Exact order number",
        help_text="The number Exact gave the order you typed in by hand.",
    )


@admin.register(FailedWrite)
class FailedWriteAdmin(admin.ModelAdmin):
    list_display = ("what", "reason", "age", "attempts", "state", "row_actions")
    list_filter = ("kind", "state", "error_kind")
    search_fields = ("target_label", "last_error", "idempotency_key")
    actions = ("retry_selected", "cancel_selected")
    ordering = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FailedWrite]:
        stuck = Q(
            state__in=[OutboxState.PENDING, OutboxState.UNKNOWN, OutboxState.IN_PROGRESS],
            created_at__lt=timezone.now() - STUCK_AFTER,
        )
        return (
            super()
            .get_queryset(request)
            .filter(kind__in=list(ACTIONS))
            .filter(Q(state=OutboxState.FAILED) | stuck)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/manual/", wrap(self.manual_view), name="exactsync_failedwrite_manual"),
            path(
                "<int:pk>/retry/",
                wrap(require_POST(self.retry_view)),
                name="exactsync_failedwrite_retry",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        entry = get_object_or_404(FailedWrite, pk=object_id)
        return HttpResponseRedirect(self._target_url(entry))  # "edit": the order itself

    @staticmethod
    def _target_url(entry: FailedWrite) -> str:
        opts = entry.target_type.model_class()._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[entry.target_id])

    @admin.display(description="Order")
    def what(self, entry: FailedWrite) -> str:
        return format_html('<a href="{}">{}</a>', self._target_url(entry), entry.target_label)

    @admin.display(description="Reason")
    def reason(self, entry: FailedWrite) -> str:
        if not entry.last_error:
            return "waiting to be sent"
        if entry.last_error_hint:
            return format_html(
                "{}<br><span class='help'>{}</span>", entry.last_error, entry.last_error_hint
            )
        return entry.last_error

    @admin.display(description="Age", ordering="created_at")
    def age(self, entry: FailedWrite) -> str:
        return timesince(entry.created_at)

    @admin.display(description="Actions")
    def row_actions(self, entry: FailedWrite) -> str:
        return format_html(
            '<a href="{}">edit</a> · <a href="{}">mark as entered by hand</a>',
            self._target_url(entry),
            reverse("admin:exactsync_failedwrite_manual", args=[entry.pk]),
        )

    def _may_act(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied

    @admin.action(description="Retry selected writes now", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[FailedWrite]) -> None:
        count = sum(outbox.retry(entry, user=request.user) for entry in queryset)
        self.message_user(request, f"{count} write(s) queued again.")

    @admin.action(description="Cancel selected orders (nothing is sent)", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[FailedWrite]) -> None:
        for entry in queryset:
            ACTIONS[entry.kind].cancel(entry.target, request.user)
        self.message_user(request, f"{queryset.count()} order(s) cancelled.")

    def retry_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._may_act(request)
        entry = get_object_or_404(FailedWrite, pk=pk)
        if outbox.retry(entry, user=request.user):
            messages.success(request, f"{entry.target_label}: queued again.")
        return HttpResponseRedirect(reverse("admin:exactsync_failedwrite_changelist"))

    def manual_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._may_act(request)
        entry = get_object_or_404(FailedWrite, pk=pk)
        form = ManualForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            ACTIONS[entry.kind].mark_manual(
                entry.target, form.cleaned_data["exact_order_number"], request.user
            )
            messages.success(
                request,
                f"{entry.target_label} linked to Exact order "
                f"{form.cleaned_data['exact_order_number']}.",
            )
            return HttpResponseRedirect(reverse("admin:exactsync_failedwrite_changelist"))
        return TemplateResponse(
            request,
            "admin/exactsync/failedwrite/manual.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "entry": entry,
                "form": form,
                "title": f"Entered by hand in Exact: {entry.target_label}",
            },
        )
