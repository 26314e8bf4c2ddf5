"""Write 500 purchase orders of 20 lines each to the Exact sandbox, through the outbox.

Prints Exact calls per order (target: 1), the minutes the governor held the writes back to stay
within Exact's 60 calls a minute, the highest number of calls in any minute (must stay <= 60)
and 429s received (target: 0).

    python bench/purchase_orders.py            # 500 orders
    python bench/purchase_orders.py --quick    # 40 orders
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SandboxProcess, connect_to_sandbox, emit, log, prepare_database, setup_django


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="40 orders")
    args = parser.parse_args()
    orders = 40 if args.quick else 500
    setup_django(prepare_database("sqlite", "bench_purchase_orders"))
    sandbox = SandboxProcess(items=2000)
    try:
        from django.db.models import Count

        from exactsync import outbox, purchasing
        from exactsync.models import (
            Account,
            Outbox,
            OutboxState,
            ProductSupplier,
            PurchaseOrder,
            PurchaseOrderLine,
        )
        from exactsync.sync import run_entity

        connection = connect_to_sandbox(sandbox)
        for entity in ("reference", "accounts", "items", "supplier_items", "stock"):
            run_entity(connection, entity)
        supplier_id = (
            ProductSupplier.objects.filter(
                in_exact=True, product__is_active=True, supplier__blocked=False
            )
            .values("supplier")
            .annotate(n=Count("id"))
            .order_by("-n")[0]["supplier"]
        )
        supplier = Account.objects.get(pk=supplier_id)
        links = list(
            ProductSupplier.objects.filter(
                supplier=supplier, in_exact=True, product__is_active=True
            ).select_related("product")[:20]
        )
        log(f"{orders} orders of {len(links)} lines to supplier {supplier.code}")
        created = []
        for _ in range(orders):
            order = PurchaseOrder.objects.create(connection=connection, supplier=supplier)
            PurchaseOrderLine.objects.bulk_create(
                [
                    PurchaseOrderLine(
                        order=order,
                        product=link.product,
                        quantity=link.order_per * Decimal(3),
                        line_number=i,
                    )
                    for i, link in enumerate(links, start=1)
                ]
            )
            created.append(order)
        import django_q.tasks

        django_q.tasks.async_task = lambda *a, **kw: (
            None
        )  # we drive the outbox ourselves, as one worker would
        for order in created:
            problems = purchasing.place(order)
            assert not problems, problems
        from exactsync.client.governor import Governor

        held = [0.0]
        original_acquire = Governor.acquire

        def timed_acquire(self: Governor, **kwargs: object) -> None:
            t0 = time.perf_counter()
            original_acquire(self, **kwargs)  # type: ignore[arg-type]
            held[0] += time.perf_counter() - t0

        Governor.acquire = timed_acquire  # type: ignore[method-assign]
        from exactsync.client.api import CallLog

        stamps: list[float] = []
        original_record = CallLog.record

        def stamped(self: CallLog, method: str, endpoint: str, status: int) -> None:
            stamps.append(time.time())
            original_record(self, method, endpoint, status)

        CallLog.record = stamped  # type: ignore[method-assign]
        calls_before = len(sandbox.calls())
        started = time.perf_counter()
        for entry_id in Outbox.objects.filter(state=OutboxState.PENDING).values_list(
            "pk", flat=True
        ):
            outbox.process(entry_id)
        elapsed = time.perf_counter() - started
        calls = [c for c in sandbox.calls()[calls_before:] if "/api/v1/" in str(c["path"])]
        posts = [c for c in calls if c["method"] == "POST" and "PurchaseOrders" in str(c["path"])]
        sent = PurchaseOrder.objects.filter(write_state="sent").count()
        emit("orders_written", sent, "orders", of=orders)
        emit("exact_calls_per_order", round(len(calls) / max(1, sent), 3), "calls/order", target=1)
        emit("post_calls", len(posts), "calls")
        emit(
            "http_429_received", sum(1 for c in calls if c["status"] == 429), "responses", target=0
        )
        emit(
            "governor_held_back",
            round(held[0] / 60, 2),
            "minutes",
            wall_minutes=round(elapsed / 60, 2),
        )
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
        emit("orders_per_minute", round(sent / (elapsed / 60), 1), "orders/min", ceiling=60)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
