"""Stock to the channels: the push lease per channel, passes held back by the drop guard, and
what a reconcile found (the channel's own stock figure against ours)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PendingPush(models.TextChoices):
    """Why a listing waits for a stock pass (Listing.stock_pending). Empty = nothing waits.

    "change" is pushed only when the quantity differs from the last one pushed and is subject to
    the drop guard; the others are pushed whatever the last quantity was.
    """

    NONE = "", "Nothing pending"
    CHANGE = "change", "Stock changed"
    FULL = "full", "Push all (new listing or by hand)"
    RETRY = "retry", "Retry after a failed push"
    RECONCILE = "reconcile", "Fix a difference found by reconcile"
    CONFIRMED = "confirmed", "Held drop confirmed by staff"


class StockSyncState(models.Model):
    """The stock-push state of one channel: a lease (one pass at a time) and the last outcome.

    Kept apart from Channel so that saving the channel page never races the pusher. The lease is
    taken and renewed by compare-and-set updates (channels_app.inventory.push), never by saving a
    loaded instance.
    """

    channel = models.OneToOneField(
        "channels_app.Channel",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stock_state",
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=80, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="A pass task is queued (at most one waits per channel)."
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "stock push state"

    def __str__(self) -> str:
        return f"stock {self.channel_id}: {self.last_summary or '-'}"


class HeldPassState(models.TextChoices):
    HELD = "held", "Held for confirmation"
    CONFIRMED = "confirmed", "Confirmed and pushed"
    DISCARDED = "discarded", "Discarded"


class HeldStockPass(models.Model):
    """A stock pass the drop guard held back: too many listings would have gone to 0 at once.

    `quantities` maps listing id -> the quantity computed then. Confirming pushes the listings
    again (recomputed at that moment); discarding leaves the channel as it is.
    """

    channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.CASCADE, related_name="held_stock_passes"
    )
    state = models.CharField(
        max_length=10, choices=HeldPassState.choices, default=HeldPassState.HELD, db_index=True
    )
    quantities = models.JSONField(default=dict, blank=True)
    to_zero = models.PositiveIntegerField(default=0, help_text="Listings that would go to 0.")
    active_listings = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel"],
                condition=models.Q(state="held"),
                name="uniq_held_pass_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.to_zero} to 0 ({self.get_state_display()})"


class StockReconcile(models.Model):
    """One comparison of what a channel shows with what we computed."""

    channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.CASCADE, related_name="stock_reconciles"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(
        default=0, help_text="Listings the channel did not report a quantity for."
    )
    differences = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.channel} {self.started_at:%Y-%m-%d %H:%M}: {self.differences} difference(s)"


class DifferenceState(models.TextChoices):
    OPEN = "open", "Open"
    FIXING = "fixing", "Fix requested"
    FIXED = "fixed", "Fixed"


class StockDifference(models.Model):
    """A listing whose channel quantity differed from ours at a reconcile."""

    reconcile = models.ForeignKey(
        StockReconcile, on_delete=models.CASCADE, related_name="difference_rows"
    )
    listing = models.ForeignKey(
        "channels_app.Listing", on_delete=models.CASCADE, related_name="stock_differences"
    )
    computed = models.IntegerField(help_text="What we computed.")
    shown = models.IntegerField(help_text="What the channel showed.")
    last_pushed = models.IntegerField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=DifferenceState.choices, default=DifferenceState.OPEN, db_index=True
    )
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["listing__sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["reconcile", "listing"], name="uniq_difference_per_reconcile"
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing}: shows {self.shown}, ours {self.computed}"
