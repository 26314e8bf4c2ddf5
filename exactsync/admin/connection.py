"""The Exact Online connection page: connect (OAuth2), confirm the division, status, disconnect."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.http import ApiError
from exactsync.client import ExactError, RefreshRefused, unwrap
from exactsync.governor_store import budget_store
from exactsync.models import EXACT_HOSTS, ExactConnection, TokenState, record_activity
from exactsync.services import exact as exact_service

from .base import badge

SESSION_KEY = "exact_oauth_state"
TOKEN_TONE = {
    TokenState.VALID: "ok",
    TokenState.REFRESHING: "warn",
    TokenState.NEEDS_LOGIN: "bad",
    TokenState.NOT_CONNECTED: "muted",
}


class ConnectionForm(forms.ModelForm):
    class Meta:
        model = ExactConnection
        fields = [
            "name",
            "base_url",
            "is_active",
            "write_purchase_orders",
            "sync_moq",
            "sync_order_per",
            "sync_lead_time",
            "sync_purchase_price",
            "use_bills_of_material",
            "sales_history_source",
            "stock_warehouses",
        ]
        widgets = {"base_url": forms.TextInput(attrs={"list": "exact-hosts", "size": 50})}


@admin.register(ExactConnection)
class ExactConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    change_form_template = "admin/exactsync/exactconnection/change_form.html"
    list_display = (
        "name",
        "division",
        "base_url",
        "token_badge",
        "budget_today",
        "is_active",
        "write_purchase_orders",
    )
    filter_horizontal = ("stock_warehouses",)
    fieldsets = (
        (None, {"fields": ("name", "base_url", "is_active")}),
        (
            "Switches",
            {
                "fields": (
                    "write_purchase_orders",
                    "sync_moq",
                    "sync_order_per",
                    "sync_lead_time",
                    "sync_purchase_price",
                    "use_bills_of_material",
                    "sales_history_source",
                    "stock_warehouses",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExactConnection]:
        return super().get_queryset(request).select_related("connected_by")

    @admin.display(description="Token", ordering="token_state")
    def token_badge(self, obj: ExactConnection) -> str:
        return badge(obj.get_token_state_display(), TOKEN_TONE.get(obj.token_state, "muted"))

    @admin.display(description="Exact calls today")
    def budget_today(self, obj: ExactConnection) -> str:
        if not obj.division:
            return "-"
        state = budget_store().read(obj.division)
        return f"{state.get('day_used', 0)} used / {state.get('day_remaining', 0)} left"

    # -- pages ------------------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "oauth/callback/",
                wrap(self.callback_view),
                name="exactsync_exactconnection_oauth_callback",
            ),
            path(
                "<int:pk>/connect/",
                wrap(self.connect_view),
                name="exactsync_exactconnection_connect",
            ),
            path(
                "<int:pk>/division/",
                wrap(self.division_view),
                name="exactsync_exactconnection_division",
            ),
            path(
                "<int:pk>/disconnect/",
                wrap(require_POST(self.disconnect_view)),
                name="exactsync_exactconnection_disconnect",
            ),
            path(
                "<int:pk>/test/",
                wrap(require_POST(self.test_view)),
                name="exactsync_exactconnection_test",
            ),
            path(
                "<int:pk>/webhooks/<str:action>/",
                wrap(require_POST(self.webhooks_view)),
                name="exactsync_exactconnection_webhooks",
            ),
            path(
                "<int:pk>/sync/",
                wrap(require_POST(self.sync_now_view)),
                name="exactsync_exactconnection_sync",
            ),
            *super().get_urls(),
        ]

    def _connection(self, request: HttpRequest, pk: int) -> ExactConnection:
        connection = get_object_or_404(ExactConnection, pk=pk)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        return connection

    def _redirect_uri(self, request: HttpRequest) -> str:
        from django.conf import settings

        return settings.EXACT_REDIRECT_URI or request.build_absolute_uri(
            reverse("admin:exactsync_exactconnection_oauth_callback")
        )

    def _change_url(self, connection: ExactConnection) -> str:
        return reverse("admin:exactsync_exactconnection_change", args=[connection.pk])

    def connect_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Send the administrator to Exact's login page."""
        connection = self._connection(request, pk)
        state = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = {"state": state, "pk": connection.pk}
        url = exact_service.oauth_for(connection, self._redirect_uri(request)).authorization_url(
            state
        )
        return HttpResponseRedirect(url)

    def callback_view(self, request: HttpRequest) -> HttpResponse:
        """Exact sends the administrator back here with a single-use code."""
        expected = request.session.pop(SESSION_KEY, None)
        if not expected or request.GET.get("state") != expected.get("state"):
            messages.error(
                request,
                "The Exact login could not be matched to this session (state mismatch). "
                "Start again with 'Connect to Exact Online'.",
            )
            return HttpResponseRedirect(reverse("admin:exactsync_exactconnection_changelist"))
        connection = self._connection(request, expected["pk"])
        if request.GET.get("error"):
            messages.error(
                request,
                f"Exact did not grant access: {request.GET.get('error_description') or request.GET['error']}",
            )
            return HttpResponseRedirect(self._change_url(connection))
        code = request.GET.get("code", "")
        try:
            tokens = exact_service.oauth_for(connection, self._redirect_uri(request)).exchange_code(
                code
            )
        except RefreshRefused as exc:
            messages.error(
                request, f"Exact refused the login code: {exc.message}. Please connect again."
            )
            return HttpResponseRedirect(self._change_url(connection))
        except ApiError as exc:
            messages.error(request, f"Could not reach Exact's token endpoint: {exc.for_staff()}")
            return HttpResponseRedirect(self._change_url(connection))
        exact_service.store_new_tokens(
            connection,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            issued_at=tokens.issued_at,
            user=request.user,
        )
        record_activity(
            "exact.connected",
            subject=connection,
            actor=request.user,
            message=f"Logged in at {connection.base_url}",
        )
        return HttpResponseRedirect(
            reverse("admin:exactsync_exactconnection_division", args=[connection.pk])
        )

    def _divisions(
        self, connection: ExactConnection
    ) -> tuple[dict[str, Any], list[tuple[int, str]]]:
        client = exact_service.login_client(connection, connection.access_token)
        me = client.me()
        current = int(me["CurrentDivision"])
        divisions = [
            (current, f"{current} (current division of {me.get('FullName') or 'this user'})")
        ]
        try:
            scoped = exact_service.login_client(
                connection, connection.access_token, division=current
            )
            rows, _ = unwrap(
                scoped.get_json("system/Divisions", params={"$select": "Code,Description"})
            )
            divisions = [
                (int(r["Code"]), f"{r['Code']} {r.get('Description') or ''}".strip()) for r in rows
            ] or divisions
        except ExactError:
            pass  # the division list is a convenience; the current division is enough
        return me, divisions

    def division_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Let the administrator confirm which division this connection is for."""
        connection = self._connection(request, pk)
        try:
            me, divisions = self._divisions(connection)
        except ApiError as exc:
            messages.error(request, f"Exact's current/Me failed: {exc.for_staff()}")
            return HttpResponseRedirect(self._change_url(connection))
        if request.method == "POST":
            chosen = int(request.POST.get("division", "0") or 0)
            if chosen not in dict(divisions):
                messages.error(request, "Choose one of the divisions Exact lists for this user.")
            else:
                name = dict(divisions)[chosen]
                taken = (
                    ExactConnection.objects.filter(base_url=connection.base_url, division=chosen)
                    .exclude(pk=connection.pk)
                    .first()
                )
                if taken:
                    messages.error(
                        request, f"Division {chosen} is already connected as '{taken.name}'."
                    )
                else:
                    connection.division = chosen
                    connection.division_name = name.split(" ", 1)[-1][:200]
                    connection.save(update_fields=["division", "division_name", "updated_at"])
                    record_activity(
                        "exact.division_chosen",
                        subject=connection,
                        actor=request.user,
                        message=name,
                    )
                    messages.success(request, f"Connected to Exact Online division {name}.")
                    return HttpResponseRedirect(self._change_url(connection))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "connection": connection,
            "me": me,
            "divisions": divisions,
            "title": "Confirm the Exact division",
            "current": int(me["CurrentDivision"]),
        }
        return TemplateResponse(request, "admin/exactsync/exactconnection/division.html", context)

    def disconnect_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        connection = self._connection(request, pk)
        exact_service.disconnect(connection, user=request.user)
        messages.success(
            request,
            "Disconnected: the tokens are removed. Nothing is read from or written to Exact "
            "until someone connects again.",
        )
        return HttpResponseRedirect(self._change_url(connection))

    def test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A live check, on demand: one current/Me call through the normal client."""
        connection = self._connection(request, pk)
        try:
            me = exact_service.build_exact_client(connection).me()
        except ApiError as exc:
            connection.record_error(exc.for_staff())
            messages.error(request, f"Test failed: {exc.for_staff()}")
        else:
            messages.success(
                request,
                f"Exact answers: logged in as {me.get('FullName') or me.get('UserID')}, "
                f"current division {me.get('CurrentDivision')}.",
            )
        return HttpResponseRedirect(self._change_url(connection))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        before = (
            set(form.instance.stock_warehouses.values_list("pk", flat=True)) if change else set()
        )
        super().save_related(request, form, formsets, change)
        if change and set(form.instance.stock_warehouses.values_list("pk", flat=True)) != before:
            # Other warehouses count now: every channel of this administration gets new numbers.
            from channels_app.inventory import queue_full_push

            for channel in form.instance.channels.filter(sync_stock=True):
                queue_full_push(channel.pk)
            messages.info(
                request, "The warehouses that count changed: stock is recomputed for every channel."
            )

    def webhooks_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """Queue subscribing to (or removing) Exact's webhooks; the page shows the result later."""
        from django.conf import settings
        from django_q.tasks import async_task

        connection = self._connection(request, pk)
        if action == "subscribe":
            base = settings.EXACT_WEBHOOK_BASE_URL or request.build_absolute_uri("/")
            async_task("exactsync.tasks.subscribe_webhooks_task", connection.pk, base)
            messages.info(request, "Subscribing to Exact's webhooks; reload this page in a moment.")
        elif action == "unsubscribe":
            async_task("exactsync.tasks.unsubscribe_webhooks_task", connection.pk)
            messages.info(
                request, "Removing the webhook subscriptions; reload this page in a moment."
            )
        return HttpResponseRedirect(self._change_url(connection))

    def sync_now_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Queue a sync of the chosen entities (default: all) for this connection."""
        from django_q.tasks import async_task

        from exactsync.sync import ENTITIES

        connection = self._connection(request, pk)
        wanted = [e for e in request.POST.getlist("entity") if e in ENTITIES] or list(ENTITIES)
        full = request.POST.get("full") == "1"
        for entity in wanted:
            async_task(
                "exactsync.tasks.sync_entity_task",
                connection.pk,
                entity,
                full,
                task_name=f"sync-{entity}-{connection.pk}",
            )
        messages.info(
            request,
            f"Queued {'full ' if full else ''}sync of {', '.join(wanted)}. "
            "Sync runs shows the results.",
        )
        return HttpResponseRedirect(self._change_url(connection))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        connection = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if connection is not None:
            extra_context["status"] = self.status(connection)
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def last_runs(connection: ExactConnection) -> list[Any]:
        """The latest run per entity (one query per entity; there are ten)."""
        from exactsync.models import SyncRun
        from exactsync.sync import ENTITIES

        runs = []
        for name, spec in ENTITIES.items():
            run = (
                SyncRun.objects.filter(connection=connection, entity=name)
                .order_by("-started_at")
                .first()
            )
            runs.append({"entity": name, "label": spec.label, "run": run})
        return runs

    def status(self, connection: ExactConnection) -> dict[str, Any]:
        budget = budget_store().read(connection.division) if connection.division else None
        now = timezone.now()
        return {
            "token_badge": self.token_badge(connection),
            "token_error": connection.token_error,
            "expires_in": int((connection.token_expires_at - now).total_seconds())
            if connection.token_expires_at
            else None,
            "budget": budget,
            "budget_used_pct": int(
                100 * budget.get("day_used", 0) / max(1, budget.get("day_limit", 5000))
            )
            if budget
            else 0,
            "blocked": {
                k: timezone.datetime.fromtimestamp(v, tz=timezone.get_current_timezone())
                for k, v in (budget or {}).get("blocked_until", {}).items()
                if v > now.timestamp()
            },
            "connect_url": reverse("admin:exactsync_exactconnection_connect", args=[connection.pk]),
            "disconnect_url": reverse(
                "admin:exactsync_exactconnection_disconnect", args=[connection.pk]
            ),
            "test_url": reverse("admin:exactsync_exactconnection_test", args=[connection.pk]),
            "hosts": EXACT_HOSTS,
            "needs_division": bool(connection.refresh_token) and not connection.division,
            "webhooks": connection.webhook_subscriptions or {},
            "subscribe_url": reverse(
                "admin:exactsync_exactconnection_webhooks", args=[connection.pk, "subscribe"]
            ),
            "unsubscribe_url": reverse(
                "admin:exactsync_exactconnection_webhooks", args=[connection.pk, "unsubscribe"]
            ),
            "sync_url": reverse("admin:exactsync_exactconnection_sync", args=[connection.pk]),
            "last_runs": self.last_runs(connection),
            "division_url": reverse(
                "admin:exactsync_exactconnection_division", args=[connection.pk]
            ),
        }
