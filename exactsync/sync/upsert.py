"""Batched upserts of mirrored rows: one read and at most two writes per page, on any database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from exactsync.models import ExactConnection

from .base import Counts


@dataclass
class Mapped:
    """One Exact row turned into model field values."""

    exact_id: str
    timestamp: int | None
    fields: dict[str, Any]


def upsert(
    model: type[models.Model],
    connection: ExactConnection,
    rows: Sequence[Mapped],
    counts: Counts,
    *,
    full: bool = False,
    code_field: str | None = "code",
) -> dict[str, int]:
    """Create or update rows by (connection, exact_id); skip rows whose Timestamp is unchanged.

    Returns {exact_id: pk} for every row of the page. When `code_field` is set and a new Exact id
    arrives with a code we already hold (deleted and re-created in Exact), that row is taken over.
    """
    if not rows:
        return {}
    now = timezone.now()
    ids = [r.exact_id for r in rows]
    compare_raw = any(
        r.timestamp is None for r in rows
    )  # no Timestamp: compare the payload instead
    existing = {
        str(r["exact_id"]): r
        for r in model.objects.filter(connection=connection, exact_id__in=ids).values(
            "pk", "exact_id", "exact_timestamp", *(["raw"] if compare_raw else [])
        )
    }
    by_code: dict[str, dict[str, Any]] = {}
    if code_field:
        new_codes = [r.fields[code_field] for r in rows if r.exact_id not in existing]
        if new_codes:
            by_code = {
                r[code_field]: r
                for r in model.objects.filter(
                    connection=connection, **{f"{code_field}__in": new_codes}
                ).values("pk", "exact_id", code_field)
            }
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    update_fields: set[str] = set()
    result: dict[str, int] = {}
    for row in rows:
        current = existing.get(row.exact_id) or (
            by_code.get(row.fields[code_field]) if code_field else None
        )
        if current is None:
            obj = model(
                connection=connection,
                exact_id=row.exact_id,
                exact_timestamp=row.timestamp,
                synced_at=now,
                **row.fields,
            )
            to_create.append(obj)
            continue
        result[row.exact_id] = current["pk"]
        same_id = str(current["exact_id"]) == row.exact_id
        if same_id and (
            (row.timestamp is not None and current.get("exact_timestamp") == row.timestamp)
            or (
                row.timestamp is None
                and "raw" in current
                and current["raw"] == row.fields.get("raw")
            )
        ):
            counts.unchanged += 1
            continue
        obj = model(
            pk=current["pk"],
            connection=connection,
            exact_id=row.exact_id,
            exact_timestamp=row.timestamp,
            synced_at=now,
            updated_at=now,
            **row.fields,
        )
        update_fields.update(row.fields)
        to_update.append(obj)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=1000)
        counts.created += len(to_create)
        result.update(
            {str(o.exact_id): o.pk for o in to_create}
        )  # pks come back (RETURNING) on both databases
    if to_update:
        model.objects.bulk_update(
            to_update,
            sorted(update_fields | {"exact_id", "exact_timestamp", "synced_at", "updated_at"}),
            batch_size=500,
        )
        counts.updated += len(to_update)
    return result
