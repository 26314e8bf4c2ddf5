"""Holds move availability: an order stored here lowers every channel's quantity until Exact
has it; cancelling it, or Exact's sales order being seen, gives the units back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from channels_app.connectors.base import ChannelOrderData, OrderLineData
from channels_app.holds import release_holds_for_orders
from channels_app.intake import store_order
from channels_app.models import Channel, Listing
from channels_app.sandbox.bol import BolSandbox
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from exactsync.models import Product, Warehouse
from tests.channels_app.support import holds

from .conftest import set_free

pytestmark = pytest.mark.django_db
PLACED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def woo_order(listing: Listing, quantity: int, external_id: str = "9001") -> ChannelOrderData:
    return ChannelOrderData(
        external_id=external_id,
        number=external_id,
        status="processing",
        placed_at=PLACED,
        updated_at=PLACED,
        lines=[
            OrderLineData(
                external_line_id="1",
                quantity=quantity,
                sku=listing.sku,
                listing_external_id=listing.external_id,
            )
        ],
    )


@pytest.fixture
def shops(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    bol: BolSandbox,
    bol_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> tuple[dict[str, Listing], Callable[[], tuple[int, int]]]:
    """ART-1: 10 free, shown on WooCommerce and bol.com."""
    woo_listings = listed(woo_channel, pushed=0)
    bol_listings = listed(bol_channel, pushed=0)
    set_free(products["ART-1"], warehouse, 10)
    stock_changed(products["ART-1"])

    def shown() -> tuple[int, int]:
        return (
            woo.stock(int(woo_listings["ART-1"].external_id)),
            bol.offer_stock(bol_listings["ART-1"].external_id)["amount"],
        )

    assert shown() == (10, 10)
    return woo_listings, shown


def test_an_order_stored_here_lowers_every_channel_and_cancelling_it_gives_the_units_back(
    shops: Any, woo_channel: Channel, run_tasks: Callable[[], Any]
) -> None:
    listings, shown = shops
    data = woo_order(listings["ART-1"], 3)

    with run_tasks():
        order, _ = store_order(woo_channel, data, source="test")

    assert holds(order) == [("ART-1", 3)]
    assert shown() == (7, 7)

    with run_tasks():
        store_order(
            woo_channel,
            replace(data, cancelled=True, updated_at=PLACED.replace(hour=10)),
            source="test",
        )

    assert holds(order) == []
    assert shown() == (10, 10)


def test_releasing_the_holds_of_orders_seen_in_exact_gives_the_units_back(
    shops: Any, woo_channel: Channel, run_tasks: Callable[[], Any]
) -> None:
    listings, shown = shops
    with run_tasks():
        order, _ = store_order(woo_channel, woo_order(listings["ART-1"], 4), source="test")
    assert shown() == (6, 6)

    with run_tasks():
        released = release_holds_for_orders([order.pk], "sales order seen in Exact")

    assert released == 1
    assert holds(order, released=True) == [("ART-1", 4)]
    assert order.holds.get().release_reason == "sales order seen in Exact"
    assert shown() == (10, 10)
