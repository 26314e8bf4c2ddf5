"""Admin for channel orders (lines, holds, problems, raw payload, timeline) and shipments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join

from channels_app.models import (
    ChannelOrder,
    ChannelOrderLine,
    OrderState,
    StockHold,
)
from exactsync.admin.base import ReadOnlyAdmin, badge, pretty_json, timeline_of

STATE_TONES = {
    OrderState.RECEIVED: "muted",
    OrderState.NEEDS_MAPPING: "bad",
    OrderState.NEEDS_ATTENTION: "bad",
    OrderState.FAILED: "bad",
    OrderState.FORWARDED: "ok",
    OrderState.MANUAL: "ok",
    OrderState.CANCELLED: "muted",
}


class NeedsMappingFilter(admin.SimpleListFilter):
    title = "needs mapping"
    parameter_name = "needs_mapping"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes (a line has no linked listing)"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(state=OrderState.NEEDS_MAPPING)
        if self.value() == "no":
            return queryset.exclude(state=OrderState.NEEDS_MAPPING)
        return queryset


class ForwardedFilter(admin.SimpleListFilter):
    title = "in Exact"
    parameter_name = "forwarded"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Forwarded (has an Exact order number)"), ("no", "Not forwarded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(exact_order_number__isnull=False)
        if self.value() == "no":
            return queryset.filter(exact_order_number__isnull=True)
        return queryset


class ChannelOrderLineInline(admin.TabularInline):
    model = ChannelOrderLine
    extra = 0
    can_delete = False
    fields = (
        "external_line_id",
        "sku",
        "ean",
        "title",
        "product",
        "listing",
        "quantity",
        "quantity_cancelled",
        "quantity_shipped",
        "unit_price_incl",
        "unit_price_excl",
        "vat_rate",
        "marketplace_fulfilled",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StockHoldInline(admin.TabularInline):
    model = StockHold
    extra = 0
    can_delete = False
    verbose_name_plural = "Stock holds"
    fields = ("product", "quantity", "created_at", "released_at", "release_reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChannelOrder)
class ChannelOrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "channel",
        "placed_at",
        "state_badge",
        "channel_status",
        "country",
        "exact_order_number",
        "ship_by",
        "problem_summary",
    )
    list_filter = (
        "channel",
        "state",
        NeedsMappingFilter,
        ForwardedFilter,
        "marketplace_fulfilled",
        "cancelled",
        "cancellation_requested",
    )
    list_select_related = ("channel",)
    search_fields = (
        "number",
        "external_id",
        "buyer_name",
        "buyer_email",
        "exact_order_number",
        "lines__sku",
        "lines__ean",
    )
    search_help_text = "Order number, channel id, buyer, Exact order number, line SKU or EAN."
    date_hierarchy = "placed_at"
    show_full_result_count = False
    inlines = (ChannelOrderLineInline, StockHoldInline)
    fieldsets = (
        (None, {"fields": ("channel", "number", "external_id", "state", "problems_list")}),
        (
            "On the channel",
            {
                "fields": (
                    "channel_status",
                    "placed_at",
                    "channel_updated_at",
                    "ship_by",
                    "marketplace_fulfilled",
                    "cancelled",
                    "cancellation_requested",
                )
            },
        ),
        (
            "Money",
            {
                "fields": (
                    "currency",
                    "shipping_incl",
                    "shipping_vat_rate",
                    "discount_incl",
                    "fees_incl",
                )
            },
        ),
        (
            "Buyer",
            {
                "fields": (
                    "buyer_name",
                    "buyer_email",
                    "buyer_company",
                    "buyer_vat_number",
                    "buyer_coc_number",
                    "buyer_reference",
                    "country",
                    "delivery_json",
                    "billing_json",
                )
            },
        ),
        (
            "Exact",
            {
                "fields": (
                    "exact_customer",
                    "exact_link",
                    "preview_json",
                    "exact_sales_order_id",
                    "exact_order_number",
                    "forwarded_at",
                    "shipped_at",
                    "anonymised_at",
                )
            },
        ),
        (
            "Raw payload (as the channel sent it)",
            {"classes": ("collapse",), "fields": ("raw_json",)},
        ),
    )
    readonly_fields = (
        "channel",
        "external_id",
        "number",
        "channel_status",
        "state",
        "placed_at",
        "channel_updated_at",
        "currency",
        "shipping_incl",
        "shipping_vat_rate",
        "discount_incl",
        "fees_incl",
        "buyer_name",
        "buyer_email",
        "buyer_company",
        "buyer_vat_number",
        "buyer_coc_number",
        "buyer_reference",
        "country",
        "marketplace_fulfilled",
        "cancelled",
        "cancellation_requested",
        "ship_by",
        "exact_customer",
        "exact_sales_order_id",
        "exact_order_number",
        "forwarded_at",
        "shipped_at",
        "anonymised_at",
        "problems_list",
        "delivery_json",
        "billing_json",
        "raw_json",
        "exact_link",
        "preview_json",
    )
    autocomplete_fields = ("exact_customer",)
    actions = ("forward_again",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.state in (OrderState.NEEDS_ATTENTION, OrderState.FAILED):
            fields.remove("exact_customer")  # staff may pick the buyer's Exact account
        return fields

    def save_model(self, request: HttpRequest, obj: ChannelOrder, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "exact_customer" in form.changed_data:
            from channels_app.forwarding import consider
            from exactsync.models import record_activity

            record_activity(
                "forward.customer_picked",
                subject=obj,
                actor=request.user,
                message=str(obj.exact_customer),
            )
            if obj.state == OrderState.FAILED:
                ChannelOrder.objects.filter(pk=obj.pk).update(state=OrderState.NEEDS_ATTENTION)
            consider(obj, user=request.user)

    @admin.action(description="Check again and forward to Exact", permissions=["change"])
    def forward_again(self, request: HttpRequest, queryset: QuerySet[ChannelOrder]) -> None:
        from channels_app.forwarding import consider

        results = [consider(order, user=request.user) for order in queryset]
        self.message_user(
            request,
            f"{results.count(OrderState.QUEUED)} queued for Exact, "
            f"{results.count(OrderState.NEEDS_ATTENTION)} still need attention.",
        )

    @admin.display(description="Exact sales order")
    def exact_link(self, obj: ChannelOrder) -> str:
        if not obj.exact_order_number:
            return "-"
        base = obj.channel.connection.base_url
        url = (
            f"{base}/docs/SalesOrder.aspx?_Division_={obj.channel.connection.division}&OrderID={obj.exact_sales_order_id}"
            if obj.exact_sales_order_id
            else ""
        )
        return (
            format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.exact_order_number
            )
            if url
            else str(obj.exact_order_number)
        )

    @admin.display(description="Sales order for Exact (what is or would be sent)")
    def preview_json(self, obj: ChannelOrder) -> str:
        return pretty_json(obj.preview) if obj.preview else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders are history: the timeline, holds and Exact ids hang on them

    @admin.display(description="State", ordering="state")
    def state_badge(self, obj: ChannelOrder) -> str:
        return badge(obj.get_state_display(), STATE_TONES.get(obj.state, "warn"))

    @admin.display(description="Problem")
    def problem_summary(self, obj: ChannelOrder) -> str:
        if not obj.problems:
            return ""
        more = f" (+{len(obj.problems) - 1} more)" if len(obj.problems) > 1 else ""
        return f"{obj.problems[0][:90]}{more}"

    @admin.display(description="Problems")
    def problems_list(self, obj: ChannelOrder) -> str:
        if not obj.problems:
            return "none"
        return format_html(
            "<ul class='order-problems'>{}</ul>",
            format_html_join("", "<li>{}</li>", ((p,) for p in obj.problems)),
        )

    @admin.display(description="Delivery address")
    def delivery_json(self, obj: ChannelOrder) -> str:
        return pretty_json(obj.delivery_address)

    @admin.display(description="Billing address")
    def billing_json(self, obj: ChannelOrder) -> str:
        return pretty_json(obj.billing_address)

    @admin.display(description="Raw payload")
    def raw_json(self, obj: ChannelOrder) -> str:
        return pretty_json(obj.raw)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        order = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if order is not None:
            extra_context["timeline"] = timeline(order)
        return super().change_view(request, object_id, form_url, extra_context)


def timeline(order: ChannelOrder) -> list[dict[str, Any]]:
    """Every ActivityEvent of the order, oldest first, with its payload pretty-printed."""
    return timeline_of(order)


@admin.register(StockHold)
class StockHoldAdmin(ReadOnlyAdmin):
    list_display = ("order", "product", "quantity", "created_at", "released_at", "release_reason")
    list_select_related = ("order", "product")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("order__number", "product__code")
