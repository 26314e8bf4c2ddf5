"""The drop guard: a pass taking too many listings to 0 at once waits for staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels_app.models import Channel, HeldPassState, HeldStockPass, Listing, StockPush
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from exactsync.models import Product, Warehouse
from tests.channels_app.conftest import CATALOGUE, ean13
from tests.factories import ProductFactory

from .conftest import set_free

pytestmark = pytest.mark.django_db
WOO_BATCH = "/products/batch"
CODES = [f"GRD-{n}" for n in range(10)]


@pytest.fixture
def shop(
    woo_server: Any,
    clock: Any,
    woo_channel: Channel,
    connection: Any,
    warehouse: Warehouse,
    matched: Callable[[Channel], None],
) -> tuple[WooCommerceSandbox, dict[str, Product], dict[str, Listing]]:
    """A shop with ten more products, all listed, all pushed at 5."""
    clock.reset()
    rows = [
        {"code": code, "ean": ean13(f"8720000000{n:02d}"), "title": code, "price": "1.00"}
        for n, code in enumerate(CODES)
    ]
    woo = woo_server.app.reset(seed=1, products=CATALOGUE[:3] + rows)
    ours = {
        c: ProductFactory(connection=connection, code=c, ean=r["ean"])
        for c, r in zip(CODES, rows, strict=True)
    }
    for product in ours.values():
        set_free(product, warehouse, 5)
    matched(woo_channel)  # before the switch goes on: matching itself queues no push here
    woo_channel.sync_stock = True
    woo_channel.save()
    listings = {
        x.product.code: x
        for x in Listing.objects.filter(channel=woo_channel, product__code__in=CODES)
    }
    Listing.objects.filter(channel=woo_channel).update(last_pushed_quantity=5)
    woo.calls.clear()
    return woo, ours, listings


def test_a_pass_taking_most_listings_to_zero_is_held_and_shown_to_staff(
    shop: Any,
    woo_channel: Channel,
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
    ecommerce_client: Any,
) -> None:
    woo, products, _listings = shop
    for code in CODES[:8]:  # 8 of 13 active listings (> 50 % and > a handful) to 0
        set_free(products[code], warehouse, 0)
    set_free(products[CODES[9]], warehouse, 7)

    stock_changed(*products.values())

    assert woo.count_calls(WOO_BATCH) == 0  # the whole pass is held, the 7 too
    held = HeldStockPass.objects.get(channel=woo_channel)
    assert (held.state, held.to_zero, held.active_listings) == (HeldPassState.HELD, 8, 13)
    assert len(held.quantities) == 9
    assert not StockPush.objects.exists()

    page = ecommerce_client.get(f"/admin/channels_app/channel/{woo_channel.pk}/change/")
    assert page.status_code == 200
    assert b"8 listing(s) would go to 0" in page.content
    assert b'id="stock-confirm"' in page.content
    assert b'id="stock-discard"' in page.content


def test_a_few_zeros_are_not_suspicious(
    shop: Any, woo_channel: Channel, warehouse: Warehouse, stock_changed: Callable[..., None]
) -> None:
    woo, products, listings = shop
    for code in CODES[:5]:  # a handful: pushed, whatever the share
        set_free(products[code], warehouse, 0)
    woo_channel.drop_guard_share = "0.1"
    woo_channel.save()

    stock_changed(*products.values())

    assert not HeldStockPass.objects.exists()
    assert [woo.stock(int(listings[c].external_id)) for c in CODES[:5]] == [0] * 5


def test_confirm_pushes_the_held_listings(
    shop: Any,
    woo_channel: Channel,
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
    ecommerce_client: Any,
    run_tasks: Callable[[], Any],
) -> None:
    woo, products, listings = shop
    for code in CODES[:8]:
        set_free(products[code], warehouse, 0)
    stock_changed(*products.values())
    held = HeldStockPass.objects.get()

    with run_tasks():
        response = ecommerce_client.post(
            f"/admin/channels_app/channel/{woo_channel.pk}/stock/held/{held.pk}/confirm/"
        )

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.state == HeldPassState.CONFIRMED
    assert held.decided_by is not None
    assert [woo.stock(int(listings[c].external_id)) for c in CODES[:8]] == [0] * 8
    assert StockPush.objects.filter(reason="confirmed", ok=True).count() == 8


def test_discard_pushes_nothing_and_later_zeros_of_a_held_listing_stay_held(
    shop: Any,
    woo_channel: Channel,
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
    ecommerce_client: Any,
) -> None:
    woo, products, listings = shop
    for code in CODES[:8]:
        set_free(products[code], warehouse, 0)
    stock_changed(*products.values())

    # while held: one listing comes back above 0 (pushed), another is announced at 0 again (held)
    set_free(products[CODES[0]], warehouse, 3)
    stock_changed(products[CODES[0]], products[CODES[1]])

    assert woo.count_calls(WOO_BATCH) == 1
    assert woo.stock(int(listings[CODES[0]].external_id)) == 3
    held = HeldStockPass.objects.get()
    assert str(listings[CODES[0]].pk) not in held.quantities
    assert held.quantities[str(listings[CODES[1]].pk)] == 0

    response = ecommerce_client.post(
        f"/admin/channels_app/channel/{woo_channel.pk}/stock/held/{held.pk}/discard/"
    )

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.state == HeldPassState.DISCARDED
    assert woo.count_calls(WOO_BATCH) == 1
    assert woo.stock(int(listings[CODES[1]].external_id)) != 0
