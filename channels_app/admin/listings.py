"""Admin for listings (channel product <-> ours): resolve by hand or by CSV; stock pushes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from import_export.admin import ExportMixin

from channels_app.imports import COLUMN_HELP, COLUMNS, ListingResource
from channels_app.intake import remap_parked_orders
from channels_app.inventory import queue_full_push
from channels_app.models import Listing, MatchState, StockPush
from exactsync.admin.base import ReadOnlyAdmin, badge
from exactsync.admin.imports import BackgroundImportMixin

MATCH_TONES = {
    MatchState.MATCHED_EAN: "ok",
    MatchState.MATCHED_SKU: "ok",
    MatchState.MANUAL: "ok",
    MatchState.UNMATCHED: "warn",
    MatchState.AMBIGUOUS: "bad",
}


class ListingStateFilter(admin.SimpleListFilter):
    title = "match"
    parameter_name = "match"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("resolve", "Needs resolving (unmatched or ambiguous)"), ("linked", "Linked")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "resolve":
            return queryset.filter(product__isnull=True)
        if self.value() == "linked":
            return queryset.filter(product__isnull=False)
        return queryset


class PushStateFilter(admin.SimpleListFilter):
    title = "stock push"
    parameter_name = "push"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("failed", "Last push failed"),
            ("waiting", "Waiting for a push"),
            ("never", "Never pushed"),
        ]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "failed":
            return queryset.exclude(last_push_error="")
        if self.value() == "waiting":
            return queryset.exclude(stock_pending="")
        if self.value() == "never":
            return queryset.filter(last_pushed_quantity__isnull=True)
        return queryset


class ListingForm(forms.ModelForm):
    class Meta:
        model = Listing
        fields = [
            "channel",
            "external_id",
            "location_id",
            "parent_id",
            "sku",
            "ean",
            "title",
            "product",
            "is_active",
            "buffer_override",
        ]

    def clean_product(self) -> Any:
        product = self.cleaned_data.get("product")
        channel = self.cleaned_data.get("channel") or getattr(self.instance, "channel", None)
        if (
            product is not None
            and channel is not None
            and product.connection_id != channel.connection_id
        ):
            raise forms.ValidationError(
                f"{product.code} belongs to another Exact administration than {channel}."
            )
        return product


@admin.register(Listing)
class ListingAdmin(BackgroundImportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [ListingResource]
    import_export_change_list_template = "admin/exactsync/change_list_import_export.html"
    import_kind = "listings"
    import_columns = COLUMNS
    import_column_help = COLUMN_HELP
    import_title = "Link listings to products (CSV)"

    form = ListingForm
    list_display = (
        "channel",
        "sku",
        "ean",
        "title",
        "product",
        "match_badge",
        "match_note",
        "last_pushed_quantity",
        "last_pushed_at",
        "push_error",
    )
    list_select_related = ("channel", "product")
    list_filter = ("channel", ListingStateFilter, PushStateFilter, "match_state", "is_active")
    actions = ("push_stock_action",)
    search_fields = ("sku", "ean", "title", "external_id", "product__code")
    search_help_text = "Channel SKU, EAN, title, listing id or product code."
    autocomplete_fields = ("product",)
    show_full_result_count = False
    fields = (
        "channel",
        "external_id",
        "location_id",
        "parent_id",
        "sku",
        "ean",
        "title",
        "product",
        "match_state",
        "match_note",
        "is_active",
        "buffer_override",
        "availability",
        "last_pushed_quantity",
        "last_pushed_at",
        "last_push_error",
        "push_attempts",
        "next_push_at",
        "stock_pending",
        "channel_quantity",
        "channel_checked_at",
    )
    readonly_fields = (
        "match_state",
        "match_note",
        "availability",
        "last_pushed_quantity",
        "last_pushed_at",
        "last_push_error",
        "push_attempts",
        "next_push_at",
        "stock_pending",
        "channel_quantity",
        "channel_checked_at",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ("channel", "external_id", "location_id", "parent_id") if obj else ()
        return (*fixed, *self.readonly_fields)

    @admin.display(description="Match", ordering="match_state")
    def match_badge(self, obj: Listing) -> str:
        return badge(obj.get_match_state_display(), MATCH_TONES.get(obj.match_state, "muted"))

    @admin.display(description="Push error")
    def push_error(self, obj: Listing) -> str:
        return badge(obj.last_push_error[:60], "bad") if obj.last_push_error else ""

    @admin.display(description="Availability")
    def availability(self, obj: Listing) -> str:
        if not obj.pk or not obj.product_id:
            return "-"
        from .stock import availability_url

        return format_html(
            '<a href="{}" id="availability-link">The quantity offered and how it is computed</a>',
            availability_url(obj.channel_id, obj.product_id),
        )

    @admin.action(description="Push stock now (also retries failed pushes)", permissions=["change"])
    def push_stock_action(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        total = 0
        for channel_id in set(queryset.values_list("channel_id", flat=True)):
            ids = list(queryset.filter(channel_id=channel_id).values_list("pk", flat=True))
            total += queue_full_push(channel_id, ids)
        messages.info(
            request,
            f"Pushing the stock of {total} listing(s) in the background (listings on channels "
            "with stock sync off, or not linked to a product, are skipped).",
        )

    def save_model(self, request: HttpRequest, obj: Listing, form: Any, change: bool) -> None:
        """A product chosen here is a link by hand: matching never changes it afterwards."""
        if "product" in form.changed_data or not change:
            if obj.product_id:
                obj.match_state = MatchState.MANUAL
                obj.match_note = f"Linked by hand by {request.user.get_username()}."
            else:
                obj.match_state, obj.match_note = MatchState.UNMATCHED, "Unlinked by hand."
        super().save_model(request, obj, form, change)
        if obj.product_id:
            remap_parked_orders(obj.channel, source="listing linked")
        if obj.product_id and {"product", "buffer_override", "is_active"} & set(form.changed_data):
            queue_full_push(obj.channel_id, [obj.pk])  # its quantity may differ now: send it


@admin.register(StockPush)
class StockPushAdmin(ReadOnlyAdmin):
    list_display = ("pushed_at", "listing", "quantity", "ok", "reason", "error")
    list_select_related = ("listing", "listing__channel")
    list_filter = ("ok", "reason", "listing__channel")
    search_fields = ("listing__sku", "listing__external_id")
    date_hierarchy = "pushed_at"
    show_full_result_count = False
