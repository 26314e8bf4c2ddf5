"""The console: dashboard on the admin index, login lockout, roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from exactsync.models import ExactConnection, Outbox, OutboxKind, OutboxState, SyncRun
from tests.factories import ChannelFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_dashboard_shows_connection_syncs_writes_and_channels(
    client: Any, exact_connection: ExactConnection
) -> None:
    client.force_login(UserFactory(is_superuser=True))
    SyncRun.objects.create(connection=exact_connection, entity="stock", status="success")
    SyncRun.objects.create(
        connection=exact_connection, entity="items", status="failed", error="Exact was down"
    )
    ChannelFactory(connection=exact_connection, name="bol.com winkel")
    Outbox.objects.create(
        kind=OutboxKind.PURCHASE_ORDER,
        idempotency_key="x",
        target_type_id=1,
        target_id=1,
        state=OutboxState.FAILED,
        last_error="Verplicht: Inkoop",
    )
    page = client.get(reverse("admin:index")).content.decode()
    assert "Exact Online: Sandbox BV" in page
    assert 'data-sync="stock" data-colour="green"' in page
    assert 'data-sync="items" data-colour="red"' in page
    assert "Exact was down" in page
    assert 'id="failed-writes">1<' in page
    assert "bol.com winkel" in page
    assert "<svg" in page  # charts are inline SVG


def test_login_is_locked_after_repeated_failures() -> None:
    from django.core.cache import cache

    cache.clear()  # the counts live in the shared cache (Redis in CI), which outlives a test run
    UserFactory(username="karin")
    client = Client()
    url = reverse("admin:login")
    for _ in range(5):
        response = client.post(url, {"username": "karin", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(
        url, {"username": "karin", "password": "pass-Word-123"}
    )  # even the right password
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    other = Client(REMOTE_ADDR="10.0.0.9")  # the same user from another address is not locked (yet)
    assert other.post(url, {"username": "karin", "password": "pass-Word-123"}).status_code == 302


def test_replay_shows_a_dry_run_then_replays_idempotently(
    client: Any, exact_connection: ExactConnection, monkeypatch: pytest.MonkeyPatch, roles: None
) -> None:
    import hashlib
    import hmac

    from exactsync.models import EventStatus, WebhookEvent

    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))
    content = (
        b'{"Topic":"StockPositions","Division":%d,"Action":"Update","Key":"abc"}'
        % exact_connection.division
    )
    code = hmac.new(b"sandbox-webhook-secret", content, hashlib.sha256).hexdigest().upper()
    event = WebhookEvent.objects.create(
        source="exact",
        source_ref=str(exact_connection.division),
        topic="StockPositions",
        key=code,
        status=EventStatus.DONE,
        body=(b'{"Content":' + content + b',"HashCode":"' + code.encode() + b'"}').decode(),
    )
    operator = UserFactory(username="olaf", groups=["operator"])
    client.force_login(operator)
    url = reverse("admin:exactsync_webhookevent_changelist")
    dry = client.post(url, {"action": "replay_action", "_selected_action": [event.pk]})
    assert dry.status_code == 200
    assert "one incremental pass of stock" in dry.content.decode()
    assert queued == []  # a dry run does nothing
    client.post(url, {"action": "replay_action", "_selected_action": [event.pk], "confirm": "yes"})
    client.post(url, {"action": "replay_action", "_selected_action": [event.pk], "confirm": "yes"})
    event.refresh_from_db()
    assert event.replayed_count == 2
    assert queued == [
        ("exactsync.tasks.coalesced_pass_task", exact_connection.pk, "stock")
    ]  # one pass queued


@pytest.fixture
def roles_users(roles: None) -> dict[str, Any]:
    return {
        name: UserFactory(username=f"u-{name}", groups=[name])
        for name in ("purchaser", "e-commerce", "operator", "read-only")
    }


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        ("purchaser", "admin:exactsync_productsupplier_changelist", 200),
        ("purchaser", "admin:exactsync_purchaseorder_add", 200),
        ("purchaser", "admin:channels_app_channel_changelist", 403),
        ("purchaser", "admin:exactsync_webhookevent_changelist", 403),
        ("e-commerce", "admin:channels_app_channel_changelist", 200),
        ("e-commerce", "admin:channels_app_listing_changelist", 200),
        ("e-commerce", "admin:exactsync_purchaseorder_add", 403),
        ("e-commerce", "admin:exactsync_productsupplier_import", 403),
        ("operator", "admin:exactsync_failedwrite_changelist", 200),
        ("operator", "admin:exactsync_webhookevent_changelist", 200),
        ("operator", "admin:exactsync_syncrun_changelist", 200),
        ("operator", "admin:exactsync_productsupplier_changelist", 403),
        ("read-only", "admin:exactsync_productsupplier_changelist", 200),
        ("read-only", "admin:channels_app_channelorder_changelist", 200),
        ("read-only", "admin:exactsync_purchaseorder_add", 403),
        ("read-only", "admin:exactsync_productsupplier_import", 403),
        ("read-only", "admin:index", 200),
    ],
)
def test_each_role_sees_what_it_may_and_gets_403_otherwise(
    roles_users: dict[str, Any], role: str, url_name: str, expected: int
) -> None:
    client = Client()
    client.force_login(roles_users[role])
    assert client.get(reverse(url_name)).status_code == expected


def test_read_only_cannot_change_a_supplier_link(roles_users: dict[str, Any]) -> None:
    from tests.factories import ProductSupplierFactory

    link = ProductSupplierFactory()
    client = Client()
    client.force_login(roles_users["read-only"])
    page = client.get(reverse("admin:exactsync_productsupplier_change", args=[link.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        client.post(
            reverse("admin:exactsync_productsupplier_change", args=[link.pk]), {"moq": "5"}
        ).status_code
        == 403
    )


def test_retention_prunes_old_activity_and_anonymises_delivered_buyers(
    settings: Any, exact_connection: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from channels_app.models import ChannelOrder
    from exactsync.models import ActivityEvent, WebhookEvent, record_activity
    from exactsync.retention import prune

    (
        settings.ACTIVITY_RETENTION_DAYS,
        settings.WEBHOOK_RETENTION_DAYS,
        settings.BUYER_DATA_RETENTION_DAYS,
    ) = 30, 7, 60
    now = timezone.now()
    record_activity("old")
    record_activity("new")
    ActivityEvent.objects.filter(verb="old").update(created_at=now - timedelta(days=31))
    WebhookEvent.objects.create(
        source="exact", key="a", status="done", received_at=now - timedelta(days=8), body="{}"
    )
    WebhookEvent.objects.create(source="exact", key="b", status="done", body="{}")
    channel = ChannelFactory(connection=exact_connection)
    delivered = ChannelOrder.objects.create(
        channel=channel,
        external_id="1",
        number="1",
        placed_at=now,
        buyer_name="Jan Jansen",
        buyer_email="jan@example.com",
        delivery_address={"street": "Dorpstraat 1"},
        shipped_at=now - timedelta(days=61),
    )
    recent = ChannelOrder.objects.create(
        channel=channel,
        external_id="2",
        number="2",
        placed_at=now,
        buyer_name="Piet",
        shipped_at=now - timedelta(days=5),
    )
    result = prune()
    assert result == {"activity": 1, "webhook_events": 1, "stock_pushes": 0, "orders_anonymised": 1}
    assert list(ActivityEvent.objects.values_list("verb", flat=True)) == ["new"]
    delivered.refresh_from_db()
    recent.refresh_from_db()
    assert (delivered.buyer_name, delivered.buyer_email, delivered.delivery_address) == ("", "", {})
    assert delivered.anonymised_at is not None
    assert recent.buyer_name == "Piet"
