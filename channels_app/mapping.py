"""Which of our products an order line is: by listing id, then the channel's SKU, then the EAN.

Only listings decide: a line whose listing is unknown (or known but not linked to a product)
stays unmapped, and the order waits in "needs mapping" with the line's SKU/EAN in words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from channels_app.models import Channel, ChannelKind, Listing

# What each channel calls the id a listing is known by.
LISTING_ID_LABEL = {
    ChannelKind.BOL: "offer id",
    ChannelKind.SHOPIFY: "inventory item",
    ChannelKind.WOOCOMMERCE: "product id",
    ChannelKind.AMAZON: "seller SKU",
}


def gtin(value: str) -> str:
    """An EAN/UPC/GTIN in one comparable form (14 digits); anything else as typed."""
    text = (value or "").strip()
    return text.zfill(14) if text.isdigit() and len(text) <= 14 else text


def gtin_forms(value: str) -> set[str]:
    """The spellings a stored EAN of the same number may have (8, 12, 13 or 14 digits)."""
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 14:
        return {text} if text else set()
    bare = text.lstrip("0")
    return {text, *(bare.zfill(n) for n in (8, 12, 13, 14) if len(bare) <= n)}


@dataclass(frozen=True)
class LineKey:
    """How the channel named a line's product."""

    listing_external_id: str = ""
    sku: str = ""
    ean: str = ""
    title: str = ""


@dataclass(frozen=True)
class Resolution:
    listing: Listing | None
    product_id: int | None
    problem: str = ""  # in words, empty when the line is mapped


class ListingIndex:
    """The channel's listings that any of `keys` could mean, loaded in one query."""

    def __init__(self, channel: Channel, keys: Iterable[LineKey]) -> None:
        self.channel = channel
        keys = list(keys)
        ids = {k.listing_external_id for k in keys if k.listing_external_id}
        skus = {k.sku for k in keys if k.sku}
        eans = set().union(*(gtin_forms(k.ean) for k in keys))
        self.by_id: dict[str, list[Listing]] = defaultdict(list)
        self.by_sku: dict[str, list[Listing]] = defaultdict(list)
        self.by_ean: dict[str, list[Listing]] = defaultdict(list)
        if not (ids or skus or eans):
            return
        query = Q(external_id__in=ids) | Q(sku__in=skus) | Q(ean__in=eans)
        for listing in (
            Listing.objects.filter(channel=channel).filter(query).select_related("product")
        ):
            self.by_id[listing.external_id].append(listing)
            if listing.sku:
                self.by_sku[listing.sku].append(listing)
            if listing.ean:
                self.by_ean[gtin(listing.ean)].append(listing)

    def resolve(self, key: LineKey) -> Resolution:
        """The first of listing id, SKU, EAN that finds a listing decides."""
        steps = (
            (self.by_id, key.listing_external_id),
            (self.by_sku, key.sku),
            (self.by_ean, gtin(key.ean)),
        )
        for index, value in steps:
            found = index.get(value) if value else None
            if found:
                return self._decide(key, found)
        return Resolution(
            None,
            None,
            f'Unknown listing for line "{key.title or key.sku or key.ean}" ({self.describe(key)}): '
            'link it to a product under Listings, or run "Match listings".',
        )

    def _decide(self, key: LineKey, found: list[Listing]) -> Resolution:
        linked = [listing for listing in found if listing.product_id]
        products = {listing.product_id for listing in linked}
        if len(products) == 1:
            return Resolution(linked[0], linked[0].product_id)
        if products:
            codes = ", ".join(sorted({str(listing.product.code) for listing in linked}))
            return Resolution(
                None,
                None,
                f'Line "{key.title or key.sku}" ({self.describe(key)}) matches listings linked '
                f"to different products ({codes}); fix the listings.",
            )
        listing = found[0]
        why = listing.get_match_state_display().lower()
        note = f": {listing.match_note}" if listing.match_note else ""
        return Resolution(
            listing,
            None,
            f'The listing for line "{key.title or key.sku}" ({self.describe(key)}) is not '
            f"linked to a product ({why}{note}); link it under Listings.",
        )

    def describe(self, key: LineKey) -> str:
        label = LISTING_ID_LABEL.get(self.channel.kind, "listing id")
        parts = []
        if key.sku:
            parts.append(f"SKU {key.sku}")
        if key.ean:
            parts.append(f"EAN {key.ean}")
        if key.listing_external_id and key.listing_external_id != key.sku:
            parts.append(f"{label} {key.listing_external_id}")
        return ", ".join(parts) or "no SKU, EAN or listing id"
