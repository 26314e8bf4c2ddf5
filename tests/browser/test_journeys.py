"""Journeys tested in a real browser (issue 10): what staff do, click by click, in Chromium.

Each journey runs against the live server and the loopback sandboxes (Exact, bol.com), checks
what the pages show, and saves a screenshot per step in tests/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from exactsync.models import ExactConnection, TokenState
from exactsync.sandbox import ExactSandbox
from tests.factories import UserFactory

from .conftest import CHROMIUM, CHROMIUM_MISSING

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
    pytest.mark.django_db(transaction=True),
]

Shot = Callable[[str], Path]
LogIn = Callable[..., None]


def test_log_in_through_the_admin_login_page(page: Any, shot: Shot) -> None:
    UserFactory(username="ilse", is_superuser=True)

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    shot("login-page")
    page.locator("#id_username").fill("ilse")
    page.locator("#id_password").fill("not-her-password")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator(".errornote")).to_contain_text("Please enter the correct username")
    shot("wrong-password")

    page.locator("#id_password").fill("pass-Word-123")
    page.locator("#login-form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#user-tools")).to_contain_text("ilse")
    expect(page.locator("#dash-writes")).to_contain_text("Failed order writes: 0")
    shot("dashboard")


def test_connect_exact_through_the_sandbox_login_page(
    page: Any, shot: Shot, log_in: LogIn, exact: ExactSandbox
) -> None:
    UserFactory(username="boss", is_superuser=True)
    connection = ExactConnection.objects.create(name="Groothandel", base_url=exact.base_url)
    log_in("boss")

    page.goto(reverse("admin:exactsync_exactconnection_change", args=[connection.pk]))
    expect(page.locator("#exact-status")).to_contain_text("not chosen yet")
    shot("connection-page")
    page.locator("#connect-exact").click()

    # Exact's own login page (the sandbox, on loopback).
    expect(page).to_have_url(re.compile(rf"^{re.escape(exact.base_url)}/api/oauth2/auth\?"))
    expect(page.locator("h1")).to_have_text("Exact Online sandbox")
    shot("exact-login")
    page.get_by_role("button", name="Log in and approve").click()

    # Back on our side: confirm the division.
    expect(page).to_have_url(
        re.compile(reverse("admin:exactsync_exactconnection_division", args=[connection.pk]) + "$")
    )
    division = page.locator(f"#division-form input[name=division][value='{exact.division}']")
    expect(division).to_be_checked()
    shot("choose-division")
    page.locator("#confirm-division").click()

    expect(page.locator(".messagelist")).to_contain_text(
        f"Connected to Exact Online division {exact.division}"
    )
    expect(page.locator("#division")).to_have_text(str(exact.division))
    expect(page.locator("#token-state")).to_contain_text("alid")
    shot("connected")
    connection.refresh_from_db()
    assert connection.division == exact.division
    assert connection.token_state == TokenState.VALID
    assert connection.connected_by.username == "boss"


def test_edit_a_moq_inline_on_the_product_page(
    page: Any, shot: Shot, log_in: LogIn, roles: None
) -> None:
    from exactsync.models import ProductSupplier, Source
    from tests.factories import ProductFactory, ProductSupplierFactory, SupplierFactory

    UserFactory(username="petra", groups=["purchaser"])
    product = ProductFactory(code="WIDGET-7", description="Widget seven")
    acme = SupplierFactory(connection=product.connection, code="77", name="Acme Tools")
    bolt = SupplierFactory(connection=product.connection, code="88", name="Bolt & Co")
    edited = ProductSupplierFactory(product=product, supplier=acme, order_per=Decimal("6"))
    other = ProductSupplierFactory(
        product=product, supplier=bolt, moq=Decimal("12"), moq_source=Source.EXACT
    )
    log_in("petra")

    page.goto(reverse("admin:exactsync_product_changelist"))
    page.locator("#result_list").get_by_role("link", name="WIDGET-7").click()
    inline = page.locator("#supplier_links-group")
    expect(inline).to_contain_text("Suppliers (order per, MOQ, lead time)")
    row = inline.locator("tr.form-row").filter(
        has=page.locator(f"input[name$='-id'][value='{edited.pk}']")
    )
    moq = row.locator("input[name$='-moq']")
    expect(moq).to_have_value("")
    moq.fill("24")
    shot("moq-typed")
    page.locator("input[name=_save]").click()

    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    shot("saved")

    page.goto(reverse("admin:exactsync_productsupplier_changelist") + "?q=WIDGET-7")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    acme_row = rows.filter(has_text="Acme Tools")
    expect(acme_row.locator("input[name$='-moq']")).to_have_value(re.compile(r"^24(\.0+)?$"))
    expect(acme_row.locator("td.field-provenance")).to_have_text("MOQ: by hand")
    bolt_row = rows.filter(has_text="Bolt & Co")
    expect(bolt_row.locator("input[name$='-moq']")).to_have_value(re.compile(r"^12(\.0+)?$"))
    expect(bolt_row.locator("td.field-provenance")).to_have_text("MOQ: from exact")
    acme_row.locator("td.field-provenance").scroll_into_view_if_needed()  # the list is wide
    shot("product-supplier-list")

    edited.refresh_from_db()
    other.refresh_from_db()
    assert (edited.moq, edited.moq_source) == (Decimal("24"), Source.MANUAL)
    assert (other.moq, other.moq_source) == (Decimal("12"), Source.EXACT)
    assert ProductSupplier.objects.count() == 2


IMPORT_HEADER = "product_code,supplier_code,moq"


def _csv(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_import_a_product_supplier_csv_with_one_bad_row(
    page: Any, shot: Shot, log_in: LogIn, roles: None, connection: Any
) -> None:
    from exactsync.models import ImportJob, ImportStatus, ProductSupplier, Source
    from tests.factories import ProductFactory, ProductSupplierFactory, SupplierFactory

    UserFactory(username="petra", groups=["purchaser"])
    supplier = SupplierFactory(connection=connection, code="SUP1", name="Supplier One")
    products = {
        code: ProductFactory(connection=connection, code=code) for code in ("A-1", "A-2", "A-3")
    }
    existing = ProductSupplierFactory(
        connection=connection,
        product=products["A-3"],
        supplier=supplier,
        moq=Decimal("12"),
        moq_source=Source.EXACT,
    )
    log_in("petra")

    page.goto(reverse("admin:exactsync_productsupplier_changelist"))
    page.locator(".object-tools").get_by_role("link", name="Import CSV").click()
    expect(page.locator("#import-upload-form")).to_be_visible()
    page.locator("#id_import_file").set_input_files(
        _csv("links.csv", f"{IMPORT_HEADER}\nA-1,SUP1,10\nA-2,SUP1,twelve\nA-3,SUP1,99\n")
    )
    shot("upload")
    page.locator("#import-upload-form [type=submit]").click()

    # The check runs as a task; the job page refreshes itself until it is done.
    job_page = page.locator("#content-main.import-job")
    expect(job_page).to_have_attribute("data-status", ImportStatus.INVALID)
    expect(page.locator("#import-status")).to_have_text("Checked: has errors")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td")).to_have_text(["3", "moq", '"twelve" is not a number'])
    expect(page.locator("#confirm-import")).to_have_count(0)
    shot("errors")

    page.get_by_role("link", name="Upload a corrected file").click()
    page.locator("#id_import_file").set_input_files(
        _csv("links-fixed.csv", f"{IMPORT_HEADER}\nA-1,SUP1,10\nA-2,SUP1,12\nA-3,SUP1,99\n")
    )
    page.locator("#import-upload-form [type=submit]").click()

    expect(job_page).to_have_attribute("data-status", ImportStatus.VALIDATED)
    expect(page.locator("#import-errors")).to_have_count(0)
    # rows, new, updated, unchanged, with errors
    expect(page.locator("#import-totals tbody td")).to_have_text(["3", "2", "1", "0", "0"])
    expect(page.locator("#import-sample")).to_contain_text("moq: 12 → 99")
    assert ProductSupplier.objects.count() == 1  # the check wrote nothing
    shot("preview")
    page.locator("#confirm-import").click()

    expect(job_page).to_have_attribute("data-status", ImportStatus.DONE)
    expect(page.locator("#import-status")).to_have_text("Imported")
    shot("imported")

    assert ImportJob.objects.filter(status=ImportStatus.DONE).count() == 1
    moqs = dict(ProductSupplier.objects.values_list("product__code", "moq"))
    assert moqs == {"A-1": Decimal("10"), "A-2": Decimal("12"), "A-3": Decimal("99")}
    existing.refresh_from_db()
    assert existing.moq_source == Source.IMPORT


def test_map_a_channel_to_an_exact_customer(
    page: Any, shot: Shot, log_in: LogIn, roles: None, connection: Any
) -> None:
    from channels_app.models import Channel
    from tests.factories import ChannelFactory, CustomerFactory, SupplierFactory

    UserFactory(username="eva", groups=["e-commerce"])
    jansen = CustomerFactory(connection=connection, code="30001", name="Bouwbedrijf Jansen BV")
    CustomerFactory(connection=connection, code="20001", name="bol.com Marketplace")
    SupplierFactory(connection=connection, code="40001", name="Jansen Leveranciers")  # no customer
    channel = ChannelFactory(name="bol.com winkel", connection=connection)
    log_in("eva")

    page.goto(reverse("admin:channels_app_channel_changelist"))
    page.locator("#result_list").get_by_role("link", name="bol.com winkel").click()
    expect(page.locator("#channel-status")).to_be_visible()
    page.locator(".field-customer .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("jansen")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text(["30001 Bouwbedrijf Jansen BV"])  # customers only
    shot("autocomplete")
    options.first.click()
    expect(page.locator("#select2-id_customer-container")).to_contain_text(
        "30001 Bouwbedrijf Jansen BV"
    )
    page.locator("input[name=_continue]").click()

    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page.locator("#id_customer option:checked")).to_have_text("30001 Bouwbedrijf Jansen BV")
    shot("saved")
    page.goto(reverse("admin:channels_app_channel_changelist"))
    row = page.locator("#result_list tbody tr").filter(has_text="bol.com winkel")
    expect(row.locator("td.field-customer")).to_have_text("30001 Bouwbedrijf Jansen BV")
    shot("channel-list")
    assert Channel.objects.get(pk=channel.pk).customer == jansen


@pytest.fixture
def erp(exact: ExactSandbox, exact_connection: ExactConnection) -> ExactConnection:
    """Exact with the channel catalogue's products (as tests/channels_app/forwarding)."""
    from tests.channels_app.conftest import CATALOGUE
    from tests.exact.conftest import relogin
    from tests.exact.sync_helpers import sync

    exact.reset(seed=9, items=0)
    for product in CATALOGUE[:3]:
        exact.add_item(Code=product["code"], Barcode=product["ean"], Description=product["title"])
        exact.set_stock(product["code"], "1", current=100)
    relogin(exact, exact_connection)
    sync(exact_connection, "reference", "accounts", "items", "stock")
    return exact_connection


def test_a_failed_sales_order_write_is_fixed_and_retried(
    page: Any,
    shot: Shot,
    log_in: LogIn,
    roles: None,
    exact: ExactSandbox,
    erp: ExactConnection,
    bol: Any,
    bol_server: Any,
    connector_for: Callable[[Any], Any],
) -> None:
    from channels_app.intake import poll_orders
    from channels_app.listings import match_listings
    from channels_app.models import ChannelKind, ChannelOrder, OrderState
    from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from exactsync.models import Account, VatCode
    from tests.factories import ChannelFactory

    # Our mirror is stale: Exact blocks VAT code 6, so Exact refuses the sales order.
    VatCode.objects.filter(code="6").update(is_blocked=False)
    channel = ChannelFactory(
        name="bol.com",
        kind=ChannelKind.BOL,
        connection=erp,
        base_url=bol_server.url,
        auth_url=f"{bol_server.url}/token",
        credentials={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
        forward_orders=True,
        customer=Account.objects.get(code="20001"),
        default_vat_code=VatCode.objects.get(code="6"),
    )
    match_listings(channel, connector=connector_for(channel))
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll_orders(channel, connector=connector_for(channel))
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.FAILED, order.problems  # the starting point
    UserFactory(username="olga", groups=["e-commerce", "operator"])
    log_in("olga")

    # The dashboard sends her to the failed writes.
    expect(page.locator("#failed-writes")).to_have_text("1")
    page.locator("#dash-writes").get_by_role("link", name=re.compile("Failed order writes")).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.field-reason")).to_contain_text("Geblokkeerd: Btw code")
    expect(rows.first.locator("td.field-reason")).to_contain_text("choose another VAT code")
    shot("failed-writes")
    rows.first.locator(".field-what a").last.click()

    # The order page says why.
    expect(page.locator(".field-state .readonly")).to_have_text("Write to Exact failed")
    expect(page.locator(".order-problems")).to_contain_text("Geblokkeerd: Btw code")
    shot("order-failed")

    # Fix the mapping: the channel's default VAT code.
    page.goto(reverse("admin:channels_app_channel_change", args=[channel.pk]))
    vat_3 = VatCode.objects.get(code="3")
    page.locator("#id_default_vat_code").select_option(str(vat_3.pk))
    shot("vat-code-chosen")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page.locator("#id_default_vat_code option:checked")).to_have_text(str(vat_3))

    # Retry the write.
    page.goto(reverse("admin:exactsync_failedwrite_changelist"))
    rows.first.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("retry_selected")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("1 write(s) queued again.")
    expect(rows).to_have_count(0)  # nothing failed any more
    shot("retried")

    # The order is in Exact, with Exact's order number.
    [sales_order] = exact.sales_orders(your_ref=order.number)
    page.goto(reverse("admin:channels_app_channelorder_change", args=[order.pk]))
    expect(page.locator(".field-state .readonly")).to_have_text("In Exact")
    expect(page.locator(".field-exact_order_number .readonly")).to_have_text(
        str(sales_order["OrderNumber"])
    )
    expect(page.locator("#order-timeline")).to_contain_text("forward.in_exact")
    shot("order-in-exact")
    order.refresh_from_db()
    assert order.exact_order_number == sales_order["OrderNumber"]
    assert [line["VATCode"] for line in sales_order["SalesOrderLines"]] == ["3"]


def test_the_dashboard_turns_green_and_shows_a_failed_sync_in_red(
    page: Any, shot: Shot, log_in: LogIn, exact: ExactSandbox, exact_connection: ExactConnection
) -> None:
    from exactsync.sync import ENTITIES, run_entity
    from tests.exact.sync_helpers import sync

    UserFactory(username="boss", is_superuser=True)
    log_in("boss")
    syncs = page.locator("#dash-connection [data-sync]")
    expect(syncs.first).to_have_attribute("data-colour", "amber")  # never ran
    shot("never-synced")

    sync(exact_connection)
    page.reload()
    shown = [e for e in ENTITIES if e != "boms" or exact_connection.use_bills_of_material]
    expect(syncs).to_have_count(len(shown))
    for entity in shown:
        expect(page.locator(f"#dash-connection [data-sync='{entity}']")).to_have_attribute(
            "data-colour", "green"
        )
    shot("green")

    exact.fail_next(1, status=403, paths=["Inventory/StockPositions"])
    run = run_entity(exact_connection, "stock", triggered_by="test")
    assert run.status == "failed"
    page.reload()
    stock = page.locator("#dash-connection [data-sync='stock']")
    expect(stock).to_have_attribute("data-colour", "red")
    expect(stock.locator("xpath=..")).to_contain_text(run.error[:40])
    for entity in shown:
        if entity != "stock":
            expect(page.locator(f"#dash-connection [data-sync='{entity}']")).to_have_attribute(
                "data-colour", "green"
            )
    shot("stock-red")
