"""Bulk product-supplier CSV: upload -> check -> preview -> confirm, through the real admin."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exactsync.models import ImportJob, ImportStatus, ProductSupplier, Source
from tests.factories import ProductFactory, ProductSupplierFactory, SupplierFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:exactsync_productsupplier_import")
HEADER = "product_code,supplier_code,supplier_item_code,purchase_price,order_per,purchase_unit,moq,lead_time_days,main_supplier"


@pytest.fixture
def catalogue(connection: Any) -> dict[str, Any]:
    supplier = SupplierFactory(connection=connection, code="SUP1", name="Supplier One")
    other = SupplierFactory(connection=connection, code="SUP2", name="Supplier Two")
    products = {
        code: ProductFactory(connection=connection, code=code, ean=ean)
        for code, ean in (
            ("A-1", "8710000000011"),
            ("A-2", "8710000000028"),
            ("A-3", "8710000000035"),
        )
    }
    existing = ProductSupplierFactory(
        connection=connection,
        product=products["A-3"],
        supplier=supplier,
        supplier_item_code="X3",
        purchase_price=Decimal("3.00"),
        order_per=Decimal("6"),
        purchase_unit="box",
        moq=Decimal("12"),
        lead_time_days=4,
        moq_source=Source.EXACT,
    )
    return {"supplier": supplier, "other": other, "products": products, "existing": existing}


@pytest.fixture
def purchaser_client(purchaser_client: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """The purchaser's client, with on-commit callbacks (the queued tasks) run as they would be."""

    class Committing:
        def post(self, *args: Any, follow: bool = False, **kwargs: Any) -> Any:
            with django_capture_on_commit_callbacks(execute=True):
                response = purchaser_client.post(*args, **kwargs)
            if follow and response.status_code == 302:
                return purchaser_client.get(response.url)
            return response

        def get(self, *args: Any, **kwargs: Any) -> Any:
            return purchaser_client.get(*args, **kwargs)

    return Committing()


def upload(client: Any, text: str | bytes, name: str = "links.csv") -> Any:
    content = text.encode() if isinstance(text, str) else text
    return client.post(
        IMPORT_URL,
        {"import_file": SimpleUploadedFile(name, content, content_type="text/csv")},
        follow=True,
    )


def job_of(response: Any) -> ImportJob:
    return response.context["job"]


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["message"]) for e in job.errors]


def test_upload_preview_confirm_writes_and_marks_by_import(
    purchaser_client: Any, catalogue: dict[str, Any]
) -> None:
    csv_text = "\n".join(
        [
            HEADER,
            "A-1,SUP1,S-A1,12.50,12,box,24,7,yes",
            "A-2,SUP2,S-A2,1.99,1,pc,,3,no",
            "A-3,SUP1,X3,3.00,6,box,12,4,no",  # identical to what is stored: unchanged
        ]
    )
    response = upload(purchaser_client, csv_text)

    job = job_of(response)
    assert job.status == ImportStatus.VALIDATED
    assert job.totals == {"new": 2, "update": 0, "skip": 1, "error": 0}
    page = response.content.decode()
    assert 'id="confirm-import"' in page
    assert ProductSupplier.objects.count() == 1  # the check wrote nothing

    confirm = purchaser_client.post(
        reverse("admin:exactsync_productsupplier_import_confirm", args=[job.pk]), follow=True
    )

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert "Imported" in confirm.content.decode()
    a1 = ProductSupplier.objects.get(product__code="A-1")
    assert (
        a1.supplier.code,
        a1.supplier_item_code,
        a1.purchase_price,
        a1.order_per,
        a1.purchase_unit,
        a1.moq,
        a1.lead_time_days,
        a1.is_main_supplier,
    ) == ("SUP1", "S-A1", Decimal("12.5"), Decimal("12"), "box", Decimal("24"), 7, True)
    assert (a1.moq_source, a1.order_per_source, a1.lead_time_source, a1.price_source) == (
        Source.IMPORT,
    ) * 4
    a2 = ProductSupplier.objects.get(product__code="A-2")
    assert a2.moq is None
    assert a2.moq_source == ""
    assert (
        ProductSupplier.objects.get(product__code="A-3").moq_source == Source.EXACT
    )  # unchanged row untouched


def test_update_changes_only_the_given_cells(
    purchaser_client: Any, catalogue: dict[str, Any]
) -> None:
    response = upload(purchaser_client, "product_code,supplier_code,moq\nA-3,SUP1,18\n")
    job = job_of(response)
    assert job.totals["update"] == 1
    assert job.sample[0]["changes"] == {"moq": ["12", "18"]}
    purchaser_client.post(reverse("admin:exactsync_productsupplier_import_confirm", args=[job.pk]))
    link = catalogue["existing"]
    link.refresh_from_db()
    assert (link.moq, link.moq_source, link.order_per, link.lead_time_days) == (
        Decimal("18"),
        Source.IMPORT,
        Decimal("6"),
        4,
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("NOPE,SUP1,1", (2, "product_code", "Unknown product code 'NOPE'.")),
        ("A-1,SUPX,1", (2, "supplier_code", "Unknown supplier 'SUPX'.")),
        ("A-1,SUP1,abc", (2, "moq", '"abc" is not a number')),
        ("A-1,SUP1,-4", (2, "moq", "MOQ must be greater than 0 (got -4)")),
        ("A-1,SUP1,0", (2, "moq", "MOQ must be greater than 0 (got 0)")),
    ],
)
def test_each_bad_cell_is_reported_by_line_and_column(
    purchaser_client: Any, catalogue: dict[str, Any], row: str, expected: tuple[int, str, str]
) -> None:
    response = upload(purchaser_client, f"product_code,supplier_code,moq\n{row}\n")
    job = job_of(response)
    assert job.status == ImportStatus.INVALID
    assert errors_of(job) == [expected]
    assert 'id="confirm-import"' not in response.content.decode()
    assert html.escape(expected[2]) in response.content.decode()


def test_one_bad_row_means_nothing_is_written(
    purchaser_client: Any, catalogue: dict[str, Any]
) -> None:
    csv_text = "product_code,supplier_code,moq\nA-1,SUP1,10\nA-2,SUP1,twelve\nA-3,SUP1,99\n"
    job = job_of(upload(purchaser_client, csv_text))
    assert job.status == ImportStatus.INVALID
    assert job.totals == {"new": 1, "update": 1, "skip": 0, "error": 1}
    assert errors_of(job) == [(3, "moq", '"twelve" is not a number')]
    # Even a forced confirm does nothing for a file with errors.
    purchaser_client.post(reverse("admin:exactsync_productsupplier_import_confirm", args=[job.pk]))
    assert ProductSupplier.objects.count() == 1
    assert ProductSupplier.objects.get().moq == Decimal("12")


def test_duplicate_pair_in_the_file(purchaser_client: Any, catalogue: dict[str, Any]) -> None:
    job = job_of(
        upload(
            purchaser_client, "product_code,supplier_code,moq\nA-1,SUP1,1\nA-2,SUP1,1\nA-1,sup1,2\n"
        )
    )
    assert errors_of(job) == [
        (
            4,
            "supplier_code",
            "Duplicate row for product 'A-1' and supplier 'SUP1' (first on line 2).",
        )
    ]


def test_product_by_ean_and_ambiguous_ean(
    purchaser_client: Any, catalogue: dict[str, Any], connection: Any
) -> None:
    ProductFactory(connection=connection, code="DUP-1", ean="8719999999999")
    ProductFactory(connection=connection, code="DUP-2", ean="8719999999999")
    job = job_of(
        upload(
            purchaser_client,
            "product_ean,supplier_code,moq\n8710000000011,SUP1,5\n8719999999999,SUP1,5\n",
        )
    )
    assert errors_of(job) == [
        (
            3,
            "product_ean",
            "EAN '8719999999999' belongs to 2 products (DUP-1, DUP-2); use product_code instead.",
        )
    ]
    assert job.totals["new"] == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "product_code,supplier,moq",
            [
                (
                    1,
                    "supplier",
                    "Unknown column 'supplier'. Expected: product_code, product_ean, "
                    "supplier_code, supplier_item_code, purchase_price, currency, "
                    "order_per, purchase_unit, moq, lead_time_days, main_supplier.",
                ),
                (1, "supplier_code", "Missing column 'supplier_code' (the Exact supplier code)."),
            ],
        ),
        (
            "supplier_code,moq",
            [(1, "product_code", "Missing column 'product_code' (or 'product_ean').")],
        ),
        ("product_code,supplier_code,moq,moq", [(1, "moq", "Column 'moq' appears twice.")]),
    ],
)
def test_wrong_or_missing_header(
    purchaser_client: Any,
    catalogue: dict[str, Any],
    header: str,
    expected: list[tuple[int, str, str]],
) -> None:
    job = job_of(upload(purchaser_client, f"{header}\nA-1,SUP1,5\n"))
    assert job.status == ImportStatus.INVALID
    assert errors_of(job) == expected


def test_a_file_that_is_not_utf8_is_refused_with_where(
    purchaser_client: Any, catalogue: dict[str, Any]
) -> None:
    content = "product_code,supplier_code,supplier_item_code\nA-1,SUP1,Caf\u00e9\n".encode("cp1252")
    job = job_of(upload(purchaser_client, content))
    assert job.status == ImportStatus.INVALID
    assert errors_of(job) == [
        (
            0,
            "",
            "The file is not UTF-8 encoded: byte 0xE9 on line 2, position 13. In Excel "
            "use 'Save as' > 'CSV UTF-8 (comma delimited)'.",
        )
    ]


def test_dutch_excel_semicolons_and_decimal_commas_are_read(
    purchaser_client: Any, catalogue: dict[str, Any]
) -> None:
    content = "\ufeffproduct_code;supplier_code;purchase_price;order_per\r\nA-1;SUP1;12,50;1.000,5\r\n".encode()
    job = job_of(upload(purchaser_client, content))
    assert job.status == ImportStatus.VALIDATED, job.errors
    assert job.notes == ["Columns are separated by a semicolon (';'); read as such."]
    assert job.sample[0]["changes"]["purchase_price"] == [None, "12.5"]
    assert job.sample[0]["changes"]["order_per"] == ["1", "1000.5"]


def test_export_edit_import_round_trip(purchaser_client: Any, catalogue: dict[str, Any]) -> None:
    export = purchaser_client.post(
        reverse("admin:exactsync_productsupplier_export"),
        {
            "format": "0",
            "export_items": [],
            **{
                f"productsupplierresource_{c}": "on"
                for c in (
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
                )
            },
        },
    )
    assert export.status_code == 200, export.content[:500]
    exported = export.content.decode("utf-8-sig")
    lines = exported.strip().splitlines()
    assert lines[0].split(",") == [
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
    assert lines[1] == "A-3,8710000000035,SUP1,X3,3,EUR,6,box,12,4,no"

    unchanged = job_of(upload(purchaser_client, exported))
    assert unchanged.totals == {"new": 0, "update": 0, "skip": 1, "error": 0}

    edited = exported.replace(",12,4,no", ",18,4,no")
    job = job_of(upload(purchaser_client, edited))
    assert job.totals["update"] == 1
    purchaser_client.post(reverse("admin:exactsync_productsupplier_import_confirm", args=[job.pk]))
    assert ProductSupplier.objects.get().moq == Decimal("18")


def test_template_download_has_the_import_columns(purchaser_client: Any) -> None:
    response = purchaser_client.get(reverse("admin:exactsync_productsupplier_import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().strip() == (
        "product_code,product_ean,supplier_code,supplier_item_code,"
        "purchase_price,currency,order_per,purchase_unit,moq,"
        "lead_time_days,main_supplier"
    )


def test_second_main_supplier_in_the_file_is_refused_and_import_demotes_the_old_main(
    purchaser_client: Any, catalogue: dict[str, Any]
) -> None:
    catalogue["existing"].is_main_supplier = True
    catalogue["existing"].save()
    bad = job_of(
        upload(
            purchaser_client,
            "product_code,supplier_code,main_supplier\nA-3,SUP2,yes\nA-3,SUP1,yes\n",
        )
    )
    assert errors_of(bad)[0][:2] == (3, "main_supplier")
    job = job_of(
        upload(purchaser_client, "product_code,supplier_code,main_supplier\nA-3,SUP2,yes\n")
    )
    purchaser_client.post(reverse("admin:exactsync_productsupplier_import_confirm", args=[job.pk]))
    mains = list(
        ProductSupplier.objects.filter(is_main_supplier=True).values_list(
            "supplier__code", flat=True
        )
    )
    assert mains == ["SUP2"]


def test_upload_queues_a_background_check(
    purchaser_client: Any, catalogue: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, **kw: queued.append((func, kw)))
    response = purchaser_client.post(
        IMPORT_URL,
        {"import_file": SimpleUploadedFile("x.csv", b"product_code,supplier_code\nA-1,SUP1\n")},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ImportStatus.UPLOADED
    assert [(f, kw["job_id"]) for f, kw in queued] == [
        ("exactsync.tasks.validate_import_task", job.pk)
    ]
    page = purchaser_client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in page  # the page keeps itself up to date while the task works


def test_the_upload_is_stored_in_shared_storage(
    purchaser_client: Any, catalogue: dict[str, Any], settings: Any
) -> None:
    job = job_of(upload(purchaser_client, "product_code,supplier_code\nA-1,SUP1\n"))
    assert job.file.path.startswith(settings.MEDIA_ROOT)
