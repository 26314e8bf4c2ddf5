"""The shipments list staff work from: blocked and refused ones with their reason, fixed in place
(edit, suggested mapping, retry) or deleted to free their quantities; who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from channels_app.models import (
    CarrierMapping,
    Channel,
    ChannelKind,
    FulfilmentMode,
    Shipment,
    ShipmentState,
)
from exactsync.models import ExactConnection, Outbox, OutboxState
from exactsync.sandbox import ExactSandbox
from tests.channels_app.support import verbs
from tests.factories import UserFactory

from .conftest import map_carrier

pytestmark = pytest.mark.django_db


def client_for(group: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=f"u-{group}", groups=[group]))
    return client


@pytest.fixture
def blocked(
    exact: ExactSandbox,
    bol: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> Shipment:
    """A bol order delivered in Exact with shipping method DHL, which bol has no mapping for."""
    channel = make_channel(ChannelKind.BOL)
    map_carrier(channel, "PostNL", "TNT")
    order = forwarded(channel, bol.place_order([("ART-1", 1)])["orderId"])
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="JVGL0001", shipping_method_code="DHL"
    )
    deliveries_pass(erp)
    shipment = Shipment.objects.get(order=order)
    assert shipment.state == ShipmentState.BLOCKED
    return shipment


def test_the_list_shows_the_reason_and_the_suggested_mapping_sends_it(
    blocked: Shipment, bol: Any, roles: None, run_tasks: Any
) -> None:
    operator = client_for("operator")
    url = reverse("admin:channels_app_shipment_changelist")
    page = operator.get(url, {"attention": "yes"})
    assert page.status_code == 200
    assert [s.pk for s in page.context["cl"].result_list] == [blocked.pk]
    assert "suggested bol.com code: DHLFORYOU" in page.content.decode()

    with run_tasks():
        response = operator.post(
            url, {"action": "add_suggested_mappings", "_selected_action": [blocked.pk]}
        )
    assert response.status_code == 302
    mapping = CarrierMapping.objects.get(channel=blocked.order.channel, carrier="DHL")
    assert (mapping.channel_code, mapping.shipping_method.code) == ("DHLFORYOU", "DHL")
    blocked.refresh_from_db()
    assert blocked.state == ShipmentState.CONFIRMED
    assert (
        bol.shipments(blocked.order.external_id)[0]["transport"]["transporterCode"] == "DHLFORYOU"
    )


def test_editing_a_blocked_shipment_retries_it(
    blocked: Shipment, bol: Any, superuser_client: Client, run_tasks: Any
) -> None:
    url = reverse("admin:channels_app_shipment_change", args=[blocked.pk])
    form = superuser_client.get(url)
    assert "carrier" in form.context["adminform"].form.fields  # editable while blocked
    with run_tasks():
        response = superuser_client.post(
            url,
            {
                "carrier": "PostNL",
                "tracking_number": "3SFIXED1",
                "tracking_url": "",
                "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "1",
                "lines-MIN_NUM_FORMS": "0",
                "lines-MAX_NUM_FORMS": "1000",
                "lines-0-id": str(blocked.lines.get().pk),
                "lines-0-shipment": str(blocked.pk),
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    blocked.refresh_from_db()
    assert (blocked.state, blocked.channel_carrier_code) == (ShipmentState.CONFIRMED, "TNT")
    assert bol.shipments(blocked.order.external_id)[0]["transport"]["trackAndTrace"] == "3SFIXED1"
    assert "shipment.edited" in verbs(blocked.order)
    confirmed_form = superuser_client.get(url)
    assert "carrier" not in confirmed_form.context["adminform"].form.fields  # sent: read-only now


def test_retry_action_and_delete_of_a_blocked_shipment(
    blocked: Shipment, roles: None, run_tasks: Any
) -> None:
    operator = client_for("operator")
    url = reverse("admin:channels_app_shipment_changelist")
    with run_tasks():
        response = operator.post(
            url, {"action": "retry_selected", "_selected_action": [blocked.pk]}, follow=True
        )
    assert "0 shipment(s) queued for the channel, 1 still blocked" in response.content.decode()

    delete = operator.post(
        reverse("admin:channels_app_shipment_delete", args=[blocked.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302
    assert not Shipment.objects.filter(pk=blocked.pk).exists()
    assert verbs(blocked.order)[-1] == "shipment.deleted"


def test_who_may_do_what(blocked: Shipment, roles: None) -> None:
    ecommerce, operator = client_for("e-commerce"), client_for("operator")
    record = reverse("admin:channels_app_shipment_record", args=[blocked.order_id])
    assert ecommerce.get(reverse("admin:channels_app_shipment_changelist")).status_code == 200
    assert ecommerce.get(record).status_code == 403
    assert operator.get(record).status_code == 200
    assert "ships through Exact" in operator.get(record).content.decode()
    Shipment.objects.filter(pk=blocked.pk).update(state=ShipmentState.CONFIRMED)
    assert (
        operator.post(
            reverse("admin:channels_app_shipment_delete", args=[blocked.pk]), {"post": "yes"}
        ).status_code
        == 403
    )  # a sent shipment is history


def test_switching_the_channel_off_skips_waiting_shipments(
    blocked: Shipment, run_tasks: Any
) -> None:
    channel = blocked.order.channel
    with run_tasks():
        channel.fulfilment_mode = FulfilmentMode.OFF
        channel.save()
    blocked.refresh_from_db()
    assert blocked.state == ShipmentState.SKIPPED
    assert (
        not Outbox.objects.filter(kind="channel_shipment").exclude(state=OutboxState.DONE).exists()
    )


def test_the_morning_report_lists_blocked_shipments(blocked: Shipment) -> None:
    from exactsync.reports import build_report

    items = build_report().data["Shipments blocked (fix and retry)"]
    assert items == [
        f"{blocked.order.channel.name} {blocked.order.number} (JVGL0001): {blocked.error[:200]}"
    ]
