"""Forward 1,000 channel orders to the Exact sandbox as sales orders, through the outbox.

Prints Exact calls per order (target: 1.0), 429s received (target: 0) and orders per minute
(target: within 2% of Exact's 60-a-minute ceiling once other work is idle).

    python bench/forward_orders.py            # 1,000 orders (about 17 minutes: that is the ceiling)
    python bench/forward_orders.py --quick    # 120 orders
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SandboxProcess, connect_to_sandbox, emit, log, prepare_database, setup_django


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="120 orders")
    args = parser.parse_args()
    count = 120 if args.quick else 1000
    setup_django(prepare_database("sqlite", "bench_forward_orders"))
    sandbox = SandboxProcess(items=200)
    try:
        import django_q.tasks

        django_q.tasks.async_task = lambda *a, **kw: None  # one worker, driven below
        from channels_app.connectors.base import Address, ChannelOrderData, OrderLineData
        from channels_app.forwarding import consider
        from channels_app.intake import store_order
        from channels_app.models import Channel, ChannelKind, Listing, MatchState
        from exactsync import outbox
        from exactsync.models import Account, Outbox, OutboxState, Product, VatCode
        from exactsync.sync import run_entity

        connection = connect_to_sandbox(sandbox)
        for entity in ("reference", "accounts", "items"):
            run_entity(connection, entity)
        products = list(Product.objects.filter(is_sellable=True, is_sales_item=True)[:20])
        channel = Channel.objects.create(
            name="bol.com",
            kind=ChannelKind.BOL,
            connection=connection,
            forward_orders=True,
            customer=Account.objects.filter(is_customer=True, name__icontains="bol").first(),
            default_vat_code=VatCode.objects.get(code="3"),
            credentials={"client_id": "x", "client_secret": "y"},
        )
        for product in products:
            Listing.objects.create(
                channel=channel,
                product=product,
                external_id=f"offer-{product.code}",
                sku=product.code,
                match_state=MatchState.MANUAL,
            )
        log(f"storing {count} orders")
        now = datetime.now(tz=UTC)
        for n in range(count):
            lines = [
                OrderLineData(
                    external_line_id=f"{n}-{i}",
                    quantity=1 + i,
                    sku=p.code,
                    listing_external_id=f"offer-{p.code}",
                    unit_price_incl=Decimal("12.95"),
                )
                for i, p in enumerate(products[n % 5 : n % 5 + 3])
            ]
            order, _ = store_order(
                channel,
                ChannelOrderData(
                    external_id=f"BENCH-{n:05d}",
                    number=f"BENCH-{n:05d}",
                    status="OPEN",
                    placed_at=now,
                    updated_at=now,
                    lines=lines,
                    delivery=Address(name="Bench Buyer", country="NL"),
                ),
                source="bench",
            )
            consider(order)
        pending = list(
            Outbox.objects.filter(state=OutboxState.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        from exactsync.client.api import CallLog

        stamps: list[float] = []
        original_record = CallLog.record

        def stamped(self: CallLog, method: str, endpoint: str, status: int) -> None:
            stamps.append(time.time())
            original_record(self, method, endpoint, status)

        CallLog.record = stamped  # type: ignore[method-assign]
        calls_before = len(sandbox.calls())
        started = time.perf_counter()
        for entry_id in pending:
            outbox.process(entry_id)
        elapsed = time.perf_counter() - started
        calls = [c for c in sandbox.calls()[calls_before:] if "/api/v1/" in str(c["path"])]
        done = Outbox.objects.filter(state=OutboxState.DONE, kind="exact_sales_order").count()
        emit("orders_forwarded", done, "orders", of=count)
        emit(
            "exact_calls_per_order", round(len(calls) / max(1, done), 3), "calls/order", target=1.0
        )
        emit(
            "http_429_received", sum(1 for c in calls if c["status"] == 429), "responses", target=0
        )
        # The first minute's window may be partly used by the set-up; measure the steady pace too.
        per_window: dict[int, int] = {}
        for stamp in stamps:
            per_window[int(stamp // 60)] = per_window.get(int(stamp // 60), 0) + 1
        whole = [
            per_window[w] for w in sorted(per_window)[1:-1]
        ]  # whole minutes: Exact's windows are fixed
        emit("calls_in_busiest_minute", max(per_window.values(), default=0), "calls", limit=60)
        emit(
            "orders_per_whole_minute",
            round(sum(whole) / len(whole), 1) if whole else 0.0,
            "orders/min",
            ceiling=60,
            minutes=len(whole),
        )
        emit(
            "orders_per_minute",
            round(done / (elapsed / 60), 1),
            "orders/min",
            ceiling=60,
            minutes=round(elapsed / 60, 2),
        )
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
