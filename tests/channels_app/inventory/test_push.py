"""Stock to the channels through the sandboxes: only changes, switches, batches, failures and
retries, new listings, "push all", and passes that coalesce."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from channels_app.inventory import mark_products_changed, run_stock_pass, sweep_stock
from channels_app.inventory.push import take_lease
from channels_app.models import Channel, Listing, PendingPush, StockPush, StockSyncState
from channels_app.sandbox.bol import BolSandbox
from channels_app.sandbox.shopify import ShopifySandbox
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from exactsync.models import Product, Warehouse

from .conftest import set_free

pytestmark = pytest.mark.django_db

WOO_BATCH = "/products/batch"
BOL_STOCK = "/stock"


def woo_shows(woo: WooCommerceSandbox, listing: Listing) -> int | None:
    return woo.stock(int(listing.external_id))


def bol_shows(bol: BolSandbox, listing: Listing) -> int:
    return bol.offer_stock(listing.external_id)["amount"]


def test_a_stock_change_pushes_only_the_listings_whose_quantity_changed(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    listings = listed(woo_channel, pushed=4)
    for code in ("ART-1", "ART-2", "ART-3"):
        set_free(products[code], warehouse, 4)
    set_free(products["ART-2"], warehouse, 9)
    woo.calls.clear()

    stock_changed(*products.values())

    assert woo.count_calls(WOO_BATCH) == 1  # one batch, one listing in it
    assert woo_shows(woo, listings["ART-2"]) == 9
    pushes = list(
        StockPush.objects.values_list("listing__product__code", "quantity", "ok", "reason")
    )
    assert pushes == [("ART-2", 9, True, "change")]
    assert Listing.objects.get(pk=listings["ART-2"].pk).last_pushed_quantity == 9

    stock_changed(*products.values())  # nothing changed since

    assert woo.count_calls(WOO_BATCH) == 1
    assert StockPush.objects.count() == 1


def test_channels_with_stock_sync_off_get_nothing(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    bol: BolSandbox,
    bol_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    woo_listings = listed(woo_channel, pushed=0)
    listed(bol_channel, pushed=0)
    Channel.objects.filter(pk=bol_channel.pk).update(sync_stock=False)
    set_free(products["ART-1"], warehouse, 6)
    woo.calls.clear()
    bol.calls.clear()

    stock_changed(products["ART-1"])

    assert woo_shows(woo, woo_listings["ART-1"]) == 6
    assert bol.count_calls(BOL_STOCK) == 0
    assert not StockPush.objects.filter(listing__channel=bol_channel).exists()


def test_many_listings_go_in_the_channels_batches(
    shopify: ShopifySandbox,
    shopify_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    listings = listed(shopify_channel, pushed=0)
    for n, product in enumerate(products.values(), start=1):
        set_free(product, warehouse, n * 10)
    before = shopify.count_operations("inventorySetQuantities")

    stock_changed(*products.values())

    assert shopify.count_operations("inventorySetQuantities") - before == 1  # 3 items, 1 mutation
    assert [
        shopify.available(listings[code].external_id, listings[code].location_id or None)
        for code in ("ART-1", "ART-2", "ART-3")
    ] == [10, 20, 30]


def test_a_failed_push_is_retried_with_backoff_and_never_blocks_the_others(
    bol: BolSandbox,
    bol_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
    run_tasks: Callable[[], Any],
) -> None:
    listings = listed(bol_channel, pushed=1)
    for product in products.values():
        set_free(product, warehouse, 8)
    bol.fail_process_next(1, message="Offer is on hold")  # the first PUT's process fails

    stock_changed(*products.values())

    failed = Listing.objects.exclude(last_push_error="").get(channel=bol_channel)
    ok = Listing.objects.filter(channel=bol_channel, last_pushed_quantity=8)
    assert ok.count() == 2  # the other offers got their quantity in the same pass
    assert (failed.push_attempts, failed.last_pushed_quantity) == (1, 1)
    assert "Offer is on hold" in failed.last_push_error
    assert failed.next_push_at is not None
    assert timedelta(seconds=55) < failed.next_push_at - timezone.now() <= timedelta(seconds=60)
    assert bol_shows(bol, failed) != 8

    with run_tasks():
        assert sweep_stock().startswith("0 retry(ies) due")  # not due yet
    Listing.objects.filter(pk=failed.pk).update(next_push_at=timezone.now())
    with run_tasks():
        sweep_stock()

    failed.refresh_from_db()
    assert (failed.last_pushed_quantity, failed.push_attempts, failed.last_push_error) == (8, 0, "")
    assert failed.next_push_at is None
    assert bol_shows(bol, failed) == 8
    reasons = list(
        StockPush.objects.filter(listing=failed)
        .order_by("pushed_at", "pk")
        .values_list("reason", "ok")
    )
    assert reasons == [("change", False), ("retry", True)]
    assert {bol_shows(bol, x) for x in listings.values()} == {8}


def test_a_channel_that_refuses_every_call_fails_each_listing_with_its_error(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    listed(woo_channel, pushed=0)
    set_free(products["ART-1"], warehouse, 3)
    set_free(products["ART-2"], warehouse, 4)
    woo.fail_next(5, status=500, paths=[WOO_BATCH])

    stock_changed(products["ART-1"], products["ART-2"])

    rows = Listing.objects.filter(channel=woo_channel).exclude(last_push_error="")
    assert rows.count() == 2
    assert {x.push_attempts for x in rows} == {1}
    state = StockSyncState.objects.get(pk=woo_channel.pk)
    assert "failed" in state.last_summary
    assert state.lease_until is None


def test_a_new_listing_gets_the_full_quantity_once(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    run_tasks: Callable[[], Any],
) -> None:
    for product in products.values():
        set_free(product, warehouse, 0)
    listings = listed(woo_channel)  # matched now: never pushed
    woo.calls.clear()

    with run_tasks():
        sweep_stock()

    assert [woo_shows(woo, listings[c]) for c in ("ART-1", "ART-2", "ART-3")] == [0, 0, 0]
    assert woo.count_calls(WOO_BATCH) == 1
    assert set(StockPush.objects.values_list("reason", flat=True)) == {"full"}

    with run_tasks():
        sweep_stock()  # pushed once, not again

    assert woo.count_calls(WOO_BATCH) == 1


def test_push_all_now_pushes_every_listing_even_unchanged_ones(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    superuser_client: Any,
    run_tasks: Callable[[], Any],
) -> None:
    listings = listed(woo_channel, pushed=0)  # we believe the channel shows 0: it does not
    woo.calls.clear()

    with run_tasks():
        response = superuser_client.post(
            f"/admin/channels_app/channel/{woo_channel.pk}/stock/push-all/"
        )

    assert response.status_code == 302
    assert woo.count_calls(WOO_BATCH) == 1
    assert [woo_shows(woo, listings[c]) for c in ("ART-1", "ART-2", "ART-3")] == [0, 0, 0]
    assert StockPush.objects.filter(reason="full", ok=True).count() == 3


def test_one_pass_per_channel_at_a_time_and_changes_during_a_pass_get_one_more_round(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listings = listed(woo_channel, pushed=0)
    art1 = products["ART-1"]
    set_free(art1, warehouse, 5)
    mark_products_changed(woo_channel.connection_id, [art1.pk])

    # another worker holds the channel: this pass leaves the work to it
    assert take_lease(woo_channel.pk, "someone-else")
    assert "a pass is running" in run_stock_pass(woo_channel.pk)
    assert woo.count_calls(WOO_BATCH) == 0
    StockSyncState.objects.filter(pk=woo_channel.pk).update(lease_until=None)

    # while the first push is on its way, stock changes again and is announced
    from channels_app.inventory import push

    real = push.build_connector

    def connector_that_sees_a_change(channel: Channel) -> Any:
        connector = real(channel)
        send = connector.push_stock

        def push_stock(updates: Any) -> Any:
            results = send(updates)
            if woo.count_calls(WOO_BATCH) == 1:
                set_free(art1, warehouse, 2)
                mark_products_changed(channel.connection_id, [art1.pk])
            return results

        connector.push_stock = push_stock  # type: ignore[method-assign]
        return connector

    monkeypatch.setattr(push, "build_connector", connector_that_sees_a_change)
    summary = run_stock_pass(woo_channel.pk)

    assert woo.count_calls(WOO_BATCH) == 2
    assert woo_shows(woo, listings["ART-1"]) == 2
    assert summary.count("pushed") == 1  # one pass (two rounds) under one lease
    assert not Listing.objects.exclude(stock_pending="").exists()


def test_the_sweeper_starts_a_pass_a_lost_task_left_behind(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    run_tasks: Callable[[], Any],
) -> None:
    listings = listed(woo_channel, pushed=0)
    set_free(products["ART-3"], warehouse, 13)
    Listing.objects.filter(pk=listings["ART-3"].pk).update(stock_pending=PendingPush.CHANGE)

    with run_tasks():
        result = sweep_stock()

    assert result.endswith("1 channel pass(es) queued")
    assert woo_shows(woo, listings["ART-3"]) == 13
    assert list(StockPush.objects.values_list("quantity", "reason")) == [(13, "change")]


def test_a_long_pass_hands_its_worker_back_and_continues_in_a_new_task(
    bol: BolSandbox,
    bol_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from channels_app.inventory import push

    listings = listed(bol_channel, pushed=0)
    for product in products.values():
        set_free(product, warehouse, 6)
    monkeypatch.setattr(push, "TIME_SLICE", 0.0)  # every chunk is past the slice
    monkeypatch.setitem(push.SLOW_CHUNKS, "bol", 1)

    stock_changed(*products.values())

    assert {bol_shows(bol, x) for x in listings.values()} == {6}
    assert StockPush.objects.filter(ok=True).count() == len(listings)  # each once
    assert not Listing.objects.exclude(stock_pending="").exists()
    assert bol.count_calls(BOL_STOCK, method="PUT") == len(listings)


def test_what_can_be_oversold_is_pushed_first_on_a_channel_of_one_call_per_listing(
    bol: BolSandbox,
    bol_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    listings = listed(bol_channel, pushed=5)
    long_ago = timezone.now() - timedelta(hours=1)
    # ART-1 waited longest, so by age alone it would go first
    Listing.objects.filter(pk=listings["ART-1"].pk).update(last_pushed_at=long_ago)
    Listing.objects.exclude(pk=listings["ART-1"].pk).update(last_pushed_at=timezone.now())
    set_free(products["ART-1"], warehouse, 9)  # restocked: up
    set_free(products["ART-2"], warehouse, 0)  # sold out
    set_free(products["ART-3"], warehouse, 2)  # sold some: down
    bol.calls.clear()

    stock_changed(*products.values())

    offers = {x.external_id: code for code, x in listings.items()}
    order = [
        offers[c.path.split("/")[-2]]
        for c in bol.calls
        if c.method == "PUT" and c.path.endswith(BOL_STOCK)
    ]
    assert order == ["ART-2", "ART-3", "ART-1"]
    assert [bol_shows(bol, listings[c]) for c in ("ART-1", "ART-2", "ART-3")] == [9, 0, 2]


def test_a_component_change_pushes_the_kits_that_contain_it(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    from decimal import Decimal

    from exactsync.models import BomLine

    kit, part = products["ART-3"], products["ART-1"]
    BomLine.objects.create(connection=kit.connection, kit=kit, component=part, quantity=Decimal(2))
    Product.objects.filter(pk=kit.pk).update(is_kit=True, is_stock_item=False)
    listings = listed(woo_channel, pushed=0)
    set_free(part, warehouse, 9)
    woo.calls.clear()

    stock_changed(part)  # only the component is announced

    assert woo_shows(woo, listings["ART-1"]) == 9
    assert woo_shows(woo, listings["ART-3"]) == 4  # floor(9 / 2)
    assert woo.count_calls(WOO_BATCH) == 1


def test_no_task_is_queued_when_no_channel_syncs_stock(
    woo_channel: Channel,
    products: dict[str, Product],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from exactsync.models import StockLevel
    from exactsync.signals import stock_levels_changed

    with django_capture_on_commit_callbacks() as queued:
        stock_levels_changed.send(
            sender=StockLevel, connection=woo_channel.connection, product_ids={products["ART-1"].pk}
        )

    assert queued == []


def test_a_channel_that_cannot_be_called_fails_its_listings_with_words_staff_can_act_on(
    woo: WooCommerceSandbox,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    stock_changed: Callable[..., None],
) -> None:
    listed(woo_channel, pushed=0)
    Channel.objects.filter(pk=woo_channel.pk).update(credentials={})
    set_free(products["ART-1"], warehouse, 3)
    woo.calls.clear()

    stock_changed(products["ART-1"])

    failed = Listing.objects.get(channel=woo_channel, sku="ART-1")
    assert "has no Consumer key, Consumer secret" in failed.last_push_error
    assert failed.push_attempts == 1
    assert failed.next_push_at is not None
    assert list(StockPush.objects.values_list("quantity", "ok")) == [(3, False)]
    assert woo.calls == []
