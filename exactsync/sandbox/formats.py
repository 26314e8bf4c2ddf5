"""Value formats on Exact's wire: `/Date(ms)/` dates, lower-case GUIDs, padded account codes.

Reference: exact-online-api.md section 3.3 (dates, GUIDs), 5.3 (18-character account codes),
7.1 (error body).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

ACCOUNT_CODE_WIDTH = 18
_DATE_RE = re.compile(r"^/Date\((-?\d+)\)/$")
_GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


class PayloadError(Exception):
    """A malformed request (bad JSON, unknown property, bad GUID): Exact answers 400."""


class EntityNotFound(LookupError):
    """A key-addressed record does not exist: Exact answers 404 (`args[0]` = URL segment)."""


class BusinessError(Exception):
    """A business-rule violation: Exact answers 500 with a Dutch `<Category>: <Field>` text."""


def new_guid(rng: random.Random) -> str:
    """A lower-case version-4 GUID drawn from `rng`, so a seeded reset yields the same IDs."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def is_guid(value: Any) -> bool:
    """True for a canonical GUID string (any case)."""
    return isinstance(value, str) and bool(_GUID_RE.match(value))


def wire_date(ms: int | float) -> str:
    """Milliseconds since the epoch as Exact writes dates: `/Date(1641034800000)/`."""
    return f"/Date({int(ms)})/"


def date_ms(value: Any) -> int | None:
    """Milliseconds for a `/Date(ms)/` string, ISO string, date, datetime or number (UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int((aware - EPOCH).total_seconds() * 1000)
    if isinstance(value, dt.date):
        return date_ms(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC))
    if isinstance(value, str):
        match = _DATE_RE.match(value)
        if match:
            return int(match.group(1))
        return date_ms(parse_iso(value))
    raise ValueError(f"not a date: {value!r}")


def parse_iso(text: str) -> dt.datetime:
    """Parse `2026-01-01`, `2026-01-01T10:00:00`, with optional fraction and `Z`; naive = UTC."""
    cleaned = text.strip().replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(cleaned)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def to_wire_date(value: Any) -> str | None:
    """Any accepted date input as `/Date(ms)/`, None stays None."""
    ms = date_ms(value)
    return None if ms is None else wire_date(ms)


def midnight_ms(now: float) -> int:
    """The start of the (UTC) day containing epoch second `now`, in ms: Exact's date-only fields."""
    day = dt.datetime.fromtimestamp(now, tz=dt.UTC).date()
    return date_ms(day) or 0


def iso_utc(now: float) -> str:
    """`2026-01-01T10:00:00.123Z` for epoch seconds (webhook EventCreatedOn)."""
    stamp = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def pad_code(code: Any) -> str:
    """An account code as Exact stores it: right-aligned in 18 characters."""
    return str(code).strip().rjust(ACCOUNT_CODE_WIDTH)


def error_body(message: str) -> dict[str, Any]:
    """Exact's error envelope (reference 7.1)."""
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


def wants_json(accept: str | None) -> bool:
    """Exact answers JSON only when asked (reference 3.1); otherwise Atom/XML."""
    return "json" in (accept or "").lower()


def api_response(
    data: Any,
    *,
    status: int = 200,
    json_format: bool = True,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise an API answer as compact JSON, or as minimal Atom-style XML without Accept."""
    if data is None:
        return Response(b"", status=status, headers=headers or {})
    if json_format:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        return Response(body, status=status, headers=headers or {}, mimetype="application/json")
    return Response(to_xml(data), status=status, headers=headers or {}, mimetype="application/xml")


def to_xml(data: Any) -> str:
    """A small Atom-like rendering: enough to make a client that forgot `Accept` fail loudly."""
    head = '<?xml version="1.0" encoding="utf-8"?>'
    meta = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
    if isinstance(data, dict) and "error" in data:
        text = escape(str(data["error"]["message"]["value"]))
        return f'{head}<error xmlns="{meta}"><code></code><message xml:lang="">{text}</message></error>'
    d = data.get("d") if isinstance(data, dict) else None
    rows = d if isinstance(d, list) else (d.get("results", [d]) if isinstance(d, dict) else [])
    entries = "".join(
        f"<entry><content><m:properties>{_xml_props(r)}</m:properties></content></entry>"
        for r in rows
    )
    return (
        f'{head}<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="{meta}">'
        f"{entries}</feed>"
    )


def _xml_props(row: dict[str, Any]) -> str:
    parts = []
    for key, value in row.items():
        if key == "__metadata" or isinstance(value, dict | list):
            continue
        if value is None:
            parts.append(f'<d:{key} m:null="true" />')
        else:
            parts.append(f"<d:{key}>{escape(str(value))}</d:{key}>")
    return "".join(parts)
