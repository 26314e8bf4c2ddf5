"""The demo: sandboxes with a realistic catalogue, configured channels, and a little life.

`make run` without Exact credentials serves the Exact sandbox and the four channel sandboxes on
loopback, connects to them, and keeps the loop moving: orders arrive on the channels every few
seconds, stock changes in Exact, Exact delivers forwarded orders with tracking numbers.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from common.sandbox import SandboxServer

log = logging.getLogger("demo")
ITEMS = 3000
LISTED = 300  # products each channel sells
KINDS = ["bol", "shopify", "woocommerce", "amazon"]
SHOP = "demo-groothandel.myshopify.com"
SHOPIFY_TOKEN, SHOPIFY_SECRET = "shpat_demo", "shopify-demo-secret"
WOO_KEY, WOO_SECRET, WOO_HOOK = "ck_demo", "cs_demo", "woo-demo-webhook-secret"
CHANNEL_CUSTOMER = {"bol": "20001", "amazon": "20003", "shopify": "20004", "woocommerce": "20005"}
CARRIERS = {
    "bol": ("TNT", ""),
    "shopify": ("PostNL", ""),
    "woocommerce": ("PostNL", ""),
    "amazon": ("Other", "PostNL"),
}


class Demo:
    """Starts the sandboxes; `bootstrap()` configures the back-office; `run_activity()` animates it."""

    def __init__(self, *, host: str, web_url: str) -> None:
        from channels_app.sandbox.amazon import AmazonSandbox
        from channels_app.sandbox.bol import BolSandbox
        from channels_app.sandbox.shopify import ShopifySandbox
        from channels_app.sandbox.woocommerce import WooCommerceSandbox
        from exactsync.sandbox import ExactSandbox, demo_catalogue

        self.web_url = web_url.rstrip("/")
        self.exact = ExactSandbox()
        self.exact.reset(seed=1, items=ITEMS)
        catalogue = [p for p in demo_catalogue(1, ITEMS) if p.get("ean")][:LISTED]
        products = [
            {
                "code": p["code"],
                "ean": p["ean"],
                "title": p["description"],
                "price": str(p["sales_price"] or "9.95"),
            }
            for p in catalogue
        ]
        self.channels: dict[str, Any] = {
            "bol": BolSandbox(),
            "shopify": ShopifySandbox(
                shop_domain=SHOP, access_token=SHOPIFY_TOKEN, client_secret=SHOPIFY_SECRET
            ),
            "woocommerce": WooCommerceSandbox(consumer_key=WOO_KEY, consumer_secret=WOO_SECRET),
            "amazon": AmazonSandbox(),
        }
        for app in self.channels.values():
            app.reset(seed=1, products=products)
        self.servers = [
            SandboxServer(self.exact, host=host, port=settings.SANDBOX_EXACT_PORT).start()
        ]
        for offset, kind in enumerate(KINDS, start=1):
            self.servers.append(
                SandboxServer(
                    self.channels[kind], host=host, port=settings.SANDBOX_CHANNELS_PORT + offset - 1
                ).start()
            )
        self.urls = {
            "exact": self.servers[0].url,
            **{k: s.url for k, s in zip(KINDS, self.servers[1:], strict=True)},
        }
        self.stop_event = threading.Event()
        self.rng = random.Random(7)
        self.delivered: set[int] = set()

    def stop(self) -> None:
        self.stop_event.set()
        for server in self.servers:
            server.stop()

    # -- configuration -----------------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Connect Exact (the sandbox approves without a person), sync, set up the channels."""
        from exactsync.models import ExactConnection, SyncCheckpoint
        from exactsync.services.exact import store_token_response
        from exactsync.sync import run_entity

        connection, _ = ExactConnection.objects.get_or_create(
            name="Demo Groothandel (sandbox)", defaults={"base_url": self.urls["exact"]}
        )
        connection.base_url = self.urls["exact"]
        connection.division = self.exact.division
        connection.division_name = "Demo Groothandel"
        connection.use_bills_of_material = True
        connection.webhook_subscriptions = {}
        connection.save()
        tokens = self.exact.issue_tokens()
        store_token_response(connection, tokens)
        # A fresh sandbox starts its Timestamps again: read it from the start.
        SyncCheckpoint.objects.filter(connection=connection).delete()
        for entity in ("reference", "accounts", "items", "supplier_items", "stock", "boms"):
            run_entity(connection, entity, triggered_by="demo")
        self.connection = connection
        self._channels(connection)
        self._subscribe(connection)

    def _channels(self, connection: Any) -> None:
        from channels_app.connectors.registry import build_connector
        from channels_app.listings import match_listings
        from channels_app.models import CarrierMapping, Channel, FulfilmentMode
        from exactsync.models import Account, ShippingMethod, VatCode

        credentials = {
            "bol": {"client_id": "bol-sandbox-client", "client_secret": "bol-sandbox-secret"},
            "shopify": {
                "shop_domain": SHOP,
                "access_token": SHOPIFY_TOKEN,
                "app_secret": SHOPIFY_SECRET,
            },
            "woocommerce": {
                "consumer_key": WOO_KEY,
                "consumer_secret": WOO_SECRET,
                "webhook_secret": WOO_HOOK,
            },
            "amazon": {
                "lwa_client_id": "amzn-client",
                "lwa_client_secret": "amzn-secret",
                "refresh_token": "Atzr|sandbox",
                "seller_id": "A1SANDBOXSELLER",
                "marketplace_ids": "A1805IZSGTT6HS",
            },
        }
        auth = {"bol": "/token", "amazon": "/auth/o2/token"}
        postnl = ShippingMethod.objects.filter(connection=connection, code="PNL").first()
        self.channel_ids = {}
        for kind in KINDS:
            channel, _ = Channel.objects.update_or_create(
                connection=connection,
                kind=kind,
                defaults={
                    "name": {
                        "bol": "bol.com",
                        "shopify": "Shopify webshop",
                        "woocommerce": "WooCommerce B2B",
                        "amazon": "Amazon NL",
                    }[kind],
                    "base_url": self.urls[kind],
                    "auth_url": f"{self.urls[kind]}{auth[kind]}" if kind in auth else "",
                    "credentials": credentials[kind],
                    "forward_orders": True,
                    "sync_stock": True,
                    "fulfilment_mode": FulfilmentMode.EXACT,
                    "poll_minutes": 1,
                    "customer": Account.objects.filter(
                        connection=connection, code=CHANNEL_CUSTOMER[kind]
                    ).first(),
                    "default_vat_code": VatCode.objects.filter(
                        connection=connection, code="3"
                    ).first(),
                },
            )
            CarrierMapping.objects.update_or_create(
                channel=channel,
                carrier="PostNL",
                defaults={
                    "shipping_method": postnl,
                    "channel_code": CARRIERS[kind][0],
                    "channel_carrier_name": CARRIERS[kind][1],
                },
            )
            match_listings(channel, connector=build_connector(channel))
            self.channel_ids[kind] = channel.pk
        self.channels["shopify"].add_webhook(
            "ORDERS_CREATE", f"{self.web_url}/webhooks/shopify/{self.channel_ids['shopify']}/"
        )
        self.channels["woocommerce"].add_webhook(
            "order.created",
            f"{self.web_url}/webhooks/woocommerce/{self.channel_ids['woocommerce']}/",
            WOO_HOOK,
        )

    def _subscribe(self, connection: Any) -> None:
        from exactsync.services.exact_webhooks import subscribe

        for _ in range(60):  # the web server must answer Exact's validation POST
            try:
                import urllib.request

                urllib.request.urlopen(f"{self.web_url}/admin/login/", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(1)
        subscribe(connection, base_url=self.web_url)

    # -- life ---------------------------------------------------------------------------------------
    def run_activity(self) -> None:
        """Orders every few seconds, stock changes in Exact, deliveries with tracking numbers."""
        tick = 0
        while not self.stop_event.wait(2.0):
            tick += 1
            try:
                if tick % 2 == 0:
                    kind = self.rng.choice(KINDS)
                    self.channels[kind].random_order(self.rng)
                self.exact.random_stock_change(self.rng)
                if tick % 5 == 0:
                    self._deliver_some()
            except Exception:
                log.exception("demo activity step failed")
            finally:
                close_old_connections()

    def _deliver_some(self) -> None:
        """Exact ships forwarded orders (with a PostNL tracking number) a little while later."""
        from channels_app.models import ChannelOrder, OrderState

        orders = (
            ChannelOrder.objects.filter(
                state=OrderState.FORWARDED,
                shipped_at__isnull=True,
                exact_order_number__isnull=False,
            )
            .exclude(exact_order_number__in=self.delivered)
            .order_by("forwarded_at")[:2]
        )
        for order in orders:
            self.delivered.add(order.exact_order_number)
            try:
                self.exact.deliver_sales_order(
                    order.exact_order_number,
                    tracking_number=f"3S{self.rng.randrange(10**12):012d}",
                    shipping_method_code="PNL",
                )
            except Exception as exc:  # already delivered, or out of stock in the sandbox
                log.info("demo delivery of %s skipped: %s", order.exact_order_number, exc)


def start_demo(*, host: str, web_url: str) -> Demo:
    demo = Demo(host=host, web_url=web_url)

    def boot() -> None:
        try:
            demo.bootstrap()
            log.warning(
                "demo ready: Exact and four channels connected; orders arrive every few seconds"
            )
            demo.run_activity()
        except Exception:
            log.exception("the demo could not start")
        finally:
            close_old_connections()

    threading.Thread(target=boot, name="demo", daemon=True).start()
    return demo
