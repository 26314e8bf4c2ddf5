"""Abstract bases shared by the mirrored models."""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    """Where a staff-ownable value came from (DESIGN: "People win")."""

    EXACT = "exact", "From Exact"
    MANUAL = "manual", "By hand"
    IMPORT = "import", "By import"
    NONE = "", "Not set"


class Mirrored(models.Model):
    """A row mirrored from Exact: its GUID, its sync Timestamp and the last raw payload."""

    connection = models.ForeignKey("exactsync.ExactConnection", on_delete=models.CASCADE)
    exact_id = models.UUIDField("Exact ID", null=True, blank=True)
    exact_timestamp = models.BigIntegerField(null=True, blank=True, editable=False)
    raw = models.JSONField(default=dict, blank=True, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
