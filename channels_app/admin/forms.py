"""The channel form: credentials are typed in, encrypted, and never shown back."""

from __future__ import annotations

from typing import Any

from django import forms

from channels_app.models import CREDENTIAL_FIELDS, Channel

ALL_CREDENTIAL_KEYS = sorted({key for fields in CREDENTIAL_FIELDS.values() for key, _ in fields})
# Identifiers staff need to read back. Client ids and consumer keys are half of a credential
# pair (WooCommerce's consumer key is the Basic-auth user name): typed in, never shown back.
NON_SECRET_KEYS = {"shop_domain", "seller_id", "marketplace_ids", "location_id"}
OPTIONAL_KEYS = {"app_secret", "webhook_secret", "location_id"}
MASK = "•••"


def scrub(text: str, credentials: dict[str, Any]) -> str:
    """`text` with every stored credential value (4+ characters) replaced by a mask.

    Vendor messages sometimes echo what was sent; whatever staff read must not carry a secret.
    """
    for key, value in (credentials or {}).items():
        if key not in NON_SECRET_KEYS and isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, MASK)
    return text


def _label(key: str) -> str:
    return next(lbl for fields in CREDENTIAL_FIELDS.values() for k, lbl in fields if k == key)


def _kinds(key: str) -> str:
    return ", ".join(
        str(kind) for kind, fields in CREDENTIAL_FIELDS.items() if any(k == key for k, _ in fields)
    )


def _credential_field(key: str) -> forms.CharField:
    widget = (
        forms.TextInput()
        if key in NON_SECRET_KEYS
        else forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
    )
    return forms.CharField(label=_label(key), required=False, widget=widget)


# One `cred_<key>` field per credential, declared on a base class so the admin's fieldsets can
# name them (fields added in __init__ are unknown to ModelAdmin.get_form).
CredentialFields = type(
    "CredentialFields",
    (forms.Form,),
    {
        "__module__": __name__,
        **{f"cred_{key}": _credential_field(key) for key in ALL_CREDENTIAL_KEYS},
    },
)


class ChannelForm(CredentialFields, forms.ModelForm):  # type: ignore[misc,valid-type]
    """Adds one input per credential; an empty input keeps what is stored."""

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "connection",
            "is_active",
            "base_url",
            "auth_url",
            "forward_orders",
            "shadow_mode",
            "sync_stock",
            "fulfilment_mode",
            "customer_mode",
            "customer",
            "create_customers",
            "default_vat_code",
            "shipping_item",
            "discount_item",
            "fee_item",
            "ship_by_hours",
            "poll_minutes",
            "warehouses",
            "stock_buffer",
            "stock_cap",
            "drop_guard_share",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.credentials if self.instance and self.instance.pk else {}
        for key in ALL_CREDENTIAL_KEYS:
            field = self.fields[f"cred_{key}"]
            is_set = bool(stored.get(key))
            field.help_text = f"{_kinds(key)}. " + (
                "Stored; leave empty to keep it." if is_set else "Not set."
            )
            if key in NON_SECRET_KEYS:
                field.initial = stored.get(key, "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        stored = dict(self.instance.credentials) if self.instance.pk else {}
        for key in ALL_CREDENTIAL_KEYS:
            value = (cleaned.get(f"cred_{key}") or "").strip()
            if value:
                stored[key] = value
        if kind:
            missing = [
                label
                for key, label in CREDENTIAL_FIELDS[kind]
                if key not in OPTIONAL_KEYS and not stored.get(key)
            ]
            if missing:
                raise forms.ValidationError(
                    f"{Channel(kind=kind).get_kind_display()} needs: {', '.join(missing)}."
                )
            # Another kind's keys (the kind was changed) are not kept around.
            wanted = {key for key, _ in CREDENTIAL_FIELDS[kind]}
            stored = {key: value for key, value in stored.items() if key in wanted}
        self.instance.credentials = stored
        return cleaned
