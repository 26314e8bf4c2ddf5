"""Product-supplier links in bulk: the CSV staff upload and download.

Columns (header names, any order, case-insensitive):
  product_code or product_ean (one is required), supplier_code (required),
  supplier_item_code, purchase_price, currency, order_per, purchase_unit, moq, lead_time_days,
  main_supplier.
An empty cell leaves the current value alone. A changed MOQ, order per, lead time or purchase price
is marked "by import" so a later sync from Exact leaves it alone unless that switch is on.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from import_export import fields, resources

from exactsync.models import Account, ExactConnection, Product, ProductSupplier, Source

from .csvfile import open_checked, parse_bool, parse_decimal, parse_int
from .engine import SAMPLE_SIZE, ImportReport, ProgressCallback, chunked

COLUMNS = [
    "product_code",
    "product_ean",
    "supplier_code",
    "supplier_item_code",
    "purchase_price",
    "currency",
    "order_per",
    "purchase_unit",
    "moq",
    "lead_time_days",
    "main_supplier",
]
COLUMN_HELP = {
    "product_code": "Exact item code (or give product_ean instead)",
    "product_ean": "EAN barcode, used when product_code is empty",
    "supplier_code": "Exact supplier (account) code - required",
    "supplier_item_code": "the supplier's own article number",
    "purchase_price": "price per purchase unit, e.g. 12.50 or 12,50",
    "currency": "3 letters, e.g. EUR",
    "order_per": "how many of the product's own units are in one purchase unit (> 0)",
    "purchase_unit": "the purchase unit's name, e.g. box",
    "moq": "minimum order quantity in the product's own units (> 0)",
    "lead_time_days": "whole days",
    "main_supplier": "yes or no",
}
# Model field for each value column, and its provenance field where it has one.
VALUE_FIELDS = {
    "supplier_item_code": ("supplier_item_code", None),
    "purchase_price": ("purchase_price", "price_source"),
    "currency": ("currency", None),
    "order_per": ("order_per", "order_per_source"),
    "purchase_unit": ("purchase_unit", "order_per_source"),
    "moq": ("moq", "moq_source"),
    "lead_time_days": ("lead_time_days", "lead_time_source"),
    "main_supplier": ("is_main_supplier", None),
}
MODEL_FIELDS = [f for f, _ in VALUE_FIELDS.values()]
SOURCE_FIELDS = ["price_source", "order_per_source", "moq_source", "lead_time_source"]
BATCH_SIZE = 2000


class ProductSupplierResource(resources.ModelResource):
    """The product-supplier CSV: the same columns for export, template and import."""

    product_code = fields.Field(
        attribute="product__code", column_name="product_code", readonly=True
    )
    product_ean = fields.Field(attribute="product__ean", column_name="product_ean", readonly=True)
    supplier_code = fields.Field(
        attribute="supplier__code", column_name="supplier_code", readonly=True
    )
    main_supplier = fields.Field(attribute="is_main_supplier", column_name="main_supplier")

    class Meta:
        model = ProductSupplier
        fields = tuple(COLUMNS)
        export_order = tuple(COLUMNS)
        import_id_fields = ("product_code", "supplier_code")

    def __init__(self, connection: ExactConnection | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connection = connection

    def get_export_queryset(self, request: Any = None) -> Any:  # type: ignore[override]
        qs = ProductSupplier.objects.select_related("product", "supplier").order_by(
            "product__code", "supplier__code"
        )
        return qs.filter(connection=self.connection) if self.connection else qs

    def dehydrate_main_supplier(self, obj: ProductSupplier) -> str:
        return "yes" if obj.is_main_supplier else "no"

    def dehydrate_moq(self, obj: ProductSupplier) -> str:
        return _plain(obj.moq)

    def dehydrate_order_per(self, obj: ProductSupplier) -> str:
        return _plain(obj.order_per)

    def dehydrate_purchase_price(self, obj: ProductSupplier) -> str:
        return _plain(obj.purchase_price)

    def import_file(
        self,
        stream: IO[bytes],
        *,
        dry_run: bool,
        progress: ProgressCallback | None = None,
        user: Any = None,
    ) -> ImportReport:
        """Check (dry_run) or import a CSV stream; nothing is written if any row is bad."""
        if self.connection is None:
            raise ValueError("a product-supplier import needs a connection")
        report = ImportReport()
        csv_file = open_checked(
            stream,
            report,
            columns=COLUMNS,
            required={"supplier_code": "Missing column 'supplier_code' (the Exact supplier code)."},
            one_of=[
                (
                    ("product_code", "product_ean"),
                    "Missing column 'product_code' (or 'product_ean').",
                )
            ],
        )
        if csv_file is None:
            return report
        return ProductSupplierImport(self.connection, report).run(
            csv_file.rows, dry_run=dry_run, progress=progress
        )


def _shown(value: Any) -> Any:
    return _plain(value) if isinstance(value, Decimal) else value


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    return text


ALL_FIELDS = [*MODEL_FIELDS, *SOURCE_FIELDS]
FIELD_INDEX = {name: i for i, name in enumerate(ALL_FIELDS)}
_NEW_LINK_DEFAULTS = {
    "currency": "EUR",
    "order_per": Decimal("1"),
    "is_main_supplier": False,
    "purchase_price": None,
    "moq": None,
    "lead_time_days": None,
}
NEW_LINK = tuple(_NEW_LINK_DEFAULTS.get(name, "") for name in ALL_FIELDS)
# Rows are kept as compact tuples (not model instances) until their batch is written.
Values = tuple[Any, ...]
Pair = tuple[int, int]


class ProductSupplierImport:
    """One pass over the rows: resolve, check, compare, and (unless dry) write in batches."""

    def __init__(self, connection: ExactConnection, report: ImportReport) -> None:
        self.connection = connection
        self.report = report
        products = Product.objects.filter(connection=connection).values_list("id", "code", "ean")
        self.product_by_code: dict[str, tuple[int, str]] = {}
        self.products_by_ean: dict[str, list[tuple[int, str]]] = {}
        self.ean_of: dict[int, str] = {}
        for pk, code, ean in products.iterator(chunk_size=10000):
            self.product_by_code[code.lower()] = (pk, code)
            self.ean_of[pk] = ean
            if ean:
                self.products_by_ean.setdefault(ean, []).append((pk, code))
        self.supplier_by_code = {
            code.lower(): (pk, code)
            for pk, code in Account.objects.filter(connection=connection, is_supplier=True)
            .values_list("id", "code")
            .iterator(chunk_size=10000)
        }
        self.existing: dict[Pair, Values] = {}
        for row in (
            ProductSupplier.objects.filter(connection=connection)
            .values_list("product_id", "supplier_id", *ALL_FIELDS)
            .iterator(chunk_size=10000)
        ):
            self.existing[(row[0], row[1])] = row[2:]

    def run(
        self,
        rows: Iterator[tuple[int, dict[str, str]]],
        *,
        dry_run: bool,
        progress: ProgressCallback | None,
    ) -> ImportReport:
        report = self.report
        seen_pairs: dict[tuple[int, int], int] = {}
        self.main_lines: dict[int, int] = {}  # product id -> line that makes a supplier main
        writes: list[tuple[Pair, Values]] = []
        for line, row in rows:
            report.rows += 1
            if progress and report.rows % 5000 == 0:
                progress(report.rows)
            change = self._check_row(line, row, seen_pairs)
            if change is not None and not report.has_errors:
                writes.append(change)
            elif change is not None:
                pass  # counted, but nothing will be written anyway
        if progress:
            progress(report.rows)
        if report.rows == 0 and not report.has_errors:
            report.file_error("The file has column names but no rows.")
        if dry_run or report.has_errors:
            return report
        self._write(writes)
        report.written = True
        return report

    def _check_row(
        self, line: int, row: dict[str, str], seen_pairs: dict[tuple[int, int], int]
    ) -> tuple[Pair, Values] | None:
        report = self.report
        errors_before = report.error_count
        if "__extra__" in row:
            report.add_error(
                line, "", f"This row has {row['__extra__']} more cell(s) than there are columns."
            )
        product = self._resolve_product(line, row)
        supplier_code = row.get("supplier_code", "")
        supplier = self.supplier_by_code.get(supplier_code.lower()) if supplier_code else None
        if not supplier_code:
            report.add_error(line, "supplier_code", "The supplier code is empty.")
        elif supplier is None:
            report.add_error(line, "supplier_code", f"Unknown supplier '{supplier_code}'.")
        values = self._parse_values(line, row)
        if product is None or supplier is None or report.error_count > errors_before:
            report.totals["error"] += 1
            return None
        pair = (product[0], supplier[0])
        if pair in seen_pairs:
            report.add_error(
                line,
                "supplier_code",
                f"Duplicate row for product '{product[1]}' and supplier '{supplier[1]}' "
                f"(first on line {seen_pairs[pair]}).",
            )
            report.totals["error"] += 1
            return None
        seen_pairs[pair] = line
        if values.get("main_supplier"):
            if product[0] in self.main_lines:
                report.add_error(
                    line,
                    "main_supplier",
                    f"Product '{product[1]}' gets a second main supplier "
                    f"(line {self.main_lines[product[0]]} already makes one main).",
                )
                report.totals["error"] += 1
                return None
            self.main_lines[product[0]] = line
        return self._compare(line, pair, product[1], supplier[1], values)

    def _resolve_product(self, line: int, row: dict[str, str]) -> tuple[int, str] | None:
        code, ean = row.get("product_code", ""), row.get("product_ean", "")
        report = self.report
        if code:
            product = self.product_by_code.get(code.lower())
            if product is None:
                report.add_error(line, "product_code", f"Unknown product code '{code}'.")
                return None
            if ean and self.ean_of.get(product[0]) and self.ean_of[product[0]] != ean:
                report.add_error(
                    line,
                    "product_ean",
                    f"EAN '{ean}' does not belong to product '{product[1]}' "
                    f"(its EAN is '{self.ean_of[product[0]]}').",
                )
                return None
            return product
        if ean:
            matches = self.products_by_ean.get(ean, [])
            if not matches:
                report.add_error(line, "product_ean", f"Unknown EAN '{ean}'.")
                return None
            if len(matches) > 1:
                codes = ", ".join(c for _, c in matches[:5])
                report.add_error(
                    line,
                    "product_ean",
                    f"EAN '{ean}' belongs to {len(matches)} products ({codes}); "
                    "use product_code instead.",
                )
                return None
            return matches[0]
        report.add_error(line, "product_code", "Neither a product code nor an EAN is given.")
        return None

    def _parse_values(self, line: int, row: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        add = self.report.add_error
        for column in VALUE_FIELDS:
            text = row.get(column, "")
            if column not in row or text == "":
                continue
            try:
                if column in ("purchase_price", "order_per", "moq"):
                    number = parse_decimal(text)
                    if column == "purchase_price" and number < 0:
                        raise ValueError("The purchase price cannot be negative")
                    if column == "moq" and number <= 0:
                        raise ValueError(f"MOQ must be greater than 0 (got {text})")
                    if column == "order_per" and number <= 0:
                        raise ValueError(f"Order per must be greater than 0 (got {text})")
                    if number.as_tuple().exponent < -4:  # type: ignore[operator]
                        raise ValueError(f'"{text}" has more than 4 decimals')
                    values[column] = number
                elif column == "lead_time_days":
                    days = parse_int(text)
                    if days < 0:
                        raise ValueError(f"The lead time cannot be negative (got {text})")
                    values[column] = days
                elif column == "main_supplier":
                    values[column] = parse_bool(text)
                elif column == "currency":
                    if len(text) != 3 or not text.isalpha():
                        raise ValueError(f"'{text}' is not a 3-letter currency code such as EUR")
                    values[column] = text.upper()
                else:
                    if len(text) > (60 if column == "supplier_item_code" else 20):
                        raise ValueError(f"'{text[:30]}...' is too long")
                    values[column] = text
            except ValueError as exc:
                add(line, column, str(exc))
        return values

    def _compare(
        self,
        line: int,
        pair: tuple[int, int],
        product_code: str,
        supplier_code: str,
        values: dict[str, Any],
    ) -> ProductSupplier | None:
        report = self.report
        existing = self.existing.get(pair)
        current = list(existing if existing is not None else NEW_LINK)
        changed: dict[str, tuple[Any, Any]] = {}
        for column, value in values.items():
            model_field, source_field = VALUE_FIELDS[column]
            index = FIELD_INDEX[model_field]
            if current[index] != value:
                changed[model_field] = (current[index], value)
                current[index] = value
                if source_field:
                    current[FIELD_INDEX[source_field]] = Source.IMPORT
        if existing is not None and not changed:
            report.totals["skip"] += 1
            return None
        kind = "update" if existing is not None else "new"
        report.totals[kind] += 1
        if len(report.sample) < SAMPLE_SIZE:
            report.add_sample(
                {
                    "line": line,
                    "kind": kind,
                    "product": product_code,
                    "supplier": supplier_code,
                    "changes": {f: [_shown(o), _shown(n)] for f, (o, n) in changed.items()},
                }
            )
        return pair, tuple(current)

    @transaction.atomic
    def _write(self, writes: list[tuple[Pair, Values]]) -> None:
        now = timezone.now()
        update_fields = [*ALL_FIELDS, "updated_at"]
        main_index = FIELD_INDEX["is_main_supplier"]
        for batch in chunked(writes, BATCH_SIZE):
            objs = [
                ProductSupplier(
                    connection=self.connection,
                    product_id=pair[0],
                    supplier_id=pair[1],
                    created_at=now,
                    updated_at=now,
                    **dict(zip(ALL_FIELDS, values, strict=True)),
                )
                for pair, values in batch
            ]
            # An upsert on the natural key (product, supplier): new and changed rows in one statement.
            ProductSupplier.objects.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=["product", "supplier"],
                update_fields=update_fields,
            )
        # One main supplier per product: a row that makes a supplier main demotes the others.
        new_mains = {pair[0]: pair[1] for pair, values in writes if values[main_index]}
        for product_ids in chunked(list(new_mains), 500):
            demote = [
                pk
                for pk, product_id, supplier_id in ProductSupplier.objects.filter(
                    product_id__in=product_ids, is_main_supplier=True
                ).values_list("id", "product_id", "supplier_id")
                if new_mains[product_id] != supplier_id
            ]
            if demote:
                ProductSupplier.objects.filter(pk__in=demote).update(
                    is_main_supplier=False, updated_at=now
                )
