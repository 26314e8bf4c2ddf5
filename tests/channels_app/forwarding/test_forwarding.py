"""Channel orders forwarded to Exact as sales orders: mapping, checks, exactly once, review."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from channels_app.forwarding import service
from channels_app.intake import poll_orders
from channels_app.listings import match_listings
from channels_app.models import (
    Channel,
    ChannelKind,
    ChannelOrder,
    CustomerMapping,
    OrderState,
    VatMapping,
)
from channels_app.sandbox.bol import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BolSandbox
from common.sandbox import SandboxServer
from exactsync import outbox
from exactsync.models import Account, ExactConnection, Outbox, OutboxState, StockLevel, VatCode
from exactsync.sandbox import ExactSandbox
from tests.channels_app.conftest import CATALOGUE
from tests.exact.conftest import relogin
from tests.exact.sync_helpers import sync
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
SO_PATH = "salesorder/SalesOrders"


@pytest.fixture
def erp(exact: ExactSandbox, exact_connection: ExactConnection) -> ExactConnection:
    """Exact with the channel catalogue's products and the marketplace customers."""
    exact.reset(seed=9, items=0)
    for product in CATALOGUE[:3]:
        exact.add_item(Code=product["code"], Barcode=product["ean"], Description=product["title"])
        exact.set_stock(product["code"], "1", current=100)
    exact.add_item(
        Code="SHIP", Description="Verzendkosten", IsStockItem=False, IsPurchaseItem=False
    )
    # the seed has the marketplace customers (20001 bol.com Marketplace, ...)
    exact.add_account(Code="20009", Name="bol.com België", Status="C")
    exact.add_account(
        Code="30001",
        Name="Bouwbedrijf Jansen BV",
        Status="C",
        VATNumber="NL001234567B01",
        Email="inkoop@jansen.example",
    )
    relogin(exact, exact_connection)
    sync(exact_connection, "reference", "accounts", "items", "stock")
    return exact_connection


@pytest.fixture
def channel(
    erp: ExactConnection, bol: BolSandbox, bol_server: SandboxServer, connector_for: Any
) -> Channel:
    channel = ChannelFactory(
        name="bol.com",
        kind=ChannelKind.BOL,
        connection=erp,
        base_url=bol_server.url,
        auth_url=f"{bol_server.url}/token",
        credentials={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
        forward_orders=True,
        customer=Account.objects.get(code="20001"),
        default_vat_code=VatCode.objects.get(code="3"),
    )  # bol prices include 21% VAT
    match_listings(channel, connector=connector_for(channel))
    return channel


@pytest.fixture
def poll(connector_for: Any, django_capture_on_commit_callbacks: Any) -> Any:
    def run(channel: Channel) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            poll_orders(channel, connector=connector_for(channel))

    return run


def in_exact(exact: ExactSandbox, order: ChannelOrder) -> list[dict[str, Any]]:
    return exact.sales_orders(your_ref=order.number)


def test_an_order_becomes_one_sales_order_on_the_mapped_customer(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    placed = bol.place_order([("ART-1", 2, 12.95), ("ART-2", 1, 24.50)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.FORWARDED, order.problems
    [sales_order] = in_exact(exact, order)
    assert sales_order["OrderNumber"] == order.exact_order_number
    assert sales_order["OrderedBy"] == str(Account.objects.get(code="20001").exact_id)
    assert sales_order["YourRef"] == placed["orderId"]
    assert sales_order["Description"].startswith("bol.com ")
    lines = sorted(
        (ln["ItemCode"], ln["Quantity"], ln["UnitPrice"], ln["VATCode"])
        for ln in sales_order["SalesOrderLines"]
    )
    assert lines == [("ART-1", 2, 12.95, "3"), ("ART-2", 1, 24.5, "3")]
    assert exact.count_calls(SO_PATH, method="POST") == 1
    poll(channel)  # read again: nothing is sent twice
    assert exact.count_calls(SO_PATH, method="POST") == 1


def test_per_country_customer_and_shipping_line(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    from exactsync.models import Product

    CustomerMapping.objects.create(
        channel=channel, country="BE", customer=Account.objects.get(code="20009")
    )
    channel.shipping_item = Product.objects.get(code="SHIP")
    channel.save()
    placed = bol.place_order([("ART-3", 1, 9.99)], country="BE")
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    [sales_order] = in_exact(exact, order)
    assert sales_order["OrderedBy"] == str(Account.objects.get(code="20009").exact_id)


def test_forwarding_on_without_a_customer_cannot_be_saved(erp: ExactConnection) -> None:
    channel = Channel(name="x", kind=ChannelKind.BOL, connection=erp, forward_orders=True)
    with pytest.raises(ValidationError, match="Choose the Exact customer"):
        channel.full_clean()


def test_missing_vat_code_waits_and_is_forwarded_once_fixed(
    exact: ExactSandbox,
    bol: BolSandbox,
    channel: Channel,
    poll: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel.default_vat_code = None
    channel.save()
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.NEEDS_ATTENTION
    assert order.problems == [
        "No VAT code for NL at an unknown rate (ART-1): add it to the channel's VAT table or "
        "set a default."
    ]
    assert exact.count_calls(SO_PATH, method="POST") == 0
    with django_capture_on_commit_callbacks(execute=True):
        channel.default_vat_code = VatCode.objects.get(code="3")
        channel.save()  # the fix: the waiting order goes on by itself
    order.refresh_from_db()
    assert order.state == OrderState.FORWARDED
    assert len(in_exact(exact, order)) == 1


def test_vat_table_per_country_and_rate(channel: Channel) -> None:
    from channels_app.forwarding.checks import vat_code_for

    mappings = [
        VatMapping(
            channel=channel,
            country="BE",
            rate=Decimal("21"),
            vat_code=VatCode.objects.get(code="1"),
        ),
        VatMapping(
            channel=channel, country="", rate=Decimal("9"), vat_code=VatCode.objects.get(code="4")
        ),
    ]
    assert vat_code_for(channel, "BE", Decimal("21"), mappings).code == "1"
    assert vat_code_for(channel, "DE", Decimal("9"), mappings).code == "4"
    assert vat_code_for(channel, "DE", Decimal("21"), mappings).code == "3"  # the channel default


def test_inactive_product_needs_attention(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    from exactsync.models import Product

    Product.objects.filter(code="ART-2").update(is_sellable=False)
    placed = bol.place_order([("ART-2", 1, 24.5)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.NEEDS_ATTENTION
    assert "ART-2 is inactive in Exact (end date passed or deleted)." in order.problems


def test_lost_response_and_two_workers_never_duplicate(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    exact.fail_next(1, status=500, after_commit=True, paths=[SO_PATH])
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    entry = Outbox.objects.get(idempotency_key=service.forward_key(order))
    assert entry.state == OutboxState.UNKNOWN
    Outbox.objects.filter(pk=entry.pk).update(next_attempt_at=entry.created_at)
    assert outbox.claim(entry.pk) is not None  # worker one takes it...
    assert outbox.claim(entry.pk) is None  # ...worker two cannot
    Outbox.objects.filter(pk=entry.pk).update(state=OutboxState.UNKNOWN)
    outbox.process(entry.pk)
    order.refresh_from_db()
    assert order.state == OrderState.FORWARDED
    assert len(in_exact(exact, order)) == 1
    assert exact.count_calls(SO_PATH, method="POST") == 1
    # and the database refuses a second forward of the same order
    again, created = outbox.record(
        "exact_sales_order", target=order, key=service.forward_key(order)
    )
    assert (again.pk, created) == (entry.pk, False)


def test_exact_refusal_is_kept_verbatim_and_not_retried(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    VatCode.objects.filter(code="6").update(
        is_blocked=False
    )  # our mirror is stale: Exact blocks it
    channel.default_vat_code = VatCode.objects.get(code="6")
    channel.save()
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    entry = Outbox.objects.get(idempotency_key=service.forward_key(order))
    assert entry.state == OutboxState.FAILED
    assert entry.last_error.startswith("Geblokkeerd: Btw code")
    assert "choose another VAT code" in entry.last_error_hint
    assert order.__class__.objects.get(pk=order.pk).state == OrderState.FAILED
    from exactsync.services.sweeper import sweep

    sweep()
    assert exact.count_calls(SO_PATH, method="POST") == 1


def test_cancelled_before_forwarding_is_not_sent(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    channel.shadow_mode = True  # hold it back while it gets cancelled
    channel.save()
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll(channel)
    bol.cancel_order(placed["orderId"])
    channel.shadow_mode = False
    channel.save()
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.CANCELLED
    assert exact.count_calls(SO_PATH, method="POST") == 0


def test_cancelled_after_forwarding_cancels_in_exact_or_flags(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    first = bol.place_order([("ART-1", 1, 12.95)])
    second = bol.place_order([("ART-2", 1, 24.5)])
    poll(channel)
    delivered = ChannelOrder.objects.get(external_id=second["orderId"])
    exact.deliver_sales_order(delivered.exact_order_number)  # goods left the warehouse
    bol.cancel_order(first["orderId"])
    bol.cancel_order(second["orderId"])
    poll(channel)
    cancelled = ChannelOrder.objects.get(external_id=first["orderId"])
    assert cancelled.state == OrderState.CANCELLED
    assert in_exact(exact, cancelled) == []
    delivered.refresh_from_db()
    assert "could not be cancelled" in delivered.problems[0]
    assert (
        Outbox.objects.get(kind="exact_sales_order_cancel", target_id=delivered.pk).state
        == OutboxState.FAILED
    )


def test_shadow_mode_shows_but_writes_nothing_then_forwards_on_request(
    exact: ExactSandbox,
    bol: BolSandbox,
    channel: Channel,
    poll: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel.shadow_mode = True
    channel.save()
    placed = bol.place_order([("ART-1", 3, 12.95)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.state == OrderState.SHADOW
    assert order.preview["YourRef"] == placed["orderId"]
    assert order.preview["SalesOrderLines"][0]["Quantity"] == 3
    assert exact.count_calls(SO_PATH, method="POST") == 0
    channel.shadow_mode = False
    channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert service.forward_shadow_orders(channel) == 1
    order.refresh_from_db()
    assert order.state == OrderState.FORWARDED


def test_forwarding_off_keeps_orders_here(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    channel.forward_orders = False
    channel.save()
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll(channel)
    assert ChannelOrder.objects.get(external_id=placed["orderId"]).state == OrderState.NOT_FORWARDED
    assert exact.count_calls(SO_PATH, method="POST") == 0


def test_holds_are_released_once_exacts_stock_shows_the_order(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any
) -> None:
    placed = bol.place_order([("ART-1", 4, 12.95)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert order.holds.filter(released_at__isnull=True).count() == 1
    sync(channel.connection, "stock")
    assert order.holds.filter(released_at__isnull=True).count() == 0
    assert StockLevel.objects.get(product__code="ART-1", warehouse__code="1").free == Decimal("96")


def test_buyer_account_matched_by_vat_number_or_created(
    exact: ExactSandbox,
    bol: BolSandbox,
    channel: Channel,
    poll: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel.customer_mode = "buyer"
    channel.save()
    known = bol.place_order(
        [("ART-1", 1, 12.95)], business=True, billing={"vatNumber": "NL001234567B01"}
    )
    poll(channel)
    order = ChannelOrder.objects.get(external_id=known["orderId"])
    assert order.state == OrderState.FORWARDED, order.problems
    assert in_exact(exact, order)[0]["OrderedBy"] == str(Account.objects.get(code="30001").exact_id)
    unknown = bol.place_order(
        [("ART-1", 1, 12.95)], business=True, billing={"vatNumber": "BE0999999999"}
    )
    poll(channel)
    waiting = ChannelOrder.objects.get(external_id=unknown["orderId"])
    assert waiting.state == OrderState.NEEDS_ATTENTION
    assert "pick the account on the order" in waiting.problems[0]
    with django_capture_on_commit_callbacks(execute=True):
        channel.create_customers = True
        channel.save()
    waiting.refresh_from_db()
    assert waiting.state == OrderState.FORWARDED, waiting.problems
    created = waiting.exact_customer
    assert created.created_here
    assert exact.get_account(created.code)["VATNumber"] == "BE0999999999"
    assert in_exact(exact, waiting)[0]["OrderedBy"] == str(created.exact_id)


def test_failed_forward_on_the_review_page_marked_as_entered_by_hand(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any, client: Any
) -> None:
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    VatCode.objects.filter(code="6").update(is_blocked=False)
    channel.default_vat_code = VatCode.objects.get(code="6")
    channel.save()
    placed = bol.place_order([("ART-1", 1, 12.95)])
    poll(channel)
    page = client.get(reverse("admin:exactsync_failedwrite_changelist")).content.decode()
    assert f"Sales order bol.com {placed['orderId']}" in page
    entry = Outbox.objects.get(kind="exact_sales_order")
    client.post(
        reverse("admin:exactsync_failedwrite_manual", args=[entry.pk]),
        {"exact_order_number": "9001"},
    )
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    assert (order.state, order.exact_order_number) == (OrderState.MANUAL, 9001)


def test_holds_of_orders_kept_here_expire_after_a_day(
    exact: ExactSandbox, bol: BolSandbox, channel: Channel, poll: Any, time_machine: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    channel.forward_orders = False
    channel.save()
    placed = bol.place_order([("ART-1", 2, 12.95)])
    poll(channel)
    order = ChannelOrder.objects.get(external_id=placed["orderId"])
    sync(channel.connection, "stock")
    assert order.holds.filter(released_at__isnull=True).count() == 1  # still held
    time_machine.move_to(timezone.now() + timedelta(hours=25))
    sync(channel.connection, "stock")
    hold = order.holds.get()
    assert hold.release_reason == "not forwarded; expired after a day"
