"""Recording a stock pass: one StockPush per quantity sent, the listing's push state (with
backoff after a failure), fixed reconcile differences, and failures on the channel's timeline."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from channels_app.connectors.base import ListingRef, PushResult
from channels_app.models import (
    Channel,
    DifferenceState,
    Listing,
    PendingPush,
    StockDifference,
    StockPush,
)
from exactsync.models import ActivityLevel, record_activity

from .availability import Availability

RECORD_CHUNK = 500  # rows per bulk write
MAX_ATTEMPTS = 10  # then the listing waits for staff ("Push stock now" on the listing)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after the n-th failure, at most an hour."""
    return timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


@dataclass
class PassSummary:
    channel: str
    computed: int = 0
    pushed: int = 0
    failed: int = 0
    unchanged: int = 0
    held: int = 0
    rounds: int = 0
    errors: list[str] = field(default_factory=list)
    deadline: float = field(default_factory=time.monotonic)  # when the pass's time slice ends
    yielded: bool = False

    def __str__(self) -> str:
        text = (
            f"{self.channel}: {self.computed} computed, {self.pushed} pushed, "
            f"{self.failed} failed, {self.unchanged} unchanged"
        )
        if self.held:
            text += f", {self.held} held back by the drop guard"
        if self.yielded:
            text += " (continued in a new task)"
        return text


@dataclass
class Planned:
    listing: Listing
    availability: Availability
    reason: str


def listing_ref(listing: Listing) -> ListingRef:
    return ListingRef(
        external_id=listing.external_id,
        location_id=listing.location_id,
        parent_id=listing.parent_id,
        sku=listing.sku,
        ean=listing.ean,
    )


def align(chunk: list[Planned], results: list[PushResult]) -> list[PushResult]:
    """A connector that answered for fewer listings than asked: the missing ones failed."""
    by_ref = {(r.ref.external_id, r.ref.location_id): r for r in results}
    return [
        by_ref.get(
            (p.listing.external_id, p.listing.location_id),
            PushResult(
                listing_ref(p.listing),
                ok=False,
                quantity=p.availability.quantity,
                error="The channel gave no answer for this listing.",
                retriable=True,
            ),
        )
        for p in chunk
    ]


def record(
    channel: Channel, chunk: list[Planned], results: list[PushResult], summary: PassSummary
) -> None:
    now = timezone.now()
    pushes, changed, fixed = [], [], []
    failures: list[str] = []
    for planned, result in zip(chunk, results, strict=True):
        listing = planned.listing
        quantity = planned.availability.quantity
        pushes.append(
            StockPush(
                listing=listing,
                quantity=quantity,
                ok=result.ok,
                error=result.error[:2000],
                reason=planned.reason,
                computed_at=planned.availability.computed_at,
            )
        )
        if result.ok:
            listing.last_pushed_quantity, listing.last_pushed_at = quantity, now
            listing.last_push_error, listing.push_attempts, listing.next_push_at = "", 0, None
            summary.pushed += 1
            if planned.reason == PendingPush.RECONCILE:
                fixed.append(listing.pk)
        else:
            _failed(listing, result.error or "The channel refused the quantity.", now)
            failures.append(f"{listing.sku or listing.external_id}: {listing.last_push_error}")
            summary.failed += 1
        changed.append(listing)
    with transaction.atomic():
        StockPush.objects.bulk_create(pushes, batch_size=500)
        Listing.objects.bulk_update(
            changed,
            [
                "last_pushed_quantity",
                "last_pushed_at",
                "last_push_error",
                "push_attempts",
                "next_push_at",
            ],
            batch_size=500,
        )
        if fixed:
            StockDifference.objects.filter(
                listing_id__in=fixed, state__in=[DifferenceState.OPEN, DifferenceState.FIXING]
            ).update(state=DifferenceState.FIXED, fixed_at=now)
    if failures:
        _report_failures(channel, failures, summary)


def _failed(listing: Listing, error: str, now: datetime) -> None:
    listing.last_push_error = error[:2000]
    listing.push_attempts += 1
    listing.next_push_at = (
        now + backoff(listing.push_attempts) if listing.push_attempts < MAX_ATTEMPTS else None
    )


def record_failures(
    channel: Channel, plan: list[Planned], error: str, summary: PassSummary
) -> None:
    results = [
        PushResult(listing_ref(p.listing), ok=False, quantity=p.availability.quantity, error=error)
        for p in plan
    ]
    for start in range(0, len(plan), RECORD_CHUNK):
        record(
            channel,
            plan[start : start + RECORD_CHUNK],
            results[start : start + RECORD_CHUNK],
            summary,
        )


def _report_failures(channel: Channel, failures: list[str], summary: PassSummary) -> None:
    shown = "; ".join(failures[:5]) + (
        f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
    )
    summary.errors.append(shown)
    record_activity(
        "stock.push_failed",
        subject=channel,
        level=ActivityLevel.ERROR,
        message=f"{len(failures)} stock push(es) to {channel} failed; retried with backoff: "
        f"{shown}",
        payload={"failed": len(failures), "examples": failures[:20]},
    )
