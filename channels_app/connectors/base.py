"""The one interface every sales-channel connector implements, and the data it speaks.

Connectors hold no Django: they get credentials and a base URL, talk HTTP through
common.http.build_session, and return these plain dataclasses. Money is Decimal, times are
timezone-aware UTC datetimes, VAT rates are percentages (Decimal("21")).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from common.http import ApiError, FatalApiError, RetriableApiError

__all__ = [
    "Address",
    "ApiError",
    "CatalogueEntry",
    "ChannelConnector",
    "ChannelOrderData",
    "FatalApiError",
    "ListingRef",
    "OrderLineData",
    "OrderPage",
    "PushResult",
    "RetriableApiError",
    "ShipmentLineRequest",
    "ShipmentRequest",
    "ShipmentResult",
    "StockUpdate",
    "WebhookVerificationError",
]


class WebhookVerificationError(Exception):
    """A webhook's signature is missing or wrong: answer 401, store nothing but a log line."""


@dataclass(frozen=True)
class Address:
    name: str = ""
    company: str = ""
    street: str = ""  # street + house number (+ extension) as one line
    address2: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, upper case
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ListingRef:
    """How a channel identifies the thing we push stock to.

    bol: external_id = offerId. Shopify: external_id = InventoryItem GID, location_id = Location
    GID. WooCommerce: external_id = product or variation id, parent_id = parent product id for a
    variation. Amazon: external_id = seller SKU.
    """

    external_id: str
    location_id: str = ""
    parent_id: str = ""
    sku: str = ""
    ean: str = ""


@dataclass
class OrderLineData:
    external_line_id: str
    quantity: int
    sku: str = ""  # the seller's own reference on the channel (bol offer.reference, SKU)
    ean: str = ""
    listing_external_id: str = (
        ""  # offer id / inventory item / product or variation id / seller SKU
    )
    title: str = ""
    unit_price_incl: Decimal = Decimal("0")  # per unit, VAT included, as the buyer paid
    unit_price_excl: Decimal | None = None  # when the channel says it (else derived from the rate)
    vat_rate: Decimal | None = None  # percentage, e.g. Decimal("21")
    quantity_cancelled: int = 0
    quantity_shipped: int = 0
    cancellation_requested: bool = False
    marketplace_fulfilled: bool = False  # bol FBB / Amazon AFN line


@dataclass
class ChannelOrderData:
    external_id: str  # the channel's order id (unique per channel)
    number: str  # what people see (bol orderId, Shopify name "#1001", Woo number, Amazon order id)
    status: str  # the channel's own status word, verbatim
    placed_at: datetime
    updated_at: datetime
    currency: str = "EUR"
    lines: list[OrderLineData] = field(default_factory=list)
    shipping_incl: Decimal = Decimal("0")
    shipping_vat_rate: Decimal | None = None
    discount_incl: Decimal = Decimal("0")  # order-level discount not already in line prices (>= 0)
    fees_incl: Decimal = Decimal("0")
    buyer: Address = field(default_factory=Address)
    delivery: Address = field(default_factory=Address)
    billing: Address = field(default_factory=Address)
    buyer_vat_number: str = ""
    buyer_coc_number: str = ""
    buyer_reference: str = ""  # buyer's own PO number, where the channel carries one
    cancelled: bool = False  # the whole order is cancelled on the channel
    cancellation_requested: bool = False
    marketplace_fulfilled: bool = False  # the whole order is fulfilled by the marketplace
    ship_by: datetime | None = None  # the channel's own deadline, when it gives one
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderPage:
    """One page of changed orders and the cursor to resume after it (opaque to callers)."""

    orders: list[ChannelOrderData]
    cursor: str


@dataclass(frozen=True)
class StockUpdate:
    ref: ListingRef
    quantity: int


@dataclass
class PushResult:
    ref: ListingRef
    ok: bool
    quantity: int
    error: str = ""
    retriable: bool = False
    process_id: str = ""  # bol process status id, for the record


@dataclass
class CatalogueEntry:
    ref: ListingRef
    title: str = ""
    sku: str = ""
    ean: str = ""
    quantity: int | None = None  # what the channel currently shows, where it says


@dataclass(frozen=True)
class ShipmentLineRequest:
    external_line_id: str
    quantity: int


@dataclass
class ShipmentRequest:
    order_external_id: str
    lines: Sequence[ShipmentLineRequest]
    carrier_code: str  # already mapped to the channel's vocabulary
    tracking_number: str
    carrier_name: str = ""  # for "Other"-style carriers (Amazon carrierName, Woo custom provider)
    tracking_url: str = ""
    shipped_at: datetime | None = None
    reference: str = ""  # our shipment id, sent where the channel keeps one (bol shipmentReference)


@dataclass
class ShipmentResult:
    ok: bool
    external_id: str = ""  # the channel's shipment / fulfillment id where it returns one
    error: str = ""
    retriable: bool = False


class ChannelConnector(abc.ABC):
    """What every channel offers the back-office. All methods raise ApiError subclasses."""

    kind: str = ""

    @abc.abstractmethod
    def test_connection(self) -> str:
        """Call the channel once; return a one-line description of what was found."""

    @abc.abstractmethod
    def iter_order_pages(self, *, cursor: str | None) -> Iterator[OrderPage]:
        """Orders changed since cursor (None = the channel's default look-back), page by page."""

    @abc.abstractmethod
    def fetch_order(self, external_id: str) -> ChannelOrderData:
        """One order, complete (lines, addresses)."""

    @abc.abstractmethod
    def push_stock(self, updates: Sequence[StockUpdate]) -> list[PushResult]:
        """Set quantities, batched as the channel allows; one result per update, same order.

        Asynchronous channels (bol) poll their process status until it is final before returning.
        A failure of one listing never stops the others.
        """

    @abc.abstractmethod
    def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """Tell the channel an order (or part of it) shipped, with carrier and tracking."""

    @abc.abstractmethod
    def iter_catalogue(self) -> Iterator[CatalogueEntry]:
        """Every listing the channel has for this seller, where the API allows reading it."""

    def read_stock(self, refs: Sequence[ListingRef]) -> dict[str, int]:
        """What the channel currently shows, keyed by ListingRef.external_id (for reconcile)."""
        wanted = {r.external_id for r in refs}
        return {
            e.ref.external_id: e.quantity
            for e in self.iter_catalogue()
            if e.ref.external_id in wanted and e.quantity is not None
        }
