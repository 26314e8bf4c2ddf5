"""The purchasing console: MOQ and order per, inline on the product and in bulk on the list."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exactsync.models import ProductSupplier, Source
from tests.factories import ProductFactory, ProductSupplierFactory, SupplierFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:exactsync_productsupplier_changelist")


def _inline_post_data(
    product: Any, links: list[ProductSupplier], **changes: dict[str, str]
) -> dict[str, str]:
    """The product change form as the browser would post it, with some inline values changed."""
    prefix = "supplier_links"
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(links)),
        f"{prefix}-INITIAL_FORMS": str(len(links)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        "stock_levels-TOTAL_FORMS": "0",
        "stock_levels-INITIAL_FORMS": "0",
        "bom_lines-TOTAL_FORMS": "0",
        "bom_lines-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    for i, link in enumerate(links):
        row = {
            "id": str(link.pk),
            "product": str(product.pk),
            "supplier": str(link.supplier_id),
            "supplier_item_code": link.supplier_item_code,
            "purchase_price": str(link.purchase_price or ""),
            "currency": link.currency,
            "order_per": str(link.order_per),
            "purchase_unit": link.purchase_unit,
            "moq": "" if link.moq is None else str(link.moq),
            "lead_time_days": "" if link.lead_time_days is None else str(link.lead_time_days),
            **({"is_main_supplier": "on"} if link.is_main_supplier else {}),
        }
        row.update(changes.get(str(i), {}))
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def test_purchaser_edits_moq_inline_on_the_product_page(purchaser_client: Any) -> None:
    link = ProductSupplierFactory(order_per=Decimal("6"), moq=None)
    other = ProductSupplierFactory(product=link.product, moq=Decimal("12"), moq_source=Source.EXACT)
    url = reverse("admin:exactsync_product_change", args=[link.product.pk])

    response = purchaser_client.post(
        url, _inline_post_data(link.product, [link, other], **{"0": {"moq": "24"}})
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    link.refresh_from_db()
    other.refresh_from_db()
    assert link.moq == Decimal("24")
    assert link.moq_source == Source.MANUAL
    assert link.order_per_source == ""  # order per was not touched
    assert other.moq == Decimal("12")
    assert other.moq_source == Source.EXACT  # the untouched row keeps its provenance


def test_inline_refuses_zero_order_per_and_negative_moq(purchaser_client: Any) -> None:
    link = ProductSupplierFactory(order_per=Decimal("6"), moq=Decimal("12"))
    url = reverse("admin:exactsync_product_change", args=[link.product.pk])

    response = purchaser_client.post(
        url, _inline_post_data(link.product, [link], **{"0": {"order_per": "0", "moq": "-5"}})
    )

    assert response.status_code == 200  # the form comes back with errors
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert "must be greater than 0" in errors
    link.refresh_from_db()
    assert (link.order_per, link.moq) == (Decimal("6"), Decimal("12"))


def test_misaligned_moq_is_saved_but_flagged(purchaser_client: Any) -> None:
    link = ProductSupplierFactory(order_per=Decimal("12"), moq=None)
    url = reverse("admin:exactsync_product_change", args=[link.product.pk])

    response = purchaser_client.post(
        url, _inline_post_data(link.product, [link], **{"0": {"moq": "30"}}), follow=True
    )

    link.refresh_from_db()
    assert link.moq == Decimal("30")
    messages = [str(m) for m in response.context["messages"]]
    assert any("not a whole number of purchase units" in m for m in messages), messages
    listing = purchaser_client.get(LIST_URL, {"moq_alignment": "misaligned"})
    assert list(listing.context["cl"].result_list) == [link]


def _changelist_post(
    links: list[ProductSupplier], changes: dict[int, dict[str, str]]
) -> dict[str, str]:
    data = {
        "form-TOTAL_FORMS": str(len(links)),
        "form-INITIAL_FORMS": str(len(links)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, link in enumerate(links):
        row = {
            "id": str(link.pk),
            "order_per": str(link.order_per),
            "purchase_unit": link.purchase_unit,
            "moq": "" if link.moq is None else str(link.moq),
            "lead_time_days": "" if link.lead_time_days is None else str(link.lead_time_days),
        }
        row.update(changes.get(i, {}))
        data.update({f"form-{i}-{k}": v for k, v in row.items()})
    return data


def test_bulk_edit_in_the_list_marks_only_changed_values_as_by_hand(purchaser_client: Any) -> None:
    supplier = SupplierFactory()
    links = [
        ProductSupplierFactory(
            supplier=supplier,
            product=ProductFactory(connection=supplier.connection, code=f"A-{i}"),
            order_per=Decimal("1"),
            order_per_source=Source.EXACT,
        )
        for i in range(3)
    ]
    page = purchaser_client.get(LIST_URL)
    shown = list(page.context["cl"].result_list)
    assert shown == links

    response = purchaser_client.post(
        LIST_URL,
        _changelist_post(
            shown,
            {
                0: {"order_per": "12", "purchase_unit": "box"},
                2: {"moq": "48", "lead_time_days": "5"},
            },
        ),
    )

    assert response.status_code == 302
    rows = {link.pk: link for link in ProductSupplier.objects.all()}
    first, second, third = (rows[link.pk] for link in links)
    assert (first.order_per, first.purchase_unit, first.order_per_source) == (
        Decimal("12"),
        "box",
        Source.MANUAL,
    )
    assert (second.order_per, second.order_per_source, second.moq_source) == (
        Decimal("1"),
        Source.EXACT,
        "",
    )
    assert (third.moq, third.moq_source, third.lead_time_days, third.lead_time_source) == (
        Decimal("48"),
        Source.MANUAL,
        5,
        Source.MANUAL,
    )


def test_bulk_edit_refuses_negative_moq_and_saves_nothing(purchaser_client: Any) -> None:
    link = ProductSupplierFactory(moq=Decimal("10"))
    response = purchaser_client.post(LIST_URL, _changelist_post([link], {0: {"moq": "-1"}}))
    assert response.status_code == 200
    assert "must be greater than 0" in str(response.context["cl"].formset.errors)
    link.refresh_from_db()
    assert link.moq == Decimal("10")


@pytest.mark.parametrize(
    ("query", "expected_code"),
    [
        ("WIDGET-7", "WIDGET-7"),
        ("8711111111111", "EAN-PRODUCT"),
        ("fluffy", "DESC-PRODUCT"),
        ("ACME", "ACME-ITEM"),
    ],
)
def test_search_by_code_ean_description_or_supplier(
    purchaser_client: Any, query: str, expected_code: str
) -> None:
    first = ProductSupplierFactory(product__code="WIDGET-7")
    conn = first.connection
    ProductSupplierFactory(
        product=ProductFactory(connection=conn, code="EAN-PRODUCT", ean="8711111111111")
    )
    ProductSupplierFactory(
        product=ProductFactory(connection=conn, code="DESC-PRODUCT", description="Fluffy towel")
    )
    ProductSupplierFactory(
        product=ProductFactory(connection=conn, code="ACME-ITEM"),
        supplier=SupplierFactory(connection=conn, name="Acme Tools", code="77"),
    )

    response = purchaser_client.get(LIST_URL, {"q": query})

    assert [link.product.code for link in response.context["cl"].result_list] == [expected_code]


def test_inactive_products_are_hidden_until_the_filter_asks(purchaser_client: Any) -> None:
    active = ProductSupplierFactory(product__code="LIVE")
    retired = ProductSupplierFactory(
        product=ProductFactory(
            connection=active.connection,
            code="OLD",
            is_active=False,
            end_date=date.today() - timedelta(days=3),
        )
    )
    default = purchaser_client.get(LIST_URL)
    assert list(default.context["cl"].result_list) == [active]
    inactive = purchaser_client.get(LIST_URL, {"active": "no"})
    assert list(inactive.context["cl"].result_list) == [retired]
    everything = purchaser_client.get(LIST_URL, {"active": "all"})
    assert set(everything.context["cl"].result_list) == {active, retired}
    products = purchaser_client.get(reverse("admin:exactsync_product_changelist"))
    assert [p.code for p in products.context["cl"].result_list] == ["LIVE"]


def test_filter_by_provenance_and_supplier(purchaser_client: Any) -> None:
    by_hand = ProductSupplierFactory(moq=Decimal("5"), moq_source=Source.MANUAL)
    ProductSupplierFactory(
        product=ProductFactory(connection=by_hand.connection),
        moq=Decimal("5"),
        moq_source=Source.EXACT,
    )
    response = purchaser_client.get(LIST_URL, {"moq_source__exact": "manual"})
    assert list(response.context["cl"].result_list) == [by_hand]
    response = purchaser_client.get(LIST_URL, {"supplier__id__exact": str(by_hand.supplier_id)})
    assert list(response.context["cl"].result_list) == [by_hand]


def test_list_page_query_count_does_not_grow_with_rows(purchaser_client: Any) -> None:
    supplier = SupplierFactory()
    for i in range(5):
        ProductSupplierFactory(
            supplier=supplier, product=ProductFactory(connection=supplier.connection, code=f"S{i}")
        )
    with CaptureQueriesContext(db_connection) as small:
        assert purchaser_client.get(LIST_URL).status_code == 200
    for i in range(60):
        ProductSupplierFactory(
            supplier=supplier, product=ProductFactory(connection=supplier.connection, code=f"L{i}")
        )
    with CaptureQueriesContext(db_connection) as large:
        assert purchaser_client.get(LIST_URL).status_code == 200
    assert len(large) == len(small)


def test_purchaser_cannot_open_channel_admin(purchaser_client: Any) -> None:
    response = purchaser_client.get(reverse("admin:channels_app_channel_changelist"))
    assert response.status_code == 403


def test_product_page_shows_stock_per_warehouse_and_total(purchaser_client: Any) -> None:
    from tests.factories import StockLevelFactory, WarehouseFactory

    product = ProductFactory()
    w1 = WarehouseFactory(connection=product.connection, code="1")
    w2 = WarehouseFactory(connection=product.connection, code="2")
    StockLevelFactory(product=product, warehouse=w1, current=Decimal("10"), free=Decimal("7"))
    StockLevelFactory(product=product, warehouse=w2, current=Decimal("5"), free=Decimal("5"))
    page = purchaser_client.get(
        reverse("admin:exactsync_product_change", args=[product.pk])
    ).content.decode()
    assert "in stock 15 · free 12" in page


def test_product_page_timeline_records_who_changed_what(
    purchaser_client: Any, purchaser: Any
) -> None:
    link = ProductSupplierFactory(order_per=Decimal("6"), moq=None)
    url = reverse("admin:exactsync_product_change", args=[link.product.pk])
    purchaser_client.post(url, _inline_post_data(link.product, [link], **{"0": {"moq": "24"}}))
    page = purchaser_client.get(url).content.decode()
    assert 'id="product-timeline"' in page
    assert "supplier_link.edited" in page
    assert "petra" in page  # who
