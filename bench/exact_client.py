"""Read 100,000 items from the Exact sandbox through our client (sync endpoint, $select, paging).

Prints Exact calls used (target: ceil(100000/1000) + at most 2), rows/s (Exact's real limits
of 60 calls a minute apply: the governor paces the reads), and peak memory of the reading
(Python allocations while streaming; it must not grow with the number of items).

    python bench/exact_client.py            # 100,000 items
    python bench/exact_client.py --quick    # 10,000 items
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SandboxProcess, connect_to_sandbox, emit, log, prepare_database, setup_django


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 items")
    args = parser.parse_args()
    items = 10_000 if args.quick else 100_000
    setup_django(prepare_database("sqlite", "bench_exact_client"))
    log(f"starting the Exact sandbox with {items} items")
    sandbox = SandboxProcess(items=items)
    try:
        from exactsync.client import CallLog
        from exactsync.services.exact import build_exact_client

        connection = connect_to_sandbox(sandbox)
        calls = CallLog()
        client = build_exact_client(connection, calls=calls)
        tracemalloc.start()
        started = time.perf_counter()
        rows = 0
        for page in client.iter_sync(
            "Logistics/Items",
            select=["ID", "Code", "Description", "Barcode", "Unit", "IsPurchaseItem", "EndDate"],
            since=0,
        ):
            rows += len(page.rows)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        minimum = math.ceil(rows / 1000)
        emit("items_read", rows, "rows")
        emit("exact_calls", calls.count, "calls", minimum=minimum, target=f"<= {minimum + 2}")
        emit(
            "rows_per_second",
            round(rows / elapsed),
            "rows/s",
            seconds=round(elapsed, 1),
            governor_wait_s=round(client.governor.waited, 1),
        )
        emit(
            "rows_per_second_excluding_rate_limit_waits",
            round(rows / max(0.001, elapsed - client.governor.waited)),
            "rows/s",
        )
        emit("peak_python_memory_while_reading", round(peak / 1024 / 1024, 1), "MB")
        statuses = [c["status"] for c in sandbox.calls() if "/api/v1/" in str(c["path"])]
        emit("http_429_received", statuses.count(429), "responses")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
