"""Fixtures for tracking numbers: Exact with the channel catalogue, one forwarding channel per
kind (each on its sandbox, its connector on the shared clock), orders placed, polled and
forwarded, and a way to run what the code queues (on commit, inline)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from channels_app.connectors.base import ChannelConnector
from channels_app.connectors.registry import build_connector
from channels_app.fulfilment import confirm
from channels_app.intake import poll_orders
from channels_app.listings import match_listings
from channels_app.models import (
    CarrierMapping,
    Channel,
    ChannelKind,
    ChannelOrder,
    FulfilmentMode,
    OrderState,
)
from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from exactsync.models import Account, ExactConnection, ShippingMethod, VatCode
from exactsync.sandbox import ExactSandbox
from exactsync.sync import run_entity
from tests.channels_app.conftest import (
    AMAZON_NL,
    AMAZON_SELLER,
    CATALOGUE,
    SHOP,
    SHOPIFY_SECRET,
    SHOPIFY_TOKEN,
    WOO_KEY,
    WOO_SECRET,
    Clock,
)
from tests.exact.conftest import relogin
from tests.exact.sync_helpers import sync
from tests.factories import ChannelFactory


@pytest.fixture(autouse=True)
def _connectors_on_the_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """The confirmation handler's connectors share the sandboxes' clock (bol's process polling
    costs no real time). They are the real connectors, pointed at the sandboxes."""

    def factory(channel: Channel, **kwargs: Any) -> ChannelConnector:
        return build_connector(channel, sleep=clock.sleep, clock=clock)

    monkeypatch.setattr(confirm, "build_connector", factory)


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with run_tasks():` what the block queues on commit runs when it ends (tasks are inline)."""

    @contextmanager
    def run() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def erp(exact: ExactSandbox, exact_connection: ExactConnection) -> ExactConnection:
    """Exact with the channel catalogue's products, the marketplace customers, shipping methods."""
    exact.reset(seed=9, items=0)
    for product in CATALOGUE[:3]:
        exact.add_item(Code=product["code"], Barcode=product["ean"], Description=product["title"])
        exact.set_stock(product["code"], "1", current=100)
    relogin(exact, exact_connection)
    sync(exact_connection, "reference", "accounts", "items", "stock")
    assert ShippingMethod.objects.filter(connection=exact_connection, code="PNL").exists()
    return exact_connection


CREDENTIALS: dict[str, Callable[[Any], dict[str, Any]]] = {
    ChannelKind.BOL: lambda s: {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    },
    ChannelKind.SHOPIFY: lambda s: {
        "shop_domain": SHOP,
        "access_token": SHOPIFY_TOKEN,
        "app_secret": SHOPIFY_SECRET,
    },
    ChannelKind.WOOCOMMERCE: lambda s: {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET},
    ChannelKind.AMAZON: lambda s: {
        "lwa_client_id": "amzn-client",
        "lwa_client_secret": "amzn-secret",
        "refresh_token": "Atzr|sandbox",
        "seller_id": AMAZON_SELLER,
        "marketplace_ids": AMAZON_NL,
    },
}
AUTH_URLS = {ChannelKind.BOL: "/token", ChannelKind.AMAZON: "/auth/o2/token"}


@pytest.fixture
def make_channel(
    erp: ExactConnection, connector_for: Callable[[Channel], ChannelConnector], request: Any
) -> Callable[..., Channel]:
    """A channel of `kind` on its sandbox (reset), forwarding to Exact, listings matched."""

    def make(kind: str, mode: str = FulfilmentMode.EXACT, **fields: Any) -> Channel:
        sandbox = request.getfixturevalue({"woocommerce": "woo"}.get(kind, kind))
        server = request.getfixturevalue(f"{ {'woocommerce': 'woo'}.get(kind, kind) }_server")
        channel = ChannelFactory(
            name=f"{ChannelKind(kind).label} winkel",
            kind=kind,
            connection=erp,
            base_url=server.url,
            auth_url=f"{server.url}{AUTH_URLS[kind]}" if kind in AUTH_URLS else "",
            credentials=CREDENTIALS[kind](sandbox),
            forward_orders=True,
            customer=Account.objects.filter(connection=erp, is_customer=True).first(),
            default_vat_code=VatCode.objects.get(connection=erp, code="3"),
            fulfilment_mode=mode,
            **fields,
        )
        match_listings(channel, connector=connector_for(channel))
        return channel

    return make


@pytest.fixture
def poll(
    connector_for: Any, run_tasks: Callable[[], Any], clock: Clock
) -> Callable[[Channel], None]:
    """Read the channel's orders; what intake queues (forwarding to Exact) runs. The clock moves
    past Amazon's "orders of the last two minutes are not listed yet" window first."""

    def run(channel: Channel) -> None:
        clock.advance(200)
        with run_tasks():
            poll_orders(channel, connector=connector_for(channel))

    return run


@pytest.fixture
def forwarded(poll: Callable[[Channel], None]) -> Callable[[Channel, str], ChannelOrder]:
    """Poll, then the order (by channel order id) as forwarded to Exact."""

    def get(channel: Channel, external_id: str) -> ChannelOrder:
        poll(channel)
        order = ChannelOrder.objects.get(channel=channel, external_id=external_id)
        assert order.state == OrderState.FORWARDED, order.problems
        assert all(line.exact_line_id for line in order.lines.all())
        return order

    return get


@pytest.fixture
def deliveries_pass(run_tasks: Callable[[], Any]) -> Callable[[ExactConnection], Any]:
    """One incremental deliveries pass; the confirmations it queues run."""

    def run(connection: ExactConnection) -> Any:
        with run_tasks():
            result = run_entity(connection, "deliveries", triggered_by="test")
        assert result.status in ("success", "partial"), result.error
        return result

    return run


def map_carrier(
    channel: Channel, carrier: str, code: str, name: str = "", **kw: Any
) -> CarrierMapping:
    return CarrierMapping.objects.create(
        channel=channel, carrier=carrier, channel_code=code, channel_carrier_name=name, **kw
    )
