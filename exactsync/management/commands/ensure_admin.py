from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the first admin user when none exists (ADMIN_USERNAME/ADMIN_PASSWORD/ADMIN_EMAIL)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("an admin user exists already")
            return
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(
            username=username,
            email=os.environ.get("ADMIN_EMAIL", "admin@localhost"),
            password=password,
        )
        shown = password if not os.environ.get("ADMIN_PASSWORD") else "(from ADMIN_PASSWORD)"
        self.stdout.write(
            self.style.SUCCESS(f"created admin user '{username}' with password {shown}")
        )
