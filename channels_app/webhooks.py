"""Shopify and WooCommerce order webhooks: verify, store, enqueue - nothing slow.

The view checks the signature over the raw body with the channel's own secret, stores the event
in the inbox (unique per channel and event key, so a redelivery is harmless) and answers 200;
the task parses the order and stores it with `store_order`. Polling stays on as the safety net.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app.connectors import shopify, woocommerce
from channels_app.connectors.base import ChannelOrderData, WebhookVerificationError
from channels_app.intake import store_order
from channels_app.models import Channel, ChannelKind
from channels_app.tasks import enqueue
from exactsync.models import EventStatus, WebhookEvent

log = logging.getLogger(__name__)

PROCESS_TASK = "channels_app.tasks.process_channel_webhook_task"
# Headers never kept with the stored event (signatures, auth, cookies).
DROPPED_HEADERS = frozenset(
    {"x-shopify-hmac-sha256", "x-wc-webhook-signature", "authorization", "cookie"}
)
KEPT_PREFIXES = ("x-shopify-", "x-wc-", "content-type", "user-agent")
URL_NAMES = {
    ChannelKind.SHOPIFY: "channel_webhook_shopify",
    ChannelKind.WOOCOMMERCE: "channel_webhook_woocommerce",
}


@dataclass(frozen=True)
class Receiver:
    """What differs between the channels that push orders."""

    kind: str
    signing_key: str  # the credential holding the signing secret
    topic_header: str
    order_topics: frozenset[str]
    verify: Callable[[str, bytes, Mapping[str, str]], None]
    event_id: Callable[[Mapping[str, str], bytes], str]
    parse: Callable[[bytes], ChannelOrderData]
    is_ping: Callable[[bytes, Mapping[str, str]], bool]


RECEIVERS = {
    ChannelKind.SHOPIFY: Receiver(
        kind=ChannelKind.SHOPIFY,
        signing_key="app_secret",
        topic_header="X-Shopify-Topic",
        order_topics=frozenset(
            {
                "orders/create",
                "orders/updated",
                "orders/paid",
                "orders/cancelled",
                "orders/fulfilled",
                "orders/partially_fulfilled",
            }
        ),
        verify=shopify.verify_webhook,
        event_id=lambda headers, body: shopify.webhook_event_id(headers),
        parse=shopify.parse_webhook_order,
        is_ping=lambda body, headers: False,
    ),
    ChannelKind.WOOCOMMERCE: Receiver(
        kind=ChannelKind.WOOCOMMERCE,
        signing_key="webhook_secret",
        topic_header="X-WC-Webhook-Topic",
        order_topics=frozenset({"order.created", "order.updated", "order.restored"}),
        verify=woocommerce.verify_webhook,
        event_id=woocommerce.webhook_event_id,
        parse=woocommerce.parse_webhook_order,
        is_ping=woocommerce.is_webhook_ping,
    ),
}


@csrf_exempt
@require_POST
def shopify_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    return receive(request, channel_id, RECEIVERS[ChannelKind.SHOPIFY])


@csrf_exempt
@require_POST
def woocommerce_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    return receive(request, channel_id, RECEIVERS[ChannelKind.WOOCOMMERCE])


def receive(request: HttpRequest, channel_id: int, receiver: Receiver) -> HttpResponse:
    """Verify, store (before answering), enqueue on commit, answer 200."""
    channel = Channel.objects.filter(pk=channel_id, kind=receiver.kind).first()
    if channel is None:
        log.warning("%s webhook for unknown channel %s refused", receiver.kind, channel_id)
        return HttpResponse("unknown channel", status=404, content_type="text/plain")
    body, headers = request.body, dict(request.headers)
    if receiver.is_ping(body, headers):
        log.info("%s webhook ping for channel %s answered", receiver.kind, channel_id)
        return HttpResponse(status=200)
    try:
        receiver.verify(str(channel.credentials.get(receiver.signing_key) or ""), body, headers)
    except WebhookVerificationError as exc:
        log.warning(
            "%s webhook for channel %s refused (%d bytes from %s): %s",
            receiver.kind,
            channel_id,
            len(body),
            request.META.get("REMOTE_ADDR", "?"),
            exc,
        )
        return HttpResponse("invalid signature", status=401, content_type="text/plain")
    key = receiver.event_id(headers, body) or f"sha256:{hashlib.sha256(body).hexdigest()}"
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                source=receiver.kind,
                source_ref=str(channel.pk),
                key=key[:200],
                topic=str(request.headers.get(receiver.topic_header, ""))[:80],
                headers=_kept_headers(headers),
                body=body.decode("utf-8", errors="replace"),
            )
    except IntegrityError:
        return HttpResponse(status=200)  # the same event again: stored already
    enqueue(PROCESS_TASK, event.pk, name=f"channel-webhook-{event.pk}")
    return HttpResponse(status=200)


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in DROPPED_HEADERS and name.lower().startswith(KEPT_PREFIXES)
    }


def process_webhook_event(event_id: int) -> str:
    """Store the order a channel webhook carries. The row is taken with skip_locked, so two
    workers never process one event; the outcome (done, ignored, failed + error) is saved on it."""
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, source__in=list(RECEIVERS), status=EventStatus.PENDING)
            .first()
        )
        if event is None:
            return f"webhook event {event_id}: not waiting (done, busy or unknown)"
        event.attempts += 1
        try:
            with transaction.atomic():
                status, note = _process(event)
        except Exception as exc:
            status, note = EventStatus.FAILED, f"{type(exc).__name__}: {exc}"
            log.warning("Channel webhook event %s failed: %s", event_id, note)
        event.status = status
        event.error = note if status != EventStatus.DONE else ""
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "error", "processed_at", "attempts"])
    return f"webhook event {event_id}: {event.status} {note}".strip()


def _process(event: WebhookEvent) -> tuple[str, str]:
    receiver = RECEIVERS[event.source]
    channel = Channel.objects.filter(pk=int(event.source_ref or 0), kind=event.source).first()
    if channel is None:
        return EventStatus.IGNORED, f"channel {event.source_ref} no longer exists"
    if not channel.is_active:
        return EventStatus.IGNORED, f"channel {channel} is switched off"
    if event.topic not in receiver.order_topics:
        return EventStatus.IGNORED, f"topic {event.topic or '(none)'} is not an order change"
    data = receiver.parse(event.body.encode("utf-8"))
    order, created = store_order(channel, data, source="webhook")
    return EventStatus.DONE, f"order {order.number} {'stored' if created else 'up to date'}"
