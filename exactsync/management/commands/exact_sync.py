from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exactsync.models import ExactConnection
from exactsync.sync import ENTITIES, run_entity


class Command(BaseCommand):
    help = "Sync entities from Exact Online now (the same code the schedules run)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "entities", nargs="*", help=f"any of: {', '.join(ENTITIES)} (default: all, in order)"
        )
        parser.add_argument(
            "--full", action="store_true", help="read everything, not only what changed"
        )
        parser.add_argument(
            "--connection", type=int, help="connection id (default: every active connection)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = set(options["entities"]) - set(ENTITIES)
        if unknown:
            raise CommandError(
                f"unknown entity: {', '.join(sorted(unknown))}; choose from {', '.join(ENTITIES)}"
            )
        entities = [e for e in ENTITIES if not options["entities"] or e in options["entities"]]
        connections = ExactConnection.objects.filter(is_active=True, division__isnull=False)
        if options["connection"]:
            connections = connections.filter(pk=options["connection"])
        if not connections:
            raise CommandError("no connected Exact division (connect one in the admin first)")
        failed = False
        for connection in connections:
            for entity in entities:
                run = run_entity(connection, entity, full=options["full"], triggered_by="command")
                self.stdout.write(f"{connection}: {run.summary()}")
                if run.error:
                    self.stdout.write(self.style.ERROR(f"  {run.error}"))
                    failed = failed or run.status == "failed"
        if failed:
            raise CommandError("one or more syncs failed")
