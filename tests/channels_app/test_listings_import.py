"""Listings linked by CSV: upload -> check -> preview -> confirm, as the e-commerce manager."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_app.imports import ListingResource
from channels_app.intake import poll_orders
from channels_app.models import Channel, ChannelOrder, Listing, MatchState, OrderState
from channels_app.sandbox.bol import BolSandbox
from exactsync.models import ImportJob, ImportStatus
from tests.factories import ChannelFactory, ProductFactory

from .support import holds, verbs

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:channels_app_listing_import")


@pytest.fixture
def channel(bol: BolSandbox, bol_channel: Channel, matched: Callable[[Channel], None]) -> Channel:
    matched(bol_channel)  # ART-1..3 linked; ZZ-404 unmatched
    return bol_channel


@pytest.fixture
def committing(ecommerce_client: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """The e-commerce manager's client, with the queued tasks run as the worker would."""

    class Committing:
        def post(self, *args: Any, **kwargs: Any) -> Any:
            with django_capture_on_commit_callbacks(execute=True):
                response = ecommerce_client.post(*args, **kwargs)
            return ecommerce_client.get(response.url) if response.status_code == 302 else response

    return Committing()


def check(connection: Any, text: str) -> Any:
    return ListingResource(connection=connection).import_file(
        io.BytesIO(text.encode()), dry_run=True
    )


def errors(report: Any) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.message) for e in report.errors]


def test_upload_check_confirm_links_by_hand_and_frees_the_parked_order(
    bol: BolSandbox, channel: Channel, connection: Any, committing: Any, connector_for: Any
) -> None:
    ProductFactory(connection=connection, code="ZZ-NEW", ean="")
    placed = bol.place_order([("ZZ-404", 2)])
    poll_orders(channel, connector=connector_for(channel))
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.NEEDS_MAPPING
    offer = bol.offer_for("ZZ-404")["offerId"]
    csv_text = (
        "listing_id,channel_sku,product_code\n"
        f"{offer},ZZ-404,ZZ-NEW\n"
        ",ART-1,ART-1\n"  # already linked to ART-1: nothing to do
        ",ART-2,ART-3\n"  # a different product: linked by hand
        ",ART-3,\n"  # no product code: left alone
    )

    page = committing.post(
        IMPORT_URL,
        {"import_file": SimpleUploadedFile("listings.csv", csv_text.encode(), "text/csv")},
    )

    job = page.context["job"]
    assert job.status == ImportStatus.VALIDATED, job.errors
    assert job.totals == {"new": 0, "update": 2, "skip": 2, "error": 0}
    assert job.sample[0]["changes"] == {"product": ["", "ZZ-NEW"]}
    assert Listing.objects.get(external_id=offer).product is None  # the check wrote nothing

    done = committing.post(reverse("admin:channels_app_listing_import_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert done.status_code == 200
    listing = Listing.objects.get(external_id=offer)
    assert (listing.product.code, listing.match_state, listing.match_note) == (
        "ZZ-NEW",
        MatchState.MANUAL,
        "Linked by CSV import (line 2).",
    )
    assert {
        x.sku: (x.product.code, x.match_state)
        for x in Listing.objects.filter(channel=channel, sku__startswith="ART").select_related(
            "product"
        )
    } == {
        "ART-1": ("ART-1", MatchState.MATCHED_EAN),
        "ART-2": ("ART-3", MatchState.MANUAL),
        "ART-3": ("ART-3", MatchState.MATCHED_EAN),
    }
    order.refresh_from_db()
    # mapped now; this channel does not forward orders, so forwarding keeps it here
    assert (order.state, order.problems, holds(order)) == (
        OrderState.NOT_FORWARDED,
        [],
        [("ZZ-NEW", 2)],
    )
    assert verbs(order) == [
        "order.received",
        "order.needs_mapping",
        "order.mapped",
        "hold.placed",
        "forward.kept_here",
    ]
    assert ImportJob.objects.get().created_by.username == "eva"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (",ZZ-404,NOPE", [(2, "product_code", "Unknown product code 'NOPE'.")]),
        (
            "missing-offer,,ART-1",
            [
                (
                    2,
                    "listing_id",
                    "bol.com winkel has no listing 'missing-offer' (run Match listings first).",
                )
            ],
        ),
        (",NO-SKU,ART-1", [(2, "channel_sku", "bol.com winkel has no listing with SKU 'NO-SKU'.")]),
        (",,ART-1", [(2, "listing_id", "Neither a listing id nor a channel SKU is given.")]),
        (
            ",ZZ-404,ART-1\n,ZZ-404,ART-2",
            [(3, "listing_id", "The same listing is on line 2 too.")],
        ),
    ],
)
def test_bad_rows_are_reported_by_line_and_column(
    channel: Channel, connection: Any, rows: str, expected: list[tuple[int, str, str]]
) -> None:
    report = check(connection, f"listing_id,channel_sku,product_code\n{rows}\n")

    assert errors(report) == expected
    assert report.written is False


def test_the_channel_column_is_needed_when_there_are_several_channels(
    channel: Channel, connection: Any
) -> None:
    ChannelFactory(name="Tweede kanaal", connection=connection)

    unnamed = check(connection, "channel_sku,product_code\nZZ-404,ART-1\n")
    named = check(connection, "channel,channel_sku,product_code\nBOL.COM WINKEL,ZZ-404,ART-1\n")
    wrong = check(connection, "channel,channel_sku,product_code\nMarktplaats,ZZ-404,ART-1\n")

    assert errors(unnamed) == [
        (2, "channel", "Name the channel (channels: bol.com winkel, Tweede kanaal).")
    ]
    assert (errors(named), named.totals["update"]) == ([], 1)
    assert errors(wrong) == [(2, "channel", "Unknown channel 'Marktplaats'.")]


def test_a_file_without_the_needed_columns_is_refused_whole(
    channel: Channel, connection: Any
) -> None:
    report = check(connection, "sku,code\nZZ-404,ART-1\n")

    assert errors(report) == [
        (
            1,
            "sku",
            "Unknown column 'sku'. Expected: channel, listing_id, channel_sku, product_code.",
        ),
        (
            1,
            "code",
            "Unknown column 'code'. Expected: channel, listing_id, channel_sku, product_code.",
        ),
        (1, "product_code", "The file needs one column 'product_code'."),
        (1, "listing_id", "Missing column 'listing_id' (or 'channel_sku')."),
    ]


def test_the_export_can_be_filled_in_and_uploaded_as_it_is(
    channel: Channel, connection: Any, ecommerce_client: Any
) -> None:
    response = ecommerce_client.post(
        reverse("admin:channels_app_listing_export"), {"format": "0", **_all_fields()}
    )

    assert response.status_code == 200
    exported = response.content.decode()
    header, *rows = exported.strip().splitlines()
    assert header == "channel,listing_id,channel_sku,product_code,ean,title,match_state"
    assert len(rows) == 4
    report = check(connection, exported)
    # as exported: ART-1..3 already linked, ZZ-404 without a product code - nothing to do
    assert (errors(report), report.totals) == (
        [],
        {"new": 0, "update": 0, "skip": 4, "error": 0},
    )


def _all_fields() -> dict[str, str]:
    return {
        f"listingresource_{name}": "on"
        for name in (
            "channel",
            "listing_id",
            "channel_sku",
            "product_code",
            "ean",
            "title",
            "match_state",
        )
    }
