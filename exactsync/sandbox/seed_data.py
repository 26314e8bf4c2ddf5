"""Deterministic demo data for one division: a wholesaler's catalogue, suppliers and stock.

The same `seed` and `items` always give the same codes, EANs, GUIDs and quantities, so tests can
name rows ("ART-00007") and the channel sandboxes can be seeded with `demo_catalogue(seed, n)`.
Item mix (by item number, so it is stable): ~5% sales-only kits with assembly BOMs of 2-3 parts
(some nested), ~2% non-stock service items, one make item with a manufacturing BOM, ~5% with an
EndDate in the past and ~3% with one in the future; the rest are purchase + sales + stock items.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

DAY_MS = 86_400_000
ADJECTIVES = [
    "Compact",
    "Robuust",
    "Luxe",
    "Basic",
    "Pro",
    "Mini",
    "Maxi",
    "Eco",
    "Klassiek",
    "Modern",
    "Stevig",
    "Licht",
]
NOUNS = [
    "Opbergbox",
    "Bureaulamp",
    "Koffiemok",
    "Tuinslang",
    "Verfroller",
    "Schroevendraaier",
    "Fietspomp",
    "Waterfles",
    "Snijplank",
    "Deurmat",
    "Kapstok",
    "Handdoek",
    "Zaklamp",
    "Boormachine",
    "Kussen",
    "Plantenbak",
    "Weegschaal",
]
VARIANTS = [
    "zwart",
    "wit",
    "grijs",
    "rood",
    "blauw",
    "groen",
    "1L",
    "2L",
    "5L",
    "30cm",
    "50cm",
    "set-3",
    "set-6",
]
SUPPLIER_NAMES = [
    "Van Dijk Groothandel",
    "De Vries Import",
    "Jansen Distributie",
    "Bakker Trading",
    "Visser & Zn",
    "Smit Logistics",
    "Meijer Supply",
    "Mulder Wholesale",
    "Bos Techniek",
    "Peters Partners",
]
CHANNEL_CUSTOMERS = [
    ("20001", "bol.com Marketplace", "NL"),
    ("20002", "Amazon Germany", "DE"),
    ("20003", "Amazon Netherlands", "NL"),
    ("20004", "Shopify Webshop", "NL"),
    ("20005", "WooCommerce B2B", "NL"),
]
VAT_CODES = [
    ("0", "0% btw", 0.0, "N", False),
    ("1", "21% btw exclusief", 0.21, "E", False),
    ("2", "9% btw exclusief", 0.09, "E", False),
    ("3", "21% btw inclusief", 0.21, "I", False),
    ("4", "9% btw inclusief", 0.09, "I", False),
    ("5", "Intracommunautaire levering 0%", 0.0, "E", False),
    ("6", "19% btw (oud, geblokkeerd)", 0.19, "E", True),
]
SHIPPING_METHODS = [
    ("PNL", "PostNL", "https://jouw.postnl.nl/track-and-trace/{0}"),
    ("DHL", "DHL Parcel", "https://www.dhl.com/nl-nl/home/tracking.html?tracking-id={0}"),
    ("DPD", "DPD", "https://tracking.dpd.de/parcelstatus?query={0}"),
    ("GLS", "GLS", "https://gls-group.com/track/{0}"),
    ("UPS", "UPS", "https://www.ups.com/track?tracknum={0}"),
]
UNITS = [
    ("pc", "Stuk", "A", 1),
    ("box", "Box", "A", 0),
    ("doos", "Doos", "A", 0),
    ("kg", "Kilogram", "W", 0),
    ("m", "Meter", "L", 0),
]
ITEM_GROUPS = [
    ("100", "Huishouden"),
    ("200", "Gereedschap"),
    ("300", "Tuin"),
    ("400", "Sport"),
    ("500", "Kantoor"),
]


@dataclass
class ItemBasics:
    """What the channels need to know about an item, plus the kind the sandbox gives it."""

    code: str
    ean: str
    description: str
    sales_price: float
    cost: float
    kind: str  # "stock", "kit" or "service"
    end: str | None  # "past", "future" or None


def ean13(number: int) -> str:
    """A valid EAN-13 with the Dutch 871 prefix."""
    digits = f"871{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def item_basics(seed: int, n: int, kits: int | None = None) -> list[ItemBasics]:
    """The item list for `reset(seed, items=n)`, independent of every other reset parameter."""
    rng = random.Random(f"items:{seed}")
    kit_every = max(1, n // kits) if kits else 0
    out = []
    for i in range(n):
        cost = round(rng.uniform(1.5, 80.0), 2)
        price = round(cost * rng.uniform(1.6, 2.4), 2)
        text = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(VARIANTS)}"
        is_kit = (i % kit_every == kit_every - 1) if kits else (i % 20 == 7)
        kind = "kit" if is_kit else ("service" if i % 50 == 13 else "stock")
        end = "past" if i % 20 == 3 else ("future" if i % 33 == 5 else None)
        out.append(ItemBasics(f"ART-{i + 1:05d}", ean13(i + 1), text, price, cost, kind, end))
    return out


def demo_catalogue(seed: int = 1, n: int = 50) -> list[dict[str, Any]]:
    """The sales items of `reset(seed, items=n)`: code, ean, description, sales price."""
    return [
        {"code": b.code, "ean": b.ean, "description": b.description, "sales_price": b.sales_price}
        for b in item_basics(seed, n)
    ]
