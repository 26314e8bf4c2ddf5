"""Stock on the channel page: the push state, failed pushes, held passes, reconcile; and the page
that explains, for a product and a channel, the quantity offered and how it was computed.

Buttons and actions only mark rows and queue tasks; nothing here calls a channel.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from channels_app.inventory import (
    confirm_held_pass,
    discard_held_pass,
    explain_availability,
    fix_differences,
    queue_full_push,
)
from channels_app.inventory.pending import mark_channel, pushable_listings, queue_push
from channels_app.inventory.reconcile import latest_reconcile
from channels_app.models import (
    Channel,
    DifferenceState,
    HeldPassState,
    HeldStockPass,
    Listing,
    PendingPush,
    StockDifference,
    StockReconcile,
    StockSyncState,
)
from channels_app.tasks import enqueue
from exactsync.models import Product, record_activity

RECONCILE_TASK = "channels_app.tasks.reconcile_channel_stock_task"
SHOWN_DIFFERENCES = 50
SHOWN_HELD = 25


def availability_url(channel_id: int, product_id: int) -> str:
    return reverse("admin:channels_app_channel_availability", args=[channel_id, product_id])


def product_availability_url(product_id: int) -> str:
    """The page for one product on every channel (link it from the product page)."""
    return reverse("admin:channels_app_product_availability", args=[product_id])


class ChannelStockMixin:
    """Mixed into ChannelAdmin: stock URLs, actions and the stock part of the channel page."""

    admin_site: admin.AdminSite

    def stock_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        post = [
            ("push-all", self.push_all_view, "push_all"),
            ("reconcile", self.reconcile_view, "reconcile"),
            ("held/<int:held_pk>/confirm", self.confirm_held_view, "confirm_held"),
            ("held/<int:held_pk>/discard", self.discard_held_view, "discard_held"),
            ("reconcile/<int:reconcile_pk>/fix", self.fix_view, "fix_differences"),
        ]
        return [
            *[
                path(
                    f"<int:pk>/stock/{route}/",
                    wrap(require_POST(view)),
                    name=f"channels_app_channel_stock_{name}",
                )
                for route, view, name in post
            ],
            path(
                "<int:pk>/availability/<int:product_pk>/",
                wrap(self.availability_view),
                name="channels_app_channel_availability",
            ),
            path(
                "availability/product/<int:product_pk>/",
                wrap(self.product_availability_view),
                name="channels_app_product_availability",
            ),
        ]

    STOCK_FIELDS = ("warehouses", "stock_buffer", "stock_cap")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Stock sync switched on: push every listing once. Warehouses, buffer or cap edited:
        recompute every listing (pushed where the quantity changes)."""
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        channel = form.instance
        if not change or not channel.sync_stock or not channel.is_active:
            return
        with transaction.atomic():
            if "sync_stock" in form.changed_data:
                count = mark_channel(channel, PendingPush.FULL)
                note = f"Stock sync is on: pushing the stock of {count} listing(s) once."
            elif any(name in form.changed_data for name in self.STOCK_FIELDS):
                count = mark_channel(channel, PendingPush.CHANGE)
                note = f"Stock settings changed: recomputing {count} listing(s)."
            else:
                return
            queue_push([channel.pk])
        messages.info(request, note)

    # -- buttons ------------------------------------------------------------------------------
    def _stock_channel(self, request: HttpRequest, pk: int) -> Channel:
        channel = get_object_or_404(Channel, pk=pk)
        if not self.has_change_permission(request, channel):  # type: ignore[attr-defined]
            raise PermissionDenied
        return channel

    def _to_channel(self, channel: Channel) -> HttpResponse:
        url = reverse("admin:channels_app_channel_change", args=[channel.pk])
        return HttpResponseRedirect(f"{url}#channel-stock")

    def push_all_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        channel = self._stock_channel(request, pk)
        self._push_all(request, [channel])
        return self._to_channel(channel)

    def reconcile_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        channel = self._stock_channel(request, pk)
        self._reconcile(request, [channel])
        return self._to_channel(channel)

    def confirm_held_view(self, request: HttpRequest, pk: int, held_pk: int) -> HttpResponse:
        channel = self._stock_channel(request, pk)
        get_object_or_404(HeldStockPass, pk=held_pk, channel=channel)
        count = confirm_held_pass(held_pk, user=request.user)
        if count:
            messages.success(request, f"Confirmed: {count} listing(s) are pushed now.")
        else:
            messages.warning(request, "That pass was already decided.")
        return self._to_channel(channel)

    def discard_held_view(self, request: HttpRequest, pk: int, held_pk: int) -> HttpResponse:
        channel = self._stock_channel(request, pk)
        get_object_or_404(HeldStockPass, pk=held_pk, channel=channel)
        count = discard_held_pass(held_pk, user=request.user)
        if count:
            messages.success(request, f"Discarded: {count} listing(s) keep what the channel shows.")
        else:
            messages.warning(request, "That pass was already decided.")
        return self._to_channel(channel)

    def fix_view(self, request: HttpRequest, pk: int, reconcile_pk: int) -> HttpResponse:
        channel = self._stock_channel(request, pk)
        get_object_or_404(StockReconcile, pk=reconcile_pk, channel=channel)
        count = fix_differences(reconcile_pk, user=request.user)
        messages.info(request, f"Pushing our quantity to {count} listing(s) that differed.")
        return self._to_channel(channel)

    @admin.action(description="Push all stock now (every listing, once)", permissions=["change"])
    def push_all_stock_action(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        self._push_all(request, list(queryset))

    @admin.action(
        description="Reconcile stock now (compare with the channel)", permissions=["change"]
    )
    def reconcile_stock_action(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        self._reconcile(request, list(queryset))

    def _push_all(self, request: HttpRequest, channels: list[Channel]) -> None:
        off = [c for c in channels if not c.sync_stock or not c.is_active]
        total = 0
        for channel in channels:
            if channel in off:
                continue
            count = queue_full_push(channel.pk)
            total += count
            record_activity(
                "stock.push_all_requested",
                subject=channel,
                actor=request.user,
                message=f"Push all stock requested: {count} listing(s).",
            )
        messages.info(
            request,
            f"Pushing the stock of {total} listing(s) on {len(channels) - len(off)} channel(s) "
            "in the background.",
        )
        if off:
            messages.warning(
                request,
                f"Stock sync is off for {', '.join(str(c) for c in off)}: nothing pushed there.",
            )

    def _reconcile(self, request: HttpRequest, channels: list[Channel]) -> None:
        for channel in channels:
            enqueue(
                RECONCILE_TASK, channel.pk, request.user.pk, name=f"stock-reconcile-{channel.pk}"
            )
        messages.info(
            request,
            f"Comparing the stock of {len(channels)} channel(s) in the background; the "
            "differences show on the channel page.",
        )

    # -- the channel page ---------------------------------------------------------------------
    def stock_status(self, request: HttpRequest, channel: Channel) -> dict[str, Any]:
        listings_url = reverse("admin:channels_app_listing_changelist")
        failed = Listing.objects.filter(channel=channel).exclude(last_push_error="")
        held = HeldStockPass.objects.filter(channel=channel, state=HeldPassState.HELD).first()
        reconcile = latest_reconcile(channel)
        differences = (
            list(
                StockDifference.objects.filter(reconcile=reconcile)
                .select_related("listing__product")
                .order_by("state", "listing__sku")[:SHOWN_DIFFERENCES]
            )
            if reconcile
            else []
        )
        base = "admin:channels_app_channel_stock_"
        return {
            "state": StockSyncState.objects.filter(pk=channel.pk).first(),
            "pushable": pushable_listings([channel.pk]).count(),
            "waiting": pushable_listings([channel.pk]).exclude(stock_pending="").count(),
            "failed": failed.count(),
            "failed_examples": list(failed.select_related("product").order_by("sku")[:5]),
            "failed_url": f"{listings_url}?channel__id__exact={channel.pk}&push=failed",
            "held": held,
            "held_rows": self._held_rows(held) if held else [],
            "reconcile": reconcile,
            "differences": differences,
            "open_differences": sum(1 for d in differences if d.state == DifferenceState.OPEN),
            "push_all_url": reverse(f"{base}push_all", args=[channel.pk]),
            "reconcile_url": reverse(f"{base}reconcile", args=[channel.pk]),
            "confirm_url": reverse(f"{base}confirm_held", args=[channel.pk, held.pk])
            if held
            else "",
            "discard_url": reverse(f"{base}discard_held", args=[channel.pk, held.pk])
            if held
            else "",
            "fix_url": reverse(f"{base}fix_differences", args=[channel.pk, reconcile.pk])
            if reconcile
            else "",
        }

    def _held_rows(self, held: HeldStockPass) -> list[dict[str, Any]]:
        ids = [int(k) for k in list(held.quantities)[:SHOWN_HELD]]
        listings = Listing.objects.filter(pk__in=ids).select_related("product")
        return [
            {
                "listing": x,
                "last_pushed": x.last_pushed_quantity,
                "held": held.quantities.get(str(x.pk)),
                "explain_url": availability_url(x.channel_id, x.product_id) if x.product_id else "",
            }
            for x in listings.order_by("sku")
        ]

    # -- the explanation ----------------------------------------------------------------------
    def availability_view(self, request: HttpRequest, pk: int, product_pk: int) -> HttpResponse:
        channel = get_object_or_404(Channel.objects.select_related("connection"), pk=pk)
        if not self.has_view_permission(request, channel):  # type: ignore[attr-defined]
            raise PermissionDenied
        product = get_object_or_404(Product, pk=product_pk, connection_id=channel.connection_id)
        return self._render_availability(request, product, [channel])

    def product_availability_view(self, request: HttpRequest, product_pk: int) -> HttpResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        product = get_object_or_404(Product, pk=product_pk)
        channels = list(
            Channel.objects.filter(connection_id=product.connection_id).select_related("connection")
        )
        return self._render_availability(request, product, channels)

    def _render_availability(
        self, request: HttpRequest, product: Product, channels: list[Channel]
    ) -> HttpResponse:
        rows = []
        for channel in channels:
            listings = list(Listing.objects.filter(channel=channel, product=product))
            for listing in listings or [None]:
                rows.append(
                    {
                        "channel": channel,
                        "listing": listing,
                        "availability": explain_availability(channel, product, listing),
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Availability of {product.code}",
            "product": product,
            "rows": rows,
            "opts": Channel._meta,
        }
        return TemplateResponse(request, "admin/channels_app/availability.html", context)
