"""Where a channel's order polling stands: its cursor, a lease (one poll at a time), the outcome."""

from __future__ import annotations

from django.db import models


class ChannelPoll(models.Model):
    """The order-polling state of one channel.

    Kept apart from Channel so that saving the channel page never writes an old cursor back, and
    the poller never overwrites what staff just saved. The lease is taken and renewed by
    compare-and-set updates (see channels_app.intake), never by saving a loaded instance.
    """

    channel = models.OneToOneField(
        "channels_app.Channel", on_delete=models.CASCADE, primary_key=True, related_name="poll"
    )
    cursor = models.TextField(blank=True, help_text="The channel's resume point (opaque).")
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=80, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "order poll"

    def __str__(self) -> str:
        return f"poll {self.channel_id} @ {self.cursor or '-'}"
