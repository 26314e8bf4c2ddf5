"""Shared plumbing for the benchmarks: a throwaway database per backend, figures as JSON lines."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def emit(metric: str, value: float | int, unit: str, **extra: object) -> None:
    """One figure per line, as the developers' guide asks."""
    sys.stdout.write(json.dumps({"metric": metric, "value": value, "unit": unit, **extra}) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def prepare_database(backend: str, name: str) -> str:
    """Create an empty database for this run; return its DATABASE_URL."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="bench-")) / f"{name}.sqlite3"
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL}/{name}"


def setup_django(database_url: str) -> None:
    """Point Django at the benchmark database and migrate it (quietly)."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_POOL"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    # As in production: DEBUG off. With DEBUG on Django keeps the last 9,000 SQL statements in
    # memory, and bulk upserts of 1,000 rows make that hundreds of MB that production never holds.
    # Plain http on loopback, so no https redirect or secure-only cookies.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    os.environ["DJANGO_SECURE_COOKIES"] = "false"
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)  # whitenoise's root with DEBUG off
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_per_backend(script: str, args: list[str]) -> int:
    """Run this benchmark once per backend in a child process (settings are per process)."""
    backends = ["sqlite"] + (["postgres"] if postgres_available() else [])
    if "postgres" not in backends:
        log("PostgreSQL is not reachable: running on SQLite only")
    status = 0
    for backend in backends:
        done = subprocess.run([sys.executable, script, "--backend", backend, *args], check=False)
        status = status or done.returncode
    return status


@contextmanager
def timed() -> Iterator[list[float]]:
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


class SandboxProcess:
    """The Exact sandbox in its own process (its memory is not ours), controlled over HTTP."""

    def __init__(
        self, *, items: int, extra: list[str] | None = None, minutely: int = 60, daily: int = 5000
    ) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "exact_sandbox",
                "--port",
                "0",
                "--items",
                str(items),
                "--minutely-limit",
                str(minutely),
                "--daily-limit",
                str(daily),
                *(extra or []),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "EXACT_BASE_URL=" in line:
                self.url = line.split("EXACT_BASE_URL=", 1)[1].strip()
                break
        if not self.url:
            raise RuntimeError("the sandbox did not start")
        from common.http import build_session

        self.http = build_session(timeout=(5, 300))

    def control(self, name: str, **kwargs: object) -> object:
        response = self.http.post(f"{self.url}/_control/{name}", json=kwargs)
        response.raise_for_status()
        return response.json().get("result")

    def calls(self) -> list[dict[str, object]]:
        return self.http.get(f"{self.url}/_control/calls").json()["calls"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def connect_to_sandbox(sandbox: SandboxProcess, division: int = 123456) -> object:
    """An ExactConnection row pointed at the sandbox, with a token pair (as after a login)."""
    from exactsync.models import ExactConnection
    from exactsync.services.exact import store_token_response

    tokens = sandbox.control("issue_tokens")
    connection = ExactConnection.objects.create(
        name="Bench", base_url=sandbox.url, division=division
    )
    store_token_response(connection, tokens)
    return connection
