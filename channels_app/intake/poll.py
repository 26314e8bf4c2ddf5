"""Polling a channel's orders: page by page, the cursor saved after every page, one poll at a time.

A poll takes the channel's lease by compare-and-set (an expired lease can be taken over), stores
each order of a page on its own (one bad order is recorded and skipped, never blocking the
rest), then saves the page's cursor while renewing the lease. A poll that stops anywhere resumes
from the last saved cursor; re-reading a page is harmless because storing is idempotent.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from channels_app.connectors.base import ApiError, ChannelConnector, ChannelOrderData
from channels_app.connectors.registry import ChannelConfigError, build_connector
from channels_app.models import Channel, ChannelOrder, ChannelPoll
from exactsync.models import ActivityLevel, record_activity

from .store import store_order_result

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # renewed after every page; a dead poller's lease runs out


class LeaseLostError(Exception):
    """Another poll took this channel over (our lease had run out): stop without writing."""


@dataclass
class PollSummary:
    """What one poll read and did."""

    channel: str
    pages: int = 0
    received: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    cursor: str = ""
    error: str = ""
    skipped: str = ""  # why the poll did not run at all

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.channel}: skipped ({self.skipped})"
        text = (
            f"{self.channel}: {self.pages} page(s), {self.received} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.failed)} failed"
        )
        return f"{text}; stopped: {self.error}" if self.error else text


def poll_orders(channel: Channel, *, connector: ChannelConnector | None = None) -> PollSummary:
    """Read the channel's changed orders from its saved cursor to the end, storing each page.

    connector: defaults to build_connector(channel) (tests pass one with a shared clock).
    Channel errors end the poll (recorded on the channel); the cursor keeps the last full page.
    """
    summary = PollSummary(channel=str(channel))
    owner = take_lease(channel)
    if owner is None:
        summary.skipped = "another poll of this channel is running"
        return summary
    try:
        cursor = ChannelPoll.objects.values_list("cursor", flat=True).get(pk=channel.pk)
        summary.cursor = cursor
        connector = connector or build_connector(channel)
        for page in connector.iter_order_pages(cursor=cursor or None):
            summary.pages += 1
            for data in page.orders:
                _store_one(channel, data, summary)
            save_cursor(channel, owner, page.cursor)
            summary.cursor = page.cursor
    except (ApiError, ChannelConfigError) as exc:
        summary.error = exc.for_staff()
        record_activity(
            "channel.poll_failed",
            subject=channel,
            level=ActivityLevel.ERROR,
            message=f"Reading orders from {channel} stopped: {summary.error}",
            payload={"pages": summary.pages, "cursor": summary.cursor},
        )
    except LeaseLostError:
        summary.error = "another poll took over this channel"
    except Exception as exc:  # a bug: shown on the channel, and the task fails loudly
        summary.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _finish(channel, owner, summary)
    return summary


def take_lease(channel: Channel) -> str | None:
    """Compare-and-set the channel's poll lease; the owner token, or None when it is taken."""
    ChannelPoll.objects.get_or_create(channel=channel)
    now = timezone.now()
    owner = uuid.uuid4().hex
    taken = (
        ChannelPoll.objects.filter(pk=channel.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, lease_owner=owner, last_started_at=now)
    )
    return owner if taken else None


def save_cursor(channel: Channel, owner: str, cursor: str) -> None:
    """Save a page's cursor and renew the lease, only while we still hold it."""
    saved = ChannelPoll.objects.filter(pk=channel.pk, lease_owner=owner).update(
        cursor=cursor, lease_until=timezone.now() + LEASE
    )
    if not saved:
        raise LeaseLostError(channel.pk)


def _finish(channel: Channel, owner: str, summary: PollSummary) -> None:
    now = timezone.now()
    fields = {
        "lease_until": None,
        "lease_owner": "",
        "last_finished_at": now,
        "last_summary": str(summary)[:300],
        "last_error": summary.error,
    }
    if not summary.error:
        fields["last_success_at"] = now
    ChannelPoll.objects.filter(pk=channel.pk, lease_owner=owner).update(**fields)


def _store_one(channel: Channel, data: ChannelOrderData, summary: PollSummary) -> None:
    """Store one order; a failure is recorded on its timeline (or the channel's) and skipped."""
    try:
        result = store_order_result(channel, data, source="poll")
    except Exception as exc:
        log.warning("Channel %s: order %s could not be stored: %s", channel.pk, data.number, exc)
        summary.failed.append({"order": data.number, "error": str(exc)})
        subject = (
            ChannelOrder.objects.filter(channel=channel, external_id=data.external_id).first()
            or channel
        )
        record_activity(
            "order.store_failed",
            subject=subject,
            level=ActivityLevel.ERROR,
            message=f"Order {data.number} from {channel} could not be stored: {exc}",
            payload={"source": "poll", "external_id": data.external_id, "error": str(exc)},
        )
        return
    if result.created:
        summary.received += 1
    elif result.changed:
        summary.updated += 1
    else:
        summary.unchanged += 1
