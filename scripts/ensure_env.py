"""Create .env from .env.example with fresh random secrets, if .env does not exist yet."""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    target = ROOT / ".env"
    if target.exists():
        return 0
    text = (ROOT / ".env.example").read_text()
    fernet_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    text = text.replace(
        "DJANGO_SECRET_KEY=change-me", f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}"
    )
    text = text.replace("DJANGO_DEBUG=false", "DJANGO_DEBUG=true")
    text = text.replace("FIELD_ENCRYPTION_KEYS=", f"FIELD_ENCRYPTION_KEYS={fernet_key}", 1)
    target.write_text(text)
    sys.stdout.write("created .env with fresh secrets (DEBUG on, for this machine)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
