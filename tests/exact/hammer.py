"""A worker process for the token-race test: calls Exact through our client until a deadline.

Usage: python tests/exact/hammer.py CONNECTION_ID STOP_FILE   (DATABASE_URL points at the test DB)
Runs until STOP_FILE exists (or 60 s pass).
Prints one JSON line: {"ok": n, "errors": [...]}.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from exactsync.client import CallLog  # noqa: E402
from exactsync.models import ExactConnection  # noqa: E402
from exactsync.services.exact import build_exact_client  # noqa: E402


def main() -> None:
    connection = ExactConnection.objects.get(pk=int(sys.argv[1]))
    stop_file = Path(sys.argv[2])
    deadline = time.time() + 60
    client = build_exact_client(connection, calls=CallLog())
    ok, errors = 0, []
    while time.time() < deadline and not stop_file.exists():
        try:
            client.me()
            ok += 1
        except Exception as exc:
            errors.append(repr(exc)[:300])
        time.sleep(0.005)
    sys.stdout.write(
        json.dumps({"ok": ok, "errors": errors[:20], "refreshes": client.tokens.refreshes}) + "\n"
    )


if __name__ == "__main__":
    main()
