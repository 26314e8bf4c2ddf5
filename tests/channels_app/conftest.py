"""Fixtures for the channels app: the four channel sandboxes on loopback, channels pointed at
them, our products matching their catalogues, and staff clients per role.

One server per sandbox for the whole session, reset per test. Sandbox and connectors share one
clock that starts at the real time and moves when a connector sleeps (or a test advances it),
so rate-limit waits, token expiry and Amazon's "two minutes ago" window cost no real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from werkzeug.wrappers import Request, Response

from channels_app.connectors.base import ChannelConnector
from channels_app.connectors.registry import build_connector
from channels_app.listings import match_listings
from channels_app.models import Channel, ChannelKind
from channels_app.sandbox.amazon import AmazonSandbox
from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BolSandbox
from channels_app.sandbox.shopify import ShopifySandbox
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from common.sandbox import SandboxServer
from tests.factories import ChannelFactory, ProductFactory, UserFactory

SHOP = "groothandel-test.myshopify.com"
SHOPIFY_TOKEN = "shpat_channels_app_test"
SHOPIFY_SECRET = "shopify-app-secret-for-tests"
WOO_KEY, WOO_SECRET = "ck_channels_app_test", "cs_channels_app_test"
WOO_WEBHOOK_SECRET = "woo-webhook-secret-for-tests"
AMAZON_SELLER, AMAZON_NL = "A1SANDBOXSELLER", "A1805IZSGTT6HS"


def ean13(twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


# The channels' catalogue. We know the first three products; ZZ-404 is sold on the channels but
# is not one of ours (its listing stays unmatched).
CATALOGUE = [
    {"code": "ART-1", "ean": ean13("871000000001"), "title": "Hamer 300 g", "price": "12.95"},
    {"code": "ART-2", "ean": ean13("871000000002"), "title": "Zaag 50 cm", "price": "24.50"},
    {"code": "ART-3", "ean": ean13("871000000003"), "title": "Tang 18 cm", "price": "9.99"},
    {"code": "ZZ-404", "ean": ean13("871000000404"), "title": "Onbekend", "price": "5.00"},
]


class Clock:
    """time.time and time.sleep in one: sleeping (or advance) moves it; no real waiting."""

    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def reset(self) -> None:
        with self._lock:
            self.now = time.time()
            self.sleeps.clear()


class Receiver:
    """Somewhere for the sandboxes to deliver webhooks to (tests replay the deliveries the
    sandboxes record into Django's test client)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        Request(environ).get_data()
        return Response("", status=200)(environ, start_response)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Staff users are made per test; hashing their passwords properly costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


def _serve(app: Any) -> Iterator[SandboxServer]:
    server = SandboxServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def receiver_url() -> Iterator[str]:
    for server in _serve(Receiver()):
        yield f"{server.url}/hook"


@pytest.fixture(scope="session")
def bol_server(clock: Clock) -> Iterator[SandboxServer]:
    yield from _serve(BolSandbox(clock=clock))


@pytest.fixture(scope="session")
def shopify_server(clock: Clock) -> Iterator[SandboxServer]:
    app = ShopifySandbox(
        SHOP, access_token=SHOPIFY_TOKEN, client_secret=SHOPIFY_SECRET, clock=clock
    )
    yield from _serve(app)


@pytest.fixture(scope="session")
def woo_server(clock: Clock) -> Iterator[SandboxServer]:
    yield from _serve(WooCommerceSandbox(WOO_KEY, WOO_SECRET, clock=clock))


@pytest.fixture(scope="session")
def amazon_server(clock: Clock) -> Iterator[SandboxServer]:
    yield from _serve(AmazonSandbox(marketplace_ids=(AMAZON_NL,), clock=clock))


@pytest.fixture
def bol(bol_server: SandboxServer, clock: Clock) -> BolSandbox:
    clock.reset()
    return bol_server.app.reset(seed=1, products=CATALOGUE)


@pytest.fixture
def shopify(shopify_server: SandboxServer, clock: Clock) -> ShopifySandbox:
    clock.reset()
    return shopify_server.app.reset(seed=1, products=CATALOGUE)


@pytest.fixture
def woo(woo_server: SandboxServer, clock: Clock) -> WooCommerceSandbox:
    clock.reset()
    return woo_server.app.reset(seed=1, products=CATALOGUE)


@pytest.fixture
def amazon(amazon_server: SandboxServer, clock: Clock) -> AmazonSandbox:
    clock.reset()
    return amazon_server.app.reset(seed=1, products=CATALOGUE)


@pytest.fixture
def products(connection: Any) -> dict[str, Any]:
    """Our products: the first three of the catalogue, same codes and EANs."""
    return {
        p["code"]: ProductFactory(connection=connection, code=p["code"], ean=p["ean"])
        for p in CATALOGUE[:3]
    }


@pytest.fixture
def bol_channel(connection: Any, bol_server: SandboxServer) -> Channel:
    return ChannelFactory(
        name="bol.com winkel",
        kind=ChannelKind.BOL,
        connection=connection,
        base_url=bol_server.url,
        auth_url=f"{bol_server.url}/token",
        credentials={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
    )


@pytest.fixture
def shopify_channel(connection: Any, shopify_server: SandboxServer) -> Channel:
    return ChannelFactory(
        name="Shopify webshop",
        kind=ChannelKind.SHOPIFY,
        connection=connection,
        base_url=shopify_server.url,
        credentials={
            "shop_domain": SHOP,
            "access_token": SHOPIFY_TOKEN,
            "app_secret": SHOPIFY_SECRET,
        },
    )


@pytest.fixture
def woo_channel(connection: Any, woo_server: SandboxServer) -> Channel:
    return ChannelFactory(
        name="WooCommerce B2B",
        kind=ChannelKind.WOOCOMMERCE,
        connection=connection,
        base_url=woo_server.url,
        credentials={
            "consumer_key": WOO_KEY,
            "consumer_secret": WOO_SECRET,
            "webhook_secret": WOO_WEBHOOK_SECRET,
        },
    )


@pytest.fixture
def amazon_channel(connection: Any, amazon_server: SandboxServer) -> Channel:
    return ChannelFactory(
        name="Amazon NL",
        kind=ChannelKind.AMAZON,
        connection=connection,
        base_url=amazon_server.url,
        auth_url=f"{amazon_server.url}/auth/o2/token",
        credentials={
            "lwa_client_id": "amzn-client",
            "lwa_client_secret": "amzn-secret",
            "refresh_token": "Atzr|sandbox",
            "seller_id": AMAZON_SELLER,
            "marketplace_ids": AMAZON_NL,
        },
    )


@pytest.fixture
def connector_for(clock: Clock) -> Callable[[Channel], ChannelConnector]:
    """The channel's real connector, on the shared clock."""

    def build(channel: Channel) -> ChannelConnector:
        return build_connector(channel, sleep=clock.sleep, clock=clock)

    return build


@pytest.fixture
def matched(
    connector_for: Callable[[Channel], ChannelConnector], products: Any
) -> Callable[[Channel], None]:
    """Run "Match listings" for a channel (ART-1..3 get linked, ZZ-404 stays unmatched)."""

    def run(channel: Channel) -> None:
        match_listings(channel, connector=connector_for(channel))

    return run


@pytest.fixture
def ecommerce_user(roles: None) -> Any:
    return UserFactory(username="eva", groups=["e-commerce"])


@pytest.fixture
def ecommerce_client(ecommerce_user: Any) -> Client:
    client = Client()
    client.force_login(ecommerce_user)
    return client
