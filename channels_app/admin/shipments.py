"""Admin for shipments: the list staff fix blocked and refused ones from (edit, retry, delete),
the "record a shipment" form on the order page, the CSV import, and the ship-by filter.

Every action only records or flips rows; the confirmation itself runs in the background
(outbox), never inside the request.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from channels_app.fulfilment import carriers, service
from channels_app.fulfilment.csv_import import COLUMN_HELP, COLUMNS
from channels_app.fulfilment.selectors import DUE_SOON, orders_due_to_ship
from channels_app.models import (
    ChannelOrder,
    FulfilmentMode,
    Shipment,
    ShipmentLine,
    ShipmentSource,
    ShipmentState,
)
from exactsync.admin.base import badge
from exactsync.admin.imports import BackgroundImportMixin
from exactsync.models import Outbox, OutboxState, record_activity

from .orders import ChannelOrderAdmin

STATE_TONES = {
    ShipmentState.PENDING: "warn",
    ShipmentState.CONFIRMING: "warn",
    ShipmentState.CONFIRMED: "ok",
    ShipmentState.BLOCKED: "bad",
    ShipmentState.FAILED: "bad",
    ShipmentState.SKIPPED: "muted",
}
FIXABLE = (ShipmentState.BLOCKED, ShipmentState.FAILED)


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    fields = ("order_line", "quantity")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Blocked or refused (fix and retry)"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(state__in=FIXABLE)
        if self.value() == "no":
            return queryset.exclude(state__in=FIXABLE)
        return queryset


@admin.register(Shipment)
class ShipmentAdmin(BackgroundImportMixin, admin.ModelAdmin):
    import_kind = "shipments"
    import_columns = COLUMNS
    import_column_help = COLUMN_HELP
    import_title = "Record shipments (CSV)"
    change_list_template = "admin/exactsync/change_list_import.html"

    list_display = (
        "order_link",
        "channel",
        "source",
        "carrier",
        "channel_carrier_code",
        "tracking_number",
        "state_badge",
        "reason",
        "shipped_at",
        "confirmed_at",
    )
    list_filter = (NeedsAttentionFilter, "state", "source", "order__channel")
    list_select_related = ("order", "order__channel")
    search_fields = ("order__number", "tracking_number", "exact_delivery_number")
    search_help_text = "Order number, tracking number or Exact delivery number."
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = (ShipmentLineInline,)
    actions = ("retry_selected", "add_suggested_mappings")
    fields = (
        "order",
        "source",
        "state",
        "error",
        "carrier",
        "channel_carrier_code",
        "tracking_number",
        "tracking_url",
        "shipped_at",
        "exact_delivery_number",
        "exact_delivery_id",
        "external_id",
        "confirmed_at",
        "created_by",
        "created_at",
    )
    EDITABLE = ("carrier", "tracking_number", "tracking_url")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.state in FIXABLE:
            return [f for f in self.fields if f not in self.EDITABLE]
        return self.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded on the order page, by CSV, by the API or from Exact

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a shipment the channel never accepted may go (it frees its quantities).
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.state in FIXABLE)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, from the shipment's page
        return actions

    def save_model(self, request: HttpRequest, obj: Shipment, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:
            record_activity(
                "shipment.edited",
                subject=obj.order,
                actor=request.user,
                message=f"Shipment edited ({', '.join(form.changed_data)}): "
                f"{service.describe(obj)}",
                payload={"shipment": obj.pk, "fields": form.changed_data},
            )
            state = service.retry(obj, user=request.user)
            messages.info(request, f"Shipment {obj.pk}: {ShipmentState(state).label}.")

    def delete_model(self, request: HttpRequest, obj: Shipment) -> None:
        Outbox.objects.filter(idempotency_key=service.outbox_key(obj)).exclude(
            state=OutboxState.DONE
        ).update(state=OutboxState.CANCELLED)
        record_activity(
            "shipment.deleted",
            subject=obj.order,
            actor=request.user,
            message=f"Shipment deleted ({obj.get_state_display()}): {service.describe(obj)}",
            payload={"shipment": obj.pk},
        )
        super().delete_model(request, obj)

    # -- columns ----------------------------------------------------------------------------------
    @admin.display(description="Order", ordering="order__number")
    def order_link(self, obj: Shipment) -> str:
        url = reverse("admin:channels_app_channelorder_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order.number)

    @admin.display(description="Channel", ordering="order__channel__name")
    def channel(self, obj: Shipment) -> str:
        return obj.order.channel.name

    @admin.display(description="State", ordering="state")
    def state_badge(self, obj: Shipment) -> str:
        return badge(obj.get_state_display(), STATE_TONES.get(obj.state, "warn"))

    @admin.display(description="Reason")
    def reason(self, obj: Shipment) -> str:
        return obj.error[:160] + ("..." if len(obj.error) > 160 else "")

    # -- actions ----------------------------------------------------------------------------------
    @admin.action(
        description="Retry selected shipments (after fixing the cause)", permissions=["change"]
    )
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        states = [service.retry(s, user=request.user) for s in queryset.select_related("order")]
        queued = sum(s in (ShipmentState.PENDING, ShipmentState.CONFIRMING) for s in states)
        blocked = states.count(ShipmentState.BLOCKED)
        self.message_user(
            request,
            f"{queued} shipment(s) queued for the channel, {blocked} still blocked "
            f"(see the reason), {len(states) - queued - blocked} left as they were.",
        )

    @admin.action(
        description="Add the suggested carrier mapping for the selected shipments' carriers",
        permissions=["change"],
    )
    def add_suggested_mappings(self, request: HttpRequest, queryset: QuerySet[Shipment]) -> None:
        created = []
        for shipment in queryset.select_related("order__channel"):
            created += carriers.add_suggested_mappings(shipment.order.channel, [shipment.carrier])
        for mapping in created:
            record_activity(
                "carrier.mapped",
                subject=mapping.channel,
                actor=request.user,
                message=f"Suggested mapping added: {mapping.carrier} -> {mapping.channel_code}"
                + (f" ({mapping.channel_carrier_name})" if mapping.channel_carrier_name else ""),
            )
        self.message_user(
            request,
            f"{len(created)} carrier mapping(s) added"
            + (f": {', '.join(f'{m.channel.name} {m}' for m in created)}" if created else "")
            + ". Blocked shipments of those channels are checked again.",
        )

    # -- record a shipment from the order page -----------------------------------------------------
    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "record/<int:order_id>/",
                wrap(self.record_view),
                name="channels_app_shipment_record",
            ),
            *super().get_urls(),
        ]

    def record_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        if not request.user.has_perm("channels_app.add_shipment"):
            raise PermissionDenied
        order = get_object_or_404(ChannelOrder.objects.select_related("channel"), pk=order_id)
        order_url = reverse("admin:channels_app_channelorder_change", args=[order.pk])
        form = RecordShipmentForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                shipment, created = service.record_shipment(
                    order,
                    carrier=form.cleaned_data["carrier"],
                    tracking_number=form.cleaned_data["tracking_number"],
                    lines=form.line_quantities(),
                    source=ShipmentSource.MANUAL,
                    tracking_url=form.cleaned_data["tracking_url"],
                    shipped_at=form.cleaned_data["shipped_at"],
                    user=request.user,
                )
            except service.ShipmentRefused as exc:
                form.add_problems(exc.problems)
            else:
                if created:
                    messages.success(
                        request,
                        f"Shipment recorded: {shipment.get_state_display()}"
                        + (f" - {shipment.error}" if shipment.error else "."),
                    )
                else:
                    messages.warning(
                        request, f"Tracking number {shipment.tracking_number} was recorded before."
                    )
                return HttpResponseRedirect(order_url)
        return TemplateResponse(
            request,
            "admin/channels_app/shipment/record.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "order": order,
                "order_url": order_url,
                "form": form,
                "mode_exact": order.channel.fulfilment_mode == FulfilmentMode.EXACT,
                "mode_off": order.channel.fulfilment_mode == FulfilmentMode.OFF,
                "channel_url": reverse(
                    "admin:channels_app_channel_change", args=[order.channel_id]
                ),
                "title": f"Record a shipment: {order.channel.name} {order.number}",
            },
        )


class RecordShipmentForm(forms.Form):
    """Carrier, tracking number, and a quantity per order line (default: all still to ship)."""

    carrier = forms.CharField(max_length=60)
    tracking_number = forms.CharField(max_length=120)
    tracking_url = forms.CharField(
        max_length=300, required=False, help_text="Optional; else the carrier mapping's link."
    )
    shipped_at = forms.DateTimeField(required=False, help_text="Optional; default now.")

    def __init__(self, *args: Any, order: ChannelOrder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        mapped = sorted({m.carrier for m in order.channel.carrier_mappings.all()})
        self.fields["carrier"].widget = forms.TextInput(attrs={"list": "mapped-carriers"})
        self.fields["carrier"].help_text = (
            f"Mapped on {order.channel.name}: {', '.join(mapped)}."
            if mapped
            else "No carrier is "
            f"mapped on {order.channel.name} yet: add one on the channel page first."
        )
        self.mapped_carriers = mapped
        recorded = service.recorded_quantities(order)
        self.order_lines = [
            line
            for line in order.lines.select_related("product")
            if line.open_quantity > 0 and not line.marketplace_fulfilled
        ]
        for line in self.order_lines:
            left = service.still_to_ship(line, recorded.get(line.pk, 0))
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{service.line_label(line)} ({line.title[:60]})",
                min_value=0,
                initial=left,
                help_text=f"ordered {line.quantity}, still to ship {left}",
            )

    def line_fields(self) -> list[Any]:
        return [self[f"line_{line.pk}"] for line in self.order_lines]

    def line_quantities(self) -> list[service.LineQuantity]:
        return [
            service.LineQuantity(line, quantity)
            for line in self.order_lines
            if (quantity := self.cleaned_data.get(f"line_{line.pk}") or 0) > 0
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.order_lines and not any(
            (data.get(f"line_{line.pk}") or 0) > 0 for line in self.order_lines
        ):
            raise forms.ValidationError("Give a quantity for at least one line.")
        return data

    def add_problems(self, problems: list[tuple[str, str]]) -> None:
        for name, message in problems:
            self.add_error(name if name in ("carrier", "tracking_number") else None, message)


# -- on the order page and list --------------------------------------------------------------------
class ShipmentInline(admin.TabularInline):
    """The order's shipments (read-only here; the link records a new one)."""

    model = Shipment
    extra = 0
    can_delete = False
    show_change_link = True
    template = "admin/channels_app/shipment/order_inline.html"
    fields = (
        "source",
        "carrier",
        "tracking_number",
        "lines_text",
        "state",
        "error",
        "confirmed_at",
    )
    readonly_fields = fields
    verbose_name_plural = "Shipments"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Lines")
    def lines_text(self, obj: Shipment) -> str:
        return ", ".join(
            f"{service.line_label(sl.order_line)} x {sl.quantity}"
            for sl in obj.lines.select_related("order_line__product")
        )


class ShipByFilter(admin.SimpleListFilter):
    title = "ship-by"
    parameter_name = "ship_by_due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        hours = int(DUE_SOON.total_seconds() // 3600)
        return [
            ("due", f"Past or within {hours} h, not shipped"),
            ("late", "Past ship-by, not shipped"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in ("due", "late"):
            return queryset
        due = orders_due_to_ship()
        if self.value() == "late":
            due = due.filter(late=True)
        return queryset.filter(pk__in=due.order_by().values("pk"))


def extend_order_admin() -> None:
    """Add the shipments inline and the ship-by filter to the order admin (owned by the order
    console; added here so the two modules can change independently)."""
    if ShipmentInline not in ChannelOrderAdmin.inlines:
        ChannelOrderAdmin.inlines = (*ChannelOrderAdmin.inlines, ShipmentInline)
    if ShipByFilter not in ChannelOrderAdmin.list_filter:
        ChannelOrderAdmin.list_filter = (*ChannelOrderAdmin.list_filter, ShipByFilter)


extend_order_admin()
