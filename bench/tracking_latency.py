"""Latency from a tracking number entered in Exact to the shipment confirmed at the channel.

N bol.com orders are placed, polled and forwarded to the Exact sandbox (its own process). Then,
one every --interval seconds, each order is delivered in Exact with a tracking number; Exact's
instant GoodsDeliveries webhook goes through our real webhook view, background workers (threads
standing in for the qcluster) run the coalesced deliveries pass and the outbox confirmation, and
the bol.com sandbox shows the shipment. Latency = delivery booked in Exact -> shipment visible at
bol (its process finished). Exact's real rate limits apply during the measurement.

Prints one JSON object per figure: p50 / p95 / max latency (target p95 < 60 s), how many were
confirmed, second confirmations (target 0) and the Exact calls spent per delivery.

    python bench/tracking_latency.py            # 60 orders, one delivery every 2 s
    python bench/tracking_latency.py --quick    # 10 orders
"""

from __future__ import annotations

import argparse
import math
import queue
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    SandboxProcess,
    connect_to_sandbox,
    emit,
    log,
    postgres_available,
    prepare_database,
    setup_django,
)

CATALOGUE = [
    {"code": "ART-1", "ean": "8710000000014", "title": "Hamer 300 g", "price": "12.95"},
    {"code": "ART-2", "ean": "8710000000021", "title": "Zaag 50 cm", "price": "24.50"},
    {"code": "ART-3", "ean": "8710000000038", "title": "Tang 18 cm", "price": "9.99"},
]
WORK: queue.Queue[tuple[str, tuple[Any, ...], dict[str, Any]]] = queue.Queue()


def start_workers(count: int) -> None:
    """Threads standing in for the qcluster's workers: queued tasks run in the background."""
    import django_q.tasks
    from django.db import close_old_connections
    from django.utils.module_loading import import_string

    def enqueue(func: str, *args: Any, **kwargs: Any) -> str:
        options = {k: v for k, v in kwargs.items() if k not in ("task_name", "group", "q_options")}
        WORK.put((func, args, options))
        return "queued"

    def run() -> None:
        while True:
            func, args, kwargs = WORK.get()
            try:
                import_string(func)(*args, **kwargs)
            except Exception as exc:
                log(f"task {func} failed: {exc!r}")
            finally:
                close_old_connections()
                WORK.task_done()

    django_q.tasks.async_task = enqueue  # type: ignore[assignment]
    import channels_app.tasks

    channels_app.tasks.async_task = enqueue  # type: ignore[assignment]
    for _ in range(count):
        threading.Thread(target=run, daemon=True).start()


class WebhookRelay:
    """Stands in for our public URL: takes what Exact posts and hands it to our webhook view
    (django's test client, in a thread) the moment it arrives."""

    def __init__(self) -> None:
        self.bodies: queue.Queue[bytes] = queue.Queue()
        self.server: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from werkzeug.wrappers import Request, Response

        body = Request(environ).get_data()
        if body:
            self.bodies.put(body)
        return Response("ok")(environ, start_response)

    def start(self) -> str:
        from common.sandbox import SandboxServer

        self.server = SandboxServer(self).start()
        threading.Thread(target=self._forward, daemon=True).start()
        return self.server.url

    def _forward(self) -> None:
        from django.db import close_old_connections
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        while True:
            body = self.bodies.get()
            response = client.post("/webhooks/exact/", data=body, content_type="application/json")
            if response.status_code != 200:
                log(f"webhook view answered {response.status_code}")
            close_old_connections()


def set_up(sandbox: SandboxProcess, count: int) -> tuple[Any, Any, list[Any]]:
    """Exact with our catalogue, a bol.com channel that ships through Exact, `count` orders
    forwarded to Exact as sales orders."""
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
    from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BolSandbox
    from common.sandbox import SandboxServer
    from exactsync.models import Account, ShippingMethod, VatCode
    from exactsync.sync import run_entity

    for product in CATALOGUE:
        sandbox.control(
            "add_item", Code=product["code"], Barcode=product["ean"], Description=product["title"]
        )
        sandbox.control("set_stock", item_code=product["code"], warehouse_code="1", current=100000)
    connection = connect_to_sandbox(sandbox)
    for entity in ("reference", "accounts", "items", "stock"):
        run_entity(connection, entity, triggered_by="bench")
    bol = BolSandbox()
    bol.reset(seed=1, products=CATALOGUE)
    bol_server = SandboxServer(bol).start()
    channel = Channel.objects.create(
        name="bol.com",
        kind=ChannelKind.BOL,
        connection=connection,
        base_url=bol_server.url,
        auth_url=f"{bol_server.url}/token",
        credentials={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
        forward_orders=True,
        customer=Account.objects.filter(connection=connection, is_customer=True).first(),
        default_vat_code=VatCode.objects.get(connection=connection, code="3"),
        fulfilment_mode=FulfilmentMode.EXACT,
    )
    CarrierMapping.objects.create(
        channel=channel,
        carrier="PostNL",
        shipping_method=ShippingMethod.objects.get(connection=connection, code="PNL"),
        channel_code="TNT",
    )
    match_listings(channel)
    for n in range(count):
        code = CATALOGUE[n % len(CATALOGUE)]["code"]
        bol.place_order([(code, 1 + n % 2, Decimal(CATALOGUE[n % 3]["price"]))])
    poll_orders(channel)
    deadline = time.monotonic() + 600
    while ChannelOrder.objects.filter(state=OrderState.FORWARDED).count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the orders did not reach Exact within 10 minutes")
        time.sleep(0.5)
    WORK.join()
    orders = list(ChannelOrder.objects.filter(channel=channel).order_by("pk"))
    return connection, bol, orders


def measure(
    sandbox: SandboxProcess, bol: Any, orders: list[Any], interval: float, timeout: float
) -> tuple[list[float], int, int]:
    """Deliver every order in Exact with a tracking number; watch bol for each shipment."""
    started: dict[str, float] = {}
    arrived: dict[str, float] = {}
    seen_total = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal seen_total
        while not done.is_set():
            shipments = bol.shipments()
            now = time.monotonic()
            seen_total = len(shipments)
            for s in shipments:
                track = s["transport"].get("trackAndTrace") or ""
                if track in started and track not in arrived:
                    arrived[track] = now
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for n, order in enumerate(orders):
        track = f"3SBENCH{n:05d}"
        started[track] = time.monotonic()
        sandbox.control(
            "deliver_sales_order",
            order_number=order.exact_order_number,
            tracking_number=track,
            shipping_method_code="PNL",
        )
        time.sleep(interval)
    deadline = time.monotonic() + timeout
    while len(arrived) < len(orders) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # a late duplicate would show up here
    done.set()
    watcher.join()
    latencies = [arrived[t] - started[t] for t in started if t in arrived]
    return latencies, len(arrived), seen_total - len(arrived)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 orders")
    parser.add_argument("--orders", type=int, default=None, help="how many (default 60)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between deliveries")
    parser.add_argument("--workers", type=int, default=2, help="background workers (Q_WORKERS)")
    parser.add_argument("--minutely", type=int, default=60, help="Exact calls a minute")
    args = parser.parse_args()
    count = args.orders or (10 if args.quick else 60)
    backend = "postgres" if postgres_available() else "sqlite"
    setup_django(prepare_database(backend, "bench_tracking_latency"))
    start_workers(args.workers)
    log(f"[{backend}] Exact sandbox; {count} orders; a delivery every {args.interval:g} s")
    sandbox = SandboxProcess(items=0, minutely=100_000, daily=1_000_000)
    latencies: list[float] = []
    confirmed = 0
    try:
        from exactsync.services.exact_webhooks import subscribe

        relay = WebhookRelay()
        relay_url = relay.start()
        connection, bol, orders = set_up(sandbox, count)
        subscribe(connection, base_url=relay_url)
        sandbox.control("flush_webhooks")
        WORK.join()
        log("orders are in Exact; delivering")
        sandbox.control("set_limits", minutely=args.minutely, daily=5000)
        calls_before = len(sandbox.calls())
        latencies, confirmed, duplicates = measure(
            sandbox, bol, orders, args.interval, timeout=max(120.0, count * args.interval)
        )
        calls = [c for c in sandbox.calls()[calls_before:] if "/api/v1/" in str(c["path"])]
        emit("orders_delivered", count, "orders", interval_s=args.interval, backend=backend)
        emit("orders_confirmed_at_channel", confirmed, "orders", of=count)
        if latencies:
            emit("tracking_latency_p50", round(statistics.median(latencies), 2), "s")
            emit("tracking_latency_p95", round(percentile(latencies, 0.95), 2), "s", target="< 60")
            emit("tracking_latency_max", round(max(latencies), 2), "s")
        emit("second_confirmations", duplicates, "shipments", target=0)
        emit(
            "exact_calls_per_delivery",
            round(len(calls) / max(1, count), 2),
            "calls",
            http_429=sum(1 for c in calls if c["status"] == 429),
        )
    finally:
        sandbox.stop()
    return 0 if latencies and confirmed == count else 1


if __name__ == "__main__":
    raise SystemExit(main())
