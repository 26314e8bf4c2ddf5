"""End to end: a stock change in Exact reaches a channel through our stock sync."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels_app.listings import match_listings
from channels_app.models import ChannelKind, Listing, StockPush
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from exactsync.sandbox import ExactSandbox
from tests.channels_app.conftest import CATALOGUE, WOO_KEY, WOO_SECRET
from tests.exact.conftest import relogin
from tests.exact.sync_helpers import sync
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_a_stock_change_in_exact_arrives_on_the_channel(
    exact: ExactSandbox,
    exact_connection: Any,
    woo: WooCommerceSandbox,
    woo_server: Any,
    connector_for: Callable[..., Any],
    run_tasks: Callable[[], Any],
) -> None:
    exact.reset(seed=7, items=0)
    for row in CATALOGUE[:3]:
        exact.add_item(Code=row["code"], Barcode=row["ean"], Description=row["title"])
        exact.set_stock(row["code"], "1", current=20)
    relogin(exact, exact_connection)
    sync(exact_connection, "reference", "items", "stock")
    channel = ChannelFactory(
        kind=ChannelKind.WOOCOMMERCE,
        connection=exact_connection,
        base_url=woo_server.url,
        credentials={"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET},
        sync_stock=True,
    )
    with run_tasks():  # matching links the three and sends their stock straight away
        match_listings(channel, connector=connector_for(channel))
    listing = Listing.objects.get(channel=channel, sku="ART-2")
    assert sorted(StockPush.objects.values_list("listing__sku", "quantity", "ok")) == [
        ("ART-1", 20, True),
        ("ART-2", 20, True),
        ("ART-3", 20, True),
    ]
    first_pushes = set(StockPush.objects.values_list("pk", flat=True))

    exact.change_stock("ART-2", "1", -6)  # a B2B sale booked in Exact
    with run_tasks():
        sync(exact_connection, "stock")

    assert woo.stock(int(listing.external_id)) == 14
    assert list(
        StockPush.objects.exclude(pk__in=first_pushes).values_list("listing__sku", "quantity", "ok")
    ) == [("ART-2", 14, True)]
