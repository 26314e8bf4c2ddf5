"""Push changed quantities for 20,000 listings per channel through each channel sandbox.

Uses each channel's batch endpoint where it has one (WooCommerce batches of 100, Shopify 250
quantities per mutation, an Amazon listings feed for large sets; bol.com has no batch endpoint for
stock: one PUT per offer, with the process statuses polled in bulk). Prints per channel the calls
used and listings/s (the sandboxes enforce their rate limits; waits count).

    python bench/channel_stock_push.py            # 20,000 listings per channel
    python bench/channel_stock_push.py --quick    # 1,000 listings per channel
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, log


def ean13(n: int) -> str:
    twelve = f"87{n:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 listings per channel")
    parser.add_argument("--only", choices=["bol", "shopify", "woocommerce", "amazon"])
    args = parser.parse_args()
    count = 1_000 if args.quick else 20_000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from channels_app.connectors.amazon import AmazonConnector
    from channels_app.connectors.base import StockUpdate
    from channels_app.connectors.bol import BolConnector
    from channels_app.connectors.shopify import ShopifyConnector
    from channels_app.connectors.woocommerce import WooCommerceConnector
    from channels_app.sandbox.amazon import AmazonSandbox
    from channels_app.sandbox.bol import BolSandbox
    from channels_app.sandbox.shopify import ShopifySandbox
    from channels_app.sandbox.woocommerce import WooCommerceSandbox
    from common.sandbox import SandboxServer

    products = [
        {"code": f"ART-{i:06d}", "ean": ean13(i), "title": f"Product {i}", "price": "9.95"}
        for i in range(count)
    ]
    setups = {
        "bol": (
            BolSandbox(),
            lambda url: BolConnector(
                "bol-sandbox-client", "bol-sandbox-secret", base_url=url, token_url=f"{url}/token"
            ),
        ),
        "shopify": (
            ShopifySandbox(),
            lambda url: ShopifyConnector(
                "sandbox-shop.myshopify.com", "shpat_sandbox", base_url=url
            ),
        ),
        "woocommerce": (
            WooCommerceSandbox(),
            lambda url: WooCommerceConnector("ck_sandbox", "cs_sandbox", base_url=url),
        ),
        "amazon": (
            AmazonSandbox(),
            lambda url: AmazonConnector(
                "amzn-client",
                "amzn-secret",
                "Atzr|sandbox",
                "A1SANDBOXSELLER",
                ["A1805IZSGTT6HS"],
                base_url=url,
                token_url=f"{url}/auth/o2/token",
            ),
        ),
    }
    for kind, (app, make) in setups.items():
        if args.only and kind != args.only:
            continue
        app.reset(seed=1, products=products)
        server = SandboxServer(app).start()
        try:
            connector = make(server.url)
            refs = [entry.ref for entry in connector.iter_catalogue()]
            log(f"[{kind}] {len(refs)} listings; pushing")
            before = len(app.calls)
            started = time.perf_counter()
            results = connector.push_stock(
                [StockUpdate(ref=ref, quantity=(i % 50) + 1) for i, ref in enumerate(refs)]
            )
            elapsed = time.perf_counter() - started
            calls = app.calls[before:]
            pushed = sum(1 for r in results if r.ok)
            emit(f"{kind}_listings_pushed", pushed, "listings", of=len(refs))
            emit(
                f"{kind}_calls",
                len(calls),
                "calls",
                writes=sum(1 for c in calls if c.method in ("PUT", "POST", "PATCH")),
            )
            emit(
                f"{kind}_listings_per_second",
                round(pushed / elapsed, 1),
                "listings/s",
                seconds=round(elapsed, 1),
            )
            emit(f"{kind}_http_429", sum(1 for c in calls if c.status == 429), "responses")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
