"""Ship-by deadlines: the orders close to or past theirs without a confirmed shipment, for the
dashboard (selector), the order list (filter) and the morning report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_app.fulfilment import orders_due_to_ship
from channels_app.models import (
    Channel,
    ChannelOrder,
    ChannelOrderLine,
    FulfilmentMode,
    OrderState,
    Shipment,
    ShipmentLine,
    ShipmentSource,
    ShipmentState,
)
from exactsync.reports import build_report
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def order(
    channel: Channel, number: str, *, ship_by: Any, placed_hours_ago: float = 30, **kw: Any
) -> ChannelOrder:
    now = timezone.now()
    made = ChannelOrder.objects.create(
        channel=channel,
        external_id=number,
        number=number,
        placed_at=now - timedelta(hours=placed_hours_ago),
        ship_by=ship_by,
        state=kw.pop("state", OrderState.FORWARDED),
        **kw,
    )
    ChannelOrderLine.objects.create(
        order=made, external_line_id=f"{number}-1", sku="ART-1", quantity=2
    )
    return made


@pytest.fixture
def channels(connection: Any) -> dict[str, Channel]:
    return {
        "exact": ChannelFactory(
            name="bol.com", connection=connection, fulfilment_mode=FulfilmentMode.EXACT
        ),
        "here": ChannelFactory(
            name="Webshop",
            connection=connection,
            fulfilment_mode=FulfilmentMode.HERE,
            ship_by_hours=48,
        ),
        "off": ChannelFactory(
            name="Outlet", connection=connection, fulfilment_mode=FulfilmentMode.OFF
        ),
    }


def test_orders_due_or_late_without_a_confirmed_shipment_are_listed_soonest_first(
    channels: dict[str, Channel],
) -> None:
    now = timezone.now()
    late = order(channels["exact"], "LATE", ship_by=now - timedelta(hours=1))
    soon = order(channels["here"], "SOON", ship_by=now + timedelta(hours=3))
    order(channels["exact"], "LATER", ship_by=now + timedelta(hours=30))
    order(
        channels["off"], "OFF", ship_by=now - timedelta(hours=5)
    )  # nothing is confirmed from here
    order(
        channels["exact"],
        "GONE",
        ship_by=now - timedelta(hours=2),
        cancelled=True,
        state=OrderState.CANCELLED,
    )
    shipped = order(channels["exact"], "SHIPPED", ship_by=now - timedelta(hours=2))
    shipped.lines.update(quantity_shipped=2)  # the channel says so
    confirmed = order(channels["here"], "DONE", ship_by=now - timedelta(hours=2), shipped_at=now)
    partly = order(channels["exact"], "PART", ship_by=now + timedelta(minutes=30))
    part = Shipment.objects.create(
        order=partly,
        source=ShipmentSource.EXACT,
        state=ShipmentState.CONFIRMED,
        tracking_number="3S1",
    )
    ShipmentLine.objects.create(shipment=part, order_line=partly.lines.get(), quantity=1)
    # stored without a ship-by: the channel's rule applies (48 h after the order, so 2 h from now)
    ruled = order(channels["here"], "RULE", ship_by=None, placed_hours_ago=46)

    due = list(orders_due_to_ship())

    assert [(o.number, o.ship_status) for o in due] == [
        ("RULE", "due"),
        ("LATE", "late"),
        ("PART", "due"),
        ("SOON", "due"),
    ]
    assert confirmed not in due
    assert shipped not in due
    assert [o.number for o in orders_due_to_ship(within=timedelta(hours=48))][-1] == "LATER"
    assert [o.number for o in orders_due_to_ship(within=timedelta(0))] == ["LATE"]
    assert {late.pk, soon.pk, ruled.pk} <= {o.pk for o in due}


def test_the_order_list_filter_and_the_morning_report(
    channels: dict[str, Channel], superuser_client: Any
) -> None:
    now = timezone.now()
    order(channels["exact"], "LATE-7", ship_by=now - timedelta(hours=1))
    order(channels["here"], "SOON-8", ship_by=now + timedelta(hours=2))
    order(channels["here"], "FINE-9", ship_by=now + timedelta(days=2))
    url = reverse("admin:channels_app_channelorder_changelist")

    late = superuser_client.get(url, {"ship_by_due": "late"})
    due = superuser_client.get(url, {"ship_by_due": "due"})

    assert [o.number for o in late.context["cl"].result_list] == ["LATE-7"]
    assert sorted(o.number for o in due.context["cl"].result_list) == ["LATE-7", "SOON-8"]
    report = build_report()
    title = "Orders due to ship (ship-by within 4 h or past, no confirmed shipment)"
    items = report.data[title]
    assert len(items) == 2
    assert items[0].startswith("bol.com LATE-7: LATE, ship by ")
    assert items[1].startswith("Webshop SOON-8: ship by ")
    assert f"{title} (2)" in report.body
