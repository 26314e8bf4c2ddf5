"""Bulk product-supplier CSV import: 100,000 rows against 100,000 products and 500 suppliers.

Runs the import through the same resource the admin uses (ProductSupplierResource.import_file):
first the check (dry run, as on upload), then the import (as on confirm), then the same file again
(everything unchanged). Half the rows update existing links, half create new ones.
Prints rows/s per phase and peak memory, on SQLite and (when reachable) PostgreSQL.

    python bench/import_csv.py            # full size
    python bench/import_csv.py --quick    # 5,000 rows
"""

from __future__ import annotations

import argparse
import io
import sys
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, log, peak_rss_mb, prepare_database, run_per_backend, setup_django, timed


def build_catalogue(rows: int, suppliers: int) -> tuple[object, bytes]:
    from exactsync.models import Account, ExactConnection, Product, ProductSupplier

    connection = ExactConnection.objects.create(name="Bench", division=1)
    Account.objects.bulk_create(
        [
            Account(
                connection=connection,
                exact_id=uuid.uuid4(),
                code=f"S{i:04d}",
                name=f"Supplier {i}",
                is_supplier=True,
            )
            for i in range(suppliers)
        ],
        batch_size=2000,
    )
    Product.objects.bulk_create(
        [
            Product(
                connection=connection,
                exact_id=uuid.uuid4(),
                code=f"ART-{i:06d}",
                ean=f"87{i:011d}",
                description=f"Product {i}",
            )
            for i in range(rows)
        ],
        batch_size=5000,
    )
    product_ids = dict(Product.objects.values_list("code", "id"))
    supplier_ids = dict(Account.objects.values_list("code", "id"))
    # Half the pairs exist already (they will be updated), half are new.
    ProductSupplier.objects.bulk_create(
        [
            ProductSupplier(
                connection=connection,
                product_id=product_ids[f"ART-{i:06d}"],
                supplier_id=supplier_ids[f"S{i % suppliers:04d}"],
                order_per=1,
            )
            for i in range(0, rows, 2)
        ],
        batch_size=5000,
    )
    out = io.StringIO()
    out.write(
        "product_code,supplier_code,supplier_item_code,purchase_price,order_per,purchase_unit,moq,"
        "lead_time_days,main_supplier\n"
    )
    for i in range(rows):
        out.write(
            f"ART-{i:06d},S{i % suppliers:04d},X{i},{1 + i % 97}.{i % 100:02d},{(6, 12, 24)[i % 3]},box,"
            f"{(12, 24, 48)[i % 3]},{i % 21},{'yes' if i % 2 else 'no'}\n"
        )
    return connection, out.getvalue().encode()


def run(backend: str, rows: int, suppliers: int) -> None:
    setup_django(prepare_database(backend, "bench_import_csv"))
    from exactsync.imports.product_suppliers import ProductSupplierResource
    from exactsync.models import ProductSupplier

    log(f"[{backend}] building {rows} products, {suppliers} suppliers")
    connection, content = build_catalogue(rows, suppliers)
    resource = ProductSupplierResource(connection=connection)
    rss_before = peak_rss_mb()

    with timed() as check_s:
        report = resource.import_file(io.BytesIO(content), dry_run=True)
    assert not report.has_errors, report.errors[:5]
    with timed() as import_s:
        report = resource.import_file(io.BytesIO(content), dry_run=False)
    assert report.written and report.totals["new"] == rows // 2, report.totals
    assert ProductSupplier.objects.count() == rows
    with timed() as again_s:
        again = resource.import_file(io.BytesIO(content), dry_run=True)
    assert again.totals["skip"] == rows, again.totals
    rss_after = peak_rss_mb()

    # Python allocation peak of one import pass, measured separately (tracemalloc slows it down).
    ProductSupplier.objects.filter(pk__in=ProductSupplier.objects.values("pk")[: rows // 2]).update(
        moq=None
    )
    tracemalloc.start()
    resource.import_file(io.BytesIO(content), dry_run=True)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    total = check_s[0] + import_s[0]
    emit(
        f"{backend}_check_rows_per_s",
        round(rows / check_s[0]),
        "rows/s",
        seconds=round(check_s[0], 2),
    )
    emit(
        f"{backend}_import_rows_per_s",
        round(rows / import_s[0]),
        "rows/s",
        seconds=round(import_s[0], 2),
    )
    emit(f"{backend}_check_plus_import_seconds", round(total, 2), "s", rows=rows)
    emit(f"{backend}_unchanged_reimport_rows_per_s", round(rows / again_s[0]), "rows/s")
    emit(f"{backend}_import_peak_python_alloc", round(traced_peak / 1024 / 1024, 1), "MB")
    emit(
        f"{backend}_peak_rss_growth_during_import",
        round(rss_after - rss_before, 1),
        "MB",
        csv_mb=round(len(content) / 1024 / 1024, 1),
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5,000 rows instead of 100,000")
    parser.add_argument("--backend", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    rows = 5_000 if args.quick else 100_000
    if args.backend is None:
        return run_per_backend(__file__, ["--quick"] if args.quick else [])
    run(args.backend, rows, 500)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
