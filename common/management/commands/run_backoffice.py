"""`make run`: the web server and a django-q2 cluster together (and the demo sandboxes when no
Exact credentials are configured). Ctrl-C stops everything."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the back-office: web server + django-q2 cluster (+ the demo sandboxes in sandbox mode)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-demo", action="store_true", help="do not start the sandboxes and demo activity"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        web_url = f"http://{host}:{port}"
        demo = None
        if settings.SANDBOX_MODE and not options["no_demo"]:
            from common.demo import start_demo

            demo = start_demo(host=settings.SANDBOX_HOST, web_url=web_url)
            self.stdout.write(
                f"sandboxes: Exact {demo.urls['exact']}, "
                + ", ".join(f"{k} {u}" for k, u in demo.urls.items() if k != "exact")
            )
        manage = [sys.executable, "manage.py"]
        processes = [
            subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"]),  # noqa: S603 - our own manage.py
            subprocess.Popen([*manage, "qcluster"]),  # noqa: S603 - our own manage.py
        ]
        self.stdout.write(
            self.style.SUCCESS(f"back-office at {web_url}/admin/  (Ctrl-C stops everything)")
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            if demo is not None:
                demo.stop()
            self.stdout.write("stopped")
