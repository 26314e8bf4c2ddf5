"""Admin for channels and their mappings to Exact: switches, a live test, match and poll buttons."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_POST

from channels_app.connectors.base import ApiError
from channels_app.connectors.registry import ChannelConfigError, build_connector
from channels_app.models import (
    CarrierMapping,
    Channel,
    ChannelOrder,
    ChannelPoll,
    CustomerMapping,
    Listing,
    OrderState,
    VatMapping,
)
from channels_app.tasks import enqueue
from channels_app.webhooks import URL_NAMES
from common.http import build_session
from exactsync.admin.base import badge
from exactsync.models import ActivityEvent, ActivityLevel, record_activity

from .forms import ALL_CREDENTIAL_KEYS, ChannelForm, scrub
from .stock import ChannelStockMixin

log = logging.getLogger(__name__)

TEST_TIMEOUT = (3.0, 10.0)  # connect, read: a live check inside a page request
TEST_MAX_WAIT = 2.0  # a rate-limit wait longer than this fails the test instead of hanging


class CustomerMappingInline(admin.TabularInline):
    model = CustomerMapping
    extra = 0
    autocomplete_fields = ("customer",)
    verbose_name_plural = "Exact customer per delivery country (optional)"


class VatMappingInline(admin.TabularInline):
    model = VatMapping
    extra = 0
    verbose_name_plural = "VAT: (country, rate) -> Exact VAT code"


class CarrierMappingInline(admin.TabularInline):
    model = CarrierMapping
    extra = 0
    verbose_name_plural = "Carriers: ours -> the channel's code"


@admin.register(Channel)
class ChannelAdmin(ChannelStockMixin, admin.ModelAdmin):
    form = ChannelForm
    list_display = (
        "name",
        "kind",
        "is_active",
        "forward_badge",
        "sync_stock",
        "fulfilment_mode",
        "customer",
        "last_poll",
    )
    list_filter = ("kind", "is_active", "forward_orders", "sync_stock", "fulfilment_mode")
    list_select_related = ("customer", "poll")
    search_fields = ("name",)
    autocomplete_fields = ("customer", "shipping_item", "discount_item", "fee_item")
    filter_horizontal = ("warehouses",)
    inlines = (CustomerMappingInline, VatMappingInline, CarrierMappingInline)
    actions = ("match_listings_action", "poll_orders_action", "forward_shadow_action")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return (
            (None, {"fields": ("name", "kind", "connection", "is_active", "base_url", "auth_url")}),
            (
                "Credentials (encrypted; never shown back)",
                {"fields": [f"cred_{k}" for k in ALL_CREDENTIAL_KEYS]},
            ),
            (
                "Switches",
                {"fields": ("forward_orders", "shadow_mode", "sync_stock", "fulfilment_mode")},
            ),
            (
                "Orders to Exact",
                {
                    "fields": (
                        "customer_mode",
                        "customer",
                        "create_customers",
                        "default_vat_code",
                        "shipping_item",
                        "discount_item",
                        "fee_item",
                        "ship_by_hours",
                        "poll_minutes",
                    )
                },
            ),
            ("Stock", {"fields": ("warehouses", "stock_buffer", "stock_cap", "drop_guard_share")}),
        )

    @admin.display(description="Forwards orders", ordering="forward_orders")
    def forward_badge(self, obj: Channel) -> str:
        if not obj.forward_orders:
            return badge("off", "muted")
        return badge("shadow", "warn") if obj.shadow_mode else badge("on", "ok")

    @admin.display(description="Orders read")
    def last_poll(self, obj: Channel) -> str:
        state = getattr(obj, "poll", None)
        if state is None or state.last_finished_at is None:
            return badge("never", "muted")
        if state.last_error:
            return badge(f"failed {state.last_finished_at:%d-%m %H:%M}", "bad")
        return badge(f"{state.last_finished_at:%d-%m %H:%M}", "ok")

    # -- buttons and actions --------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/test/",
                wrap(require_POST(self.test_view)),
                name="channels_app_channel_test",
            ),
            path(
                "<int:pk>/match/",
                wrap(require_POST(self.match_view)),
                name="channels_app_channel_match",
            ),
            path(
                "<int:pk>/poll/",
                wrap(require_POST(self.poll_view)),
                name="channels_app_channel_poll",
            ),
            *self.stock_urls(),
            *super().get_urls(),
        ]

    def _channel(self, request: HttpRequest, pk: int) -> Channel:
        channel = get_object_or_404(Channel, pk=pk)
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        return channel

    def _back(self, channel: Channel) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:channels_app_channel_change", args=[channel.pk]))

    def test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A live check, on demand: one call through the channel's connector, short timeouts."""
        channel = self._channel(request, pk)
        try:
            connector = build_connector(
                channel,
                session=build_session(timeout=TEST_TIMEOUT),
                sleep=lambda seconds: time.sleep(min(seconds, TEST_MAX_WAIT)),
            )
            found = connector.test_connection()
        except (ApiError, ChannelConfigError) as exc:
            self._test_failed(request, channel, exc.for_staff())
        except Exception as exc:  # an answer the connector could not read: say so, don't crash
            log.warning("Channel %s test: unexpected %s", channel.pk, type(exc).__name__)
            self._test_failed(request, channel, f"unexpected answer ({type(exc).__name__}: {exc})")
        else:
            text = scrub(found, channel.credentials)
            messages.success(request, f"Connection OK. {text}")
            record_activity("channel.tested", subject=channel, actor=request.user, message=text)
        return self._back(channel)

    def _test_failed(self, request: HttpRequest, channel: Channel, text: str) -> None:
        text = scrub(text, channel.credentials)
        messages.error(request, f"Test failed: {text}")
        record_activity(
            "channel.test_failed",
            subject=channel,
            actor=request.user,
            level=ActivityLevel.ERROR,
            message=text,
        )

    def match_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        channel = self._channel(request, pk)
        self._queue_match(request, [channel])
        return self._back(channel)

    def poll_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        channel = self._channel(request, pk)
        self._queue_poll(request, [channel])
        return self._back(channel)

    @admin.action(
        description="Match listings (pull the catalogue, link by EAN, then SKU)",
        permissions=["change"],
    )
    def match_listings_action(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        self._queue_match(request, list(queryset))

    @admin.action(description="Forward the orders shown in shadow mode", permissions=["change"])
    def forward_shadow_action(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        """Shadow mode is over: forward the orders that were only shown."""
        from channels_app.forwarding import forward_shadow_orders

        count = sum(forward_shadow_orders(channel, user=request.user) for channel in queryset)
        self.message_user(request, f"{count} order(s) shown in shadow mode queued for Exact.")

    @admin.action(description="Read new orders now", permissions=["change"])
    def poll_orders_action(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        self._queue_poll(request, list(queryset.filter(is_active=True)))

    def _queue_match(self, request: HttpRequest, channels: list[Channel]) -> None:
        for channel in channels:
            record_activity("listings.match_requested", subject=channel, actor=request.user)
            enqueue(
                "channels_app.tasks.match_listings_task",
                channel.pk,
                name=f"match-listings-{channel.pk}",
            )
        messages.info(
            request,
            f"Matching listings of {len(channels)} channel(s) in the background; "
            "the result shows on the channel page and under Listings.",
        )

    def _queue_poll(self, request: HttpRequest, channels: list[Channel]) -> None:
        for channel in channels:
            enqueue(
                "channels_app.tasks.poll_channel_orders_task",
                channel.pk,
                name=f"poll-orders-{channel.pk}",
            )
        messages.info(
            request, f"Reading new orders of {len(channels)} channel(s) in the background."
        )

    # -- the channel page -----------------------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        channel = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if channel is not None:
            extra_context["status"] = self.status(request, channel)
        return super().change_view(request, object_id, form_url, extra_context)

    def status(self, request: HttpRequest, channel: Channel) -> dict[str, Any]:
        """What the channel page shows above the form: intake, listings, webhooks, buttons."""
        listings = Listing.objects.filter(channel=channel)
        listings_url = reverse("admin:channels_app_listing_changelist")
        orders_url = reverse("admin:channels_app_channelorder_changelist")
        return {
            "can_change": self.has_change_permission(request, channel),
            "poll": ChannelPoll.objects.filter(pk=channel.pk).first(),
            "listings": listings.count(),
            "to_resolve": listings.filter(product__isnull=True).count(),
            "listings_url": f"{listings_url}?channel__id__exact={channel.pk}",
            "resolve_url": f"{listings_url}?channel__id__exact={channel.pk}&match=resolve",
            "parked": ChannelOrder.objects.filter(
                channel=channel, state=OrderState.NEEDS_MAPPING
            ).count(),
            "parked_url": f"{orders_url}?channel__id__exact={channel.pk}"
            f"&state__exact={OrderState.NEEDS_MAPPING}",
            "last_match": self._last(channel, "listings.matched", "listings.match_failed"),
            "last_test": self._last(channel, "channel.tested", "channel.test_failed"),
            "webhook_url": self._webhook_url(request, channel),
            "test_url": reverse("admin:channels_app_channel_test", args=[channel.pk]),
            "match_url": reverse("admin:channels_app_channel_match", args=[channel.pk]),
            "poll_url": reverse("admin:channels_app_channel_poll", args=[channel.pk]),
            "stock": self.stock_status(request, channel),
        }

    def _last(self, channel: Channel, *verbs: str) -> ActivityEvent | None:
        return (
            ActivityEvent.objects.filter(
                subject_type__app_label="channels_app",
                subject_type__model="channel",
                subject_id=channel.pk,
                verb__in=verbs,
            )
            .order_by("-created_at", "-id")
            .first()
        )

    def _webhook_url(self, request: HttpRequest, channel: Channel) -> str:
        name = URL_NAMES.get(channel.kind)
        if not name:
            return ""
        try:
            return request.build_absolute_uri(reverse(name, args=[channel.pk]))
        except NoReverseMatch:
            return ""
