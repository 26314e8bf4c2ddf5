"""The stock pages staff use: the explanation per product and channel, the listing's link, the
channel page's stock part."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from channels_app.models import Channel, Listing
from exactsync.models import BomKind, BomLine, Product, Warehouse
from tests.factories import ProductFactory

from .conftest import set_free

pytestmark = pytest.mark.django_db


def test_the_explanation_shows_the_number_and_every_term_to_an_e_commerce_user(
    woo: Any,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    ecommerce_client: Any,
) -> None:
    listing = listed(woo_channel)["ART-1"]
    Listing.objects.filter(pk=listing.pk).update(buffer_override=2)
    set_free(products["ART-1"], warehouse, 9)
    woo_channel.stock_cap = 100
    woo_channel.save()

    listing_page = ecommerce_client.get(f"/admin/channels_app/listing/{listing.pk}/change/")
    url = f"/admin/channels_app/channel/{woo_channel.pk}/availability/{products['ART-1'].pk}/"
    assert url.encode() in listing_page.content

    page = ecommerce_client.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert '<span class="availability-quantity">7</span>' in text
    for term in (
        "<th>Free stock</th><td>9 (1: 9)</td>",
        "<th>Buffer (listing&#x27;s)</th><td>- 2</td>",
        "<th>Cap</th><td>100</td>",
    ):
        assert term in text


def test_the_product_page_of_a_kit_lists_every_channel_and_the_components(
    connection: Any,
    woo_channel: Channel,
    bol_channel: Channel,
    warehouse: Warehouse,
    ecommerce_client: Any,
) -> None:
    part = ProductFactory(connection=connection, code="PART")
    set_free(part, warehouse, 13)
    kit = ProductFactory(connection=connection, code="KIT", is_kit=True, is_stock_item=False)
    BomLine.objects.create(
        connection=connection, kit=kit, component=part, quantity=Decimal(4), kind=BomKind.ASSEMBLY
    )

    page = ecommerce_client.get(f"/admin/channels_app/channel/availability/product/{kit.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('<span class="availability-quantity">3</span>') == 2  # both channels
    assert "<td>PART</td><td>4</td><td>13</td><td>0</td><td>13</td><td>3</td>" in text.replace(
        "\n", ""
    )


def test_staff_without_channel_access_cannot_see_the_explanation(
    woo_channel: Channel, products: dict[str, Product], purchaser_client: Any
) -> None:
    url = f"/admin/channels_app/channel/{woo_channel.pk}/availability/{products['ART-1'].pk}/"
    assert purchaser_client.get(url).status_code == 403


def test_the_channel_page_shows_failed_pushes_and_the_stock_buttons(
    woo: Any,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    ecommerce_client: Any,
) -> None:
    listing = listed(woo_channel, pushed=3)["ART-3"]
    Listing.objects.filter(pk=listing.pk).update(
        last_push_error="WooCommerce answered 500", push_attempts=2
    )

    page = ecommerce_client.get(f"/admin/channels_app/channel/{woo_channel.pk}/change/")

    text = page.content.decode()
    assert "WooCommerce answered 500" in text
    assert 'id="stock-push-all-button"' in text
    assert 'id="stock-reconcile-button"' in text
    assert "1 listing(s)</a>, retried with backoff" in text


def test_editing_the_buffer_on_the_channel_page_recomputes_and_pushes_every_listing(
    woo: Any,
    woo_channel: Channel,
    listed: Callable[..., dict[str, Listing]],
    products: dict[str, Product],
    warehouse: Warehouse,
    run_tasks: Callable[[], Any],
) -> None:
    from types import SimpleNamespace

    from django.contrib import admin
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    listings = listed(woo_channel, pushed=8)
    for product in products.values():
        set_free(product, warehouse, 8)
    woo_channel.stock_buffer = 3
    woo_channel.save()
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    form = SimpleNamespace(
        instance=woo_channel, changed_data=["stock_buffer"], save_m2m=lambda: None
    )

    with run_tasks():
        admin.site._registry[Channel].save_related(request, form, [], change=True)

    assert {woo.stock(int(x.external_id)) for x in listings.values()} == {5}
