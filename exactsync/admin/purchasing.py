"""Admin for purchase orders (ours and Exact's), goods received and goods sold."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from exactsync import purchasing
from exactsync.imports.purchase_orders import COLUMN_HELP, COLUMNS
from exactsync.models import (
    GoodsReceiptLine,
    Origin,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesLine,
    WriteState,
)

from .base import ReadOnlyAdmin, TimelineMixin, badge, pretty_json
from .imports import BackgroundImportMixin

WRITE_TONE = {
    WriteState.SENT: "ok",
    WriteState.MANUAL: "ok",
    WriteState.NOT_APPLICABLE: "muted",
    WriteState.FAILED: "bad",
    WriteState.QUEUED: "warn",
    WriteState.SENDING: "warn",
    WriteState.NOT_SENT: "muted",
}


class PurchaseOrderLineForm(forms.ModelForm):
    class Meta:
        model = PurchaseOrderLine
        fields = ["product", "quantity", "unit_price"]

    def clean_quantity(self) -> Any:
        quantity = self.cleaned_data["quantity"]
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError("The quantity must be more than 0.")
        return quantity


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    form = PurchaseOrderLineForm
    extra = 1
    fields = ("product", "quantity", "purchase_units", "advice", "unit_price", "received_quantity")
    readonly_fields = ("purchase_units", "advice", "received_quantity")
    autocomplete_fields = ("product",)
    verbose_name_plural = "Lines (quantity in the product's own unit)"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == PurchaseOrderStatus.DRAFT
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and (
            obj is None or obj.status == PurchaseOrderStatus.DRAFT
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == PurchaseOrderStatus.DRAFT
        )

    @admin.display(description="In purchase units")
    def purchase_units(self, line: PurchaseOrderLine) -> str:
        if not line.pk:
            return ""
        advice = purchasing.line_advice(line)
        return f"{advice.purchase_units.normalize():f} x {advice.unit or line.product.unit} of {advice.order_per.normalize():f}"

    @admin.display(description="Check")
    def advice(self, line: PurchaseOrderLine) -> str:
        if not line.pk:
            return ""
        advice = purchasing.line_advice(line)
        if not advice.flags:
            return badge("ok", "ok")
        return format_html(
            "{} {}",
            badge("; ".join(advice.flags), "warn"),
            f"suggested: {advice.suggestion.normalize():f}" if advice.suggestion else "",
        )


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(TimelineMixin, BackgroundImportMixin, admin.ModelAdmin):
    import_export_change_list_template = None
    change_list_template = "admin/exactsync/change_list_import.html"
    change_form_template = "admin/exactsync/purchaseorder/change_form.html"
    import_kind = "purchase_orders"
    import_columns = COLUMNS
    import_column_help = COLUMN_HELP
    import_title = "Import purchase orders"

    list_display = (
        "__str__",
        "origin",
        "supplier",
        "warehouse",
        "order_date",
        "receipt_date",
        "status",
        "write_badge",
        "exact_order_number",
        "problem_summary",
    )
    list_filter = ("origin", "status", "write_state", "supplier", "connection")
    list_select_related = ("supplier", "warehouse")
    search_fields = ("number", "your_ref", "exact_order_number", "supplier__code", "supplier__name")
    date_hierarchy = "order_date"
    inlines = (PurchaseOrderLineInline,)
    autocomplete_fields = ("supplier",)
    actions = ("place_orders", "apply_suggestions")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "connection",
                    "supplier",
                    "warehouse",
                    "order_date",
                    "receipt_date",
                    "description",
                )
            },
        ),
        (
            "Status",
            {
                "fields": (
                    "number",
                    "origin",
                    "status",
                    "write_state",
                    "problems_list",
                    "exact_order_number",
                    "placed_at",
                    "placed_by",
                    "sent_at",
                    "last_error",
                    "not_arrived_flagged_at",
                )
            },
        ),
        (
            "Exact",
            {
                "classes": ("collapse",),
                "fields": ("exact_id", "exact_status", "exact_receipt_status", "raw_json"),
            },
        ),
    )
    readonly_fields = (
        "number",
        "origin",
        "status",
        "write_state",
        "problems_list",
        "exact_id",
        "exact_order_number",
        "exact_status",
        "exact_receipt_status",
        "placed_at",
        "placed_by",
        "sent_at",
        "last_error",
        "not_arrived_flagged_at",
        "raw_json",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != PurchaseOrderStatus.DRAFT:
            fields += [
                "connection",
                "supplier",
                "warehouse",
                "order_date",
                "receipt_date",
                "description",
            ]
        return fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        from exactsync.models import ExactConnection

        initial = super().get_changeform_initial_data(request)
        only = ExactConnection.objects.filter(is_active=True)
        if only.count() == 1:
            initial.setdefault("connection", only.first().pk)
        return initial

    @admin.display(description="Write to Exact", ordering="write_state")
    def write_badge(self, obj: PurchaseOrder) -> str:
        return badge(obj.get_write_state_display(), WRITE_TONE.get(obj.write_state, "muted"))

    @admin.display(description="Problems")
    def problem_summary(self, obj: PurchaseOrder) -> str:
        return badge(f"{len(obj.problems)} problem(s)", "bad") if obj.problems else ""

    @admin.display(description="Why it cannot be sent")
    def problems_list(self, obj: PurchaseOrder) -> str:
        if not obj.problems:
            return "-"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in obj.problems))
        )

    @admin.display(description="Last payload from Exact")
    def raw_json(self, obj: PurchaseOrder) -> str:
        return pretty_json(obj.raw)

    def save_model(self, request: HttpRequest, obj: PurchaseOrder, form: Any, change: bool) -> None:
        if not change:
            obj.origin = Origin.HERE
        super().save_model(request, obj, form, change)

    def response_change(self, request: HttpRequest, obj: PurchaseOrder) -> HttpResponse:
        if "_place" in request.POST:
            self._place(request, obj)
            return HttpResponseRedirect(request.path)
        if "_round" in request.POST:
            changed = purchasing.apply_suggestions(obj, user=request.user)
            self.message_user(request, f"{changed} line(s) rounded to the suggested quantity.")
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(
        self, request: HttpRequest, obj: PurchaseOrder, post_url_continue: str | None = None
    ) -> HttpResponse:
        if "_place" in request.POST:
            self._place(request, obj)
            return HttpResponseRedirect(f"../{obj.pk}/change/")
        return super().response_add(request, obj, post_url_continue)

    def _place(self, request: HttpRequest, obj: PurchaseOrder) -> None:
        problems = purchasing.place(obj, user=request.user)
        obj.refresh_from_db()
        if problems:
            self.message_user(
                request, f"{obj} stays a draft: " + " ".join(problems), messages.ERROR
            )
        elif obj.write_state == WriteState.NOT_SENT:
            self.message_user(
                request,
                f"{obj} placed. Writing to Exact is switched off: it stays here, not sent.",
                messages.WARNING,
            )
        else:
            self.message_user(request, f"{obj} placed and queued for Exact.")

    @admin.action(
        description="Place selected orders (check, then write to Exact)", permissions=["change"]
    )
    def place_orders(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        placed = failed = 0
        for order in queryset.filter(status=PurchaseOrderStatus.DRAFT):
            if purchasing.place(order, user=request.user):
                failed += 1
            else:
                placed += 1
        self.message_user(
            request,
            f"{placed} placed, {failed} kept as draft with the reasons listed.",
            messages.WARNING if failed else messages.SUCCESS,
        )

    @admin.action(
        description="Round quantities to the suggestion (order per, MOQ)", permissions=["change"]
    )
    def apply_suggestions(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        changed = sum(
            purchasing.apply_suggestions(o, user=request.user)
            for o in queryset.filter(status=PurchaseOrderStatus.DRAFT)
        )
        self.message_user(request, f"{changed} line(s) rounded.")


@admin.register(GoodsReceiptLine)
class GoodsReceiptLineAdmin(ReadOnlyAdmin):
    list_display = (
        "receipt_number",
        "receipt_date",
        "product",
        "quantity",
        "warehouse",
        "purchase_order_number",
    )
    list_select_related = ("product", "warehouse")
    list_filter = ("warehouse", "connection")
    search_fields = ("product__code", "product__ean", "receipt_number", "purchase_order_number")
    date_hierarchy = "receipt_date"
    show_full_result_count = False


@admin.register(SalesLine)
class SalesLineAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "product",
        "quantity",
        "exploded_from",
        "source_kind",
        "document_number",
    )
    list_select_related = ("product", "exploded_from")
    list_filter = ("source_kind", ("exploded_from", admin.EmptyFieldListFilter), "connection")
    search_fields = ("product__code", "product__ean", "exploded_from__code")
    date_hierarchy = "date"
    show_full_result_count = False
