"""Exact's webhooks: verify, store, nudge - nothing slow.

Exact posts `{"Content":{...},"HashCode":"<HEX>"}` where HashCode is the upper-case hex
HMAC-SHA256 of the raw Content substring with the app's webhook secret (reference 6.4), and an
empty POST to validate a new subscription (6.1). The event is stored before the 200 (a repeat has
the same HashCode and is harmless); a pass over the changed entity is requested, coalesced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from exactsync.models import EventStatus, ExactConnection, WebhookEvent
from exactsync.services import stock_events
from exactsync.services.exact import webhook_secret

log = logging.getLogger(__name__)
ENVELOPE = re.compile(rb'\{"Content":(.*),"HashCode":"([0-9A-Fa-f]{64})"\}\s*', re.S)


def signature_ok(body: bytes, secret: str) -> tuple[bool, bytes, str]:
    """(valid, raw Content bytes, HashCode) for a callback body."""
    match = ENVELOPE.fullmatch(body)
    if not match or not secret:
        return False, b"", ""
    content, hash_code = match.group(1), match.group(2).decode()
    expected = hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()
    return hmac.compare_digest(expected, hash_code), content, hash_code


@csrf_exempt
@require_POST
def exact_webhook(request: HttpRequest) -> HttpResponse:
    body = request.body
    if not body.strip():
        return HttpResponse(status=200)  # Exact's validation POST for a new subscription
    valid, content_raw, hash_code = signature_ok(body, webhook_secret())
    if not valid:
        log.warning(
            "Exact webhook refused: missing or wrong HashCode (%d bytes from %s)",
            len(body),
            request.META.get("REMOTE_ADDR", "?"),
        )
        return HttpResponse("invalid signature", status=401, content_type="text/plain")
    try:
        content = json.loads(content_raw)
        division = int(content["Division"])
        topic = str(content.get("Topic") or "")
    except (ValueError, KeyError, TypeError):
        log.warning(
            "Exact webhook with a valid signature but an unreadable Content: %r", content_raw[:200]
        )
        return HttpResponse("unreadable content", status=400, content_type="text/plain")
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                source="exact",
                source_ref=str(division),
                topic=topic,
                key=hash_code,
                body=body.decode(),
                headers={"content-type": request.content_type or ""},
            )
    except IntegrityError:
        return HttpResponse(status=200)  # the same event again: already stored
    connection = ExactConnection.objects.filter(division=division, is_active=True).first()
    if connection is None:
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=EventStatus.IGNORED, error=f"no active connection for division {division}"
        )
        return HttpResponse(status=200)
    transaction.on_commit(lambda: stock_events.request_passes(connection.pk, topic))
    return HttpResponse(status=200)
