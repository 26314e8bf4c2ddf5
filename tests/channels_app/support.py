"""Small readers shared by the channels app tests."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from channels_app.models import ChannelOrder, StockHold
from exactsync.models import ActivityEvent


def verbs(subject: Any) -> list[str]:
    """The subject's timeline verbs, oldest first."""
    return list(
        ActivityEvent.objects.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )
        .order_by("created_at", "id")
        .values_list("verb", flat=True)
    )


def holds(order: ChannelOrder, *, released: bool | None = False) -> list[tuple[str, int]]:
    """(product code, quantity) of the order's holds, open ones by default."""
    qs = StockHold.objects.filter(order=order)
    if released is not None:
        qs = qs.filter(released_at__isnull=not released)
    return sorted((h.product.code, int(h.quantity)) for h in qs.select_related("product"))


def lines(order: ChannelOrder) -> list[tuple[str, str | None, int, int]]:
    """(channel SKU, our product code, quantity, cancelled) per line."""
    return [
        (
            line.sku,
            line.product.code if line.product else None,
            line.quantity,
            line.quantity_cancelled,
        )
        for line in order.lines.select_related("product").order_by("id")
    ]


def post_webhook(client: Any, url: str, body: bytes | str, headers: dict[str, str]) -> Any:
    """POST a delivery as the channel sent it (Content-Type from its headers)."""
    headers = dict(headers)
    content_type = next(
        (headers.pop(k) for k in list(headers) if k.lower() == "content-type"), "application/json"
    )
    data = body.encode() if isinstance(body, str) else body
    return client.post(url, data=data, content_type=content_type, headers=headers)
