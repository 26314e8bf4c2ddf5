"""Webhook delivery (reference section 6): the empty validation POST after subscribing, then one
signed callback per changed row, sent from a background thread so no API request waits on it.

Body: compact JSON `{"Content":{...},"HashCode":"<HEX>"}` where HashCode is the upper-case hex
HMAC-SHA256 of the exact `Content` substring with the webhook secret (reference 6.3, 6.4).
Failures are recorded in `deliveries`; there are no retries (Exact's retry policy is unverified).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.http import build_session

log = logging.getLogger(__name__)

# webhook topics (reference 6.2) per table: topic and the endpoint the callback points to
TOPICS = {
    "items": ("Items", "logistics/Items"),
    "accounts": ("Accounts", "crm/Accounts"),
    "stock_positions": ("StockPositions", "read/logistics/StockPosition"),
    "purchase_orders": ("PurchaseOrders", "purchaseorder/PurchaseOrders"),
    "sales_orders": ("SalesOrders", "salesorder/SalesOrders"),
    "goods_deliveries": ("GoodsDeliveries", "salesorder/GoodsDeliveries"),
}
TOPIC_NAMES = {topic for topic, _ in TOPICS.values()}


def sign(content: str, secret: str) -> str:
    """Upper-case hex HMAC-SHA256 of the raw Content JSON."""
    return hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest().upper()


def event_body(content: dict[str, Any], secret: str) -> bytes:
    """The callback body exactly as sent: the signed substring is the compact Content JSON."""
    raw = json.dumps(content, separators=(",", ":"))
    return ('{"Content":' + raw + ',"HashCode":"' + sign(raw, secret) + '"}').encode()


@dataclass
class _Job:
    """One queued POST: a validation ping or a signed event."""

    url: str
    body: bytes
    kind: str  # "validation" or "event"
    topic: str
    key: str
    action: str
    generation: int
    on_failure: Callable[[], None] | None = None


class WebhookDispatcher:
    """A queue and one daemon thread that POSTs callbacks; `flush()` waits for the queue."""

    def __init__(self, timeout: tuple[float, float] = (2.0, 5.0)) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._cond = threading.Condition()
        self._pending = 0
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._session = build_session(timeout=timeout, user_agent="ExactOnline-Webhooks (sandbox)")

    def clear(self) -> None:
        """Forget queued and delayed work (reset): old jobs are skipped, records dropped."""
        with self._cond:
            self._generation += 1
            self.deliveries.clear()

    def enqueue(self, job: _Job) -> None:
        """Queue a job now."""
        with self._cond:
            self._pending += 1
            self._ensure_thread()
        self._queue.put(job)

    def send_event(self, url: str, body: bytes, *, topic: str, key: str, action: str) -> None:
        """Queue one signed event callback."""
        self.enqueue(_Job(url, body, "event", topic, key, action, self._generation))

    def send_validation(
        self, url: str, topic: str, delay: float, on_failure: Callable[[], None]
    ) -> None:
        """Queue the empty validation POST after `delay` seconds."""
        job = _Job(url, b"", "validation", topic, "", "", self._generation, on_failure)
        with self._cond:
            self._pending += 1
            self._ensure_thread()
        timer = threading.Timer(delay, self._queue.put, args=(job,))
        timer.daemon = True
        timer.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued or delayed delivery was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="exact-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job.generation == self._generation:
                    self._deliver(job)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _deliver(self, job: _Job) -> None:
        status: int | None = None
        error = ""
        try:
            response = self._session.post(
                job.url, data=job.body, headers={"Content-Type": "application/json"}
            )
            status = response.status_code
        except Exception as exc:  # any transport failure is a failed delivery, recorded below
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        with self._cond:
            if job.generation == self._generation:
                self.deliveries.append(
                    {
                        "url": job.url,
                        "kind": job.kind,
                        "topic": job.topic,
                        "key": job.key,
                        "action": job.action,
                        "status": status,
                        "error": error,
                    }
                )
        if not ok:
            log.info("webhook %s to %s failed: %s %s", job.kind, job.url, status, error)
            if job.on_failure is not None and job.generation == self._generation:
                job.on_failure()
