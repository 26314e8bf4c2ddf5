"""Constants, in-memory records and request validation of the bol.com sandbox. No Django imports."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

MEDIA_JSON = "application/vnd.retailer.v10+json"
MEDIA_CSV = "application/vnd.retailer.v10+csv"
PROBLEM_TYPE = "https://api.bol.com/problems"
BAD_REQUEST_TITLE = (
    "Error validating request. Consult the bol.com API documentation for more information."
)
PAGE_SIZE = 50
DEFAULT_CLIENT_ID = "bol-sandbox-client"
DEFAULT_CLIENT_SECRET = "bol-sandbox-secret"
REASON_CODES = (
    "OUT_OF_STOCK",
    "REQUESTED_BY_CUSTOMER",
    "BAD_CONDITION",
    "HIGHER_SHIPCOST",
    "INCORRECT_PRICE",
    "NOT_AVAIL_IN_TIME",
    "NO_BOL_GUARANTEE",
    "ORDERED_TWICE",
    "RETAIN_ITEM",
    "TECH_ISSUE",
    "UNFINDABLE_ITEM",
    "OTHER",
)
EXPORT_COLUMNS = (
    "offerId",
    "ean",
    "conditionName",
    "conditionCategory",
    "conditionComment",
    "bundlePricesPrice",
    "fulfilmentDeliveryCode",
    "stockAmount",
    "onHoldByRetailer",
    "fulfilmentType",
    "mutationDateTime",
    "referenceCode",
    "correctedStock",
)
DEFAULT_FAILURE_MESSAGES = {
    "FAILURE": "The request could not be processed.",
    "TIMEOUT": "The request was not processed in time, please resubmit.",
}

# (path, endpoint, method, rate-limit key)
ROUTES = [
    ("/token", "api_token", "POST", "POST /token"),
    ("/retailer/orders", "api_orders", "GET", "GET /retailer/orders"),
    (
        "/retailer/orders/cancellation",
        "api_cancellation",
        "PUT",
        "PUT /retailer/orders/cancellation",
    ),
    ("/retailer/orders/<order_id>", "api_order", "GET", "GET /retailer/orders/{id}"),
    ("/retailer/offers/export", "api_export", "POST", "POST /retailer/offers/export"),
    (
        "/retailer/offers/export/<report_id>",
        "api_export_file",
        "GET",
        "GET /retailer/offers/export/{id}",
    ),
    ("/retailer/offers/<offer_id>", "api_offer", "GET", "GET /retailer/offers/{id}"),
    (
        "/retailer/offers/<offer_id>/stock",
        "api_offer_stock",
        "PUT",
        "PUT /retailer/offers/{id}/stock",
    ),
    ("/retailer/shipments", "api_shipments", "GET", "GET /retailer/shipments"),
    ("/retailer/shipments", "api_create_shipment", "POST", "POST /retailer/shipments"),
    ("/retailer/shipments/<shipment_id>", "api_shipment", "GET", "GET /retailer/shipments/{id}"),
    ("/shared/process-status", "api_process_query", "GET", "GET /shared/process-status"),
    ("/shared/process-status", "api_process_bulk", "POST", "POST /shared/process-status"),
    (
        "/shared/process-status/<process_id>",
        "api_process",
        "GET",
        "GET /shared/process-status/{id}",
    ),
]
ENDPOINT_KEYS = {endpoint: key for _, endpoint, _, key in ROUTES}


def locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return fn(self, *args, **kwargs)

    return wrapper


@dataclass
class Item:
    id: str
    order_id: str
    offer_id: str
    ean: str
    title: str
    reference: str
    quantity: int
    unit_price: Decimal
    method: str  # FBR / FBB
    latest_delivery: str
    expiry: str
    changed: float
    shipped: int = 0
    cancelled: int = 0
    cancellation_request: bool = False

    @property
    def open_qty(self) -> int:
        return self.quantity - self.shipped - self.cancelled

    @property
    def status(self) -> str:
        return "OPEN" if self.open_qty > 0 else "HANDLED"


@dataclass
class Order:
    id: str
    placed: float
    seq: int
    pickup_point: bool
    shipment: dict[str, Any]
    billing: dict[str, Any]
    items: list[Item]


@dataclass
class Offer:
    id: str
    ean: str
    reference: str
    title: str
    price: Decimal
    amount: int
    mutated: float
    method: str = "FBR"
    managed: bool = False
    stock_set_at: float = 0.0


@dataclass
class Shipment:
    id: str
    created: float
    order_id: str
    reference: str | None
    items: list[tuple[Item, int]]
    transport_id: str
    transporter: str
    track: str | None
    method: str = "FBR"


@dataclass
class Process:
    id: str
    event_type: str
    entity_id: str | None
    description: str
    created: float
    due: float
    apply: Callable[[Process], str | None] | None = None
    forced: tuple[str, str | None] | None = None
    status: str = "PENDING"
    error: str | None = None
    finished: float | None = None
    polls: int = 0


@dataclass
class ArmedOutcome:
    count: int
    status: str
    message: str | None
    event_type: str | None = None


@dataclass
class IdCounters:
    process: int = 1_000_000
    shipment: int = 900_000_000
    transport: int = 700_000_000
    item: int = 2_000_000_000
    seq: int = 0
    used_orders: set[str] = field(default_factory=set)


# -- request validation ---------------------------------------------------------------------------
def int_param(
    args: Any,
    name: str,
    default: int | None,
    low: int | None,
    high: int | None,
    violations: list[dict[str, str]],
) -> Any:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        violations.append({"name": name, "reason": f"Request contains invalid value(s): '{raw}'."})
        return default
    if low is not None and value < low:
        violations.append({"name": name, "reason": f"must be greater than or equal to {low}"})
    elif high is not None and value > high:
        violations.append({"name": name, "reason": f"must be less than or equal to {high}"})
    return value


def enum_param(
    args: Any, name: str, default: str, allowed: tuple[str, ...], violations: list[dict[str, str]]
) -> str:
    value = args.get(name, default)
    if value not in allowed:
        violations.append(
            {
                "name": name,
                "reason": f"Request contains invalid value(s): '{value}', "
                f"allowed values: {', '.join(allowed)}.",
            }
        )
    return str(value)


def date_param(args: Any, name: str, today: date, violations: list[dict[str, str]]) -> date | None:
    raw = args.get(name)
    if raw is None:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        violations.append({"name": name, "reason": f"Request contains invalid value(s): '{raw}'."})
        return None
    if not 0 <= (today - value).days <= 92:
        violations.append({"name": name, "reason": "must be a date within the last 3 months"})
    return value


def shipment_violations(body: dict[str, Any]) -> list[dict[str, str]]:
    violations: list[dict[str, str]] = []
    entries = body.get("orderItems")
    if not isinstance(entries, list) or not 1 <= len(entries) <= 100:
        violations.append({"name": "orderItems", "reason": "size must be between 1 and 100"})
    else:
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("orderItemId"):
                violations.append(
                    {"name": f"orderItems[{n}].orderItemId", "reason": "must not be blank"}
                )
                continue
            quantity = entry.get("quantity")
            if quantity is not None and (not isinstance(quantity, int) or quantity < 1):
                violations.append(
                    {
                        "name": f"orderItems[{n}].quantity",
                        "reason": "must be greater than or equal to 1",
                    }
                )
    reference = body.get("shipmentReference")
    if reference is not None and (not isinstance(reference, str) or not 1 <= len(reference) <= 90):
        violations.append({"name": "shipmentReference", "reason": "size must be between 1 and 90"})
    transport, label = body.get("transport"), body.get("shippingLabelId")
    if transport and label:
        violations.append(
            {
                "name": "transport",
                "reason": "Provide either shippingLabelId or transport, not both.",
            }
        )
    elif not transport and not label:
        violations.append(
            {"name": "transport", "reason": "Either shippingLabelId or transport must be provided."}
        )
    elif transport and not (isinstance(transport, dict) and transport.get("transporterCode")):
        violations.append({"name": "transport.transporterCode", "reason": "must not be blank"})
    return violations
