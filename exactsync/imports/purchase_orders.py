"""Several purchase orders at once from a CSV: one order per supplier (and order reference).

Columns: supplier_code, product_code (or product_ean), quantity (in the product's own unit);
optional warehouse_code, receipt_date (YYYY-MM-DD or DD-MM-YYYY), order_reference (rows with the
same supplier and reference form one order). On confirm the orders are created and placed: the
same checks as in the admin; an order that fails them stays a draft with the reasons listed.
Quantities that are not whole purchase units or below the MOQ are shown with the suggestion.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import IO, Any

from django.db import transaction

from exactsync import purchasing
from exactsync.models import (
    Account,
    ExactConnection,
    Origin,
    Product,
    ProductSupplier,
    PurchaseOrder,
    PurchaseOrderLine,
    Warehouse,
    record_activity,
)

from .csvfile import open_checked, parse_decimal
from .engine import ImportReport, ProgressCallback

COLUMNS = [
    "supplier_code",
    "product_code",
    "product_ean",
    "quantity",
    "warehouse_code",
    "receipt_date",
    "order_reference",
]
COLUMN_HELP = {
    "supplier_code": "Exact supplier (account) code - required",
    "product_code": "Exact item code (or give product_ean)",
    "product_ean": "EAN barcode, used when product_code is empty",
    "quantity": "in the product's own unit, e.g. 24 - required",
    "warehouse_code": "optional; the Exact warehouse code",
    "receipt_date": "optional; YYYY-MM-DD or DD-MM-YYYY (default: today + lead time)",
    "order_reference": "optional; rows with the same supplier and reference become one order",
}


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(f'"{text}" is not a date (use YYYY-MM-DD)')


class PurchaseOrderImport:
    """The importer registered as kind "purchase_orders"."""

    def __init__(self, connection: ExactConnection) -> None:
        self.connection = connection

    def import_file(
        self,
        stream: IO[bytes],
        *,
        dry_run: bool,
        progress: ProgressCallback | None = None,
        user: Any = None,
    ) -> ImportReport:
        report = ImportReport()
        csv_file = open_checked(
            stream,
            report,
            columns=COLUMNS,
            required={
                "supplier_code": "Missing column 'supplier_code'.",
                "quantity": "Missing column 'quantity'.",
            },
            one_of=[
                (
                    ("product_code", "product_ean"),
                    "Missing column 'product_code' (or 'product_ean').",
                )
            ],
        )
        if csv_file is None:
            return report
        conn = self.connection
        suppliers = {
            c.lower(): pk
            for pk, c in Account.objects.filter(connection=conn, is_supplier=True).values_list(
                "pk", "code"
            )
        }
        products = {
            c.lower(): pk
            for pk, c in Product.objects.filter(connection=conn).values_list("pk", "code")
        }
        by_ean: dict[str, list[int]] = defaultdict(list)
        for pk, ean in (
            Product.objects.filter(connection=conn).exclude(ean="").values_list("pk", "ean")
        ):
            by_ean[ean].append(pk)
        warehouses = {
            c.lower(): pk
            for pk, c in Warehouse.objects.filter(connection=conn).values_list("pk", "code")
        }
        links = {
            (p, s): link
            for link in ProductSupplier.objects.filter(connection=conn)
            for p, s in [(link.product_id, link.supplier_id)]
        }
        orders: dict[tuple[int, str], dict[str, Any]] = {}
        for line, row in csv_file.rows:
            report.rows += 1
            errors_before = report.error_count
            supplier = suppliers.get(row.get("supplier_code", "").lower())
            if not row.get("supplier_code"):
                report.add_error(line, "supplier_code", "The supplier code is empty.")
            elif supplier is None:
                report.add_error(
                    line, "supplier_code", f"Unknown supplier '{row['supplier_code']}'."
                )
            product = (
                products.get(row.get("product_code", "").lower())
                if row.get("product_code")
                else None
            )
            if row.get("product_code") and product is None:
                report.add_error(
                    line, "product_code", f"Unknown product code '{row['product_code']}'."
                )
            elif not row.get("product_code"):
                matches = by_ean.get(row.get("product_ean", ""), [])
                if len(matches) == 1:
                    product = matches[0]
                else:
                    report.add_error(
                        line,
                        "product_ean",
                        "Give a product code: "
                        + (
                            f"EAN '{row.get('product_ean')}' matches {len(matches)} products"
                            if matches
                            else f"unknown EAN '{row.get('product_ean', '')}'"
                        ),
                    )
            quantity = None
            try:
                quantity = parse_decimal(row.get("quantity", ""))
                if quantity <= 0:
                    raise ValueError(
                        f"The quantity must be more than 0 (got {row.get('quantity')})"
                    )
            except ValueError as exc:
                report.add_error(line, "quantity", str(exc))
            warehouse = None
            if row.get("warehouse_code"):
                warehouse = warehouses.get(row["warehouse_code"].lower())
                if warehouse is None:
                    report.add_error(
                        line, "warehouse_code", f"Unknown warehouse '{row['warehouse_code']}'."
                    )
            receipt = None
            if row.get("receipt_date"):
                try:
                    receipt = _parse_date(row["receipt_date"])
                except ValueError as exc:
                    report.add_error(line, "receipt_date", str(exc))
            if report.error_count > errors_before:
                report.totals["error"] += 1
                continue
            key = (supplier, row.get("order_reference", ""))
            order = orders.setdefault(
                key,
                {
                    "supplier": supplier,
                    "warehouse": warehouse,
                    "receipt": receipt,
                    "reference": key[1],
                    "lines": {},
                },
            )
            if product in order["lines"]:
                report.add_error(
                    line,
                    "product_code",
                    f"Product '{row.get('product_code') or row.get('product_ean')}'"
                    f" appears twice in the same order (first on line "
                    f"{order['lines'][product][0]}).",
                )
                report.totals["error"] += 1
                continue
            order["lines"][product] = (line, quantity)
            report.totals["new"] += 1
            advice = purchasing.advise(quantity, links.get((product, supplier)))
            change = {"quantity": [None, f"{quantity.normalize():f}"]}
            if advice.flags:
                change["check"] = [
                    None,
                    "; ".join(advice.flags) + f" - suggested {advice.suggestion.normalize():f}",
                ]
            report.add_sample(
                {
                    "line": line,
                    "kind": f"order {len(orders)}",
                    "product": row.get("product_code") or row.get("product_ean"),
                    "supplier": row.get("supplier_code"),
                    "changes": change,
                }
            )
            if progress and report.rows % 1000 == 0:
                progress(report.rows)
        report.notes.append(
            f"{len(orders)} purchase order(s) with {report.totals['new']} line(s) will be created "
            "and placed."
        )
        if dry_run or report.has_errors or not orders:
            return report
        self._create(orders, report, user)
        report.written = True
        return report

    def _create(
        self, orders: dict[tuple[int, str], dict[str, Any]], report: ImportReport, user: Any
    ) -> None:
        created = []
        with transaction.atomic():
            for spec in orders.values():
                order = PurchaseOrder.objects.create(
                    connection=self.connection,
                    supplier_id=spec["supplier"],
                    warehouse_id=spec["warehouse"],
                    receipt_date=spec["receipt"],
                    origin=Origin.HERE,
                    description=f"Imported{' ' + spec['reference'] if spec['reference'] else ''}",
                )
                PurchaseOrderLine.objects.bulk_create(
                    [
                        PurchaseOrderLine(
                            order=order, product_id=product, quantity=quantity, line_number=i
                        )
                        for i, (product, (_, quantity)) in enumerate(spec["lines"].items(), start=1)
                    ]
                )
                record_activity("purchase_order.imported", subject=order, actor=user)
                created.append(order)
        drafts = [order for order in created if purchasing.place(order, user=user)]
        report.notes.append(
            f"{len(created) - len(drafts)} placed; {len(drafts)} kept as draft with the reasons "
            f"listed ({', '.join(str(PurchaseOrder.objects.get(pk=o.pk)) for o in drafts)})."
            if drafts
            else f"All {len(created)} orders placed."
        )
        report.totals["update"] = 0
