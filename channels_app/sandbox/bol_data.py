"""Deterministic sample data for the bol.com sandbox: catalogue, buyers, ids, time formatting.

Kept apart from the WSGI app so the app module reads as "the API", and this one as "the world".
No Django imports.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_NOUNS = [
    "shelf bracket",
    "cable tie",
    "wall plug",
    "hinge",
    "drawer slide",
    "door handle",
    "hose clamp",
    "wood screw",
    "padlock",
    "storage box",
    "tape measure",
    "spirit level",
    "work glove",
    "led strip",
    "extension cord",
    "paint brush",
    "sanding pad",
    "wire rope",
]
_ADJECTIVES = ["Steel", "Brass", "Nylon", "Galvanised", "Black", "Stainless", "Heavy-duty", "Mini"]
_SIZES = ["20 mm", "40 mm", "75 mm", "100 mm", "200 mm", "set of 10", "set of 50", "5 m"]

_FIRST = [
    ("FEMALE", "Billie"),
    ("FEMALE", "Sanne"),
    ("FEMALE", "Fleur"),
    ("FEMALE", "Noor"),
    ("MALE", "Daan"),
    ("MALE", "Jeroen"),
    ("MALE", "Bram"),
    ("MALE", "Lucas"),
    ("UNKNOWN", "Sam"),
    ("UNKNOWN", "Robin"),
]
_SURNAMES = [
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Peeters",
    "Maes",
    "Claes",
]
_STREETS = [
    "Dorpstraat",
    "Kerkstraat",
    "Stationsweg",
    "Molenweg",
    "Schoolstraat",
    "Hoofdstraat",
    "Beukenlaan",
    "Kastanjelaan",
]
_NL_CITIES = [
    ("3511", "Utrecht"),
    ("1012", "Amsterdam"),
    ("3011", "Rotterdam"),
    ("9711", "Groningen"),
    ("5611", "Eindhoven"),
    ("6511", "Nijmegen"),
]
_BE_CITIES = [("2000", "Antwerpen"), ("9000", "Gent"), ("3000", "Leuven"), ("8000", "Brugge")]
_COMPANIES = [
    "Bouwbedrijf Smit B.V.",
    "Installatietechniek Visser",
    "Klusbedrijf De Boer",
    "Facilitair Mulder B.V.",
]


def ean13(rng: random.Random) -> str:
    """A valid EAN-13 with the Dutch 871 prefix."""
    body = "871" + "".join(rng.choice(string.digits) for _ in range(9))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def uuid_from(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def order_id_from(rng: random.Random) -> str:
    """bol order ids look like "A2K8290LP8": a letter and nine upper-case letters or digits."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "A" + "".join(rng.choice(alphabet) for _ in range(9))


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def default_products(rng: random.Random, count: int = 20) -> list[dict[str, Any]]:
    """`count` products with codes ART-00001.., valid EAN-13s, a title and a price incl. VAT."""
    products = []
    for n in range(1, count + 1):
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.choice(_SIZES)}"
        price = money(rng.randint(199, 8999) / 100)
        products.append({"code": f"ART-{n:05d}", "ean": ean13(rng), "title": title, "price": price})
    return products


def buyer_address(rng: random.Random, country: str) -> dict[str, Any]:
    """A shipmentDetails-shaped address (the e-mail is scrambled, as bol does)."""
    salutation, first = rng.choice(_FIRST)
    if country == "BE":
        postcode, city = rng.choice(_BE_CITIES)
        language = rng.choice(["nl-BE", "fr-BE"])
    else:
        prefix, city = rng.choice(_NL_CITIES)
        postcode = (
            prefix + rng.choice("ABCDEFGHJKLMNPRSTVWXZ") + rng.choice("ABCDEFGHJKLMNPRSTVWXZ")
        )
        language = "nl"
    scrambled = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(20))
    return {
        "pickupPointName": None,
        "salutation": salutation,
        "firstName": first,
        "surname": rng.choice(_SURNAMES),
        "streetName": rng.choice(_STREETS),
        "houseNumber": str(rng.randint(1, 240)),
        "houseNumberExtension": rng.choice([None, None, None, "A", "B", "bis"]),
        "extraAddressInformation": None,
        "zipCode": postcode,
        "city": city,
        "countryCode": country,
        "email": f"{scrambled}@verkopen.bol.com",
        "company": None,
        "deliveryPhoneNumber": None,
        "language": language,
    }


def business_details(rng: random.Random, country: str) -> dict[str, Any]:
    """billingDetails extras for a business buyer."""
    digits = "".join(rng.choice(string.digits) for _ in range(9))
    vat = f"NL{digits}B01" if country == "NL" else f"BE0{digits}"
    return {
        "company": rng.choice(_COMPANIES),
        "vatNumber": vat,
        "kvkNumber": "".join(rng.choice(string.digits) for _ in range(8)),
        "orderReference": f"PO-{rng.randint(100, 9999)}",
    }


def iso(ts: float) -> str:
    """bol's timestamp style: local time with offset, whole seconds ("2025-10-06T09:12:44+02:00")."""
    return datetime.fromtimestamp(ts, AMSTERDAM).isoformat(timespec="seconds")


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, AMSTERDAM).date()


def add_days(ts: float, days: int) -> str:
    """The local date `days` after ts, as YYYY-MM-DD."""
    return date.fromordinal(local_date(ts).toordinal() + days).isoformat()
