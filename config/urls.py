"""URL routes: the admin (the operator console), webhooks and the small JSON API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from channels_app.fulfilment.api import create_shipment
from exactsync.api import create_purchase_order
from exactsync.webhooks import exact_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("webhooks/exact/", exact_webhook, name="exact_webhook"),
    path("api/purchase-orders/", create_purchase_order, name="api_purchase_orders"),
    path("api/shipments/", create_shipment, name="api_shipments"),
    path("webhooks/", include("channels_app.urls")),  # shopify/<id>/, woocommerce/<id>/
]
