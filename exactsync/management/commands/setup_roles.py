from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exactsync.roles import sync_roles


class Command(BaseCommand):
    help = "Create or update the staff groups: purchaser, e-commerce, operator, read-only."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in sync_roles().items():
            self.stdout.write(f"group {name}: {count} permissions")
