"""Staff roles as Django groups (DESIGN: purchaser, e-commerce, operator, read-only).

`python manage.py setup_roles` creates or updates them; running it twice changes nothing.
Permissions are listed explicitly per role, so a role never silently gains a new model.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

EXACT = "exactsync"
CHANNELS = "channels_app"


def _perms(app: str, actions: str, *models: str) -> list[tuple[str, str]]:
    return [(app, f"{action}_{model}") for model in models for action in actions.split()]


ROLES: dict[str, list[tuple[str, str]]] = {
    "purchaser": [
        *_perms(EXACT, "view change", "product", "productsupplier"),
        *_perms(EXACT, "add delete", "productsupplier"),
        *_perms(
            EXACT,
            "view",
            "supplier",
            "account",
            "warehouse",
            "stocklevel",
            "bomline",
            "goodsreceiptline",
            "salesline",
            "importjob",
            "activityevent",
            "vatcode",
        ),
        *_perms(EXACT, "view add change", "purchaseorder", "purchaseorderline"),
        *_perms(EXACT, "view change", "failedwrite"),
        *_perms(EXACT, "view", "syncrun"),
    ],
    "e-commerce": [
        *_perms(
            CHANNELS,
            "view add change delete",
            "channel",
            "customermapping",
            "vatmapping",
            "carriermapping",
            "listing",
        ),
        *_perms(
            CHANNELS,
            "view",
            "channelorder",
            "channelorderline",
            "stockpush",
            "stockhold",
            "shipment",
        ),
        *_perms(
            EXACT,
            "view",
            "product",
            "customer",
            "account",
            "vatcode",
            "shippingmethod",
            "warehouse",
            "stocklevel",
            "activityevent",
        ),
    ],
    "operator": [
        *_perms(EXACT, "view change", "outbox", "webhookevent", "purchaseorder", "failedwrite"),
        *_perms(EXACT, "view", "report"),
        *_perms(
            EXACT,
            "view",
            "syncrun",
            "synccheckpoint",
            "activityevent",
            "importjob",
            "product",
            "purchaseorderline",
            "exactconnection",
        ),
        *_perms(CHANNELS, "view change", "channelorder", "shipment"),
        *_perms(
            CHANNELS, "view", "channelorderline", "stockpush", "stockhold", "listing", "channel"
        ),
        ("django_q", "view_failure"),
        ("django_q", "view_success"),
        ("django_q", "view_schedule"),
        ("django_q", "view_ormq"),
    ],
}

# Tracking numbers (issue 9): the operator records shipments (order page, CSV) and fixes blocked
# or refused ones; e-commerce sees their lines and maps carriers (already above).
ROLES["operator"] += [
    *_perms(CHANNELS, "add delete", "shipment"),
    *_perms(CHANNELS, "view", "shipmentline", "carriermapping"),
]
ROLES["e-commerce"] += _perms(CHANNELS, "view", "shipmentline")


def read_only_permissions() -> list[Permission]:
    return list(
        Permission.objects.filter(
            Q(content_type__app_label__in=[EXACT, CHANNELS]) & Q(codename__startswith="view_")
        )
    )


def sync_roles() -> dict[str, int]:
    """Create or update the groups; return the number of permissions per group."""
    result = {}
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        q = Q(pk__in=[])
        for app, codename in wanted:
            q |= Q(content_type__app_label=app, codename=codename)
        perms = list(Permission.objects.filter(q))
        missing = {f"{a}.{c}" for a, c in wanted} - {
            f"{p.content_type.app_label}.{p.codename}" for p in perms
        }
        if missing:
            raise RuntimeError(
                f"role {name}: unknown permissions {sorted(missing)} (run migrate first)"
            )
        group.permissions.set(perms)
        result[name] = len(perms)
    group, _ = Group.objects.get_or_create(name="read-only")
    perms = read_only_permissions()
    group.permissions.set(perms)
    result["read-only"] = len(perms)
    return result
