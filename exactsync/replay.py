"""Replaying stored webhook events, with a dry run first. Replays are idempotent: an Exact event
only asks for a pass (which reads what changed), a channel event stores its order again (one row
per channel order, updated in place). Each source registers how to preview and how to replay."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from exactsync.models import EventStatus, ExactConnection, WebhookEvent, record_activity


@dataclass(frozen=True)
class Replayer:
    preview: Callable[[WebhookEvent], str]
    replay: Callable[[WebhookEvent], str]


REPLAYERS: dict[str, Replayer] = {}


def register(source: str, replayer: Replayer) -> None:
    REPLAYERS[source] = replayer


def dry_run(events: list[WebhookEvent]) -> list[tuple[WebhookEvent, str]]:
    """What a replay would do, per event, without doing it."""
    out = []
    for event in events:
        replayer = REPLAYERS.get(event.source)
        out.append(
            (event, replayer.preview(event) if replayer else f"no replay for source {event.source}")
        )
    return out


def replay(events: list[WebhookEvent], *, user: Any = None) -> list[tuple[WebhookEvent, str]]:
    out = []
    for event in events:
        replayer = REPLAYERS.get(event.source)
        if replayer is None:
            out.append((event, f"no replay for source {event.source}"))
            continue
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=EventStatus.PENDING,
            processed_at=None,
            error="",
            replayed_count=event.replayed_count + 1,
        )
        event.refresh_from_db()
        result = replayer.replay(event)
        record_activity("webhook.replayed", subject=event, actor=user, message=result)
        out.append((event, result))
    return out


def _exact_preview(event: WebhookEvent) -> str:
    from exactsync.services.stock_events import TOPIC_PASSES

    try:
        content = json.loads(event.body)["Content"]
    except (ValueError, KeyError):
        return "unreadable body: nothing would happen"
    passes = TOPIC_PASSES.get(event.topic, [])
    if not passes:
        return f"topic {event.topic}: nothing would happen"
    return (
        f"{content.get('Action', 'Update')} of {event.topic} {content.get('Key', '')}: one incremental pass of "
        f"{', '.join(passes)} (reads only what changed since the last pass)"
    )


def _exact_replay(event: WebhookEvent) -> str:
    from exactsync.services.stock_events import request_passes

    connection = ExactConnection.objects.filter(
        division=int(event.source_ref or 0), is_active=True
    ).first()
    if connection is None:
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=EventStatus.IGNORED, processed_at=timezone.now()
        )
        return "no active connection for this division"
    queued = request_passes(connection.pk, event.topic)
    return f"pass requested ({queued} queued; already queued passes serve it too)"


register("exact", Replayer(preview=_exact_preview, replay=_exact_replay))
