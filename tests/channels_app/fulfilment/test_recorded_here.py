"""We ship outside Exact: staff record shipments on the order page, upload a CSV (preview, then
confirm), or a shipping tool posts JSON; each is confirmed once on the channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from channels_app.models import (
    Channel,
    ChannelKind,
    ChannelOrder,
    FulfilmentMode,
    Shipment,
    ShipmentSource,
    ShipmentState,
)
from exactsync.models import ExactConnection, ImportJob, ImportStatus, Outbox
from tests.channels_app.support import verbs
from tests.factories import UserFactory

from .conftest import map_carrier

pytestmark = pytest.mark.django_db
TOKEN = "shipping-tool-token"


@pytest.fixture
def operator_client(roles: None) -> Client:
    client = Client()
    client.force_login(UserFactory(username="olaf", groups=["operator"]))
    return client


@pytest.fixture
def woo_here(make_channel: Callable[..., Channel]) -> Channel:
    channel = make_channel(ChannelKind.WOOCOMMERCE, mode=FulfilmentMode.HERE)
    map_carrier(channel, "PostNL", "PostNL")
    return channel


@pytest.fixture
def woo_order(woo: Any, woo_here: Channel, forwarded: Any) -> ChannelOrder:
    placed = woo.place_order([("ART-1", 2), ("ART-2", 1)])
    return forwarded(woo_here, str(placed["id"]))


def line_field(order: ChannelOrder, sku: str) -> str:
    return f"line_{order.lines.get(sku=sku).pk}"


def test_staff_record_a_partial_shipment_on_the_order_page(
    woo: Any, woo_order: ChannelOrder, operator_client: Client, run_tasks: Any
) -> None:
    page = operator_client.get(
        reverse("admin:channels_app_channelorder_change", args=[woo_order.pk])
    )
    record_url = reverse("admin:channels_app_shipment_record", args=[woo_order.pk])
    assert page.status_code == 200
    assert record_url in page.content.decode()
    form = operator_client.get(record_url)
    assert form.status_code == 200
    assert form.context["form"][line_field(woo_order, "ART-1")].initial == 2

    with run_tasks():
        response = operator_client.post(
            record_url,
            {
                "carrier": "PostNL",
                "tracking_number": "3SWOO001",
                line_field(woo_order, "ART-1"): "1",
                line_field(woo_order, "ART-2"): "0",
            },
        )

    assert response.status_code == 302
    shipment = Shipment.objects.get(order=woo_order)
    assert (shipment.source, shipment.state, shipment.created_by.username) == (
        ShipmentSource.MANUAL,
        ShipmentState.CONFIRMED,
        "olaf",
    )
    assert [
        (t["tracking_provider"], t["tracking_number"])
        for t in woo.trackings(int(woo_order.external_id))
    ] == [("PostNL", "3SWOO001")]
    assert woo.order(int(woo_order.external_id))["status"] == "processing"  # not everything shipped
    assert verbs(woo_order)[-3:] == ["shipment.recorded", "shipment.queued", "shipment.confirmed"]

    with run_tasks():  # the rest
        operator_client.post(
            record_url,
            {
                "carrier": "PostNL",
                "tracking_number": "3SWOO002",
                line_field(woo_order, "ART-1"): "1",
                line_field(woo_order, "ART-2"): "1",
            },
        )
    assert woo.order(int(woo_order.external_id))["status"] == "completed"
    woo_order.refresh_from_db()
    assert woo_order.shipped_at is not None


def test_the_form_refuses_too_many_and_an_unmapped_carrier_and_stores_nothing(
    woo_order: ChannelOrder, operator_client: Client
) -> None:
    record_url = reverse("admin:channels_app_shipment_record", args=[woo_order.pk])
    response = operator_client.post(
        record_url,
        {
            "carrier": "Budbee",
            "tracking_number": "BB1",
            line_field(woo_order, "ART-1"): "3",
            line_field(woo_order, "ART-2"): "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["carrier"] == [
        'Carrier "Budbee" has no mapping on channel WooCommerce winkel: add it under the channel\'s carriers, '
        "then retry. Nothing was sent."
    ]
    assert errors["__all__"] == ["ART-1: 3 is more than the 2 still to ship (ordered 2)."]
    assert not Shipment.objects.exists()


def test_a_channel_that_ships_through_exact_refuses_manual_entry(
    bol: Any, make_channel: Callable[..., Channel], forwarded: Any, operator_client: Client
) -> None:
    channel = make_channel(ChannelKind.BOL)
    map_carrier(channel, "PostNL", "TNT")
    order = forwarded(channel, bol.place_order([("ART-1", 1)])["orderId"])
    response = operator_client.post(
        reverse("admin:channels_app_shipment_record", args=[order.pk]),
        {"carrier": "PostNL", "tracking_number": "3S1", line_field(order, "ART-1"): "1"},
    )
    assert "ships through Exact" in response.context["form"].errors["__all__"][0]
    assert not Shipment.objects.exists()


def test_fulfilment_off_records_the_shipment_as_skipped(
    bol: Any,
    make_channel: Callable[..., Channel],
    forwarded: Any,
    operator_client: Client,
    run_tasks: Any,
) -> None:
    channel = make_channel(ChannelKind.BOL, mode=FulfilmentMode.OFF)
    order = forwarded(channel, bol.place_order([("ART-1", 1)])["orderId"])
    with run_tasks():
        operator_client.post(
            reverse("admin:channels_app_shipment_record", args=[order.pk]),
            {"carrier": "Eigen koerier", "tracking_number": "K-1", line_field(order, "ART-1"): "1"},
        )
    assert Shipment.objects.get(order=order).state == ShipmentState.SKIPPED
    assert not Outbox.objects.filter(kind="channel_shipment").exists()
    assert bol.shipments(order.external_id) == []


# -- CSV ------------------------------------------------------------------------------------------
def upload(client: Client, text: str, connection: ExactConnection, run_tasks: Any) -> ImportJob:
    with run_tasks():
        response = client.post(
            reverse("admin:channels_app_shipment_import"),
            {
                "import_file": SimpleUploadedFile("shipments.csv", text.encode()),
                "connection": connection.pk,
            },
        )
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.get(
        kind="shipments",
        original_name="shipments.csv",
        status__in=[ImportStatus.INVALID, ImportStatus.VALIDATED],
    )


def test_a_csv_with_bad_rows_is_refused_with_line_and_column(
    woo: Any, woo_order: ChannelOrder, operator_client: Client, erp: ExactConnection, run_tasks: Any
) -> None:
    csv_text = (
        "order_number;carrier;tracking_number;line;quantity\n"
        f"{woo_order.number};PostNL;3SCSV001;ART-1;1\n"
        "NOPE-1;PostNL;3SCSV002;;\n"
        f"{woo_order.number};Budbee;BB-1;ART-2;1\n"
        f"{woo_order.number};PostNL;3SCSV003;ART-1;2\n"
    )
    job = upload(operator_client, csv_text, erp, run_tasks)

    assert job.status == ImportStatus.INVALID
    assert [(e["line"], e["column"], e["message"]) for e in job.errors] == [
        (3, "order_number", "Unknown order 'NOPE-1'."),
        (
            4,
            "carrier",
            'Carrier "Budbee" has no mapping on channel WooCommerce winkel: add it under the '
            "channel's carriers, then retry. Nothing was sent.",
        ),
        (5, "line", "ART-1: 2 is more than the 1 still to ship (ordered 2, shipped 1)."),  # line 2
    ]
    page = operator_client.get(reverse("admin:channels_app_shipment_import_job", args=[job.pk]))
    assert "Unknown order &#x27;NOPE-1&#x27;." in page.content.decode()
    assert not Shipment.objects.exists()
    assert woo.trackings(int(woo_order.external_id)) == []


def test_a_good_csv_is_previewed_then_confirmed_and_a_second_upload_changes_nothing(
    woo: Any, woo_order: ChannelOrder, operator_client: Client, erp: ExactConnection, run_tasks: Any
) -> None:
    csv_text = (
        "order_number,carrier,tracking_number,line,quantity\n"
        f"{woo_order.number},PostNL,3SCSV010,ART-1,2\n"
        f"{woo_order.number},PostNL,3SCSV010,ART-2,\n"
    )
    job = upload(operator_client, csv_text, erp, run_tasks)
    assert job.status == ImportStatus.VALIDATED, job.errors
    assert job.totals["new"] == 1
    assert job.sample[0]["changes"]["lines"] == [None, "ART-1 x 2, ART-2 x 1"]
    assert not Shipment.objects.exists()  # a preview writes nothing

    with run_tasks():
        operator_client.post(reverse("admin:channels_app_shipment_import_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    shipment = Shipment.objects.get(order=woo_order)
    assert (shipment.source, shipment.state) == (ShipmentSource.CSV, ShipmentState.CONFIRMED)
    assert [t["tracking_number"] for t in woo.trackings(int(woo_order.external_id))] == ["3SCSV010"]
    assert woo.order(int(woo_order.external_id))["status"] == "completed"

    ImportJob.objects.all().delete()
    again = upload(operator_client, csv_text, erp, run_tasks)
    assert (again.status, again.totals["skip"], again.totals["new"]) == (
        ImportStatus.VALIDATED,
        2,
        0,
    )


# -- the shipping tool's JSON endpoint --------------------------------------------------------------
def post_json(client: Client, body: dict[str, Any], token: str = TOKEN) -> Any:
    return client.post(
        reverse("api_shipments"),
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_shipping_tool_posts_a_shipment_and_a_retry_is_harmless(
    woo: Any, woo_order: ChannelOrder, client: Client, settings: Any, run_tasks: Any
) -> None:
    settings.API_TOKENS = [TOKEN]
    body = {
        "order": woo_order.number,
        "carrier": "postnl",
        "tracking_number": "3SAPI001",
        "lines": [{"line": "ART-2", "quantity": 1}],
    }
    assert post_json(client, body, token="wrong").status_code == 401
    with run_tasks():
        first = post_json(client, body)
    assert first.status_code == 201, first.json()
    assert first.json()["state"] == ShipmentState.PENDING  # as answered; confirmed right after
    assert Shipment.objects.get().state == ShipmentState.CONFIRMED
    with run_tasks():
        again = post_json(client, body)
    assert (again.status_code, again.json()["shipment"]) == (200, first.json()["shipment"])
    assert [t["tracking_number"] for t in woo.trackings(int(woo_order.external_id))] == ["3SAPI001"]

    unknown = post_json(client, {**body, "order": "NOPE"})
    assert (unknown.status_code, unknown.json()["fields"]) == (
        400,
        {"order": "unknown order 'NOPE'"},
    )
    too_many = post_json(
        client, {**body, "tracking_number": "3SAPI002", "lines": [{"line": "ART-2", "quantity": 1}]}
    )
    assert too_many.status_code == 400
    assert too_many.json()["fields"] == {
        "lines": "ART-2: 1 is more than the 0 still to ship (ordered 1, shipped 1)."
    }


def test_an_unmapped_carrier_from_the_tool_is_kept_blocked_until_mapped(
    woo: Any,
    woo_here: Channel,
    woo_order: ChannelOrder,
    client: Client,
    settings: Any,
    run_tasks: Any,
) -> None:
    settings.API_TOKENS = [TOKEN]
    with run_tasks():
        response = post_json(
            client, {"order": woo_order.number, "carrier": "DHL", "tracking_number": "JVGL01"}
        )
    assert response.status_code == 201
    assert response.json()["state"] == ShipmentState.BLOCKED
    assert response.json()["reason"].startswith(
        'Carrier "DHL" has no mapping on channel WooCommerce winkel'
    )
    assert woo.trackings(int(woo_order.external_id)) == []

    with run_tasks():
        map_carrier(
            woo_here, "DHL", "DHL Parcel NL", tracking_url="https://dhl.example/t/{tracking}"
        )

    shipment = Shipment.objects.get()
    assert shipment.state == ShipmentState.CONFIRMED
    [tracking] = woo.trackings(int(woo_order.external_id))
    assert (tracking["tracking_provider"], tracking["tracking_link"]) == (
        "DHL Parcel NL",
        "https://dhl.example/t/JVGL01",
    )
