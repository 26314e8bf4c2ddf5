"""The Exact Online connection: the tenant root of everything mirrored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.fields import EncryptedTextField

EXACT_HOSTS = [
    ("https://start.exactonline.nl", "Netherlands (start.exactonline.nl)"),
    ("https://start.exactonline.be", "Belgium (start.exactonline.be)"),
    ("https://start.exactonline.de", "Germany (start.exactonline.de)"),
    ("https://start.exactonline.fr", "France (start.exactonline.fr)"),
    ("https://start.exactonline.es", "Spain (start.exactonline.es)"),
    ("https://start.exactonline.co.uk", "United Kingdom (start.exactonline.co.uk)"),
    ("https://start.exactonline.com", "United States (start.exactonline.com)"),
]


class TokenState(models.TextChoices):
    NOT_CONNECTED = "not_connected", "Not connected"
    VALID = "valid", "Valid"
    REFRESHING = "refreshing", "Refreshing"
    NEEDS_LOGIN = "needs_login", "Needs a new login"


class SalesHistorySource(models.TextChoices):
    DELIVERIES = "deliveries", "Goods deliveries (shipped quantities)"
    SALES_ORDERS = "sales_orders", "Sales order lines"
    INVOICES = "invoices", "Sales invoice lines"


class ExactConnection(models.Model):
    """One Exact Online division we are connected to, its tokens and its switches."""

    name = models.CharField(
        max_length=100, help_text="A name staff recognise, e.g. 'Groothandel BV'."
    )
    base_url = models.URLField(
        "Exact host",
        default="https://start.exactonline.nl",
        help_text="The country site of the Exact administration. A sandbox URL can be set for tests.",
    )
    division = models.PositiveIntegerField(
        null=True, blank=True, help_text="Exact division number."
    )
    division_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    # Tokens: encrypted at rest, never shown in the admin.
    access_token = EncryptedTextField(blank=True, default="", editable=False)
    refresh_token = EncryptedTextField(blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_state = models.CharField(
        max_length=20, choices=TokenState.choices, default=TokenState.NOT_CONNECTED, editable=False
    )
    token_error = models.TextField(blank=True, editable=False)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    connected_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Switches
    write_purchase_orders = models.BooleanField(
        "Write purchase orders to Exact",
        default=True,
        help_text="Off: purchase orders placed here stay here, marked as not sent.",
    )
    sync_moq = models.BooleanField(
        "Sync MOQ from Exact",
        default=False,
        help_text="On: Exact's minimum quantity overwrites MOQs set here by hand or by import.",
    )
    sync_order_per = models.BooleanField(
        "Sync order per from Exact",
        default=True,
        help_text="On: Exact's purchase unit overwrites 'order per' set here by hand or by import.",
    )
    sync_lead_time = models.BooleanField(
        "Sync lead time from Exact",
        default=True,
        help_text="On: Exact's purchase lead time overwrites lead times set here.",
    )
    sync_purchase_price = models.BooleanField(
        "Sync purchase price from Exact",
        default=True,
        help_text="On: the supplier item's purchase price from Exact overwrites prices set here.",
    )
    use_bills_of_material = models.BooleanField(
        "Use bills of material",
        default=False,
        help_text="Read assembly and manufacturing BOMs; kit sales are also recorded per component.",
    )
    sales_history_source = models.CharField(
        max_length=20, choices=SalesHistorySource.choices, default=SalesHistorySource.DELIVERIES
    )
    stock_warehouses = models.ManyToManyField(
        "exactsync.Warehouse",
        blank=True,
        related_name="+",
        help_text="Warehouses whose stock counts. None chosen = all warehouses.",
    )

    webhook_subscriptions = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Exact webhook subscription id per topic.",
    )
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Exact Online connection"
        constraints = [
            models.UniqueConstraint(
                fields=["base_url", "division"],
                name="uniq_exact_division",
                condition=models.Q(division__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.division})" if self.division else self.name

    @property
    def is_connected(self) -> bool:
        return bool(self.refresh_token) and self.token_state != TokenState.NEEDS_LOGIN

    @property
    def needs_login(self) -> bool:
        return self.token_state == TokenState.NEEDS_LOGIN

    def record_error(self, message: str) -> None:
        ExactConnection.objects.filter(pk=self.pk).update(
            last_error=message[:2000], last_error_at=timezone.now()
        )
