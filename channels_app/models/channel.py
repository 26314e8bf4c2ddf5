"""Channels, their mappings to Exact (customer, VAT, carriers) and listings."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from common.fields import EncryptedJSONField

from .stock import PendingPush


class ChannelKind(models.TextChoices):
    BOL = "bol", "bol.com"
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    AMAZON = "amazon", "Amazon"


class FulfilmentMode(models.TextChoices):
    EXACT = "exact", "Exact ships (its tracking goes back)"
    HERE = "here", "We ship outside Exact (record tracking here)"
    OFF = "off", "Off (nothing confirmed from here)"


class CustomerMode(models.TextChoices):
    MAPPED = "mapped", "One Exact customer per channel (or per country)"
    BUYER = "buyer", "The buyer's own Exact account (B2B)"


DEFAULT_BASE_URLS = {
    ChannelKind.BOL: "https://api.bol.com",
    ChannelKind.SHOPIFY: "",  # https://{shop}.myshopify.com, from the shop domain
    ChannelKind.WOOCOMMERCE: "",  # the shop's own site URL
    ChannelKind.AMAZON: "https://sellingpartnerapi-eu.amazon.com",
}

# Which credential fields each kind needs (stored encrypted as one JSON document).
CREDENTIAL_FIELDS: dict[str, list[tuple[str, str]]] = {
    ChannelKind.BOL: [("client_id", "Client id"), ("client_secret", "Client secret")],
    ChannelKind.SHOPIFY: [
        ("shop_domain", "Shop domain (name.myshopify.com)"),
        ("access_token", "Admin API access token"),
        ("app_secret", "App secret (webhook signatures)"),
        ("location_id", "Location id (GID)"),
    ],
    ChannelKind.WOOCOMMERCE: [
        ("consumer_key", "Consumer key"),
        ("consumer_secret", "Consumer secret"),
        ("webhook_secret", "Webhook secret"),
    ],
    ChannelKind.AMAZON: [
        ("lwa_client_id", "LWA client id"),
        ("lwa_client_secret", "LWA client secret"),
        ("refresh_token", "Refresh token"),
        ("seller_id", "Seller id"),
        ("marketplace_ids", "Marketplace ids (comma separated)"),
    ],
}


class Channel(models.Model):
    """A sales channel account (one bol.com shop, one Shopify store, ...) and its switches."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    connection = models.ForeignKey(
        "exactsync.ExactConnection", on_delete=models.PROTECT, related_name="channels"
    )
    base_url = models.URLField(
        blank=True, help_text="Leave empty for the channel's production API."
    )
    auth_url = models.URLField(blank=True, help_text="Token endpoint override (sandbox/test only).")
    credentials = EncryptedJSONField(default=dict, blank=True, editable=False)
    is_active = models.BooleanField(default=True)

    forward_orders = models.BooleanField("Forward orders to Exact", default=False)
    shadow_mode = models.BooleanField(
        default=False,
        help_text="Map and check orders and show the sales order that would be sent, "
        "but write nothing to Exact.",
    )
    sync_stock = models.BooleanField("Sync stock to the channel", default=False)
    fulfilment_mode = models.CharField(
        max_length=10, choices=FulfilmentMode.choices, default=FulfilmentMode.OFF
    )

    customer_mode = models.CharField(
        max_length=10, choices=CustomerMode.choices, default=CustomerMode.MAPPED
    )
    customer = models.ForeignKey(
        "exactsync.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
        verbose_name="Exact customer",
        limit_choices_to={"is_customer": True},
    )
    create_customers = models.BooleanField(
        "Create buyer accounts in Exact",
        default=False,
        help_text="B2B mode: create the buyer as an Exact customer when no account matches.",
    )
    shipping_item = models.ForeignKey(
        "exactsync.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Exact item for shipping costs.",
    )
    discount_item = models.ForeignKey(
        "exactsync.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Exact item for order discounts.",
    )
    fee_item = models.ForeignKey(
        "exactsync.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Exact item for fees.",
    )
    default_vat_code = models.ForeignKey(
        "exactsync.VatCode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    warehouses = models.ManyToManyField(
        "exactsync.Warehouse",
        blank=True,
        related_name="+",
        help_text="Whose free stock is offered. None = the connection's.",
    )
    stock_buffer = models.PositiveIntegerField(
        default=0, help_text="Units held back on every listing."
    )
    stock_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Never offer more than this."
    )
    drop_guard_share = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Hold a stock pass back for confirmation when more than this share of the listings "
        "would go to 0 at once.",
    )
    ship_by_hours = models.PositiveIntegerField(
        default=24, help_text="Deadline rule when the channel gives none: hours after the order."
    )
    poll_minutes = models.PositiveIntegerField(default=5)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.forward_orders
            and not self.shadow_mode
            and self.customer_mode == CustomerMode.MAPPED
            and not self.customer_id
            and not (self.pk and self.customer_mappings.exists())
        ):
            raise ValidationError(
                {
                    "forward_orders": "Choose the Exact customer this channel's orders go to "
                    "before turning order forwarding on."
                }
            )

    @property
    def effective_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.kind == ChannelKind.SHOPIFY:
            return f"https://{self.credentials.get('shop_domain', '')}"
        return DEFAULT_BASE_URLS.get(self.kind, "")


class CustomerMapping(models.Model):
    """Per delivery country: orders to this country go to another Exact customer."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="customer_mappings")
    country = models.CharField(
        max_length=2, help_text="ISO country code of the delivery address, e.g. DE."
    )
    customer = models.ForeignKey(
        "exactsync.Account",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"is_customer": True},
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "country"], name="uniq_customer_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.country} -> {self.customer}"


class VatMapping(models.Model):
    """(country, rate) on this channel -> an Exact VAT code. Empty country = any country."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="vat_mappings")
    country = models.CharField(max_length=2, blank=True)
    rate = models.DecimalField(max_digits=6, decimal_places=3, help_text="Percentage, e.g. 21.")
    vat_code = models.ForeignKey("exactsync.VatCode", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "VAT mapping"
        constraints = [
            models.UniqueConstraint(fields=["channel", "country", "rate"], name="uniq_vat_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.country or '*'} {self.rate.normalize():f}% -> {self.vat_code.code}"


class CarrierMapping(models.Model):
    """Our carrier (or Exact's shipping method) -> the channel's carrier code."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="carrier_mappings")
    carrier = models.CharField(max_length=60, help_text="Our carrier name, e.g. PostNL, DHL, DPD.")
    shipping_method = models.ForeignKey(
        "exactsync.ShippingMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel_code = models.CharField(
        max_length=60, help_text="e.g. bol TNT, Amazon DHL, Shopify 'PostNL'."
    )
    channel_carrier_name = models.CharField(
        max_length=60, blank=True, help_text="For 'Other'-style codes."
    )
    tracking_url = models.CharField(
        max_length=300, blank=True, help_text="With {tracking} placeholder."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "carrier"], name="uniq_carrier_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.carrier} -> {self.channel_code}"


class MatchState(models.TextChoices):
    MATCHED_EAN = "ean", "Matched by EAN"
    MATCHED_SKU = "sku", "Matched by SKU"
    MANUAL = "manual", "Linked by hand"
    UNMATCHED = "unmatched", "Unmatched"
    AMBIGUOUS = "ambiguous", "Ambiguous"


class Listing(models.Model):
    """A channel's product (offer, inventory item, product/variation, seller SKU) linked to ours."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="listings")
    product = models.ForeignKey(
        "exactsync.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="listings",
    )
    external_id = models.CharField(max_length=120)
    location_id = models.CharField(max_length=120, blank=True, default="")
    parent_id = models.CharField(max_length=120, blank=True, default="")
    sku = models.CharField(max_length=120, blank=True, db_index=True)
    ean = models.CharField(max_length=30, blank=True, db_index=True)
    title = models.CharField(max_length=300, blank=True)
    match_state = models.CharField(
        max_length=10, choices=MatchState.choices, default=MatchState.UNMATCHED
    )
    match_note = models.CharField(max_length=300, blank=True)
    buffer_override = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the channel's buffer for this listing."
    )
    is_active = models.BooleanField(default=True)
    last_pushed_quantity = models.IntegerField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_push_error = models.TextField(blank=True)
    push_attempts = models.PositiveIntegerField(default=0)
    next_push_at = models.DateTimeField(null=True, blank=True)
    stock_pending = models.CharField(
        max_length=10,
        blank=True,
        default="",
        choices=PendingPush.choices,
        db_index=True,
        help_text="Why the listing waits for a stock pass (empty: nothing waits).",
    )
    channel_quantity = models.IntegerField(
        null=True, blank=True, help_text="What the channel showed last check."
    )
    channel_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id", "location_id"], name="uniq_listing"
            ),
        ]
        indexes = [models.Index(fields=["product", "channel"], name="listing_product")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.sku or self.external_id}"

    @property
    def buffer(self) -> int:
        return (
            self.buffer_override if self.buffer_override is not None else self.channel.stock_buffer
        )

    @property
    def needs_resolution(self) -> bool:
        return self.product_id is None or self.match_state in (
            MatchState.UNMATCHED,
            MatchState.AMBIGUOUS,
        )
