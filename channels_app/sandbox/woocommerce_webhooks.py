"""Webhook deliveries of the local WooCommerce, sent from one background thread.

WooCommerce queues deliveries (WP-Cron / Action Scheduler) and never sends them inside the
request that caused them; this worker does the same, so a slow or dead receiver never blocks the
sandbox's API. No Django imports.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from common.http import build_session
from common.sandbox import json_response

from .woocommerce_rest import API, WCError, body_of, invalid_param
from .woocommerce_store import SITE_TZ, stamp

log = logging.getLogger(__name__)

USER_AGENT = "WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)"


def sign(secret: str, body: bytes) -> str:
    """X-WC-Webhook-Signature: base64(HMAC-SHA256(raw body, the webhook's secret))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def new_delivery_id() -> str:
    return secrets.token_hex(16)


@dataclass
class Delivery:
    """One POST to a delivery URL, as sent and as answered."""

    webhook_id: int
    kind: str  # "event" or "ping"
    topic: str
    url: str
    body: bytes
    headers: dict[str, str]
    delivery_id: str = ""
    status: int | None = None  # the receiver's HTTP status; None until sent or on a network error
    error: str = ""
    sent_at: float | None = None
    generation: int = 0  # reset() bumps the app's generation; stale results are dropped

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def as_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "kind": self.kind,
            "topic": self.topic,
            "url": self.url,
            "delivery_id": self.delivery_id,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "status": self.status,
            "error": self.error,
            "sent_at": self.sent_at,
        }


@dataclass
class Dispatcher:
    """A queue and one daemon thread that POSTs deliveries and reports each result."""

    on_result: Callable[[Delivery], None]
    timeout: tuple[float, float] = (2.0, 5.0)
    _queue: queue.Queue[Delivery] = field(default_factory=queue.Queue)
    _pending: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None

    def submit(self, delivery: Delivery) -> None:
        with self._cond:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="wc-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every submitted delivery was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def discard_queued(self) -> None:
        """Drop deliveries not yet sent (reset between tests)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()

    def _run(self) -> None:
        session = build_session(timeout=self.timeout, user_agent=USER_AGENT)
        while True:
            delivery = self._queue.get()
            try:
                self._send(session, delivery)
                self.on_result(delivery)
            except Exception:  # the worker must survive anything a receiver does
                log.exception("webhook delivery %s failed", delivery.delivery_id)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    @staticmethod
    def _send(session: Any, delivery: Delivery) -> None:
        delivery.sent_at = time.time()
        try:
            response = session.post(delivery.url, data=delivery.body, headers=delivery.headers)
        except Exception as exc:  # connection refused, timeout: counts as a failed delivery
            delivery.error = f"{type(exc).__name__}: {exc}"
            return
        delivery.status = response.status_code
        if not delivery.ok:
            delivery.error = response.text[:200]


MAX_WEBHOOK_FAILURES = 5
WEBHOOK_RESOURCES = ("order", "product", "customer", "coupon")
WEBHOOK_EVENTS = ("created", "updated", "deleted", "restored")
TOPIC_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
}


def webhook_rules() -> list[Rule]:
    edit = ["POST", "PUT", "PATCH"]
    return [
        Rule(f"{API}/webhooks", endpoint="list_webhooks", methods=["GET"]),
        Rule(f"{API}/webhooks", endpoint="create_webhook", methods=["POST"]),
        Rule(f"{API}/webhooks/<int:wid>", endpoint="get_webhook", methods=["GET"]),
        Rule(f"{API}/webhooks/<int:wid>", endpoint="update_webhook", methods=edit),
        Rule(f"{API}/webhooks/<int:wid>", endpoint="delete_webhook", methods=["DELETE"]),
    ]


class WebhooksMixin:
    """The /webhooks resource and deliveries; the sandbox provides lock, clock, base_url, seed,
    generation, webhooks, deliveries, dispatcher, webhook_ids and _paged."""

    def _webhook_view(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k not in ("secret", "failure_count")}

    def list_webhooks(self, request: Request) -> Response:
        with self.lock:
            return self._paged(request, [self._webhook_view(h) for h in self.webhooks.values()])

    def _webhook(self, wid: int) -> dict[str, Any]:
        hook = self.webhooks.get(wid)
        if hook is None:
            raise WCError("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
        return hook

    def get_webhook(self, request: Request, wid: int) -> Response:
        with self.lock:
            return json_response(self._webhook_view(self._webhook(wid)))

    def create_webhook(self, request: Request) -> Response:
        body = body_of(request)
        missing = [k for k in ("topic", "delivery_url") if not body.get(k)]
        if missing:
            raise WCError(
                "rest_missing_callback_param",
                f"Missing parameter(s): {', '.join(missing)}",
                400,
                params=missing,
            )
        hook = self._create_webhook(
            topic=str(body["topic"]),
            url=str(body["delivery_url"]),
            secret=str(body.get("secret") or ""),
            name=str(body.get("name") or ""),
            status=str(body.get("status") or "active"),
        )
        return json_response(hook, 201)

    def _create_webhook(
        self, *, topic: str, url: str, secret: str, name: str = "", status: str = "active"
    ) -> dict[str, Any]:
        resource, _, event = topic.partition(".")
        if not (
            resource == "action" or (resource in WEBHOOK_RESOURCES and event in WEBHOOK_EVENTS)
        ):
            raise WCError(
                "woocommerce_rest_webhook_invalid_topic", "Webhook topic is invalid.", 400
            )
        if status not in ("active", "paused", "disabled"):
            raise invalid_param("status", "status is not one of active, paused, disabled.")
        with self.lock:
            now = self.clock()
            hook: dict[str, Any] = {
                "id": self.webhook_ids(),
                "name": name
                or f"Webhook created on {datetime.fromtimestamp(now, SITE_TZ):%b %d, %Y @ %I:%M %p}",
                "status": status,
                "topic": topic,
                "resource": resource,
                "event": event,
                "hooks": TOPIC_HOOKS.get(topic, []),
                "delivery_url": url,
                # WooCommerce derives a secret when none is given
                "secret": secret or hashlib.sha256(f"{self.seed}-{now}".encode()).hexdigest()[:50],
                "failure_count": 0,
            }
            stamp(hook, "created", now)
            stamp(hook, "modified", now)
            hook["_links"] = {"self": [{"href": f"{self.base_url}{API}/webhooks/{hook['id']}"}]}
            self.webhooks[hook["id"]] = hook
            self._ping(hook)
            return self._webhook_view(hook)

    def update_webhook(self, request: Request, wid: int) -> Response:
        body = body_of(request)
        with self.lock:
            hook = self._webhook(wid)
            if "status" in body:
                if body["status"] not in ("active", "paused", "disabled"):
                    raise invalid_param("status", "status is not one of active, paused, disabled.")
                hook["status"] = body["status"]
                if hook["status"] == "active":
                    hook["failure_count"] = 0
            for key in ("name", "delivery_url", "secret"):
                if key in body:
                    hook[key] = str(body[key])
            stamp(hook, "modified", self.clock())
            return json_response(self._webhook_view(hook))

    def delete_webhook(self, request: Request, wid: int) -> Response:
        if request.args.get("force", "").lower() not in ("1", "true"):
            raise WCError(
                "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
            )
        with self.lock:
            hook = self.webhooks.pop(self._webhook(wid)["id"])
            return json_response(self._webhook_view(hook))

    def _ping(self, hook: dict[str, Any]) -> None:
        """WooCommerce's deliver_ping: form-encoded `webhook_id=<id>`, no X-WC-* headers."""
        delivery = Delivery(
            webhook_id=hook["id"],
            kind="ping",
            topic=hook["topic"],
            url=hook["delivery_url"],
            body=f"webhook_id={hook['id']}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            delivery_id=new_delivery_id(),
            generation=self.generation,
        )
        self.deliveries.append(delivery)
        self.dispatcher.submit(delivery)

    def _fire(self, topic: str, order: dict[str, Any]) -> None:
        body = json.dumps(order, separators=(",", ":")).encode()
        resource, _, event = topic.partition(".")
        for hook in self.webhooks.values():
            if hook["topic"] != topic or hook["status"] != "active":
                continue
            headers = {
                "Content-Type": "application/json",
                "X-WC-Webhook-Source": f"{self.base_url}/",
                "X-WC-Webhook-Topic": topic,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": sign(hook["secret"], body),
                "X-WC-Webhook-ID": str(hook["id"]),
            }
            self._submit(Delivery(hook["id"], "event", topic, hook["delivery_url"], body, headers))

    def _submit(self, delivery: Delivery) -> None:
        delivery.delivery_id = new_delivery_id()
        delivery.headers = {**delivery.headers, "X-WC-Webhook-Delivery-ID": delivery.delivery_id}
        delivery.generation = self.generation
        self.deliveries.append(delivery)
        self.dispatcher.submit(delivery)

    def _delivery_result(self, delivery: Delivery) -> None:
        with self.lock:
            hook = self.webhooks.get(delivery.webhook_id)
            if delivery.generation != self.generation or delivery.kind == "ping" or hook is None:
                return
            if delivery.ok:
                hook["failure_count"] = 0
                return
            hook["failure_count"] += 1
            if hook["failure_count"] >= MAX_WEBHOOK_FAILURES:
                hook["status"] = "disabled"

    def add_webhook(self, topic: str, url: str, secret: str) -> dict[str, Any]:
        return self._create_webhook(topic=topic, url=url, secret=secret)

    def webhook(self, webhook_id: int) -> dict[str, Any]:
        """A webhook with its secret and failure count (what the admin screen shows)."""
        with self.lock:
            return copy.deepcopy(self._webhook(webhook_id))

    def redeliver_last(self, n: int = 1) -> list[Delivery]:
        """Send the last `n` event deliveries again: same body and signature, new delivery id."""
        with self.lock:
            events = [d for d in self.deliveries if d.kind == "event"][-n:] if n > 0 else []
            again = []
            for old in events:
                headers = {k: v for k, v in old.headers.items() if k != "X-WC-Webhook-Delivery-ID"}
                delivery = Delivery(old.webhook_id, "event", old.topic, old.url, old.body, headers)
                self._submit(delivery)
                again.append(delivery)
            return again

    def flush_webhooks(self, timeout: float = 5) -> bool:
        """Wait until every queued delivery was attempted."""
        return self.dispatcher.flush(timeout)

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)
