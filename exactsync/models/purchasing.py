"""Purchase orders (ours and Exact's), goods received, goods sold."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from .base import Mirrored


class Origin(models.TextChoices):
    HERE = "here", "Placed here"
    EXACT = "exact", "Typed in Exact"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PLACED = "placed", "Placed"
    OPEN = "open", "Open in Exact"
    PARTIAL = "partial", "Partly received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


class WriteState(models.TextChoices):
    """Where an order's write to Exact stands."""

    NOT_SENT = "not_sent", "Not sent"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "In Exact"
    FAILED = "failed", "Failed"
    MANUAL = "manual", "Entered by hand in Exact"
    NOT_APPLICABLE = "n/a", "Read from Exact"


class PurchaseOrder(Mirrored):
    """A purchase order: placed here and written to Exact, or typed in Exact and read back."""

    number = models.CharField(
        max_length=30, blank=True, help_text="Our number, sent to Exact as YourRef."
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.HERE)
    supplier = models.ForeignKey(
        "exactsync.Account",
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        limit_choices_to={"is_supplier": True},
    )
    warehouse = models.ForeignKey(
        "exactsync.Warehouse", null=True, blank=True, on_delete=models.PROTECT
    )
    order_date = models.DateField(null=True, blank=True)
    receipt_date = models.DateField("Expected receipt date", null=True, blank=True)
    description = models.CharField(max_length=200, blank=True)
    your_ref = models.CharField("YourRef in Exact", max_length=60, blank=True, db_index=True)
    external_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text="The reference of the system that sent this order (API), for idempotency.",
    )
    status = models.CharField(
        max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT
    )
    write_state = models.CharField(
        max_length=20, choices=WriteState.choices, default=WriteState.NOT_SENT
    )
    exact_order_number = models.PositiveIntegerField(
        "Exact order number", null=True, blank=True, db_index=True
    )
    exact_status = models.PositiveSmallIntegerField(null=True, blank=True)
    exact_receipt_status = models.PositiveSmallIntegerField(null=True, blank=True)
    problems = models.JSONField(default=list, blank=True, help_text="Why the order cannot be sent.")
    placed_at = models.DateTimeField(null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    not_arrived_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "number"], name="uniq_po_number", condition=~Q(number="")
            ),
            models.UniqueConstraint(
                fields=["connection", "exact_id"],
                name="uniq_po_exact_id",
                condition=Q(exact_id__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["connection", "external_reference"],
                name="uniq_po_external_ref",
                condition=~Q(external_reference=""),
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return self.number
        return f"Exact {self.exact_order_number}" if self.exact_order_number else f"PO #{self.pk}"


class PurchaseOrderLine(models.Model):
    """A line: quantity in the product's own unit, and in purchase units for Exact."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "exactsync.Product", on_delete=models.PROTECT, related_name="purchase_lines"
    )
    quantity = models.DecimalField(
        max_digits=14, decimal_places=4, help_text="In the product's own unit."
    )
    quantity_purchase_units = models.DecimalField(
        max_digits=14, decimal_places=4, default=Decimal("0")
    )
    unit_price = models.DecimalField(
        "Price per purchase unit", max_digits=14, decimal_places=4, null=True, blank=True
    )
    received_quantity = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    exact_id = models.UUIDField(null=True, blank=True)
    line_number = models.PositiveIntegerField(default=0)
    raw = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["order", "line_number", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.product.code} x {self.quantity.normalize():f}"

    @property
    def open_quantity(self) -> Decimal:
        return max(Decimal("0"), self.quantity - self.received_quantity)


class GoodsReceiptLine(Mirrored):
    """A booked-in receipt line from Exact."""

    receipt_exact_id = models.UUIDField(null=True, blank=True)
    receipt_number = models.PositiveIntegerField(null=True, blank=True)
    receipt_date = models.DateField(null=True, blank=True, db_index=True)
    product = models.ForeignKey(
        "exactsync.Product", on_delete=models.CASCADE, related_name="receipts"
    )
    warehouse = models.ForeignKey(
        "exactsync.Warehouse", null=True, blank=True, on_delete=models.SET_NULL
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="receipt_lines",
    )
    purchase_order_number = models.PositiveIntegerField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)

    class Meta:
        verbose_name = "goods received line"
        ordering = ["-receipt_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "exact_id"], name="uniq_receipt_line")
        ]

    def __str__(self) -> str:
        return f"Receipt {self.receipt_number}: {self.product.code} x {self.quantity.normalize():f}"


class SalesLine(models.Model):
    """A quantity sold of one product on one day, from one Exact source line.

    Keyed on the source line so a re-read never double counts. Kit sales are stored twice: once
    for the kit, and once per component (`exploded_from` = the kit) with component qty x kit qty.
    """

    connection = models.ForeignKey("exactsync.ExactConnection", on_delete=models.CASCADE)
    source_id = models.UUIDField(help_text="Exact id of the delivery, order or invoice line.")
    source_kind = models.CharField(max_length=20, default="deliveries")
    document_number = models.PositiveIntegerField(null=True, blank=True)
    product = models.ForeignKey(
        "exactsync.Product", on_delete=models.CASCADE, related_name="sales_lines"
    )
    exploded_from = models.ForeignKey(
        "exactsync.Product",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exploded_sales_lines",
    )
    date = models.DateField(db_index=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "goods sold line"
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "source_id", "product"],
                name="uniq_sales_line_direct",
                condition=Q(exploded_from__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["connection", "source_id", "product", "exploded_from"],
                name="uniq_sales_line_exploded",
                condition=Q(exploded_from__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.product.code} x {self.quantity.normalize():f}"
