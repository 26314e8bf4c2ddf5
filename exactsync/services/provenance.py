"""Provenance of staff-ownable values on product-supplier links ("People win")."""

from __future__ import annotations

from collections.abc import Iterable

from exactsync.models import ProductSupplier, Source

# model field -> its provenance field
PROVENANCE = {
    "moq": "moq_source",
    "order_per": "order_per_source",
    "purchase_unit": "order_per_source",
    "purchase_unit_description": "order_per_source",
    "lead_time_days": "lead_time_source",
    "purchase_price": "price_source",
}
LABELS = {
    "moq": "MOQ",
    "order_per": "order per",
    "purchase_unit": "purchase unit",
    "purchase_unit_description": "purchase unit",
    "lead_time_days": "lead time",
    "purchase_price": "purchase price",
}


def mark_manual_changes(link: ProductSupplier, changed_fields: Iterable[str]) -> list[str]:
    """Mark the provenance of every changed staff-owned field as "by hand"; return their labels."""
    labels: list[str] = []
    for name in changed_fields:
        source_field = PROVENANCE.get(name)
        if source_field:
            setattr(link, source_field, Source.MANUAL)
            label = LABELS[name]
            if label not in labels:
                labels.append(label)
    return labels


def exact_may_set(*, current_source: str, switch_on: bool, strict: bool = False) -> bool:
    """May a sync from Exact write this value?

    Switch on: Exact always wins. Switch off: a value set by hand or by import stays; with
    `strict` (MOQ) Exact never writes it, otherwise Exact may fill a value nobody set.
    """
    if switch_on:
        return True
    if strict:
        return False
    return current_source in (Source.NONE, Source.EXACT)
