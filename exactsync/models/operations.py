"""Operational records: sync runs and checkpoints, the webhook inbox, the outbox, activity,
the shared Exact rate budget, and background CSV import jobs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class SyncMode(models.TextChoices):
    INCREMENTAL = "incremental", "Incremental"
    FULL = "full", "Full"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Succeeded"
    PARTIAL = "partial", "Succeeded with skipped rows"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run was busy)"


class SyncRun(models.Model):
    """One run of one entity's sync: what it read and wrote, what it cost, how it ended."""

    connection = models.ForeignKey(
        "exactsync.ExactConnection", on_delete=models.CASCADE, related_name="sync_runs"
    )
    entity = models.CharField(max_length=40, db_index=True)
    mode = models.CharField(max_length=12, choices=SyncMode.choices, default=SyncMode.INCREMENTAL)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING, db_index=True
    )
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    skipped_rows = models.JSONField(
        default=list, blank=True, help_text="Bad rows: key and reason (first 100)."
    )
    triggered_by = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["connection", "entity", "-started_at"], name="syncrun_latest")
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.mode} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> float | None:
        if not self.finished_at:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def summary(self) -> str:
        return (
            f"{self.entity} {self.mode}: {self.status}, read {self.rows_read}, created {self.created}, "
            f"updated {self.updated}, unchanged {self.unchanged}, deactivated {self.deactivated}, "
            f"skipped {self.skipped}, {self.api_calls} API calls"
        )


class SyncCheckpoint(models.Model):
    """Where an entity's sync stands (Exact Timestamp or a cursor) plus a lease: one run at a time."""

    connection = models.ForeignKey(
        "exactsync.ExactConnection", on_delete=models.CASCADE, related_name="checkpoints"
    )
    entity = models.CharField(max_length=40)
    timestamp = models.BigIntegerField(default=0)
    cursor = models.TextField(blank=True)
    full_timestamp = models.BigIntegerField(
        default=0, help_text="High-water mark of a full run in progress."
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=80, blank=True)
    requested_at = models.DateTimeField(
        null=True, blank=True, help_text="A webhook asked for a pass that has not started yet."
    )
    last_pass_at = models.DateTimeField(
        null=True, blank=True, help_text="Start of the last webhook-driven pass."
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "entity"], name="uniq_checkpoint")
        ]

    def __str__(self) -> str:
        return f"{self.entity} @ {self.timestamp}"


class EventStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Processed"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"


class WebhookEvent(models.Model):
    """The inbox: every inbound webhook, stored before it is acknowledged."""

    source = models.CharField(
        max_length=20, db_index=True, help_text="exact, shopify, woocommerce, ..."
    )
    source_ref = models.CharField(
        max_length=60, blank=True, help_text="Division number or channel id."
    )
    topic = models.CharField(max_length=80, blank=True)
    key = models.CharField(
        max_length=200, help_text="De-duplication key (event id or content hash)."
    )
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=EventStatus.choices, default=EventStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    replayed_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref", "key"], name="uniq_webhook_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.topic} {self.key[:20]}"


class OutboxKind(models.TextChoices):
    PURCHASE_ORDER = "exact_purchase_order", "Purchase order to Exact"
    SALES_ORDER = "exact_sales_order", "Sales order to Exact"
    SALES_ORDER_CANCEL = "exact_sales_order_cancel", "Cancel sales order in Exact"
    CUSTOMER = "exact_customer", "Customer to Exact"
    SHIPMENT = "channel_shipment", "Shipment to channel"
    STOCK = "channel_stock", "Stock to channel"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Queued"
    IN_PROGRESS = "in_progress", "Sending"
    UNKNOWN = "unknown", "Outcome unknown (will look up before resending)"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    MANUAL = "manual", "Done by hand"


class Outbox(models.Model):
    """Every write to Exact or a channel, recorded before it is attempted."""

    kind = models.CharField(max_length=40, choices=OutboxKind.choices, db_index=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    target_label = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING, db_index=True
    )
    priority = models.PositiveSmallIntegerField(default=5, help_text="Lower is sooner.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    last_error_hint = models.TextField(blank=True)
    error_kind = models.CharField(
        max_length=20, blank=True, help_text="validation, transient, auth, ..."
    )
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.target_label}"


class ActivityLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class ActivityEvent(models.Model):
    """The timeline: one row per thing that happened to a subject (order, product, channel...)."""

    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField(max_length=200, blank=True)
    verb = models.CharField(max_length=60, db_index=True)
    message = models.TextField(blank=True)
    level = models.CharField(
        max_length=10, choices=ActivityLevel.choices, default=ActivityLevel.INFO
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=60, blank=True, default="system")
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "created_at"], name="activity_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.subject_label}"


def record_activity(
    verb: str,
    *,
    subject: models.Model | None = None,
    message: str = "",
    level: str = ActivityLevel.INFO,
    actor: Any = None,
    actor_label: str = "",
    payload: dict[str, Any] | None = None,
) -> ActivityEvent:
    """Append one event to the timeline of `subject` (or to the global log)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return ActivityEvent.objects.create(
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        subject_label=str(subject)[:200] if subject is not None else "",
        verb=verb,
        message=message,
        level=level,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        payload=payload or {},
    )


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    VALIDATING = "validating", "Checking"
    VALIDATED = "validated", "Checked: ready to import"
    INVALID = "invalid", "Checked: has errors"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportJob(models.Model):
    """A CSV upload validated and imported in the background, with progress and a preview."""

    kind = models.CharField(max_length=40, db_index=True)
    connection = models.ForeignKey(
        "exactsync.ExactConnection", null=True, blank=True, on_delete=models.CASCADE
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    totals = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    sample = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.original_name}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_processed / self.rows_total))


class RateBudget(models.Model):
    """The shared Exact rate budget of one division (used when no Redis is configured)."""

    division = models.PositiveIntegerField(unique=True)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"budget {self.division}"


class Report(models.Model):
    """The morning report: open problems, as shown on the dashboard and sent by e-mail."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class FailedWrite(Outbox):
    """The outbox seen as staff's daily list: order writes that failed or are stuck."""

    class Meta:
        proxy = True
        verbose_name = "failed order write"
        verbose_name_plural = "failed order writes"
