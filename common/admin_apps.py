"""django.contrib.admin with our site (dashboard, login lockout)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    default_site = "common.admin_site.ConsoleAdminSite"
