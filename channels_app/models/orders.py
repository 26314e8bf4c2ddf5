"""Channel orders and their lines, the stock-hold ledger, shipments and stock pushes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class OrderState(models.TextChoices):
    """Where an order stands on its way to Exact (the channel's own status is kept separately)."""

    RECEIVED = "received", "Received"
    NEEDS_MAPPING = "needs_mapping", "Needs mapping (unknown listing)"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    QUEUED = "queued", "Queued for Exact"
    FORWARDED = "forwarded", "In Exact"
    SHADOW = "shadow", "Shadow (shown, not sent)"
    NOT_FORWARDED = "kept_here", "Kept here (forwarding off)"
    FAILED = "failed", "Write to Exact failed"
    CANCELLED = "cancelled", "Cancelled"
    MARKETPLACE = "marketplace", "Fulfilled by the marketplace"
    MANUAL = "manual", "Entered by hand in Exact"


class ChannelOrder(models.Model):
    """An order from a channel, stored once per channel and channel order id."""

    channel = models.ForeignKey(
        "channels_app.Channel", on_delete=models.CASCADE, related_name="orders"
    )
    external_id = models.CharField(max_length=120)
    number = models.CharField(max_length=120, db_index=True)
    channel_status = models.CharField(max_length=60, blank=True)
    state = models.CharField(
        max_length=20, choices=OrderState.choices, default=OrderState.RECEIVED, db_index=True
    )
    placed_at = models.DateTimeField(db_index=True)
    channel_updated_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    shipping_incl = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    shipping_vat_rate = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    discount_incl = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    fees_incl = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_email = models.CharField(max_length=200, blank=True)
    buyer_company = models.CharField(max_length=200, blank=True)
    buyer_vat_number = models.CharField(max_length=40, blank=True)
    buyer_coc_number = models.CharField(max_length=40, blank=True)
    buyer_reference = models.CharField(max_length=120, blank=True)
    delivery_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="Delivery country.")
    marketplace_fulfilled = models.BooleanField(default=False)
    cancelled = models.BooleanField(default=False)
    cancellation_requested = models.BooleanField(default=False)
    ship_by = models.DateTimeField(null=True, blank=True, db_index=True)
    raw = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    preview = models.JSONField(
        default=dict, blank=True, help_text="The sales order that would be sent."
    )
    exact_customer = models.ForeignKey(
        "exactsync.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    exact_sales_order_id = models.UUIDField(null=True, blank=True)
    exact_order_number = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="uniq_channel_order")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.number}"

    @property
    def your_ref(self) -> str:
        """What goes into Exact's YourRef: the channel's order number."""
        return self.number[:60]


class ChannelOrderLine(models.Model):
    order = models.ForeignKey(ChannelOrder, on_delete=models.CASCADE, related_name="lines")
    external_line_id = models.CharField(max_length=120)
    listing = models.ForeignKey(
        "channels_app.Listing",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    product = models.ForeignKey(
        "exactsync.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="channel_order_lines",
    )
    listing_external_id = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=120, blank=True)
    ean = models.CharField(max_length=30, blank=True)
    title = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    quantity_cancelled = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)
    unit_price_incl = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    unit_price_excl = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    vat_rate = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    marketplace_fulfilled = models.BooleanField(default=False)
    exact_line_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "external_line_id"], name="uniq_order_line")
        ]

    def __str__(self) -> str:
        return f"{self.sku or self.ean or self.listing_external_id} x {self.quantity}"

    @property
    def open_quantity(self) -> int:
        return max(0, self.quantity - self.quantity_cancelled)


class StockHold(models.Model):
    """The reservation ledger: units sold on a channel but not yet visible in Exact."""

    order = models.ForeignKey(ChannelOrder, on_delete=models.CASCADE, related_name="holds")
    line = models.ForeignKey(ChannelOrderLine, on_delete=models.CASCADE, related_name="holds")
    product = models.ForeignKey("exactsync.Product", on_delete=models.CASCADE, related_name="holds")
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)
    release_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["line", "product"],
                name="uniq_open_hold",
                condition=Q(released_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.product_id} x {self.quantity}"


class ShipmentSource(models.TextChoices):
    EXACT = "exact", "Exact goods delivery"
    MANUAL = "manual", "Entered in the admin"
    CSV = "csv", "CSV upload"
    API = "api", "Shipping tool (API)"


class ShipmentState(models.TextChoices):
    PENDING = "pending", "To confirm"
    BLOCKED = "blocked", "Blocked (fix and retry)"
    CONFIRMING = "confirming", "Confirming"
    CONFIRMED = "confirmed", "Confirmed on the channel"
    FAILED = "failed", "Refused by the channel"
    SKIPPED = "skipped", "Not confirmed (fulfilment off)"


class Shipment(models.Model):
    """A shipment of (part of) a channel order, with carrier and tracking."""

    order = models.ForeignKey(ChannelOrder, on_delete=models.CASCADE, related_name="shipments")
    source = models.CharField(
        max_length=10, choices=ShipmentSource.choices, default=ShipmentSource.MANUAL
    )
    exact_delivery_id = models.UUIDField(null=True, blank=True)
    exact_delivery_number = models.PositiveIntegerField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    channel_carrier_code = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=120, blank=True)
    tracking_url = models.CharField(max_length=300, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=ShipmentState.choices, default=ShipmentState.PENDING, db_index=True
    )
    error = models.TextField(blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "exact_delivery_id"],
                name="uniq_shipment_delivery",
                condition=Q(exact_delivery_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} {self.carrier} {self.tracking_number}".strip()


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        ChannelOrderLine, on_delete=models.CASCADE, related_name="shipment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="uniq_shipment_line")
        ]

    def __str__(self) -> str:
        return f"{self.order_line} x {self.quantity}"


class StockPush(models.Model):
    """One quantity sent to one listing: what, when, and what the channel said."""

    listing = models.ForeignKey(
        "channels_app.Listing", on_delete=models.CASCADE, related_name="pushes"
    )
    quantity = models.IntegerField()
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    reason = models.CharField(max_length=40, blank=True, help_text="change, full, reconcile, retry")
    computed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the quantity was computed."
    )
    pushed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-pushed_at"]

    def __str__(self) -> str:
        return f"{self.listing} := {self.quantity}"
