"""Products, accounts (suppliers and customers), supplier items, warehouses, stock, BOMs."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .base import Mirrored, Source


class ActiveProductManager(models.Manager["Product"]):
    def get_queryset(self) -> models.QuerySet[Product]:
        return super().get_queryset().filter(is_active=True)


class Product(Mirrored):
    """An Exact item. Active = a purchase item with no end date or an end date after today."""

    code = models.CharField(max_length=60, db_index=True)
    ean = models.CharField("EAN", max_length=30, blank=True, db_index=True)
    description = models.CharField(max_length=255, blank=True)
    unit = models.CharField(
        max_length=20, blank=True, default="pc", help_text="The item's own unit code."
    )
    unit_description = models.CharField(max_length=60, blank=True)
    is_purchase_item = models.BooleanField(default=True)
    is_sales_item = models.BooleanField(default=True)
    is_stock_item = models.BooleanField(default=True)
    is_kit = models.BooleanField(default=False, help_text="Has a bill of material.")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(
        default=True,
        db_index=True,
        help_text="A purchase item with no end date or one after today.",
    )
    is_sellable = models.BooleanField(
        default=True, help_text="A sales item with no end date or one after today."
    )
    deleted_in_exact = models.BooleanField(default=False)
    sales_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    sales_vat_code = models.CharField(max_length=10, blank=True)

    objects = models.Manager()
    active = ActiveProductManager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "code"], name="uniq_product_code"),
            models.UniqueConstraint(
                fields=["connection", "exact_id"],
                name="uniq_product_exact_id",
                condition=Q(exact_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()

    @staticmethod
    def compute_active(
        *, is_purchase_item: bool, end_date: object, deleted: bool, today: object | None = None
    ) -> bool:
        """The rule: a purchase item whose end date is empty or after today, not deleted."""
        today = today or timezone.localdate()
        return bool(is_purchase_item) and not deleted and (end_date is None or end_date > today)  # type: ignore[operator]

    @staticmethod
    def compute_sellable(
        *, is_sales_item: bool, end_date: object, deleted: bool, today: object | None = None
    ) -> bool:
        today = today or timezone.localdate()
        return bool(is_sales_item) and not deleted and (end_date is None or end_date > today)  # type: ignore[operator]


class Account(Mirrored):
    """An Exact account. One account can be a supplier and a customer at once."""

    code = models.CharField(
        max_length=18, db_index=True, help_text="Exact's code, without padding."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    vat_number = models.CharField("VAT number", max_length=40, blank=True, db_index=True)
    coc_number = models.CharField("Chamber of commerce number", max_length=40, blank=True)
    address = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    is_supplier = models.BooleanField(default=False, db_index=True)
    is_customer = models.BooleanField(default=False, db_index=True)
    blocked = models.BooleanField(default=False)
    status = models.CharField(
        max_length=2, blank=True, help_text="Exact customer status (C, P, S, A)."
    )
    purchase_lead_days = models.PositiveIntegerField(null=True, blank=True)
    purchase_currency = models.CharField(max_length=3, blank=True)
    created_here = models.BooleanField(
        default=False, help_text="Created in Exact by this back-office."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "code"], name="uniq_account_code"),
            models.UniqueConstraint(
                fields=["connection", "exact_id"],
                name="uniq_account_exact_id",
                condition=Q(exact_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierManager(models.Manager["Supplier"]):
    def get_queryset(self) -> models.QuerySet[Supplier]:
        return super().get_queryset().filter(is_supplier=True)


class CustomerManager(models.Manager["Customer"]):
    def get_queryset(self) -> models.QuerySet[Customer]:
        return super().get_queryset().filter(is_customer=True)


class Supplier(Account):
    """Accounts flagged IsSupplier in Exact."""

    objects = SupplierManager()

    class Meta:
        proxy = True


class Customer(Account):
    """Accounts that are customers in Exact (a Status is set)."""

    objects = CustomerManager()

    class Meta:
        proxy = True


def _positive(value: Decimal) -> None:
    if value is not None and value <= 0:
        raise ValidationError("must be greater than 0")


class ProductSupplier(models.Model):
    """A supplier item: what one supplier sells us of one product, in which unit, at what price.

    `order_per` is the number of the product's own units in one purchase unit (Exact's
    PurchaseUnitFactor): order per 12 "box" means we buy in boxes of 12. `moq` is in the product's
    own units. MOQ, order per, lead time and price remember where their value came from.
    """

    connection = models.ForeignKey("exactsync.ExactConnection", on_delete=models.CASCADE)
    exact_id = models.UUIDField("Exact ID", null=True, blank=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="supplier_links")
    supplier = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="supplied_products",
        limit_choices_to={"is_supplier": True},
    )
    supplier_item_code = models.CharField(max_length=60, blank=True)
    purchase_price = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Price per purchase unit (the supplier item's purchase price, never the cost price).",
    )
    currency = models.CharField(max_length=3, default="EUR")
    purchase_unit = models.CharField(
        max_length=20, blank=True, default="", help_text="Unit code, e.g. 'box'."
    )
    purchase_unit_description = models.CharField(max_length=60, blank=True)
    order_per = models.DecimalField(
        "Order per",
        max_digits=12,
        decimal_places=4,
        default=Decimal("1"),
        validators=[_positive],
        help_text="Product units in one purchase unit.",
    )
    moq = models.DecimalField(
        "MOQ",
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[_positive],
        help_text="Minimum order quantity, in the product's own units.",
    )
    lead_time_days = models.PositiveIntegerField(
        "Lead time (days)", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    is_main_supplier = models.BooleanField("Main supplier", default=False)
    moq_source = models.CharField(
        "MOQ from", max_length=10, choices=Source.choices, blank=True, default=""
    )
    order_per_source = models.CharField(
        "Order per from", max_length=10, choices=Source.choices, blank=True, default=""
    )
    lead_time_source = models.CharField(
        "Lead time from", max_length=10, choices=Source.choices, blank=True, default=""
    )
    price_source = models.CharField(
        "Price from", max_length=10, choices=Source.choices, blank=True, default=""
    )
    in_exact = models.BooleanField(default=False, help_text="Exists as a supplier item in Exact.")
    exact_timestamp = models.BigIntegerField(null=True, blank=True, editable=False)
    raw = models.JSONField(default=dict, blank=True, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "product supplier"
        ordering = ["product__code", "supplier__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "supplier"], name="uniq_product_supplier"),
            models.UniqueConstraint(
                fields=["connection", "exact_id"],
                name="uniq_supplier_item_exact_id",
                condition=Q(exact_id__isnull=False),
            ),
            models.CheckConstraint(condition=Q(order_per__gt=0), name="order_per_positive"),
            models.CheckConstraint(
                condition=Q(moq__isnull=True) | Q(moq__gt=0), name="moq_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} @ {self.supplier.code}"

    @property
    def moq_misaligned(self) -> bool:
        """A MOQ that is not a whole number of purchase units (allowed, but flagged)."""
        return bool(self.moq and self.order_per and self.moq % self.order_per != 0)

    @property
    def order_per_label(self) -> str:
        unit = self.purchase_unit_description or self.purchase_unit or self.product.unit
        return (
            f"{self.order_per.normalize():f} ({unit})"
            if unit
            else f"{self.order_per.normalize():f}"
        )


class Warehouse(Mirrored):
    """An Exact warehouse."""

    code = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True)
    is_main = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "code"], name="uniq_warehouse_code"),
            models.UniqueConstraint(
                fields=["connection", "exact_id"],
                name="uniq_warehouse_exact_id",
                condition=Q(exact_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()


class StockLevel(Mirrored):
    """Stock of one product in one warehouse, as Exact reports it (free stock included)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock_levels")
    current = models.DecimalField("In stock", max_digits=14, decimal_places=4, default=Decimal("0"))
    reserved = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    free = models.DecimalField("Free stock", max_digits=14, decimal_places=4, default=Decimal("0"))
    planning_in = models.DecimalField(
        "Planned in", max_digits=14, decimal_places=4, default=Decimal("0")
    )
    planning_out = models.DecimalField(
        "Planned out", max_digits=14, decimal_places=4, default=Decimal("0")
    )
    projected = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    reorder_point = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = "stock level"
        ordering = ["product__code", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="uniq_stock_product_warehouse"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} @ {self.warehouse.code}"


class BomKind(models.TextChoices):
    ASSEMBLY = "assembly", "Assembly (kit)"
    MANUFACTURING = "manufacturing", "Manufacturing"


class BomLine(models.Model):
    """One component of a kit: `quantity` of `component` per one `kit`."""

    connection = models.ForeignKey("exactsync.ExactConnection", on_delete=models.CASCADE)
    exact_id = models.UUIDField("Exact ID", null=True, blank=True)
    kit = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bom_lines")
    component = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="used_in")
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    kind = models.CharField(max_length=20, choices=BomKind.choices, default=BomKind.ASSEMBLY)
    line_number = models.PositiveIntegerField(default=0)
    exact_timestamp = models.BigIntegerField(null=True, blank=True, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "bill of material line"
        ordering = ["kit__code", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component", "kind"], name="uniq_bom_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kit.code}: {self.quantity.normalize():f} x {self.component.code}"


class VatCode(Mirrored):
    """An Exact VAT code; `percentage` is a percentage (21.00), not Exact's fraction."""

    code = models.CharField(max_length=10)
    description = models.CharField(max_length=200, blank=True)
    percentage = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))
    vat_type = models.CharField(
        max_length=1, blank=True, help_text="E excl., I incl., N none, B base."
    )
    transaction_type = models.CharField(max_length=1, blank=True)
    is_blocked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "VAT code"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["connection", "code"], name="uniq_vat_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()

    @property
    def includes_vat(self) -> bool:
        return self.vat_type == "I"


class ShippingMethod(Mirrored):
    """An Exact shipping method (sales/ShippingMethods)."""

    code = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    tracking_url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "code"], name="uniq_shipping_method")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()
