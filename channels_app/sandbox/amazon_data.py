"""State, constants and small helpers of the Amazon SP-API sandbox (no Django).

Usage plans are the defaults of the current SP-API models (reference section 4.3). Money inside
the sandbox is Decimal; the JSON renderers turn it into Amazon's decimal strings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from werkzeug.wrappers import Response

from common.sandbox import json_response

# marketplace id -> (country, sales channel, currency, language tag)
MARKETPLACES: dict[str, tuple[str, str, str, str]] = {
    "A1805IZSGTT6HS": ("NL", "Amazon.nl", "EUR", "nl_NL"),
    "A1PA6795UKMFR9": ("DE", "Amazon.de", "EUR", "de_DE"),
    "AMEN7PMS3EDWL": ("BE", "Amazon.com.be", "EUR", "nl_BE"),
    "A13V1IB3VIYZZH": ("FR", "Amazon.fr", "EUR", "fr_FR"),
    "APJ6JRA9NG5V4": ("IT", "Amazon.it", "EUR", "it_IT"),
    "A1RKKUPIHCS9HS": ("ES", "Amazon.es", "EUR", "es_ES"),
    "A1C3SOZRARQ6R3": ("PL", "Amazon.pl", "PLN", "pl_PL"),
    "A2NODRKZP88ZB9": ("SE", "Amazon.se", "SEK", "sv_SE"),
    "A1F83G8C2ARO7P": ("UK", "Amazon.co.uk", "GBP", "en_GB"),
}
STANDARD_VAT: dict[str, int] = {
    "NL": 21,
    "DE": 19,
    "BE": 21,
    "FR": 20,
    "IT": 22,
    "ES": 21,
    "PL": 23,
    "SE": 25,
    "AT": 20,
    "LU": 17,
    "DK": 25,
    "IE": 23,
    "GB": 20,
}
SELLER_COUNTRY = "NL"  # where the sandbox seller is established (B2B reverse charge elsewhere)

# operation -> (rate per second, burst); reference 4.3 plus the Listings/Orders models
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "getOrders": (0.0167, 20),
    "getOrderV0": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "patchListingsItem": (5.0, 5),
    "getListingsItem": (5.0, 10),
    "searchListingsItems": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "cancelFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "createRestrictedDataToken": (1.0, 10),
}

# Amazon's carrier list as older connectors carry it (reference section 6), plus BPOST/PostNL
# spellings seen in third-party copies. Anything else is refused with 400.
CARRIER_CODES = frozenset(
    {
        "USPS",
        "UPS",
        "UPSMI",
        "FedEx",
        "DHL",
        "DHL Express",
        "Fastway",
        "GLS",
        "GO!",
        "Hermes Logistik Gruppe",
        "Royal Mail",
        "Parcelforce",
        "City Link",
        "TNT",
        "Target",
        "Deutsche Post",
        "DPD",
        "La Poste",
        "Chronopost",
        "Poste Italiane",
        "SDA",
        "Correos",
        "Seur",
        "MRW",
        "Nacex",
        "BPOST",
        "Post NL",
        "Other",
    }
)

V0_STATUSES = (
    "PendingAvailability",
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
STATUS_2026 = {
    "PendingAvailability": "PENDING_AVAILABILITY",
    "Pending": "PENDING",
    "Unshipped": "UNSHIPPED",
    "PartiallyShipped": "PARTIALLY_SHIPPED",
    "Shipped": "SHIPPED",
    "Canceled": "CANCELLED",
    "Unfulfillable": "UNFULFILLABLE",
    "InvoiceUnconfirmed": "SHIPPED",
}
ADDRESS_STATUSES = ("Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed")

CENT = Decimal("0.01")


@dataclass
class Listing:
    sku: str
    ean: str
    title: str
    price: Decimal  # per unit, VAT included, as shown on the marketplace
    asin: str
    product_type: str
    created: float
    updated: float
    vat_rate: int | None = None  # None = the destination's standard rate
    fulfillment: list[dict[str, Any]] = field(default_factory=list)  # attribute value
    attributes: dict[str, Any] = field(default_factory=dict)  # other patched attributes
    issues: list[dict[str, Any]] = field(default_factory=list)
    armed_issue: str | None = None
    complete: bool = True  # False: created by a PATCH on an unknown SKU (offer fragment)

    def quantity(self) -> int | None:
        for entry in self.fulfillment:
            if entry.get("fulfillment_channel_code") == "DEFAULT":
                return int(entry.get("quantity", 0))
        return None


@dataclass
class OrderItem:
    order_item_id: str
    sku: str
    asin: str
    title: str
    quantity: int
    unit_price: Decimal  # VAT included (net for a reverse-charged business order)
    vat_rate: int
    shipping: Decimal = Decimal("0")  # line total, VAT included
    discount: Decimal = Decimal("0")  # line total promotion, VAT included, >= 0
    promotion_id: str = ""
    shipped: int = 0
    cancel_requested: bool = False
    cancel_reason: str = ""


@dataclass
class Package:
    package_reference_id: str
    carrier_code: str
    carrier_name: str
    shipping_method: str
    tracking_number: str
    ship_date: str
    created: float
    items: dict[str, int]  # order item id -> quantity

    def as_dict(self) -> dict[str, Any]:
        return {
            "packageReferenceId": self.package_reference_id,
            "carrierCode": self.carrier_code,
            "carrierName": self.carrier_name,
            "shippingMethod": self.shipping_method,
            "trackingNumber": self.tracking_number,
            "shipDate": self.ship_date,
            "orderItems": [{"orderItemId": k, "quantity": v} for k, v in self.items.items()],
        }


@dataclass
class Order:
    order_id: str
    marketplace_id: str
    created: float
    updated: float
    status: str  # v0 word: Pending, Unshipped, PartiallyShipped, Shipped, Canceled
    afn: bool
    business: bool
    country: str
    buyer_name: str
    buyer_email: str
    address: dict[str, str]
    items: list[OrderItem]
    earliest_ship: float
    latest_ship: float
    earliest_delivery: float
    latest_delivery: float
    company: str = ""
    vat_number: str = ""
    purchase_order: str = ""
    prime: bool = False
    cancelled_by: str = ""
    packages: dict[str, Package] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return MARKETPLACES.get(self.marketplace_id, ("", "", "EUR", ""))[2]

    @property
    def reverse_charge(self) -> bool:
        return self.business and bool(self.vat_number) and self.country != SELLER_COUNTRY


@dataclass
class Feed:
    feed_id: str
    feed_type: str
    marketplace_ids: list[str]
    input_document_id: str
    created: float
    fatal: bool = False
    status: str = "IN_QUEUE"
    result_document_id: str = ""
    started: float | None = None
    ended: float | None = None


@dataclass
class Document:
    document_id: str
    content_type: str
    created: float
    body: bytes | None = None
    compressed: bool = False
    is_result: bool = False


# -- helpers ------------------------------------------------------------------------------------
def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> float | None:
    """An ISO 8601 date-time as epoch seconds; None when it is not one (e.g. 02/21/2022)."""
    if not value or not isinstance(value, str) or len(value) < 10 or value[4] != "-":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_v0(amount: Decimal, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": f"{cents(amount):.2f}"}


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{cents(amount):.2f}", "currencyCode": currency}


def ean13(rng: random.Random, prefix: str = "871") -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(12 - len(prefix)))
    return body + ean_check_digit(body)


def ean_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def sp_error(
    status: int, code: str, message: str, details: str = "", headers: dict[str, str] | None = None
) -> Response:
    """SP-API's error body: {"errors": [{code, message, details}]}."""
    body = {"errors": [{"code": code, "message": message, "details": details}]}
    return json_response(body, status=status, headers=headers)


def invalid(message: str, details: str = "") -> Response:
    return sp_error(400, "InvalidInput", message, details)


def not_found(message: str) -> Response:
    return sp_error(404, "NotFound", message)


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def signature(params: dict[str, Any]) -> str:
    """A stable digest of the filters a paging token belongs to."""
    raw = json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def list_param(values: list[str]) -> list[str]:
    """Array query parameters: comma-separated (Amazon's csv format) or repeated."""
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out
