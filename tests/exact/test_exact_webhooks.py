"""Exact's webhooks: signature over the raw body, stored before the 200, coalesced into passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from common.sandbox import SandboxServer
from exactsync.models import EventStatus, StockLevel, SyncRun, WebhookEvent
from exactsync.sandbox import ExactSandbox
from exactsync.services import exact_webhooks, stock_events
from tests.exact.conftest import relogin
from tests.exact.sandbox.support import Receiver
from tests.exact.sync_helpers import sync

pytestmark = pytest.mark.django_db
URL = reverse("exact_webhook")


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = SandboxServer(receiver).start()
    yield receiver, server.url
    server.stop()


@pytest.fixture
def subscribed(
    exact: ExactSandbox, exact_connection: Any, receiver_server: tuple[Receiver, str]
) -> Any:
    """The sandbox delivers to a receiver; tests hand the raw bodies to our view as Exact would."""
    receiver, url = receiver_server
    receiver.clear()
    exact.reset(seed=7, items=0)
    exact.add_item(Code="A")
    exact.add_item(Code="B")
    relogin(exact, exact_connection)
    sync(exact_connection, "reference", "items", "stock")
    result = exact_webhooks.subscribe(exact_connection, base_url=url)
    exact.flush_webhooks()
    assert result["StockPositions"] == "subscribed"
    receiver.clear()  # drop the validation POSTs
    return exact_connection


def delivered(exact: ExactSandbox, receiver: Receiver) -> list[bytes]:
    exact.flush_webhooks()
    return [r["body"] for r in receiver.requests if r["body"]]


def test_subscribing_stores_the_ids_and_exact_validates_with_an_empty_post(
    exact: ExactSandbox, exact_connection: Any, receiver_server: tuple[Receiver, str], client: Any
) -> None:
    receiver, url = receiver_server
    receiver.clear()
    result = exact_webhooks.subscribe(exact_connection, base_url=url)
    exact.flush_webhooks()
    exact_connection.refresh_from_db()
    assert set(exact_connection.webhook_subscriptions) == set(exact_webhooks.TOPICS)
    assert set(result.values()) == {"subscribed"}
    assert [r["body"] for r in receiver.requests] == [b""] * len(exact_webhooks.TOPICS)
    # our endpoint answers the validation POST
    assert client.post(URL, data=b"", content_type="application/json").status_code == 200
    assert WebhookEvent.objects.count() == 0


def test_signed_event_is_stored_once_and_bad_signatures_are_refused(
    exact: ExactSandbox,
    subscribed: Any,
    receiver_server: tuple[Receiver, str],
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver, _ = receiver_server
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: None)
    exact.change_stock("A", "1", 3)
    [body] = delivered(exact, receiver)
    assert client.post(URL, data=body, content_type="application/json").status_code == 200
    assert (
        client.post(URL, data=body, content_type="application/json").status_code == 200
    )  # repeat: harmless
    assert WebhookEvent.objects.filter(source="exact", topic="StockPositions").count() == 1
    tampered = body.replace(b'"Action":"', b'"Action":"X')
    assert client.post(URL, data=tampered, content_type="application/json").status_code == 401
    unsigned = body.split(b',"HashCode"')[0] + b"}"
    assert client.post(URL, data=unsigned, content_type="application/json").status_code == 401
    lower = body[:-67] + body[-67:].lower()  # HashCode must be upper-case hex of the raw Content
    assert client.post(URL, data=lower, content_type="application/json").status_code == 401
    assert WebhookEvent.objects.count() == 1


def test_a_hundred_events_cost_one_pass(
    exact: ExactSandbox,
    subscribed: Any,
    receiver_server: tuple[Receiver, str],
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver, _ = receiver_server
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))
    for i in range(100):
        exact.change_stock("A" if i % 2 else "B", "1", 1)
    bodies = delivered(exact, receiver)
    assert len(bodies) == 100
    for body in bodies:
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(URL, data=body, content_type="application/json").status_code == 200
    assert queued == [("exactsync.tasks.coalesced_pass_task", subscribed.pk, "stock")]

    summary = stock_events.run_coalesced_pass(subscribed.pk, "stock", sleep=lambda s: None)

    run = SyncRun.objects.filter(entity="stock", triggered_by="webhook").get()
    assert run.api_calls == 1
    # Events for the same item in the same millisecond are the same event (same HashCode): stored once.
    unique = len(set(bodies))
    assert summary.startswith(f"stock: one pass for {unique} events")
    assert WebhookEvent.objects.filter(status=EventStatus.DONE).count() == unique
    assert StockLevel.objects.get(product__code="A", warehouse__code="1").current == 50
    assert StockLevel.objects.get(product__code="B", warehouse__code="1").current == 50


def test_events_during_a_pass_cause_exactly_one_more_pass(
    exact: ExactSandbox,
    subscribed: Any,
    receiver_server: tuple[Receiver, str],
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver, _ = receiver_server
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))

    def post_all() -> None:
        for body in delivered(exact, receiver):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(URL, data=body, content_type="application/json")
        receiver.clear()

    exact.change_stock("A", "1", 1)
    post_all()
    assert len(queued) == 1
    real_run = stock_events.run_entity

    def run_while_events_arrive(*args: Any, **kwargs: Any) -> Any:
        exact.change_stock("A", "1", 7)  # arrives while the pass is running
        exact.change_stock("B", "1", 1)
        post_all()
        return real_run(*args, **kwargs)

    monkeypatch.setattr(stock_events, "run_entity", run_while_events_arrive)
    stock_events.run_coalesced_pass(subscribed.pk, "stock", sleep=lambda s: None)
    assert len(queued) == 2  # one more pass, not one per event
    monkeypatch.setattr(stock_events, "run_entity", real_run)
    pending = WebhookEvent.objects.filter(status=EventStatus.PENDING).count()
    assert pending == 2
    stock_events.run_coalesced_pass(subscribed.pk, "stock", sleep=lambda s: None)
    assert WebhookEvent.objects.filter(status=EventStatus.DONE).count() == 3
    assert StockLevel.objects.get(product__code="A", warehouse__code="1").current == 8
    assert StockLevel.objects.get(product__code="B", warehouse__code="1").current == 1


def test_event_for_an_unknown_division_is_kept_but_ignored(client: Any, settings: Any) -> None:
    import hashlib
    import hmac

    content = b'{"Topic":"StockPositions","Division":999,"Action":"Update","Key":"x"}'
    code = hmac.new(b"sandbox-webhook-secret", content, hashlib.sha256).hexdigest().upper().encode()
    body = b'{"Content":' + content + b',"HashCode":"' + code + b'"}'
    assert client.post(URL, data=body, content_type="application/json").status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.IGNORED
