"""Reconcile: read what the channel shows, list the differences, fix them on request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels_app import tasks
from channels_app.models import (
    Channel,
    DifferenceState,
    Listing,
    StockDifference,
    StockPush,
    StockReconcile,
)
from channels_app.sandbox.shopify import ShopifySandbox
from exactsync.models import Product, Warehouse
from exactsync.schedules import SCHEDULES

from .conftest import set_free

pytestmark = pytest.mark.django_db


def test_reconcile_is_scheduled_nightly_and_the_sweeper_every_minute() -> None:
    plans = {p.func: p for p in SCHEDULES}
    assert plans["channels_app.tasks.reconcile_all_channels_task"].daily_at is not None
    assert plans["channels_app.tasks.stock_sweep_task"].minutes == 1


def test_reconcile_finds_a_difference_and_fixing_it_pushes_our_quantity(
    shopify: ShopifySandbox,
    shopify_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
    run_tasks: Callable[[], Any],
    ecommerce_client: Any,
) -> None:
    listings = listed(shopify_channel, pushed=0)
    for n, product in enumerate(products.values(), start=1):
        set_free(product, warehouse, n)
    stock_changed(*products.values())
    art2 = listings["ART-2"]
    shopify.set_available(art2.external_id, 99)  # sold in the shop's own till, say

    with run_tasks():
        assert tasks.reconcile_all_channels_task() == "1 stock reconcile(s) queued"

    run = StockReconcile.objects.get()
    assert (run.checked, run.differences, run.unreadable, run.error) == (3, 1, 0, "")
    difference = StockDifference.objects.get()
    assert (difference.listing_id, difference.shown, difference.computed) == (art2.pk, 99, 2)
    assert Listing.objects.get(pk=art2.pk).channel_quantity == 99
    page = ecommerce_client.get(f"/admin/channels_app/channel/{shopify_channel.pk}/change/")
    assert b'id="stock-differences"' in page.content
    assert b"<td>99</td>" in page.content

    with run_tasks():
        response = ecommerce_client.post(
            f"/admin/channels_app/channel/{shopify_channel.pk}/stock/reconcile/{run.pk}/fix/"
        )

    assert response.status_code == 302
    assert shopify.available(art2.external_id) == 2
    difference.refresh_from_db()
    assert difference.state == DifferenceState.FIXED
    assert difference.fixed_at is not None
    assert list(StockPush.objects.filter(reason="reconcile").values_list("listing_id", "ok")) == [
        (art2.pk, True)
    ]


def test_reconcile_on_a_channel_with_stock_sync_off_says_so(
    shopify: ShopifySandbox,
    shopify_channel: Channel,
    superuser_client: Any,
    run_tasks: Callable[[], Any],
) -> None:
    with run_tasks():
        superuser_client.post(f"/admin/channels_app/channel/{shopify_channel.pk}/stock/reconcile/")

    run = StockReconcile.objects.get()
    assert run.error == "Stock sync is off for this channel: nothing to compare."
    assert shopify.count_operations() == 0
