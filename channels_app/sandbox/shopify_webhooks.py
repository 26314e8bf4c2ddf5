"""Webhook delivery for the Shopify sandbox: signed POSTs from one background thread.

Shopify signs the raw body with the app's client secret (base64 HMAC-SHA256 in
`X-Shopify-Hmac-Sha256`), gives every delivery a new `X-Shopify-Webhook-Id` and keeps
`X-Shopify-Event-Id` across retries of one event. Deliveries never block the API request that
caused them. No Django imports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from common.http import build_session

log = logging.getLogger(__name__)


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class WebhookDelivery:
    """One POST to a subscriber, as sent (and what came back)."""

    topic: str  # "orders/create"
    url: str
    body: bytes
    headers: dict[str, str]
    event_id: str
    webhook_id: str
    attempt: int = 1
    status: int | None = None  # the receiver's HTTP status, None until sent or on errors
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "url": self.url,
            "event_id": self.event_id,
            "webhook_id": self.webhook_id,
            "attempt": self.attempt,
            "status": self.status,
            "error": self.error,
            "headers": dict(self.headers),
            "body": self.body.decode("utf-8"),
        }


class WebhookDispatcher:
    """Queues deliveries and sends them in order from a daemon thread."""

    def __init__(
        self,
        *,
        secret: str,
        shop_domain: str,
        api_version: str,
        timeout: tuple[float, float] = (2.0, 5.0),
    ) -> None:
        self.secret = secret
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.timeout = timeout
        self.deliveries: list[WebhookDelivery] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[WebhookDelivery] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._session: requests.Session | None = None

    def send(
        self,
        topic: str,
        url: str,
        body: bytes,
        *,
        triggered_at: str,
        event_id: str | None = None,
        attempt: int = 1,
    ) -> WebhookDelivery:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(self.secret, body),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": triggered_at,
            "User-Agent": "Shopify-Captain-Hook",
        }
        delivery = WebhookDelivery(
            topic,
            url,
            body,
            headers,
            headers["X-Shopify-Event-Id"],
            headers["X-Shopify-Webhook-Id"],
            attempt,
        )
        with self._lock:
            self.deliveries.append(delivery)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="shopify-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(delivery)
        return delivery

    def redeliver(self, delivery: WebhookDelivery, *, triggered_at: str) -> WebhookDelivery:
        """Send the same event again: same body and event id, a new webhook id."""
        return self.send(
            delivery.topic,
            delivery.url,
            delivery.body,
            triggered_at=triggered_at,
            event_id=delivery.event_id,
            attempt=delivery.attempt + 1,
        )

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued delivery was attempted; False if time ran out."""
        with self._lock:
            pending = [d for d in self.deliveries if not d.done.is_set()]
        return all(d.done.wait(timeout) for d in pending)

    def clear(self) -> None:
        self.flush(timeout=2.0)
        with self._lock:
            self.deliveries.clear()

    def snapshot(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self.deliveries)

    def _run(self) -> None:
        if self._session is None:
            self._session = build_session(timeout=self.timeout, user_agent="Shopify-Captain-Hook")
        while True:
            delivery = self._queue.get()
            try:
                response = self._session.post(
                    delivery.url, data=delivery.body, headers=delivery.headers
                )
                delivery.status = response.status_code
            except requests.RequestException as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"
                log.info("webhook to %s failed: %s", delivery.url, delivery.error)
            finally:
                delivery.done.set()
