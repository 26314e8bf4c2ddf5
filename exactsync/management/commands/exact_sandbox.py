"""Serve the local Exact Online sandbox in the foreground (demo, manual testing, benchmarks)."""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.sandbox import SandboxServer
from exactsync.sandbox import ExactSandbox


class Command(BaseCommand):
    help = "Serve a local Exact Online (OAuth2, REST/OData, sync/bulk, webhooks) until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8701)
        parser.add_argument("--items", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--suppliers", type=int, default=None)
        parser.add_argument("--warehouses", type=int, default=2)
        parser.add_argument("--stock-positions-per-item", type=int, default=None)
        parser.add_argument("--client-id", default="sandbox-client")
        parser.add_argument("--client-secret", default="sandbox-secret")
        parser.add_argument("--webhook-secret", default="sandbox-webhook-secret")
        parser.add_argument("--minutely-limit", type=int, default=60)
        parser.add_argument("--daily-limit", type=int, default=5000)
        parser.add_argument(
            "--activity",
            type=float,
            default=0.0,
            help="seconds between random stock changes (0 = none): demo activity that fires webhooks",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        app = ExactSandbox(
            client_id=options["client_id"],
            client_secret=options["client_secret"],
            webhook_secret=options["webhook_secret"],
            minutely_limit=options["minutely_limit"],
            daily_limit=options["daily_limit"],
        )
        started = time.monotonic()
        app.reset(
            seed=options["seed"],
            items=options["items"],
            suppliers=options["suppliers"],
            warehouses=options["warehouses"],
            stock_positions_per_item=options["stock_positions_per_item"],
        )
        server = SandboxServer(app, host=options["host"], port=options["port"]).start()
        counts = app.summary()["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Exact sandbox at {server.url} (built in {time.monotonic() - started:.1f}s)"
            )
        )
        self.stdout.write(f"  EXACT_BASE_URL={server.url}")
        self.stdout.write(
            f"  client_id={app.client_id} client_secret={app.client_secret} webhook_secret={app.webhook_secret}"
        )
        self.stdout.write(
            f"  division={app.division} login=demo/demo at {server.url}/api/oauth2/auth"
        )
        self.stdout.write(
            f"  items={counts['items']} supplier_items={counts['supplier_items']} stock_positions={counts['stock_positions']}"
        )
        self.stdout.write(
            "  control: POST /_control/<method> (JSON kwargs), GET /_control/state/<table>; Ctrl-C stops"
        )
        rng = random.Random(options["seed"])
        try:
            while True:
                if options["activity"] > 0:
                    time.sleep(options["activity"])
                    app.random_stock_change(rng)
                else:
                    time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            server.stop()
