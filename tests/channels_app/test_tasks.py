"""The tasks and the every-minute dispatcher: due polls, the poll lease, webhook event processing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from channels_app import tasks
from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, ChannelPoll
from channels_app.sandbox.bol import BolSandbox
from exactsync.models import EventStatus, WebhookEvent
from exactsync.schedules import SCHEDULES
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

POLL = "channels_app.tasks.poll_channel_orders_task"
PROCESS = "channels_app.tasks.process_channel_webhook_task"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, **kw: calls.append((func, *args)))
    return calls


def dispatch(capture: Any) -> str:
    """Run the every-minute task; its queued tasks go out when its transaction commits."""
    with capture(execute=True):
        return tasks.poll_all_channels_task()


def polled(channel: Channel, minutes_ago: float, lease_minutes: float | None = None) -> None:
    now = timezone.now()
    ChannelPoll.objects.create(
        channel=channel,
        last_started_at=now - timedelta(minutes=minutes_ago),
        lease_until=now + timedelta(minutes=lease_minutes) if lease_minutes else None,
        lease_owner="someone" if lease_minutes else "",
    )


def test_the_dispatcher_is_scheduled_every_minute() -> None:
    (plan,) = [p for p in SCHEDULES if p.func == "channels_app.tasks.poll_all_channels_task"]
    assert (plan.name, plan.minutes) == ("channel-orders", 1)


def test_every_minute_queues_a_poll_for_each_due_channel_only(
    connection: Any, queued: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    never = ChannelFactory(connection=connection)
    recent = ChannelFactory(connection=connection, poll_minutes=5)
    polled(recent, minutes_ago=2)
    due = ChannelFactory(connection=connection, poll_minutes=5)
    polled(due, minutes_ago=5)
    busy = ChannelFactory(connection=connection, poll_minutes=1)
    polled(busy, minutes_ago=30, lease_minutes=5)
    ChannelFactory(connection=connection, is_active=False)

    result = dispatch(django_capture_on_commit_callbacks)

    assert queued == [(POLL, never.pk), (POLL, due.pk)]
    assert result == "2 channel poll(s) queued, 0 webhook event(s) re-queued"


def test_every_minute_requeues_channel_webhook_events_a_lost_task_left_behind(
    db: Any, queued: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    old = timezone.now() - timedelta(minutes=10)
    stuck = WebhookEvent.objects.create(source="shopify", source_ref="1", key="a", received_at=old)
    WebhookEvent.objects.create(source="woocommerce", source_ref="1", key="b")  # just arrived
    WebhookEvent.objects.create(
        source="shopify", source_ref="1", key="c", received_at=old, status=EventStatus.DONE
    )
    WebhookEvent.objects.create(source="exact", source_ref="1", key="d", received_at=old)

    result = dispatch(django_capture_on_commit_callbacks)

    assert queued == [(PROCESS, stuck.pk)]
    assert result == "0 channel poll(s) queued, 1 webhook event(s) re-queued"


def test_the_poll_task_reads_a_channel_through_its_real_connector(
    bol: BolSandbox, bol_channel: Channel, matched: Callable[[Channel], None]
) -> None:
    matched(bol_channel)
    bol.place_order([("ART-1", 1)])

    result = tasks.poll_channel_orders_task(bol_channel.pk)

    assert result == "bol.com winkel: 1 page(s), 1 new, 0 updated, 0 unchanged, 0 failed"
    state = ChannelPoll.objects.get(pk=bol_channel.pk)
    assert (state.last_summary, state.last_error, state.lease_until) == (result, "", None)
    assert state.last_success_at == state.last_finished_at
    bol_channel.is_active = False
    bol_channel.save()
    assert tasks.poll_channel_orders_task(bol_channel.pk) == (
        f"channel {bol_channel.pk}: not active, not polled"
    )


def test_a_poll_skips_a_channel_whose_lease_is_held_and_takes_over_an_expired_one(
    bol: BolSandbox, bol_channel: Channel, connector_for: Any
) -> None:
    polled(bol_channel, minutes_ago=1, lease_minutes=5)

    skipped = poll_orders(bol_channel, connector=connector_for(bol_channel))

    assert str(skipped) == "bol.com winkel: skipped (another poll of this channel is running)"
    assert bol.count_calls() == 0
    ChannelPoll.objects.filter(pk=bol_channel.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )

    taken = poll_orders(bol_channel, connector=connector_for(bol_channel))

    assert (taken.skipped, taken.error, taken.pages) == ("", "", 0)
    state = ChannelPoll.objects.get(pk=bol_channel.pk)
    assert (state.lease_owner, state.lease_until) == ("", None)


def event(channel: Channel, topic: str, body: str = "{}") -> WebhookEvent:
    return WebhookEvent.objects.create(
        source=channel.kind, source_ref=str(channel.pk), key=topic, topic=topic, body=body
    )


def test_webhook_events_other_than_order_changes_are_ignored_in_words(
    shopify_channel: Channel,
) -> None:
    products = event(shopify_channel, "products/update")

    result = tasks.process_channel_webhook_task(products.pk)

    products.refresh_from_db()
    assert (products.status, products.error, products.attempts) == (
        EventStatus.IGNORED,
        "topic products/update is not an order change",
        1,
    )
    assert result == (
        f"webhook event {products.pk}: ignored topic products/update is not an order change"
    )
    assert tasks.process_channel_webhook_task(products.pk) == (
        f"webhook event {products.pk}: not waiting (done, busy or unknown)"
    )


def test_an_unreadable_webhook_fails_with_the_reason_and_a_switched_off_channel_is_ignored(
    shopify_channel: Channel, woo_channel: Channel
) -> None:
    broken = event(shopify_channel, "orders/create", body="not json")
    woo_channel.is_active = False
    woo_channel.save()
    off = event(woo_channel, "order.created")

    tasks.process_channel_webhook_task(broken.pk)
    tasks.process_channel_webhook_task(off.pk)

    broken.refresh_from_db()
    off.refresh_from_db()
    assert (broken.status, broken.error) == (
        EventStatus.FAILED,
        "JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
    )
    assert (off.status, off.error) == (
        EventStatus.IGNORED,
        "channel WooCommerce B2B is switched off",
    )
    assert ChannelOrder.objects.count() == 0
