"""One place that turns a Channel row into its connector (the only Django-aware connector code).

Credentials are read from the channel's encrypted JSON and handed to the connector's constructor;
they are never logged, and a missing one is reported by its label, never by value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests

from channels_app.connectors.base import ChannelConnector

if TYPE_CHECKING:
    from channels_app.models import Channel


class ChannelConfigError(Exception):
    """The channel cannot be called as configured (a credential or URL is missing)."""

    def for_staff(self) -> str:
        return str(self)


def build_connector(
    channel: Channel,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    session: requests.Session | None = None,
) -> ChannelConnector:
    """The connector for `channel.kind`, pointed at `channel.effective_base_url`.

    `channel.auth_url` overrides the token endpoint (bol's login.bol.com, Amazon's LWA) for
    sandboxes and test accounts. `session` lets a caller choose timeouts (the admin's live test).
    """
    from channels_app.models import ChannelKind

    builders: dict[str, Callable[..., ChannelConnector]] = {
        ChannelKind.BOL: _bol,
        ChannelKind.SHOPIFY: _shopify,
        ChannelKind.WOOCOMMERCE: _woocommerce,
        ChannelKind.AMAZON: _amazon,
    }
    builder = builders.get(channel.kind)
    if builder is None:
        raise ChannelConfigError(f"Channel '{channel}' has an unknown kind {channel.kind!r}.")
    common: dict[str, Any] = {"sleep": sleep, "clock": clock, "session": session}
    return builder(channel, _Credentials(channel), common)


class _Credentials:
    """Reads credentials and names the missing ones in the channel form's own words."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.values: dict[str, Any] = dict(channel.credentials or {})

    def require(self, *keys: str) -> list[str]:
        from channels_app.models import CREDENTIAL_FIELDS

        labels = dict(CREDENTIAL_FIELDS.get(self.channel.kind, []))
        missing = [labels.get(k, k) for k in keys if not str(self.values.get(k) or "").strip()]
        if missing:
            raise ChannelConfigError(
                f"{self.channel.get_kind_display()} channel '{self.channel}' has no "
                f"{', '.join(missing)}; fill it in on the channel page."
            )
        return [str(self.values[k]).strip() for k in keys]

    def optional(self, key: str) -> str:
        return str(self.values.get(key) or "").strip()


def _base_url(channel: Channel) -> str:
    url = channel.effective_base_url
    if not url:
        raise ChannelConfigError(
            f"{channel.get_kind_display()} channel '{channel}' has no base URL; "
            "enter the shop's address on the channel page."
        )
    return url


def _bol(channel: Channel, creds: _Credentials, common: dict[str, Any]) -> ChannelConnector:
    from channels_app.connectors.bol import BolConnector

    client_id, client_secret = creds.require("client_id", "client_secret")
    extra = {"token_url": channel.auth_url} if channel.auth_url else {}
    return BolConnector(client_id, client_secret, base_url=_base_url(channel), **extra, **common)


def _shopify(channel: Channel, creds: _Credentials, common: dict[str, Any]) -> ChannelConnector:
    from channels_app.connectors.shopify import ShopifyConnector

    shop_domain, access_token = creds.require("shop_domain", "access_token")
    return ShopifyConnector(
        shop_domain,
        access_token,
        base_url=_base_url(channel),
        location_id=creds.optional("location_id"),
        **common,
    )


def _woocommerce(channel: Channel, creds: _Credentials, common: dict[str, Any]) -> ChannelConnector:
    from channels_app.connectors.woocommerce import WooCommerceConnector

    key, secret = creds.require("consumer_key", "consumer_secret")
    return WooCommerceConnector(key, secret, base_url=_base_url(channel), **common)


def _amazon(channel: Channel, creds: _Credentials, common: dict[str, Any]) -> ChannelConnector:
    from channels_app.connectors.amazon import AmazonConnector

    client_id, client_secret, refresh_token, seller_id, markets = creds.require(
        "lwa_client_id", "lwa_client_secret", "refresh_token", "seller_id", "marketplace_ids"
    )
    extra = {"token_url": channel.auth_url} if channel.auth_url else {}
    return AmazonConnector(
        client_id,
        client_secret,
        refresh_token,
        seller_id,
        [m.strip() for m in markets.split(",") if m.strip()],
        base_url=_base_url(channel),
        **extra,
        **common,
    )
