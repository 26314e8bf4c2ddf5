"""Admin for the catalogue mirror: products, suppliers, supplier links (MOQ, order per), stock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Mod
from django.http import HttpRequest
from django.utils.html import format_html
from import_export.admin import ExportMixin

from exactsync.imports.product_suppliers import COLUMN_HELP, COLUMNS, ProductSupplierResource
from exactsync.models import (
    Account,
    BomLine,
    Customer,
    Product,
    ProductSupplier,
    ShippingMethod,
    Source,
    StockLevel,
    Supplier,
    VatCode,
    Warehouse,
    record_activity,
)
from exactsync.services.provenance import mark_manual_changes

from .base import ActiveFilter, ReadOnlyAdmin, TimelineMixin, badge, pretty_json
from .imports import BackgroundImportMixin

STAFF_FIELDS = (
    "supplier_item_code",
    "purchase_price",
    "currency",
    "order_per",
    "purchase_unit",
    "moq",
    "lead_time_days",
    "is_main_supplier",
)


class ProductSupplierInline(admin.TabularInline):
    model = ProductSupplier
    extra = 0
    fields = (
        "supplier",
        "supplier_item_code",
        "purchase_price",
        "currency",
        "order_per",
        "purchase_unit",
        "moq",
        "moq_flag",
        "lead_time_days",
        "is_main_supplier",
        "provenance",
    )
    readonly_fields = ("moq_flag", "provenance")
    autocomplete_fields = ("supplier",)
    verbose_name_plural = "Suppliers (order per, MOQ, lead time)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProductSupplier]:
        return super().get_queryset(request).select_related("supplier", "product")

    @admin.display(description="MOQ check")
    def moq_flag(self, obj: ProductSupplier) -> str:
        return _moq_flag(obj)

    @admin.display(description="Set")
    def provenance(self, obj: ProductSupplier) -> str:
        return _provenance(obj)


class StockLevelInline(admin.TabularInline):
    model = StockLevel
    extra = 0
    can_delete = False
    fields = (
        "warehouse",
        "current",
        "reserved",
        "free",
        "planning_in",
        "planning_out",
        "projected",
        "synced_at",
    )
    readonly_fields = fields
    verbose_name_plural = "Stock per warehouse"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BomLineInline(admin.TabularInline):
    model = BomLine
    fk_name = "kit"
    extra = 0
    can_delete = False
    fields = ("component", "quantity", "kind", "line_number")
    readonly_fields = fields
    verbose_name_plural = "Bill of material (components)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(TimelineMixin, admin.ModelAdmin):
    change_form_template = "admin/exactsync/product/change_form.html"
    list_display = (
        "code",
        "ean",
        "description",
        "unit",
        "is_purchase_item",
        "is_sales_item",
        "is_kit",
        "end_date",
        "active_badge",
        "free_total",
    )
    list_filter = (ActiveFilter, "is_purchase_item", "is_sales_item", "is_kit", "connection")
    search_fields = ("code", "ean", "description")
    show_full_result_count = False
    list_per_page = 50
    inlines = (ProductSupplierInline, StockLevelInline, BomLineInline)
    readonly_fields = (
        "connection",
        "code",
        "ean",
        "description",
        "unit",
        "unit_description",
        "is_purchase_item",
        "is_sales_item",
        "is_stock_item",
        "is_kit",
        "start_date",
        "end_date",
        "is_active",
        "deleted_in_exact",
        "sales_price",
        "sales_vat_code",
        "exact_id",
        "exact_timestamp",
        "synced_at",
        "stock_total",
        "channel_availability",
        "raw_json",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "ean",
                    "description",
                    "unit",
                    "is_active",
                    "end_date",
                    "stock_total",
                    "channel_availability",
                )
            },
        ),
        (
            "Exact",
            {
                "classes": ("collapse",),
                "fields": (
                    "connection",
                    "unit_description",
                    "is_purchase_item",
                    "is_sales_item",
                    "is_stock_item",
                    "is_kit",
                    "start_date",
                    "deleted_in_exact",
                    "sales_price",
                    "sales_vat_code",
                    "exact_id",
                    "exact_timestamp",
                    "synced_at",
                    "raw_json",
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).annotate(_free_total=Sum("stock_levels__free"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # products come from Exact

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is kept; retire a product by end-dating it in Exact

    @admin.display(description="Active", boolean=False, ordering="is_active")
    def active_badge(self, obj: Product) -> str:
        return badge("active", "ok") if obj.is_active else badge("inactive", "muted")

    @admin.display(description="Free stock", ordering="_free_total")
    def free_total(self, obj: Product) -> Decimal | str:
        total = getattr(obj, "_free_total", None)
        return "-" if total is None else total.normalize()

    @admin.display(description="Stock (all warehouses)")
    def stock_total(self, obj: Product) -> str:
        totals = obj.stock_levels.aggregate(
            current=Sum("current"),
            free=Sum("free"),
            reserved=Sum("reserved"),
            planning_in=Sum("planning_in"),
            planning_out=Sum("planning_out"),
        )
        if totals["current"] is None:
            return "no stock positions"
        return (
            "in stock {current:f} · free {free:f} · reserved {reserved:f} · planned in {planning_in:f} · "
            "planned out {planning_out:f}"
        ).format(**{k: v.normalize() for k, v in totals.items()})

    @admin.display(description="Offered on the channels")
    def channel_availability(self, obj: Product) -> str:
        from channels_app.admin.stock import product_availability_url

        return format_html(
            '<a href="{}">quantity per channel, and how it is computed</a>',
            product_availability_url(obj.pk),
        )

    @admin.display(description="Last payload from Exact")
    def raw_json(self, obj: Product) -> str:
        return pretty_json(obj.raw)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is ProductSupplier:
            for inline_form in formset.forms:
                instance = inline_form.instance
                if inline_form.has_changed() and not inline_form.cleaned_data.get("DELETE"):
                    if not instance.connection_id:
                        instance.connection_id = form.instance.connection_id
                    changed = mark_manual_changes(instance, inline_form.changed_data)
                    if changed:
                        record_activity(
                            "supplier_link.edited",
                            subject=form.instance,
                            actor=request.user,
                            message=f"{instance.supplier}: {', '.join(changed)}",
                        )
                    if instance.moq_misaligned:
                        messages.warning(
                            request,
                            f"MOQ {instance.moq.normalize():f} for {instance.supplier} is not a "
                            f"whole number of purchase units ({instance.order_per.normalize():f}).",
                        )
        super().save_formset(request, form, formset, change)


class MoqAlignmentFilter(admin.SimpleListFilter):
    title = "MOQ vs order per"
    parameter_name = "moq_alignment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("misaligned", "MOQ not a multiple of order per"), ("missing", "No MOQ")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "misaligned":
            return (
                queryset.filter(moq__isnull=False)
                .annotate(_rem=Mod(F("moq"), F("order_per")))
                .exclude(_rem=0)
            )
        if self.value() == "missing":
            return queryset.filter(moq__isnull=True)
        return queryset


class ProductActiveFilter(ActiveFilter):
    field_path = "product__is_active"
    title = "product active"


@admin.register(ProductSupplier)
class ProductSupplierAdmin(BackgroundImportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [ProductSupplierResource]
    import_export_change_list_template = "admin/exactsync/change_list_import_export.html"
    import_kind = "product_suppliers"
    import_columns = COLUMNS
    import_column_help = COLUMN_HELP
    import_title = "Import product-supplier links"

    list_display = (
        "product_code",
        "product_description",
        "supplier",
        "supplier_item_code",
        "purchase_price",
        "currency",
        "order_per",
        "purchase_unit",
        "moq",
        "moq_flag",
        "lead_time_days",
        "is_main_supplier",
        "provenance",
    )
    list_editable = ("order_per", "purchase_unit", "moq", "lead_time_days")
    list_display_links = ("product_code",)
    list_select_related = ("product", "supplier")
    list_filter = (
        ProductActiveFilter,
        "supplier",
        "moq_source",
        "order_per_source",
        "lead_time_source",
        MoqAlignmentFilter,
        "is_main_supplier",
        "connection",
    )
    search_fields = (
        "product__code",
        "product__ean",
        "product__description",
        "supplier__code",
        "supplier__name",
        "supplier_item_code",
    )
    search_help_text = "Product code, EAN, description, supplier code or name, supplier item code."
    show_full_result_count = False
    list_per_page = 100
    autocomplete_fields = ("product", "supplier")
    readonly_fields = (
        "in_exact",
        "exact_id",
        "moq_source",
        "order_per_source",
        "lead_time_source",
        "price_source",
        "synced_at",
        "raw_json",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "connection",
                    "product",
                    "supplier",
                    "supplier_item_code",
                    "is_main_supplier",
                )
            },
        ),
        (
            "Ordering",
            {
                "fields": (
                    "order_per",
                    "purchase_unit",
                    "purchase_unit_description",
                    "moq",
                    "lead_time_days",
                    "purchase_price",
                    "currency",
                )
            },
        ),
        (
            "Where the values came from",
            {
                "fields": (
                    "moq_source",
                    "order_per_source",
                    "lead_time_source",
                    "price_source",
                    "in_exact",
                    "exact_id",
                    "synced_at",
                )
            },
        ),
        ("Exact payload", {"classes": ("collapse",), "fields": ("raw_json",)}),
    )

    @admin.display(description="Product", ordering="product__code")
    def product_code(self, obj: ProductSupplier) -> str:
        return obj.product.code

    @admin.display(description="Description", ordering="product__description")
    def product_description(self, obj: ProductSupplier) -> str:
        return obj.product.description

    @admin.display(description="MOQ check")
    def moq_flag(self, obj: ProductSupplier) -> str:
        return _moq_flag(obj)

    @admin.display(description="Set")
    def provenance(self, obj: ProductSupplier) -> str:
        return _provenance(obj)

    @admin.display(description="Last payload from Exact")
    def raw_json(self, obj: ProductSupplier) -> str:
        return pretty_json(obj.raw)

    def save_model(
        self, request: HttpRequest, obj: ProductSupplier, form: Any, change: bool
    ) -> None:
        changed = mark_manual_changes(obj, form.changed_data)
        super().save_model(request, obj, form, change)
        if changed:
            record_activity(
                "supplier_link.edited",
                subject=obj.product,
                actor=request.user,
                message=f"{obj.supplier}: {', '.join(changed)}",
            )
        if obj.moq_misaligned:
            messages.warning(
                request,
                f"{obj}: MOQ {obj.moq.normalize():f} is not a whole number of purchase "
                f"units (order per {obj.order_per.normalize():f}).",
            )


def _moq_flag(obj: ProductSupplier) -> str:
    if obj.moq is None:
        return ""
    if obj.moq_misaligned:
        return badge(f"not a multiple of {obj.order_per.normalize():f}", "warn")
    return badge("ok", "ok")


def _provenance(obj: ProductSupplier) -> str:
    parts = []
    for label, value in (
        ("MOQ", obj.moq_source),
        ("order per", obj.order_per_source),
        ("lead time", obj.lead_time_source),
        ("price", obj.price_source),
    ):
        if value:
            parts.append(f"{label}: {Source(value).label.lower()}")
    return "; ".join(parts) or "-"


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """All accounts; hidden from the index (Suppliers and Customers are the working lists), but it
    serves the autocomplete of every account field."""

    search_fields = ("code", "name", "vat_number")
    list_display = ("code", "name", "is_supplier", "is_customer", "blocked")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "city", "country", "blocked", "purchase_lead_days", "email")
    list_filter = ("blocked", "country", "connection")
    search_fields = ("code", "name", "email", "vat_number")
    readonly_fields = ("raw_json",)

    @admin.display(description="Last payload from Exact")
    def raw_json(self, obj: Supplier) -> str:
        return pretty_json(obj.raw)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name",
        "city",
        "country",
        "vat_number",
        "coc_number",
        "email",
        "blocked",
        "created_here",
    )
    list_filter = ("blocked", "country", "created_here", "connection")
    search_fields = ("code", "name", "email", "vat_number", "coc_number")


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyAdmin):
    list_display = ("code", "description", "is_main", "connection")
    search_fields = ("code", "description")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = (
        "product",
        "warehouse",
        "current",
        "reserved",
        "free",
        "planning_in",
        "planning_out",
        "projected",
        "synced_at",
    )
    list_select_related = ("product", "warehouse")
    list_filter = ("warehouse", "connection")
    search_fields = ("product__code", "product__ean", "product__description")
    show_full_result_count = False


@admin.register(BomLine)
class BomLineAdmin(ReadOnlyAdmin):
    list_display = ("kit", "component", "quantity", "kind", "line_number")
    list_select_related = ("kit", "component")
    list_filter = ("kind", "connection")
    search_fields = ("kit__code", "component__code")


@admin.register(VatCode)
class VatCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "description", "percentage", "vat_type", "is_blocked", "connection")
    list_filter = ("is_blocked", "vat_type", "connection")
    search_fields = ("code", "description")


@admin.register(ShippingMethod)
class ShippingMethodAdmin(ReadOnlyAdmin):
    list_display = ("code", "description", "is_active", "connection")
    search_fields = ("code", "description")
