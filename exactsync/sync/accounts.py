"""Accounts from Exact (sync/CRM/Accounts): suppliers (IsSupplier) and customers (Status C).

One account can be both. Codes arrive right-aligned to 18 characters and are stored trimmed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from exactsync.client import Priority
from exactsync.models import Account

from .base import Counts, SyncContext
from .upsert import Mapped, upsert

ENTITY = "accounts"
PRIORITY = Priority.CATALOGUE
SELECT = [
    "ID",
    "Code",
    "Name",
    "Email",
    "Phone",
    "AddressLine1",
    "Postcode",
    "City",
    "Country",
    "VATNumber",
    "ChamberOfCommerce",
    "Blocked",
    "IsSupplier",
    "IsSales",
    "Status",
    "PurchaseLeadDays",
    "PurchaseCurrency",
    "Timestamp",
]


def map_account(row: dict[str, Any], counts: Counts) -> Mapped | None:
    code = (row.get("Code") or "").strip()
    if not row.get("ID") or not code:
        counts.skip(str(row.get("ID") or "?"), "account without an id or a code")
        return None
    status = (row.get("Status") or "").strip()
    lead = row.get("PurchaseLeadDays")
    return Mapped(
        exact_id=str(row["ID"]).lower(),
        timestamp=int(row.get("Timestamp") or 0),
        fields={
            "code": code[:18],
            "name": (row.get("Name") or code)[:200],
            "email": (row.get("Email") or "")[:254],
            "phone": (row.get("Phone") or "")[:50],
            "address": (row.get("AddressLine1") or "")[:200],
            "postcode": (row.get("Postcode") or "")[:20],
            "city": (row.get("City") or "")[:100],
            "country": (row.get("Country") or "").strip()[:2].upper(),
            "vat_number": (row.get("VATNumber") or "").strip()[:40],
            "coc_number": (row.get("ChamberOfCommerce") or "").strip()[:40],
            "blocked": bool(row.get("Blocked")),
            "is_supplier": bool(row.get("IsSupplier")),
            "is_customer": status == "C",
            "status": status[:2],
            "purchase_lead_days": int(lead) if lead not in (None, "") and int(lead) >= 0 else None,
            "purchase_currency": (row.get("PurchaseCurrency") or "")[:3],
            "raw": row,
        },
    )


def run(ctx: SyncContext) -> None:
    for page in ctx.client.iter_sync("CRM/Accounts", select=SELECT, since=ctx.since):
        counts = Counts(rows_read=len(page.rows))
        mapped = [m for m in (map_account(r, counts) for r in page.rows) if m]
        with transaction.atomic():
            upsert(Account, ctx.connection, mapped, counts, full=ctx.full)
            ctx.commit_page(counts, timestamp=page.max_timestamp)
