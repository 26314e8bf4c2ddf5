"""Exact webhook subscriptions for a connection, managed from the connection page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from common.http import ApiError
from exactsync.client import Priority, guid
from exactsync.models import ExactConnection, record_activity
from exactsync.services.exact import build_exact_client

TOPICS = ["StockPositions", "SalesOrders", "PurchaseOrders", "GoodsDeliveries"]
PATH = "webhooks/WebhookSubscriptions"


def callback_url(base: str = "") -> str:
    base = (base or settings.EXACT_WEBHOOK_BASE_URL).rstrip("/")
    if not base:
        raise ValueError(
            "Set EXACT_WEBHOOK_BASE_URL to the public address Exact can call (https://...)."
        )
    return f"{base}{reverse('exact_webhook')}"


def subscribe(
    connection: ExactConnection, *, base_url: str = "", user: Any = None
) -> dict[str, str]:
    """Subscribe every topic not subscribed yet; returns {topic: result}."""
    client = build_exact_client(connection, priority=Priority.STOCK)
    url = callback_url(base_url)
    results: dict[str, str] = {}
    subscriptions = dict(connection.webhook_subscriptions or {})
    for topic in TOPICS:
        if topic in subscriptions:
            results[topic] = "already subscribed"
            continue
        body: dict[str, Any] = {"CallbackURL": url, "Topic": topic}
        if topic == "GoodsDeliveries":
            body["IsInstant"] = True  # tracking numbers within seconds (reference 6.1)
        try:
            created = client.post(PATH, body)
        except ApiError as exc:
            results[topic] = f"failed: {exc.for_staff()}"
            continue
        subscriptions[topic] = str(created.get("ID") or "")
        results[topic] = "subscribed"
    ExactConnection.objects.filter(pk=connection.pk).update(webhook_subscriptions=subscriptions)
    record_activity(
        "exact.webhooks_subscribed",
        subject=connection,
        actor=user,
        payload=results,
        message=", ".join(f"{t}: {r}" for t, r in results.items()),
    )
    return results


def unsubscribe(connection: ExactConnection, *, user: Any = None) -> dict[str, str]:
    client = build_exact_client(connection, priority=Priority.STOCK)
    results: dict[str, str] = {}
    remaining = dict(connection.webhook_subscriptions or {})
    for topic, subscription_id in list(remaining.items()):
        try:
            client.delete(f"{PATH}({guid(subscription_id)})")
        except ApiError as exc:
            if exc.status != 404:
                results[topic] = f"failed: {exc.for_staff()}"
                continue
        remaining.pop(topic)
        results[topic] = "removed"
    ExactConnection.objects.filter(pk=connection.pk).update(webhook_subscriptions=remaining)
    record_activity("exact.webhooks_removed", subject=connection, actor=user, payload=results)
    return results
