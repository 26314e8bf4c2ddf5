"""Template context shared by every admin page (environment name, console banners)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def console(request: HttpRequest) -> dict[str, Any]:
    """Environment name, and banners every admin page shows (an Exact connection needing a login)."""
    banners: list[dict[str, str]] = []
    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and user.is_staff
        and request.path.startswith("/admin/")
    ):
        from django.urls import reverse

        from exactsync.models import ExactConnection, TokenState

        for conn in ExactConnection.objects.filter(
            is_active=True, token_state=TokenState.NEEDS_LOGIN
        ).only("pk", "name", "token_error"):
            banners.append(
                {
                    "tone": "bad",
                    "text": f"Exact Online '{conn.name}' needs a new login: {conn.token_error or 'the login expired'}. "
                    "Nothing is read from or written to Exact until someone reconnects.",
                    "url": reverse("admin:exactsync_exactconnection_change", args=[conn.pk]),
                    "link": "Reconnect",
                }
            )
    return {
        "environment_name": settings.ENVIRONMENT_NAME,
        "sandbox_mode": settings.SANDBOX_MODE,
        "console_banners": banners,
    }
