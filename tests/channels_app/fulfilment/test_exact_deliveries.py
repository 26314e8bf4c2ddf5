"""Exact ships: goods deliveries (tracking on the header or the lines, full or partial) become
shipments of our forwarded orders and are confirmed once on the channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from channels_app.models import (
    Channel,
    ChannelKind,
    ChannelOrder,
    FulfilmentMode,
    Shipment,
    ShipmentState,
)
from exactsync.models import ExactConnection, Outbox, SyncCheckpoint, SyncRun
from exactsync.sandbox import ExactSandbox
from exactsync.services import exact_webhooks
from exactsync.sync import ENTITIES
from tests.channels_app.support import verbs
from tests.exact.sandbox.support import Receiver

from .conftest import map_carrier

pytestmark = pytest.mark.django_db


def shipped(shipment: Shipment) -> list[tuple[str, int]]:
    return sorted(
        (sl.order_line.sku, sl.quantity) for sl in shipment.lines.select_related("order_line")
    )


@pytest.fixture
def bol_exact(make_channel: Callable[..., Channel]) -> Channel:
    channel = make_channel(ChannelKind.BOL)
    map_carrier(channel, "PostNL", "TNT")
    return channel


def test_a_full_delivery_with_tracking_on_the_header_is_confirmed_on_bol(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    placed = bol.place_order([("ART-1", 2), ("ART-2", 1)])
    order = forwarded(bol_exact, placed["orderId"])
    delivery = exact.deliver_sales_order(
        order.exact_order_number,
        tracking_number="3SHEAD01",
        tracking_on="header",
        shipping_method_code="PNL",
    )

    run = deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    assert (shipment.source, shipment.state, shipment.carrier) == (
        "exact",
        ShipmentState.CONFIRMED,
        "PNL",
    )
    assert (shipment.tracking_number, shipment.channel_carrier_code) == ("3SHEAD01", "TNT")
    assert shipment.exact_delivery_number == delivery["DeliveryNumber"]
    assert shipped(shipment) == [("ART-1", 2), ("ART-2", 1)]
    [sent] = bol.shipments(placed["orderId"])
    assert sent["transport"]["transporterCode"] == "TNT"
    assert sent["transport"]["trackAndTrace"] == "3SHEAD01"
    assert sorted(i["quantity"] for i in sent["shipmentItems"]) == [1, 2]
    order.refresh_from_db()
    assert order.shipped_at is not None
    assert verbs(order)[-3:] == ["shipment.recorded", "shipment.queued", "shipment.confirmed"]
    assert (run.created, run.rows_read) == (1, 3)  # one shipment; one header, two lines
    # read again: nothing new, nothing sent twice
    again = deliveries_pass(erp)
    assert (again.rows_read, again.created, again.api_calls) == (0, 0, 2)
    assert len(bol.shipments(placed["orderId"])) == 1


def test_partial_deliveries_with_tracking_on_the_lines_become_partial_shipments(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    placed = bol.place_order([("ART-1", 3), ("ART-2", 1)])
    order = forwarded(bol_exact, placed["orderId"])
    exact.deliver_sales_order(
        order.exact_order_number,
        lines=[("ART-1", 2)],
        tracking_number="3SLINE01",
        tracking_on="lines",
        shipping_method_code="PNL",
    )
    deliveries_pass(erp)
    first = Shipment.objects.get(order=order)
    assert (first.state, first.tracking_number, shipped(first)) == (
        ShipmentState.CONFIRMED,
        "3SLINE01",
        [("ART-1", 2)],
    )
    order.refresh_from_db()
    assert order.shipped_at is None  # two lines still to ship

    exact.deliver_sales_order(
        order.exact_order_number,
        tracking_number="3SLINE02",
        tracking_on="lines",
        shipping_method_code="PNL",
    )
    deliveries_pass(erp)

    second = Shipment.objects.exclude(pk=first.pk).get(order=order)
    assert (second.state, second.tracking_number) == (ShipmentState.CONFIRMED, "3SLINE02")
    assert shipped(second) == [("ART-1", 1), ("ART-2", 1)]
    sent = bol.shipments(placed["orderId"])
    assert [s["transport"]["trackAndTrace"] for s in sent] == ["3SLINE01", "3SLINE02"]
    assert [sorted(i["quantity"] for i in s["shipmentItems"]) for s in sent] == [[2], [1, 1]]
    order.refresh_from_db()
    assert order.shipped_at is not None


def test_a_delivery_without_tracking_waits_and_goes_when_exact_adds_the_number(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    placed = bol.place_order([("ART-3", 1)])
    order = forwarded(bol_exact, placed["orderId"])
    delivery = exact.deliver_sales_order(order.exact_order_number, shipping_method_code="PNL")
    deliveries_pass(erp)
    shipment = Shipment.objects.get(order=order)
    assert shipment.state == ShipmentState.BLOCKED
    assert shipment.error.startswith("No tracking number yet")
    assert bol.shipments(placed["orderId"]) == []

    exact.set_delivery_tracking(delivery["DeliveryNumber"], "3SLATER1", on="header")
    deliveries_pass(erp)

    shipment.refresh_from_db()
    assert (shipment.state, shipment.tracking_number) == (ShipmentState.CONFIRMED, "3SLATER1")
    assert [s["transport"]["trackAndTrace"] for s in bol.shipments(placed["orderId"])] == [
        "3SLATER1"
    ]
    assert "shipment.tracking" in verbs(order)


def test_an_unmapped_shipping_method_blocks_before_anything_is_sent_and_goes_once_mapped(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
    run_tasks: Any,
) -> None:
    placed = bol.place_order([("ART-1", 1)])
    order = forwarded(bol_exact, placed["orderId"])
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="3SDHL001", shipping_method_code="DHL"
    )
    deliveries_pass(erp)
    shipment = Shipment.objects.get(order=order)
    assert shipment.state == ShipmentState.BLOCKED
    assert shipment.error == (
        f'Carrier "DHL" has no mapping on channel {bol_exact.name}: add it under the channel\'s carriers '
        "(suggested bol.com code: DHLFORYOU), then retry. Nothing was sent."
    )
    assert bol.shipments(placed["orderId"]) == []
    assert bol.count_calls("/retailer/shipments") == 0
    assert Outbox.objects.filter(kind="channel_shipment").count() == 0

    with run_tasks():  # the e-commerce manager adds the mapping: the waiting shipment goes
        map_carrier(bol_exact, "DHL Parcel", "DHLFORYOU")

    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.CONFIRMED
    assert bol.shipments(placed["orderId"])[0]["transport"]["transporterCode"] == "DHLFORYOU"


def test_off_records_skipped_shipments_and_here_ignores_exact(
    exact: ExactSandbox,
    bol: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    channel = make_channel(ChannelKind.BOL, mode=FulfilmentMode.OFF)
    map_carrier(channel, "PostNL", "TNT")
    placed = bol.place_order([("ART-1", 1)])
    order = forwarded(channel, placed["orderId"])
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="3SOFF001", shipping_method_code="PNL"
    )
    deliveries_pass(erp)
    assert Shipment.objects.get(order=order).state == ShipmentState.SKIPPED
    assert bol.shipments(placed["orderId"]) == []

    Channel.objects.filter(pk=channel.pk).update(fulfilment_mode=FulfilmentMode.HERE)
    second = bol.place_order([("ART-2", 1)])
    other = forwarded(channel, second["orderId"])
    exact.deliver_sales_order(
        other.exact_order_number, tracking_number="3SHERE01", shipping_method_code="PNL"
    )
    run = deliveries_pass(erp)
    assert not Shipment.objects.filter(order=other).exists()
    assert (run.created, run.skipped) == (0, 0)
    assert bol.shipments(second["orderId"]) == []


def test_an_order_linked_by_hand_is_matched_by_order_number_and_item(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    placed = bol.place_order([("ART-2", 2)])
    order = forwarded(bol_exact, placed["orderId"])
    order.lines.update(exact_line_id=None)  # as after "entered by hand in Exact"
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="3SHAND01", shipping_method_code="PNL"
    )
    deliveries_pass(erp)
    shipment = Shipment.objects.get(order=order)
    assert (shipment.state, shipped(shipment)) == (ShipmentState.CONFIRMED, [("ART-2", 2)])


def test_the_entity_the_checkpoint_and_the_webhook_pass(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    erp: ExactConnection,
    run_tasks: Any,
    client: Any,
    settings: Any,
) -> None:
    """GoodsDeliveries webhook -> our view -> coalesced deliveries pass -> confirmed on bol."""
    from common.sandbox import SandboxServer

    assert ENTITIES["deliveries"].priority == 0  # served with orders, before stock and catalogue
    settings.STOCK_COALESCE_SECONDS = 0
    receiver = Receiver()
    server = SandboxServer(receiver).start()
    try:
        exact_webhooks.subscribe(erp, base_url=server.url)
        exact.flush_webhooks()
        receiver.clear()
        placed = bol.place_order([("ART-1", 1)])
        order = forwarded(bol_exact, placed["orderId"])
        exact.flush_webhooks()
        receiver.clear()
        exact.deliver_sales_order(
            order.exact_order_number, tracking_number="3SHOOK01", shipping_method_code="PNL"
        )
        exact.flush_webhooks()
        bodies = [r["body"] for r in receiver.requests if b'"GoodsDeliveries"' in r["body"]]
    finally:
        server.stop()
    assert bodies
    with run_tasks():
        for body in bodies:
            assert (
                client.post(
                    reverse("exact_webhook"), data=body, content_type="application/json"
                ).status_code
                == 200
            )

    assert Shipment.objects.get(order=order).state == ShipmentState.CONFIRMED
    assert [s["transport"]["trackAndTrace"] for s in bol.shipments(placed["orderId"])] == [
        "3SHOOK01"
    ]
    assert SyncRun.objects.filter(entity="deliveries", triggered_by="webhook").count() == 1
    checkpoint = SyncCheckpoint.objects.get(connection=erp, entity="deliveries")
    assert checkpoint.timestamp > 0
    assert int(checkpoint.cursor) > 0
    assert ChannelOrder.objects.get(pk=order.pk).shipped_at is not None


def test_a_delivery_read_over_two_pages_is_one_shipment_sent_once(
    exact: ExactSandbox,
    bol: Any,
    bol_exact: Channel,
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from exactsync.sandbox import endpoints

    monkeypatch.setitem(endpoints.PAGE_SIZE, "sync", 2)  # three delivery rows: pages of two
    placed = bol.place_order([("ART-2", 1), ("ART-1", 2)])
    order = forwarded(bol_exact, placed["orderId"])
    # ART-1 picked from two storage locations: two rows of one order line, split over the pages
    exact.deliver_sales_order(
        order.exact_order_number,
        lines=[("ART-2", 1), ("ART-1", 1), ("ART-1", 1)],
        tracking_number="3SPAGE01",
        shipping_method_code="PNL",
    )

    run = deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    assert (shipment.state, shipped(shipment)) == (
        ShipmentState.CONFIRMED,
        [("ART-1", 2), ("ART-2", 1)],
    )
    [sent] = bol.shipments(placed["orderId"])
    assert sorted(i["quantity"] for i in sent["shipmentItems"]) == [1, 2]
    assert run.rows_read == 4  # one header, three lines
    checkpoint = SyncCheckpoint.objects.get(connection=erp, entity="deliveries")
    again = deliveries_pass(erp)
    assert (again.rows_read, again.created) == (0, 0)
    assert SyncCheckpoint.objects.get(pk=checkpoint.pk).cursor == checkpoint.cursor


def test_the_exact_side_knows_no_channels() -> None:
    import ast
    from pathlib import Path

    import exactsync.sync.deliveries as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(str(name).startswith("channels_app") for name in imported)
