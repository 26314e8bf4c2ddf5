"""Fixtures for stock to the channels: warehouses, free stock, listings on the channel sandboxes,
and the connectors on the shared clock (bol's process polling costs no real time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from channels_app.connectors.base import ChannelConnector
from channels_app.connectors.registry import build_connector
from channels_app.inventory import push, reconcile
from channels_app.models import Channel, Listing
from exactsync.models import ExactConnection, Product, StockLevel, Warehouse
from exactsync.signals import stock_levels_changed
from tests.channels_app.conftest import Clock
from tests.exact.conftest import exact, exact_connection, exact_server  # noqa: F401
from tests.factories import WarehouseFactory


@pytest.fixture(autouse=True)
def _connectors_on_the_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    def factory(channel: Channel) -> ChannelConnector:
        return build_connector(channel, sleep=clock.sleep, clock=clock)

    monkeypatch.setattr(push, "build_connector", factory)
    monkeypatch.setattr(reconcile, "build_connector", factory)


@pytest.fixture
def warehouse(connection: ExactConnection) -> Warehouse:
    return WarehouseFactory(connection=connection, code="1", description="Main")


def set_free(product: Product, warehouse: Warehouse, free: float | str) -> None:
    StockLevel.objects.update_or_create(
        product=product,
        warehouse=warehouse,
        defaults={"connection_id": product.connection_id, "free": Decimal(str(free))},
    )


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with run_tasks():` queued tasks (on commit) run when the block ends, inline."""

    @contextmanager
    def run() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def stock_changed(run_tasks: Callable[[], Any]) -> Callable[..., None]:
    """Announce changed stock as our Exact stock sync does, and run what it queues."""

    def send(*products: Product) -> None:
        with run_tasks():
            stock_levels_changed.send(
                sender=StockLevel,
                connection=products[0].connection,
                product_ids={p.pk for p in products},
            )

    return send


@pytest.fixture
def listed(
    matched: Callable[[Channel], None], products: dict[str, Product], warehouse: Warehouse
) -> Callable[..., dict[str, Listing]]:
    """Match a channel's listings, then turn its stock sync on (so matching queued no push), mark
    them pushed at `pushed` (as if a first full push happened), and return code -> listing."""

    def setup(channel: Channel, pushed: int | None = None) -> dict[str, Listing]:
        matched(channel)
        channel.sync_stock = True
        channel.save()
        listings = {
            x.product.code: x
            for x in Listing.objects.filter(channel=channel, product__isnull=False).select_related(
                "product"
            )
        }
        if pushed is not None:
            Listing.objects.filter(pk__in=[x.pk for x in listings.values()]).update(
                last_pushed_quantity=pushed
            )
        return listings

    return setup
