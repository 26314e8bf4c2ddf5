"""The outbox: every write to Exact or a channel is recorded before it is attempted.

`record()` stores the intent under an idempotency key (unique in the database: recording twice
is harmless) and queues a nudge on commit. `process()` claims one entry with compare-and-set, so
two workers never send it twice, runs the kind's handler, and stores the outcome. A handler
that cannot know whether its write reached the other side returns `Outcome.unknown`: the next
attempt looks the write up before sending again. Validation failures stop and wait for a person;
transient ones are retried with backoff. The sweeper re-nudges due entries and turns entries left
"sending" by a dead worker into "outcome unknown".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from exactsync.models import Outbox, OutboxState, record_activity

log = logging.getLogger(__name__)
MAX_TRANSIENT_ATTEMPTS = 8
STUCK_AFTER = timedelta(minutes=10)


@dataclass
class Outcome:
    state: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    hint: str = ""
    error_kind: str = ""
    retry_in: float | None = None

    @classmethod
    def done(cls, **result: Any) -> Outcome:
        return cls(OutboxState.DONE, result=result)

    @classmethod
    def failed(cls, error: str, *, hint: str = "", kind: str = "validation") -> Outcome:
        """Refused for a reason a person must fix: not retried automatically."""
        return cls(OutboxState.FAILED, error=error, hint=hint, error_kind=kind)

    @classmethod
    def retry(cls, error: str, *, hint: str = "", retry_in: float | None = None) -> Outcome:
        """A transient failure that certainly did not write anything: try again later."""
        return cls(
            OutboxState.PENDING, error=error, hint=hint, error_kind="transient", retry_in=retry_in
        )

    @classmethod
    def unknown(cls, error: str, *, hint: str = "") -> Outcome:
        """The write may have happened: look it up before sending again."""
        return cls(OutboxState.UNKNOWN, error=error, hint=hint, error_kind="unknown")


Handler = Callable[[Outbox], Outcome]
HANDLERS: dict[str, Handler] = {}
TASK = "exactsync.tasks.process_outbox_task"


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def record(
    kind: str,
    *,
    target: models.Model,
    key: str,
    payload: dict[str, Any] | None = None,
    priority: int = 5,
    label: str = "",
    nudge: bool = True,
) -> tuple[Outbox, bool]:
    """Store the intent to write (once per key) and queue it after commit."""
    try:
        with transaction.atomic():
            entry = Outbox.objects.create(
                kind=kind,
                idempotency_key=key,
                target_type=ContentType.objects.get_for_model(target),
                target_id=target.pk,
                target_label=(label or str(target))[:200],
                payload=payload or {},
                priority=priority,
            )
    except IntegrityError:
        return Outbox.objects.get(idempotency_key=key), False
    if nudge:
        queue(entry.pk)
    return entry, True


def queue(entry_id: int) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(TASK, entry_id, task_name=f"outbox-{entry_id}", group="outbox")
    )


def backoff(attempts: int) -> float:
    return min(3600.0, 30.0 * (2 ** max(0, attempts - 1)))


def claim(entry_id: int) -> Outbox | None:
    """Compare-and-set: pending/unknown and due -> sending. Exactly one worker wins."""
    now = timezone.now()
    claimed = Outbox.objects.filter(
        pk=entry_id,
        state__in=[OutboxState.PENDING, OutboxState.UNKNOWN],
        next_attempt_at__lte=now,
    ).update(state=OutboxState.IN_PROGRESS, attempts=F("attempts") + 1, updated_at=now)
    return Outbox.objects.get(pk=entry_id) if claimed else None


def process(entry_id: int) -> str:
    """Run one entry's handler (if it is due and nobody else has it) and store the outcome."""
    entry = claim(entry_id)
    if entry is None:
        return f"outbox {entry_id}: not due or taken by another worker"
    # After an attempt whose outcome is unknown (or any earlier attempt), look before writing.
    entry.look_up_first = (
        entry.result.get("_last_state") == OutboxState.UNKNOWN or entry.attempts > 1
    )  # type: ignore[attr-defined]
    try:
        outcome = HANDLERS[entry.kind](entry)
    except Exception as exc:  # a bug must not leave the entry 'sending' forever
        log.exception("outbox handler %s crashed on %s", entry.kind, entry.pk)
        outcome = Outcome.unknown(f"Unexpected error: {exc!r}")
    return store_outcome(entry, outcome)


def store_outcome(entry: Outbox, outcome: Outcome) -> str:
    now = timezone.now()
    entry.state = outcome.state
    entry.last_error = outcome.error[:4000]
    entry.last_error_hint = outcome.hint[:2000]
    entry.error_kind = outcome.error_kind
    entry.result = {**outcome.result, "_last_state": outcome.state}
    if outcome.state == OutboxState.DONE:
        entry.done_at = now
    elif outcome.state in (OutboxState.PENDING, OutboxState.UNKNOWN):
        if outcome.error_kind == "transient" and entry.attempts >= MAX_TRANSIENT_ATTEMPTS:
            entry.state = OutboxState.FAILED  # give up automatic retries; a person decides
            entry.last_error = f"{entry.last_error} (gave up after {entry.attempts} attempts)"
        else:
            entry.next_attempt_at = now + timedelta(
                seconds=outcome.retry_in or backoff(entry.attempts)
            )
    entry.save()
    return f"outbox {entry.pk} {entry.kind}: {entry.state}" + (
        f" ({entry.last_error[:200]})" if entry.last_error else ""
    )


def retry(entry: Outbox, *, user: Any = None) -> bool:
    """Staff asked to try again now (after fixing the cause)."""
    updated = Outbox.objects.filter(
        pk=entry.pk, state__in=[OutboxState.FAILED, OutboxState.PENDING, OutboxState.UNKNOWN]
    ).update(
        state=OutboxState.UNKNOWN
        if entry.result.get("_last_state") == OutboxState.UNKNOWN
        else OutboxState.PENDING,
        next_attempt_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if updated:
        record_activity(
            "outbox.retry",
            subject=entry.target,
            actor=user,
            message=f"{entry.get_kind_display()}: retry",
        )
        queue(entry.pk)
    return bool(updated)


def sweep() -> int:
    """Re-nudge due entries; entries left 'sending' by a dead worker become 'outcome unknown'."""
    now = timezone.now()
    stuck = Outbox.objects.filter(state=OutboxState.IN_PROGRESS, updated_at__lt=now - STUCK_AFTER)
    count = stuck.update(
        state=OutboxState.UNKNOWN,
        updated_at=now,
        result={"_last_state": OutboxState.UNKNOWN},
        last_error="The worker stopped while sending; the next attempt looks it up first.",
    )
    due = Outbox.objects.filter(
        Q(state=OutboxState.PENDING) | Q(state=OutboxState.UNKNOWN), next_attempt_at__lte=now
    ).order_by("priority", "next_attempt_at")[:500]
    from django_q.tasks import async_task

    for entry_id in due.values_list("pk", flat=True):
        async_task(TASK, entry_id, task_name=f"outbox-{entry_id}", group="outbox")
        count += 1
    return count
