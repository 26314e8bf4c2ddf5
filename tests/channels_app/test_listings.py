"""Match listings: EAN first, then SKU = product code; ambiguous and unmatched recorded; links
made by hand untouched; listings gone from the channel kept but inactive."""

from __future__ import annotations

from typing import Any

import pytest

from channels_app.listings import match_listings
from channels_app.models import Channel, Listing, MatchState, PendingPush
from channels_app.sandbox.woocommerce import WooCommerceSandbox
from channels_app.tasks import match_listings_task
from common.sandbox import SandboxServer
from exactsync.models import ActivityEvent, ActivityLevel
from tests.factories import ProductFactory

from .conftest import Clock, ean13

pytestmark = pytest.mark.django_db

E = {n: ean13(f"87200000000{n}") for n in range(1, 8)}
ROWS = [
    {"code": "W-1", "ean": E[1], "title": "By EAN", "price": "1.00"},
    {"code": "ART-2", "ean": E[2], "title": "By SKU", "price": "1.00"},
    {"code": "W-3", "ean": E[3], "title": "Two products, one EAN", "price": "1.00"},
    {"code": "W-4", "ean": E[4], "title": "Nothing like it", "price": "1.00"},
    {"code": "W-5", "ean": E[5], "title": "Linked by hand later", "price": "1.00"},
    {"code": "W-6", "ean": "", "title": "No EAN, unknown SKU", "price": "1.00"},
    {"code": "W-7", "ean": E[7], "title": "Only an ended product", "price": "1.00"},
]


@pytest.fixture
def shop(woo_server: SandboxServer, clock: Clock) -> WooCommerceSandbox:
    clock.reset()
    return woo_server.app.reset(seed=1, products=ROWS)


@pytest.fixture
def ours(connection: Any) -> dict[str, Any]:
    made = {
        "ART-1": ProductFactory(connection=connection, code="ART-1", ean=E[1]),
        "ART-2": ProductFactory(connection=connection, code="ART-2", ean=ean13("872999999992")),
        "DUP-A": ProductFactory(connection=connection, code="DUP-A", ean=E[3]),
        "DUP-B": ProductFactory(connection=connection, code="DUP-B", ean=E[3]),
        "ART-5": ProductFactory(connection=connection, code="ART-5", ean=E[5]),
        "ART-6": ProductFactory(connection=connection, code="ART-6", ean=""),
        "OLD-7": ProductFactory(connection=connection, code="OLD-7", ean=E[7], is_sellable=False),
    }
    ProductFactory(code="W-4", ean=E[4])  # another Exact administration's product: not ours
    return made


def state(channel: Channel) -> dict[str, tuple[str, str | None, str]]:
    return {
        x.sku: (x.match_state, x.product.code if x.product else None, x.match_note)
        for x in Listing.objects.filter(channel=channel).select_related("product")
    }


def test_links_by_ean_then_sku_and_records_the_ambiguous_and_unmatched(
    shop: WooCommerceSandbox, woo_channel: Channel, ours: Any, connector_for: Any
) -> None:
    summary = match_listings(woo_channel, connector=connector_for(woo_channel))

    assert state(woo_channel) == {
        "W-1": (MatchState.MATCHED_EAN, "ART-1", f"EAN {E[1]} is product ART-1."),
        "ART-2": (MatchState.MATCHED_SKU, "ART-2", "SKU ART-2 is product ART-2."),
        "W-3": (
            MatchState.AMBIGUOUS,
            None,
            f"EAN {E[3]} is on 2 products (DUP-A, DUP-B); link the right one by hand.",
        ),
        "W-4": (MatchState.UNMATCHED, None, f"No sellable product with EAN {E[4]} or code W-4."),
        "W-5": (MatchState.MATCHED_EAN, "ART-5", f"EAN {E[5]} is product ART-5."),
        "W-6": (MatchState.UNMATCHED, None, "No sellable product with code W-6."),
        "W-7": (MatchState.UNMATCHED, None, f"No sellable product with EAN {E[7]} or code W-7."),
    }
    assert str(summary) == (
        "WooCommerce B2B: 7 listing(s) on the channel (7 new): 2 matched by ean, 1 matched by "
        "sku, 3 unmatched, 1 ambiguous; 0 no longer listed"
    )
    variation = Listing.objects.get(channel=woo_channel, sku="W-7")
    parent = shop.product(int(variation.external_id))["parent_id"]
    assert (variation.parent_id, variation.channel_quantity) == (
        str(parent),
        shop.stock(int(variation.external_id)),
    )
    event = ActivityEvent.objects.get(verb="listings.matched")
    assert (event.subject_id, event.message) == (woo_channel.pk, str(summary))
    assert event.payload["states"] == {"ean": 2, "sku": 1, "unmatched": 3, "ambiguous": 1}


def test_a_link_made_by_hand_is_never_changed_and_gone_listings_stay_inactive(
    shop: WooCommerceSandbox, woo_channel: Channel, ours: Any, connector_for: Any
) -> None:
    match_listings(woo_channel, connector=connector_for(woo_channel))
    by_hand = Listing.objects.get(channel=woo_channel, sku="W-5")
    by_hand.product = ours["ART-6"]
    by_hand.match_state, by_hand.match_note = MatchState.MANUAL, "Linked by hand by eva."
    by_hand.save()
    gone = Listing.objects.get(channel=woo_channel, sku="W-4")
    shop.delete_product(int(gone.external_id))

    summary = match_listings(woo_channel, connector=connector_for(woo_channel))

    assert (summary.seen, summary.new, summary.gone) == (6, 0, 1)
    assert state(woo_channel)["W-5"] == (MatchState.MANUAL, "ART-6", "Linked by hand by eva.")
    gone.refresh_from_db()
    assert (gone.is_active, gone.match_state) == (False, MatchState.UNMATCHED)
    assert Listing.objects.filter(channel=woo_channel).count() == 7


def test_newly_linked_listings_get_their_stock_pushed_at_once_and_only_once(
    shop: WooCommerceSandbox,
    woo_channel: Channel,
    ours: Any,
    connector_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))
    woo_channel.sync_stock = True
    woo_channel.save(update_fields=["sync_stock"])

    with django_capture_on_commit_callbacks(execute=True):
        first = match_listings(woo_channel, connector=connector_for(woo_channel))

    waiting = set(
        Listing.objects.filter(channel=woo_channel, stock_pending=PendingPush.FULL).values_list(
            "sku", flat=True
        )
    )
    assert waiting == {"W-1", "ART-2", "W-5"}  # the three linked ones; never the unmatched
    assert first.pushed == 3
    assert [a[0] for a in queued] == ["channels_app.tasks.push_channel_stock_task"]
    assert ActivityEvent.objects.get(verb="listings.matched").payload["stock_pushes_queued"] == 3

    Listing.objects.filter(channel=woo_channel).update(stock_pending="")
    with django_capture_on_commit_callbacks(execute=True):
        again = match_listings(woo_channel, connector=connector_for(woo_channel))

    assert again.pushed == 0  # nothing newly linked: the change-driven pushes cover the rest
    assert not Listing.objects.filter(channel=woo_channel).exclude(stock_pending="").exists()


def test_the_task_reports_a_refused_catalogue_read_in_words(
    shop: WooCommerceSandbox, woo_channel: Channel, ours: Any
) -> None:
    woo_channel.credentials = {**woo_channel.credentials, "consumer_secret": "cs_wrong"}
    woo_channel.save()

    result = match_listings_task(woo_channel.pk)

    event = ActivityEvent.objects.get(verb="listings.match_failed")
    assert result == event.message
    assert result.startswith("Match listings for WooCommerce B2B stopped: ")
    assert event.level == ActivityLevel.ERROR
    assert "cs_wrong" not in result
    assert Listing.objects.count() == 0
