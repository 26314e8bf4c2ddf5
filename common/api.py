"""The small JSON endpoints other systems use, protected by bearer tokens (API_TOKENS)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

View = Callable[[HttpRequest, dict[str, Any]], JsonResponse]


def token_ok(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    given = header[7:].strip()
    return any(hmac.compare_digest(given, token) for token in settings.API_TOKENS if token)


def json_endpoint(view: View) -> Callable[[HttpRequest], JsonResponse]:
    """POST JSON in, JSON out; 401 without a valid token; 400 with a readable reason."""

    @csrf_exempt
    @require_POST
    def wrapped(request: HttpRequest) -> JsonResponse:
        if not token_ok(request):
            return JsonResponse(
                {"error": "A valid 'Authorization: Bearer <token>' header is required."}, status=401
            )
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": "The body is not valid JSON."}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"error": "The body must be a JSON object."}, status=400)
        return view(request, body)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class BadInput(ValueError):
    """An input problem, said so the sending system's people can fix it (field -> message)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
