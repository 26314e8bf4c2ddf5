"""To the channel: the mapped carrier code in each of the four sandboxes, once per shipment even
when a response is lost, and the channel's refusal shown and retryable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels_app.fulfilment import carriers, retry
from channels_app.models import Channel, ChannelKind, ChannelOrder, Shipment, ShipmentState
from exactsync import outbox
from exactsync.models import ExactConnection, Outbox, OutboxState
from exactsync.sandbox import ExactSandbox
from tests.channels_app.support import verbs

from .conftest import map_carrier

pytestmark = pytest.mark.django_db


def place(kind: str, sandbox: Any, lines: list[tuple[str, int]]) -> str:
    """Place an order on a channel sandbox; returns our external id for it."""
    placed = sandbox.place_order(lines)
    key = {
        ChannelKind.BOL: "orderId",
        ChannelKind.SHOPIFY: "admin_graphql_api_id",
        ChannelKind.WOOCOMMERCE: "id",
        ChannelKind.AMAZON: "order_id",
    }[kind]
    return str(placed[key])


def seen_on_channel(kind: str, sandbox: Any, order: ChannelOrder) -> list[tuple[str, str, str]]:
    """(carrier code, carrier name, tracking number) of each shipment the channel shows."""
    if kind == ChannelKind.BOL:
        return [
            (s["transport"]["transporterCode"], "", s["transport"]["trackAndTrace"])
            for s in sandbox.shipments(order.external_id)
        ]
    if kind == ChannelKind.SHOPIFY:
        return [
            (t["company"], "", t["number"])
            for f in sandbox.fulfillments(order.external_id)
            for t in f["tracking_info"]
        ]
    if kind == ChannelKind.WOOCOMMERCE:
        return [
            (t["tracking_provider"], "", t["tracking_number"])
            for t in sandbox.trackings(int(order.external_id))
        ]
    return [
        (p["carrierCode"], p["carrierName"], p["trackingNumber"])
        for p in sandbox.shipments(order.external_id)
    ]


SANDBOX = {ChannelKind.WOOCOMMERCE: "woo"}


@pytest.mark.parametrize(
    ("kind", "carrier", "method"),
    [
        (ChannelKind.BOL, "PostNL", "PNL"),
        (ChannelKind.SHOPIFY, "PostNL", "PNL"),
        (ChannelKind.WOOCOMMERCE, "DPD", "DPD"),
        (ChannelKind.AMAZON, "PostNL", "PNL"),
        (ChannelKind.AMAZON, "UPS", "UPS"),
    ],
)
def test_each_channel_shows_the_shipment_with_its_mapped_carrier_code(
    kind: str,
    carrier: str,
    method: str,
    request: Any,
    exact: ExactSandbox,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    sandbox = request.getfixturevalue(SANDBOX.get(kind, kind))
    channel = make_channel(kind)
    suggestion = carriers.suggest(kind, carrier)
    assert suggestion is not None
    map_carrier(channel, carrier, suggestion.code, suggestion.carrier_name)
    order = forwarded(channel, place(kind, sandbox, [("ART-1", 2), ("ART-3", 1)]))
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number=f"TT-{kind}-1", shipping_method_code=method
    )

    deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    assert shipment.state == ShipmentState.CONFIRMED, shipment.error
    expected = {
        (ChannelKind.BOL, "PostNL"): ("TNT", ""),
        (ChannelKind.SHOPIFY, "PostNL"): ("PostNL", ""),
        (ChannelKind.WOOCOMMERCE, "DPD"): ("DPD.NL", ""),
        (ChannelKind.AMAZON, "PostNL"): ("Other", "PostNL"),
        (ChannelKind.AMAZON, "UPS"): ("UPS", ""),
    }[(kind, carrier)]
    assert seen_on_channel(kind, sandbox, order) == [(*expected, f"TT-{kind}-1")]
    assert shipment.channel_carrier_code == expected[0]
    if kind == ChannelKind.SHOPIFY:  # no link on the mapping: Exact's shipping method's template
        [fulfillment] = sandbox.fulfillments(order.external_id)
        assert fulfillment["tracking_info"][0]["url"] == (
            "https://jouw.postnl.nl/track-and-trace/TT-shopify-1"
        )


def test_a_lost_response_is_looked_up_on_bol_and_never_sent_twice(
    exact: ExactSandbox,
    bol: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
    run_tasks: Any,
    clock: Any,
) -> None:
    channel = make_channel(ChannelKind.BOL)
    map_carrier(channel, "PostNL", "TNT")
    order = forwarded(channel, place(ChannelKind.BOL, bol, [("ART-1", 1)]))
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="3SLOST01", shipping_method_code="PNL"
    )
    bol.fail_next(1, status=502, after_commit=True, paths=["/retailer/shipments"])

    deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    entry = Outbox.objects.get(idempotency_key=f"shipment:{shipment.pk}")
    assert entry.state == OutboxState.UNKNOWN
    assert shipment.state == ShipmentState.CONFIRMING
    assert "the channel is checked before anything is sent again" in shipment.error
    clock.advance(10)  # bol processes the shipment it did receive
    assert len(bol.shipments(order.external_id)) == 1

    Outbox.objects.filter(pk=entry.pk).update(next_attempt_at=entry.created_at)
    with run_tasks():
        outbox.process(entry.pk)

    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.CONFIRMED
    assert bol.count_calls("/retailer/shipments", method="POST") == 1
    assert len(bol.shipments(order.external_id)) == 1
    assert Outbox.objects.get(pk=entry.pk).result["found_on_channel"] is True
    # and recording the same shipment again is refused by the database key
    again, created = outbox.record(
        "channel_shipment", target=shipment, key=f"shipment:{shipment.pk}"
    )
    assert (again.pk, created) == (entry.pk, False)


def test_amazon_resends_with_the_same_package_reference_after_a_lost_response(
    exact: ExactSandbox,
    amazon: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    channel = make_channel(ChannelKind.AMAZON)
    map_carrier(channel, "PostNL", "Other", "PostNL")
    order = forwarded(channel, place(ChannelKind.AMAZON, amazon, [("ART-2", 1)]))
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="AMZLOST1", shipping_method_code="PNL"
    )
    amazon.fail_next(1, status=503, after_commit=True, paths=["shipmentConfirmation"])

    deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    assert shipment.state == ShipmentState.CONFIRMED
    assert shipment.external_id == str(shipment.pk)  # the package reference: our shipment id
    assert amazon.count_calls("shipmentConfirmation", method="POST") == 2  # sent, lost, sent again
    assert [p["trackingNumber"] for p in amazon.shipments(order.external_id)] == ["AMZLOST1"]


def test_a_bol_process_failure_is_shown_and_a_retry_sends_it_again(
    exact: ExactSandbox,
    bol: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
    run_tasks: Any,
) -> None:
    channel = make_channel(ChannelKind.BOL)
    map_carrier(channel, "PostNL", "TNT")
    order = forwarded(channel, place(ChannelKind.BOL, bol, [("ART-1", 1)]))
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="3SFAIL01", shipping_method_code="PNL"
    )
    bol.fail_process_next(1, status="FAILURE", message="Track and trace code is not valid for TNT.")

    deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    assert (shipment.state, shipment.error) == (
        ShipmentState.FAILED,
        "Track and trace code is not valid for TNT.",
    )
    entry = Outbox.objects.get(idempotency_key=f"shipment:{shipment.pk}")
    assert (entry.state, entry.last_error) == (
        OutboxState.FAILED,
        "Track and trace code is not valid for TNT.",
    )
    assert verbs(order)[-1] == "shipment.failed"
    assert bol.shipments(order.external_id) == []

    with run_tasks():  # staff retry (after checking the number)
        assert retry(shipment) == ShipmentState.PENDING

    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.CONFIRMED
    assert [s["transport"]["trackAndTrace"] for s in bol.shipments(order.external_id)] == [
        "3SFAIL01"
    ]


def test_shopify_user_errors_are_shown_on_the_shipment(
    exact: ExactSandbox,
    shopify: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    deliveries_pass: Any,
    erp: ExactConnection,
) -> None:
    channel = make_channel(ChannelKind.SHOPIFY)
    map_carrier(channel, "PostNL", "PostNL")
    order = forwarded(channel, place(ChannelKind.SHOPIFY, shopify, [("ART-1", 1)]))
    shopify.hold_fulfillment_order(order.external_id)
    exact.deliver_sales_order(
        order.exact_order_number, tracking_number="SHOPHOLD", shipping_method_code="PNL"
    )

    deliveries_pass(erp)

    shipment = Shipment.objects.get(order=order)
    assert shipment.state == ShipmentState.FAILED
    assert "hold" in shipment.error.lower(), shipment.error
    assert shopify.fulfillments(order.external_id) == []
    entry = Outbox.objects.get(idempotency_key=f"shipment:{shipment.pk}")
    assert (entry.state, entry.last_error) == (OutboxState.FAILED, shipment.error)
