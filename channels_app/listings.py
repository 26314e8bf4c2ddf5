"""Match listings: the channel's catalogue -> Listing rows linked to our products.

Rules, in order: the EAN (one sellable product with that EAN), then SKU = product code. The same
EAN on two or more products is "ambiguous" and left for staff; no match is "unmatched". A listing
staff linked by hand (or by CSV) is never changed by matching. Listings the channel no longer
has are kept (orders refer to them) but marked inactive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from channels_app.connectors.base import CatalogueEntry, ChannelConnector
from channels_app.connectors.registry import build_connector
from channels_app.intake import remap_parked_orders
from channels_app.inventory import queue_full_push
from channels_app.mapping import gtin
from channels_app.models import Channel, Listing, MatchState
from exactsync.models import Product, record_activity

BATCH_SIZE = 1000
UPDATE_FIELDS = [
    "parent_id",
    "sku",
    "ean",
    "title",
    "product",
    "match_state",
    "match_note",
    "is_active",
    "channel_quantity",
    "channel_checked_at",
    "updated_at",
]


@dataclass
class MatchSummary:
    channel: str
    seen: int = 0
    new: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    gone: int = 0
    freed_orders: int = 0
    pushed: int = 0  # linked listings whose stock was queued for a push straight away

    def __str__(self) -> str:
        states = ", ".join(
            f"{self.counts[value]} {label.lower()}"
            for value, label in MatchState.choices
            if self.counts.get(value)
        )
        return (
            f"{self.channel}: {self.seen} listing(s) on the channel ({self.new} new): "
            f"{states or 'none'}; {self.gone} no longer listed"
        )


@dataclass(frozen=True)
class Match:
    product_id: int | None
    state: str
    note: str


class ProductMatcher:
    """Our sellable products of one Exact administration, indexed by EAN and by code."""

    def __init__(self, channel: Channel) -> None:
        self.by_ean: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.by_code: dict[str, tuple[int, str]] = {}
        products = Product.objects.filter(
            connection_id=channel.connection_id, is_sellable=True, deleted_in_exact=False
        ).values_list("id", "code", "ean")
        for pk, code, ean in products.iterator(chunk_size=5000):
            self.by_code[code.lower()] = (pk, code)
            if ean:
                self.by_ean[gtin(ean)].append((pk, code))

    def match(self, sku: str, ean: str) -> Match:
        found = self.by_ean.get(gtin(ean), []) if ean else []
        if len(found) == 1:
            return Match(
                found[0][0], MatchState.MATCHED_EAN, f"EAN {ean} is product {found[0][1]}."
            )
        if found:
            codes = ", ".join(code for _, code in sorted(found, key=lambda p: p[1]))
            return Match(
                None,
                MatchState.AMBIGUOUS,
                f"EAN {ean} is on {len(found)} products ({codes}); link the right one by hand.",
            )
        product = self.by_code.get(sku.lower()) if sku else None
        if product:
            return Match(product[0], MatchState.MATCHED_SKU, f"SKU {sku} is product {product[1]}.")
        asked = " or ".join(
            p for p in (f"EAN {ean}" if ean else "", f"code {sku}" if sku else "") if p
        )
        return Match(
            None,
            MatchState.UNMATCHED,
            f"No sellable product with {asked}." if asked else "The channel gives no SKU or EAN.",
        )


def match_listings(channel: Channel, *, connector: ChannelConnector | None = None) -> MatchSummary:
    """Read the channel's whole catalogue, then create/update its listings in one transaction."""
    connector = connector or build_connector(channel)
    entries = list(connector.iter_catalogue())  # all of it first: a failed read writes nothing
    summary = MatchSummary(channel=str(channel))
    matcher = ProductMatcher(channel)
    now = timezone.now()
    existing = {(x.external_id, x.location_id): x for x in Listing.objects.filter(channel=channel)}
    new, changed, seen = [], [], set()
    linked: list[Listing] = []  # newly linked (or relinked, or back on the channel): push now
    for entry in entries:
        key = (entry.ref.external_id[:120], entry.ref.location_id[:120])
        if not key[0] or key in seen:
            continue
        seen.add(key)
        listing = existing.get(key)
        if listing is None:
            listing = Listing(channel=channel, external_id=key[0], location_id=key[1])
            new.append(listing)
            before = None
        else:
            changed.append(listing)
            before = (listing.product_id, listing.is_active)
        _apply(listing, entry, matcher, now)
        summary.counts[listing.match_state] += 1
        if listing.product_id and before != (listing.product_id, True):
            linked.append(listing)
    gone = [x for k, x in existing.items() if k not in seen and x.is_active]
    for listing in gone:
        listing.is_active, listing.updated_at = False, now
    summary.seen, summary.new, summary.gone = len(seen), len(new), len(gone)
    with transaction.atomic():
        Listing.objects.bulk_create(new, batch_size=BATCH_SIZE)
        Listing.objects.bulk_update(changed + gone, UPDATE_FIELDS, batch_size=BATCH_SIZE)
    summary.freed_orders = remap_parked_orders(channel, source="match listings")
    # Their stock goes out now rather than at the next minute's sweep (which stays the net for
    # rows a database without RETURNING leaves without a pk).
    summary.pushed = queue_full_push(channel.pk, [x.pk for x in linked if x.pk]) if linked else 0
    record_activity(
        "listings.matched",
        subject=channel,
        message=str(summary),
        payload={
            "seen": summary.seen,
            "new": summary.new,
            "states": dict(summary.counts),
            "gone": summary.gone,
            "orders_freed": summary.freed_orders,
            "stock_pushes_queued": summary.pushed,
        },
    )
    return summary


def _apply(listing: Listing, entry: CatalogueEntry, matcher: ProductMatcher, now: object) -> None:
    listing.parent_id = entry.ref.parent_id[:120]
    listing.sku = (entry.sku or entry.ref.sku)[:120]
    listing.ean = (entry.ean or entry.ref.ean)[:30]
    listing.title = entry.title[:300]
    listing.is_active = True
    listing.channel_quantity = entry.quantity
    listing.channel_checked_at = now  # type: ignore[assignment]
    listing.updated_at = now  # type: ignore[assignment]
    if listing.match_state == MatchState.MANUAL:
        return  # people win: a hand-made link is theirs
    found = matcher.match(listing.sku, listing.ean)
    listing.product_id, listing.match_state, listing.match_note = (
        found.product_id,
        found.state,
        found.note[:300],
    )
