"""Exact free stock on every channel within seconds: latency from a stock change in Exact to the
new quantity at each channel sandbox, at 1, 10 and 100 changes a second (issue 8).

What runs, as in production on one machine (the embedded default: SQLite + django-q2's ORM
broker, a throwaway database):
- the Exact sandbox in its own process, subscribed to our webhook URL;
- our app: a `runserver` process serving /webhooks/exact/ (the real view) and a `qcluster`
  process running the real tasks (coalesced stock passes, recompute, pushes);
- the four channel sandboxes (bol.com, Shopify, WooCommerce, Amazon) in this process, each with a
  listing per benchmark product, and channels with stock sync on pointing at them.

Per rate, every change is `change_stock(+1)` on one product (round robin), so a product's free
stock only grows: a change has arrived at a channel once the channel shows its value or a later
one. A watcher reads the channel sandboxes every few milliseconds. Printed per rate (one JSON
object per line): p50/p95/max seconds per channel and over all channels, Exact calls per change,
channel calls per change (per channel and in total), and lost changes (not arrived after the
drain period; target 0). Targets: p95 under 5 s at 1 and 10 a second, no lost change, under 0.2
Exact calls per change at 10 a second and above.

    python bench/stock_latency.py            # 60 s per rate
    python bench/stock_latency.py --quick    # 10 s per rate
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    SandboxProcess,
    connect_to_sandbox,
    emit,
    log,
    prepare_database,
    setup_django,
)

KINDS = ("bol", "shopify", "woocommerce", "amazon")
SHOP = "bench-shop.myshopify.com"
SHOPIFY_TOKEN, SHOPIFY_SECRET = "shpat_bench", "bench-app-secret"
WOO_KEY, WOO_SECRET = "ck_bench", "cs_bench"
AMAZON_SELLER, AMAZON_NL = "A1SANDBOXSELLER", "A1805IZSGTT6HS"
START_STOCK = 50
POLL = 0.005  # the watcher's pause between sweeps over the channel sandboxes


def ean13(twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- our app in its own processes -----------------------------------------------------------------
class AppProcess:
    """`manage.py <args>` in its own session (so its workers die with it), output to a log."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.log_path = logdir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self._log.close()


def app_env(database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_POOL": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "Q_SYNC": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.pop("EXACT_CLIENT_ID", None)
    return env


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


# -- the channel sandboxes ------------------------------------------------------------------------
class Channels:
    """The four channel sandboxes served from this process, and a channel row for each."""

    def __init__(self, catalogue: list[dict[str, str]]) -> None:
        from channels_app.sandbox.amazon import AmazonSandbox
        from channels_app.sandbox.bol import BolSandbox
        from channels_app.sandbox.shopify import ShopifySandbox
        from channels_app.sandbox.woocommerce import WooCommerceSandbox
        from common.sandbox import SandboxServer

        apps = {
            "bol": BolSandbox(products=catalogue),
            "shopify": ShopifySandbox(
                SHOP, access_token=SHOPIFY_TOKEN, client_secret=SHOPIFY_SECRET
            ),
            "woocommerce": WooCommerceSandbox(WOO_KEY, WOO_SECRET),
            "amazon": AmazonSandbox(marketplace_ids=(AMAZON_NL,)),
        }
        self.servers = {kind: SandboxServer(app).start() for kind, app in apps.items()}
        for app in apps.values():
            app.reset(seed=1, products=catalogue)
        self.apps = apps
        self.readers: dict[str, dict[str, Callable[[], int | None]]] = {}

    def create_rows(self, connection: Any) -> list[Any]:
        from channels_app.models import Channel
        from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        bol, shopify, woo, amazon = (self.servers[k] for k in KINDS)
        specs = [
            (
                "bol",
                bol.url,
                f"{bol.url}/token",
                {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
            ),
            (
                "shopify",
                shopify.url,
                "",
                {"shop_domain": SHOP, "access_token": SHOPIFY_TOKEN, "app_secret": SHOPIFY_SECRET},
            ),
            ("woocommerce", woo.url, "", {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}),
            (
                "amazon",
                amazon.url,
                f"{amazon.url}/auth/o2/token",
                {
                    "lwa_client_id": "amzn-client",
                    "lwa_client_secret": "amzn-secret",
                    "refresh_token": "Atzr|sandbox",
                    "seller_id": AMAZON_SELLER,
                    "marketplace_ids": AMAZON_NL,
                },
            ),
        ]
        return [
            Channel.objects.create(
                name=f"Bench {kind}",
                kind=kind,
                connection=connection,
                base_url=url,
                auth_url=auth,
                credentials=creds,
                sync_stock=True,
            )
            for kind, url, auth, creds in specs
        ]

    def build_readers(self, channels: list[Any]) -> None:
        """code -> a function reading what the channel shows, per kind."""
        from channels_app.models import Listing

        for channel in channels:
            app = self.apps[channel.kind]
            readers: dict[str, Callable[[], int | None]] = {}
            for listing in Listing.objects.filter(
                channel=channel, product__isnull=False
            ).select_related("product"):
                readers[listing.product.code] = self._reader(channel.kind, app, listing)
            self.readers[channel.kind] = readers

    @staticmethod
    def _reader(kind: str, app: Any, listing: Any) -> Callable[[], int | None]:
        ext, loc = listing.external_id, listing.location_id
        if kind == "bol":
            return lambda: app.offer_stock(ext)["amount"]
        if kind == "shopify":
            return lambda: app.available(ext, loc or None)
        if kind == "woocommerce":
            return lambda: app.stock(int(ext))
        return lambda: app.listing_quantity(ext)

    def calls(self) -> dict[str, int]:
        out = {}
        for kind, app in self.apps.items():
            with app.lock:
                out[kind] = len(app.calls)
        return out

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


# -- measuring ------------------------------------------------------------------------------------
class Watcher:
    """Changes waiting to show on each channel, and how long each took to arrive."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self.lock = threading.Lock()
        self.waiting: dict[tuple[str, str], deque[tuple[float, int]]] = defaultdict(deque)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="watcher", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def expect(self, code: str, changed_at: float, value: int) -> None:
        with self.lock:
            for kind in KINDS:
                self.waiting[(kind, code)].append((changed_at, value))

    def outstanding(self) -> int:
        with self.lock:
            return sum(len(q) for q in self.waiting.values())

    def outstanding_by_kind(self) -> dict[str, int]:
        with self.lock:
            out = dict.fromkeys(KINDS, 0)
            for (kind, _), q in self.waiting.items():
                out[kind] += len(q)
            return out

    def take(self) -> dict[str, list[float]]:
        with self.lock:
            taken, self.latencies = self.latencies, defaultdict(list)
        return taken

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                keys = [k for k, q in self.waiting.items() if q]
            for kind, code in keys:
                try:
                    shown = self.channels.readers[kind][code]()
                except Exception:
                    self.errors += 1
                    continue
                now = time.time()
                if shown is None:
                    continue
                with self.lock:
                    q = self.waiting[(kind, code)]
                    while q and q[0][1] <= shown:
                        changed_at, _ = q.popleft()
                        self.latencies[kind].append(now - changed_at)
            time.sleep(POLL)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)


def run_rate(
    rate: int,
    seconds: float,
    codes: list[str],
    sandbox: SandboxProcess,
    channels: Channels,
    watcher: Watcher,
    drain: float,
) -> None:
    """Change stock at `rate` a second for `seconds`, wait for the channels, print the figures."""
    exact_before = len(sandbox.calls())
    channel_before = channels.calls()
    total = int(rate * seconds)
    log(f"rate {rate}/s: {total} stock changes in Exact over {seconds:g} s")
    start = time.time()
    for i in range(total):
        delay = start + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        code = codes[i % len(codes)]
        changed_at = time.time()
        row = sandbox.control("change_stock", item_code=code, warehouse_code="1", delta=1)
        watcher.expect(code, changed_at, math.floor(float(row["FreeStock"])))  # type: ignore[index]
    sent_for = time.time() - start + 1 / rate  # the last change opens the last 1/rate slot
    deadline = time.time() + drain
    while watcher.outstanding() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # passes and pushes still on their way finish (their calls count)
    lost = watcher.outstanding_by_kind()
    with watcher.lock:
        watcher.waiting.clear()
    latencies = watcher.take()
    exact_calls = len(sandbox.calls()) - exact_before
    channel_after = channels.calls()
    every = [x for values in latencies.values() for x in values]
    tags = {"rate": rate, "changes": total, "seconds": round(sent_for, 1)}
    emit("achieved_change_rate", round(total / sent_for, 2), "changes/s", **tags)
    for kind in KINDS:
        values = latencies.get(kind, [])
        for name, value in (
            ("p50", percentile(values, 0.5)),
            ("p95", percentile(values, 0.95)),
            ("max", max(values) if values else float("nan")),
        ):
            emit(f"latency_{name}", round(value, 3), "s", channel=kind, **tags)
        calls = channel_after[kind] - channel_before[kind]
        emit("channel_calls_per_change", round(calls / total, 3), "calls", channel=kind, **tags)
        emit("lost_changes", lost[kind], "changes", channel=kind, **tags)
    emit("latency_p50", round(percentile(every, 0.5), 3), "s", channel="all", **tags)
    emit(
        "latency_p95",
        round(percentile(every, 0.95), 3),
        "s",
        channel="all",
        target="< 5" if rate <= 10 else "",
        **tags,
    )
    emit("latency_max", round(max(every) if every else float("nan"), 3), "s", channel="all", **tags)
    emit(
        "exact_calls_per_change",
        round(exact_calls / total, 3),
        "calls",
        target="< 0.2" if rate >= 10 else "",
        exact_calls=exact_calls,
        **tags,
    )
    channel_calls = sum(channel_after[k] - channel_before[k] for k in KINDS)
    emit(
        "channel_calls_per_change", round(channel_calls / total, 3), "calls", channel="all", **tags
    )
    emit("lost_changes", sum(lost.values()), "changes", channel="all", target=0, **tags)


# -- setting up -----------------------------------------------------------------------------------
def seed_exact(sandbox: SandboxProcess, products: int) -> list[dict[str, str]]:
    catalogue = []
    for n in range(products):
        code = f"BENCH-{n:04d}"
        ean = ean13(f"87300{n:07d}")
        sandbox.control("add_item", Code=code, Barcode=ean, Description=f"Bench product {n}")
        sandbox.control("set_stock", item_code=code, warehouse_code="1", current=START_STOCK)
        catalogue.append({"code": code, "ean": ean, "title": f"Bench product {n}", "price": "9.95"})
    return catalogue


def wait_initial_push(channels: list[Any], products: int, timeout: float) -> None:
    from channels_app.models import Listing

    deadline = time.time() + timeout
    while time.time() < deadline:
        done = Listing.objects.filter(
            channel__in=channels, last_pushed_quantity=START_STOCK
        ).count()
        if done >= products * len(channels):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the first full push did not finish in {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 s per rate instead of 60")
    parser.add_argument("--rates", default="1,10,100", help="changes a second, comma separated")
    parser.add_argument("--products", type=int, default=100, help="listed products per channel")
    parser.add_argument(
        "--workers", type=int, default=None, help="qcluster workers (default: Q_WORKERS or 2)"
    )
    parser.add_argument("--drain", type=float, default=None, help="seconds to wait after a rate")
    args = parser.parse_args()
    seconds = 10.0 if args.quick else 60.0
    drain = args.drain if args.drain is not None else (90.0 if args.quick else 180.0)
    rates = [int(r) for r in args.rates.split(",") if r.strip()]

    database_url = prepare_database("sqlite", "bench_stock_latency")
    setup_django(database_url)
    logdir = Path(tempfile.mkdtemp(prefix="bench-stock-latency-"))
    log(f"database {database_url}; logs in {logdir}")

    started: list[Any] = []

    def cleanup() -> None:
        while started:
            thing = started.pop()
            try:
                thing.stop()
            except Exception as exc:
                log(f"stopping {thing!r} failed: {exc!r}")

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run(args, rates, seconds, drain, database_url, logdir, started)
    finally:
        cleanup()


def run(
    args: argparse.Namespace,
    rates: list[int],
    seconds: float,
    drain: float,
    database_url: str,
    logdir: Path,
    started: list[Any],
) -> int:
    from channels_app.inventory import queue_full_push
    from channels_app.listings import match_listings
    from exactsync.services.exact_webhooks import subscribe
    from exactsync.sync import run_entity

    log("starting the Exact sandbox (Exact's limits: 60 calls a minute, 5,000 a day)")
    sandbox = SandboxProcess(items=0)
    started.append(sandbox)
    catalogue = seed_exact(sandbox, args.products)
    connection = connect_to_sandbox(sandbox)
    for entity in ("reference", "items", "stock"):
        run = run_entity(connection, entity, full=True, triggered_by="bench")
        log(f"  {entity}: {run.status}, {run.rows_read} rows")

    log(f"starting the channel sandboxes: {args.products} listings each")
    channels = Channels(catalogue)
    started.append(channels)
    rows = channels.create_rows(connection)
    for channel in rows:
        summary = match_listings(channel)
        log(f"  {summary}")
    channels.build_readers(rows)

    env = app_env(database_url)
    if args.workers:
        env["Q_WORKERS"] = str(args.workers)
    log(f"qcluster workers: {env.get('Q_WORKERS', '2 (the default)')}")
    port = free_port()
    cluster = AppProcess("qcluster", ["qcluster"], env, logdir)
    started.append(cluster)
    web = AppProcess("runserver", ["runserver", "--noreload", f"127.0.0.1:{port}"], env, logdir)
    started.append(web)
    wait_for_port(port)
    log(f"our app: runserver on port {port}, qcluster pid {cluster.proc.pid}")

    started_push = time.time()
    for channel in rows:
        queue_full_push(channel.pk)
    wait_initial_push(rows, args.products, timeout=300)
    log(f"first full push to the four channels took {time.time() - started_push:.1f} s")

    result = subscribe(connection, base_url=f"http://127.0.0.1:{port}")
    log(f"webhooks: {result}")
    time.sleep(2)  # Exact's validation POSTs

    watcher = Watcher(channels)
    watcher.start()
    started.append(watcher)
    codes = [row["code"] for row in catalogue]
    for rate in rates:
        if not (cluster.alive() and web.alive()):
            raise RuntimeError(f"our app stopped; see {logdir}")
        run_rate(rate, seconds, codes, sandbox, channels, watcher, drain)
    if watcher.errors:
        log(f"watcher: {watcher.errors} failed reads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
