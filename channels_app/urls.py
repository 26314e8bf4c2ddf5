"""Channel webhook routes (mounted under /webhooks/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from channels_app import webhooks

urlpatterns = [
    path(
        "shopify/<int:channel_id>/",
        webhooks.shopify_webhook,
        name=webhooks.URL_NAMES["shopify"],
    ),
    path(
        "woocommerce/<int:channel_id>/",
        webhooks.woocommerce_webhook,
        name=webhooks.URL_NAMES["woocommerce"],
    ),
]
