"""build_connector: the right connector, pointed at the channel's URLs, credentials by label."""

from __future__ import annotations

from typing import Any

import pytest

from channels_app.connectors.amazon import AmazonConnector
from channels_app.connectors.bol import BolConnector
from channels_app.connectors.registry import ChannelConfigError, build_connector
from channels_app.connectors.shopify import ShopifyConnector
from channels_app.connectors.woocommerce import WooCommerceConnector
from channels_app.models import ChannelKind
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_each_kind_gets_its_connector_with_the_channel_urls_and_credentials(
    connection: Any,
) -> None:
    def clock() -> float:
        return 42.0

    bol = build_connector(
        ChannelFactory(
            kind=ChannelKind.BOL,
            connection=connection,
            base_url="http://127.0.0.1:9001/",
            auth_url="http://127.0.0.1:9001/token",
            credentials={"client_id": "bol-id", "client_secret": "bol-secret"},
        ),
        clock=clock,
    )
    shopify = build_connector(
        ChannelFactory(
            kind=ChannelKind.SHOPIFY,
            connection=connection,
            credentials={
                "shop_domain": "shop.myshopify.com",
                "access_token": "shpat_x",
                "location_id": "gid://shopify/Location/7",
            },
        )
    )
    woo = build_connector(
        ChannelFactory(
            kind=ChannelKind.WOOCOMMERCE,
            connection=connection,
            base_url="https://winkel.example.nl",
            credentials={"consumer_key": "ck_x", "consumer_secret": "cs_x"},
        )
    )
    amazon = build_connector(
        ChannelFactory(
            kind=ChannelKind.AMAZON,
            connection=connection,
            credentials={
                "lwa_client_id": "id",
                "lwa_client_secret": "secret",
                "refresh_token": "Atzr|x",
                "seller_id": "SELLER",
                "marketplace_ids": "A1805IZSGTT6HS, A1PA6795UKMFR9",
            },
        )
    )

    assert isinstance(bol, BolConnector)
    assert (bol.base_url, bol.token_url, bol.client_id, bol.clock()) == (
        "http://127.0.0.1:9001",
        "http://127.0.0.1:9001/token",
        "bol-id",
        42.0,
    )
    assert isinstance(shopify, ShopifyConnector)
    assert (shopify.endpoint, shopify.location_id) == (
        "https://shop.myshopify.com/admin/api/2026-04/graphql.json",
        "gid://shopify/Location/7",
    )
    assert isinstance(woo, WooCommerceConnector)
    assert (woo.base_url, woo.consumer_key) == ("https://winkel.example.nl", "ck_x")
    assert isinstance(amazon, AmazonConnector)
    assert (amazon.base_url, amazon.token_url, amazon.marketplace_ids) == (
        "https://sellingpartnerapi-eu.amazon.com",
        "https://api.amazon.com/auth/o2/token",
        ("A1805IZSGTT6HS", "A1PA6795UKMFR9"),
    )


def test_a_missing_credential_is_named_by_its_label_never_shown(connection: Any) -> None:
    channel = ChannelFactory(
        name="bol NL",
        kind=ChannelKind.BOL,
        connection=connection,
        credentials={"client_id": "visible-id-123", "client_secret": ""},
    )

    with pytest.raises(ChannelConfigError) as caught:
        build_connector(channel)

    assert str(caught.value) == (
        "bol.com channel 'bol NL' has no Client secret; fill it in on the channel page."
    )


def test_a_shop_without_an_address_says_so(connection: Any) -> None:
    channel = ChannelFactory(
        name="Woo",
        kind=ChannelKind.WOOCOMMERCE,
        connection=connection,
        credentials={"consumer_key": "ck", "consumer_secret": "cs"},
    )

    with pytest.raises(ChannelConfigError) as caught:
        build_connector(channel)

    assert caught.value.for_staff() == (
        "WooCommerce channel 'Woo' has no base URL; enter the shop's address on the channel page."
    )
