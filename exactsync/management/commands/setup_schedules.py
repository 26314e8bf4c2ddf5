from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exactsync.schedules import apply_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (safe to run on every deploy; twice = one of each)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, what in apply_schedules():
            self.stdout.write(f"{name}: {what}")
