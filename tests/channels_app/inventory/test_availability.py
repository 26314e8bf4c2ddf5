"""The formula, term by term: warehouses, holds, buffer and override, cap, floor at 0, kits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from channels_app.inventory import compute_availability, explain_availability
from channels_app.models import Channel, ChannelOrder, ChannelOrderLine, StockHold
from exactsync.models import BomKind, BomLine, Product, Warehouse
from tests.factories import ChannelFactory, ProductFactory, WarehouseFactory

from .conftest import set_free

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(connection: Any) -> Channel:
    return ChannelFactory(connection=connection, sync_stock=True)


@pytest.fixture
def second(connection: Any) -> Warehouse:
    return WarehouseFactory(connection=connection, code="2", description="Store")


def quantity(channel: Channel, product: Product) -> int:
    return compute_availability(channel, [product.pk])[product.pk].quantity


def hold(
    product: Product, qty: int, *, channel: Channel | None = None, released: bool = False
) -> StockHold:
    channel = channel or ChannelFactory(connection=product.connection)
    order = ChannelOrder.objects.create(
        channel=channel,
        external_id=f"o-{StockHold.objects.count()}",
        number="1",
        placed_at="2025-01-01T00:00Z",
    )
    line = ChannelOrderLine.objects.create(
        order=order, external_line_id="1", product=product, quantity=qty
    )
    return StockHold.objects.create(
        order=order,
        line=line,
        product=product,
        quantity=Decimal(qty),
        released_at="2025-01-02T00:00Z" if released else None,
    )


def test_free_stock_counts_the_channels_warehouses_else_the_connections_else_all(
    connection: Any, channel: Channel, warehouse: Warehouse, second: Warehouse
) -> None:
    product = ProductFactory(connection=connection)
    set_free(product, warehouse, 7)
    set_free(product, second, 3)

    assert quantity(channel, product) == 10  # nothing chosen anywhere: all warehouses

    connection.stock_warehouses.set([second])
    assert quantity(channel, product) == 3  # the connection's choice

    channel.warehouses.set([warehouse])
    assert quantity(channel, product) == 7  # the channel's own choice wins


def test_open_holds_of_every_channel_count_released_ones_do_not(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    product = ProductFactory(connection=connection)
    set_free(product, warehouse, 10)
    hold(product, 2, channel=channel)
    hold(product, 3)  # another channel's order
    hold(product, 4, released=True)

    assert quantity(channel, product) == 5


def test_buffer_is_the_channels_unless_the_listing_overrides_it(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    product = ProductFactory(connection=connection)
    set_free(product, warehouse, 10)
    channel.stock_buffer = 3
    channel.save()
    assert quantity(channel, product) == 7

    listing = channel.listings.create(external_id="x", product=product, buffer_override=1)
    explained = explain_availability(channel, product)
    assert (explained.quantity, explained.buffer, explained.buffer_source) == (9, 1, "listing")
    assert explained.listing_id == listing.pk


def test_cap_limits_and_the_quantity_never_goes_below_zero(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    plenty, short = ProductFactory(connection=connection), ProductFactory(connection=connection)
    set_free(plenty, warehouse, 500)
    set_free(short, warehouse, 2)
    channel.stock_cap, channel.stock_buffer = 50, 5
    channel.save()

    found = compute_availability(channel, [plenty.pk, short.pk])

    assert found[plenty.pk].quantity == 50
    assert found[plenty.pk].capped
    assert found[short.pk].quantity == 0  # 2 - 5, not -3


def test_fractional_free_stock_rounds_down(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    product = ProductFactory(connection=connection)
    set_free(product, warehouse, "4.75")
    assert quantity(channel, product) == 4


def kit_of(connection: Any, *parts: tuple[Product, str], stock_item: bool = False) -> Product:
    kit = ProductFactory(connection=connection, is_kit=True, is_stock_item=stock_item)
    for n, (component, per_kit) in enumerate(parts):
        BomLine.objects.create(
            connection=connection,
            kit=kit,
            component=component,
            quantity=Decimal(per_kit),
            kind=BomKind.ASSEMBLY,
            line_number=n,
        )
    return kit


def test_a_kit_offers_what_its_scarcest_component_allows(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    screw, plate = ProductFactory(connection=connection), ProductFactory(connection=connection)
    set_free(screw, warehouse, 25)
    set_free(plate, warehouse, 9)
    hold(plate, 1)  # the component's holds count too
    kit = kit_of(connection, (screw, "4"), (plate, "2"))

    explained = explain_availability(channel, kit)

    # screws: floor(25 / 4) = 6; plates: floor((9 - 1) / 2) = 4
    assert explained.quantity == 4
    assert [c.kits for c in explained.breakdown.components] == [6, 4]
    assert explained.breakdown.limiting.breakdown.code == plate.code


def test_a_kit_adds_its_own_stock_when_exact_keeps_kits_in_stock_and_subtracts_its_holds(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    part = ProductFactory(connection=connection)
    set_free(part, warehouse, 3)
    stocked = kit_of(connection, (part, "1"), stock_item=True)
    set_free(stocked, warehouse, 5)
    not_stocked = kit_of(connection, (part, "1"), stock_item=False)
    set_free(not_stocked, warehouse, 5)  # a stray position of a non-stock kit: ignored
    hold(stocked, 2)

    found = compute_availability(channel, [stocked.pk, not_stocked.pk])

    assert found[stocked.pk].quantity == 5 - 2 + 3
    assert found[not_stocked.pk].quantity == 3


def test_nested_kits_recurse_with_the_same_warehouses_and_holds(
    connection: Any, channel: Channel, warehouse: Warehouse, second: Warehouse
) -> None:
    bolt, nut, box = (ProductFactory(connection=connection) for _ in range(3))
    set_free(bolt, warehouse, 40)
    set_free(bolt, second, 1000)  # not the channel's warehouse
    set_free(nut, warehouse, 100)
    set_free(box, warehouse, 7)
    hold(box, 1)
    pack = kit_of(connection, (bolt, "10"), (nut, "10"))  # 4 packs
    crate = kit_of(connection, (pack, "2"), (box, "1"))  # min(4 / 2, 7 - 1) = 2
    channel.warehouses.set([warehouse])

    explained = explain_availability(channel, crate)

    assert explained.quantity == 2
    inner = explained.breakdown.components[0].breakdown
    assert (inner.code, inner.net, inner.kits_from_components) == (pack.code, Decimal(4), 4)


def test_the_explanation_names_every_term(
    connection: Any, channel: Channel, warehouse: Warehouse
) -> None:
    product = ProductFactory(connection=connection)
    set_free(product, warehouse, 12)
    hold(product, 2)
    channel.stock_buffer, channel.stock_cap = 1, 8
    channel.save()

    terms = dict(explain_availability(channel, product).terms())

    assert terms == {
        "Warehouses": "all warehouses (none chosen on the channel or the Exact connection)",
        "Free stock": "12 (1: 12)",
        "Open holds (orders not yet in Exact)": "- 2",
        "Before buffer (rounded down)": "10",
        "Buffer (channel's)": "- 1",
        "Cap": "8 (applied)",
        "Offered (never below 0)": "8",
    }


def test_many_products_cost_a_fixed_number_of_queries(
    connection: Any,
    channel: Channel,
    warehouse: Warehouse,
    django_assert_max_num_queries: Any,
) -> None:
    products = ProductFactory.create_batch(120, connection=connection)
    for product in products:
        set_free(product, warehouse, 3)
    kits = [kit_of(connection, (products[i], "1"), (products[i + 1], "1")) for i in range(0, 40, 2)]
    ids = [p.pk for p in products + kits]

    with django_assert_max_num_queries(10):
        found = compute_availability(channel, ids)

    assert {found[p.pk].quantity for p in products} == {3}
    assert {found[k.pk].quantity for k in kits} == {3}
