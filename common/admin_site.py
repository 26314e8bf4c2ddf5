"""The admin site as the operator console: a dashboard on the index, and a guarded login."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from common import lockout


class ConsoleAdminSite(admin.AdminSite):
    site_header = "Exact back-office"
    site_title = "Exact back-office"
    index_title = "Console"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from common import dashboard

        extra_context = {**(extra_context or {}), "dashboard": dashboard.build()}
        return super().index(request, extra_context)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            username = request.POST.get("username", "")
            if lockout.is_locked(username, lockout.client_ip(request)):
                form = AuthenticationForm(request, initial={"username": username})
                form.cleaned_data, form._errors = (
                    {},
                    ErrorDict(),
                )  # an unbound form that shows one error
                form.add_error(
                    None,
                    f"Too many failed attempts for '{username}'. Try again in 15 minutes, "
                    "or ask an administrator to reset the password.",
                )
                context = {
                    **self.each_context(request),
                    "title": "Log in",
                    "form": form,
                    "app_path": request.get_full_path(),
                    "username": username,
                }
                return TemplateResponse(request, "admin/login.html", context, status=429)
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated:
            lockout.clear(request.POST.get("username", ""), lockout.client_ip(request))
        return response
