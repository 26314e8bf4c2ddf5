"""Carriers: our name (or Exact's shipping method) -> the channel's code, and suggested defaults.

A shipment is confirmed only with a mapping from the channel's carrier table (CarrierMapping):
bol does not let a tracking number be changed once sent, so nothing is guessed. The suggestions
below come from the reference table (channel-apis.md section 6) and list only codes a primary
source confirms; they are offered to staff, never applied on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from channels_app.models import CarrierMapping, Channel, ChannelKind
from exactsync.models import ShippingMethod

# Names people (and Exact shipping methods) use -> the reference table's internal key.
ALIASES: dict[str, str] = {
    "postnl": "POSTNL_PARCEL",
    "pnl": "POSTNL_PARCEL",
    "postnlparcel": "POSTNL_PARCEL",
    "postnlpakket": "POSTNL_PARCEL",
    "postnlmailbox": "POSTNL_MAILBOX",
    "postnlbrievenbus": "POSTNL_MAILBOX",
    "brievenbuspakje": "POSTNL_MAILBOX",
    "dhl": "DHL_PARCEL_NL",
    "dhlparcel": "DHL_PARCEL_NL",
    "dhlparcelnl": "DHL_PARCEL_NL",
    "dhlforyou": "DHL_PARCEL_NL",
    "dhlexpress": "DHL_EXPRESS",
    "dhlpaket": "DHL_DE",
    "dhlde": "DHL_DE",
    "dpd": "DPD_NL",
    "dpdnl": "DPD_NL",
    "dpdbe": "DPD_BE",
    "gls": "GLS",
    "ups": "UPS",
    "bpost": "BPOST",
    "fedex": "FEDEX",
    "budbee": "BUDBEE",
    "trunkrs": "TRUNKRS",
}

# Internal key -> per channel kind (code, carrier name for "Other"-style codes). Confirmed only.
SUGGESTED: dict[str, dict[str, tuple[str, str]]] = {
    "POSTNL_PARCEL": {
        ChannelKind.BOL: ("TNT", ""),
        ChannelKind.AMAZON: ("Other", "PostNL"),
        ChannelKind.SHOPIFY: ("PostNL", ""),
        ChannelKind.WOOCOMMERCE: ("PostNL", ""),
    },
    "POSTNL_MAILBOX": {
        ChannelKind.BOL: ("TNT_BRIEF", ""),
        ChannelKind.AMAZON: ("Other", "PostNL"),
        ChannelKind.SHOPIFY: ("PostNL", ""),
        ChannelKind.WOOCOMMERCE: ("PostNL", ""),
    },
    "DHL_PARCEL_NL": {
        ChannelKind.BOL: ("DHLFORYOU", ""),
        ChannelKind.AMAZON: ("DHL", ""),
        ChannelKind.SHOPIFY: ("DHL Parcel", ""),
    },
    "DHL_EXPRESS": {
        ChannelKind.BOL: ("DHL", ""),
        ChannelKind.AMAZON: ("DHL", ""),
        ChannelKind.SHOPIFY: ("DHL Express", ""),
    },
    "DHL_DE": {
        ChannelKind.BOL: ("DHL_DE", ""),
        ChannelKind.AMAZON: ("DHL", ""),
        ChannelKind.SHOPIFY: ("DHL", ""),
    },
    "DPD_NL": {
        ChannelKind.BOL: ("DPD-NL", ""),
        ChannelKind.AMAZON: ("DPD", ""),
        ChannelKind.SHOPIFY: ("DPD", ""),
        ChannelKind.WOOCOMMERCE: ("DPD.NL", ""),
    },
    "DPD_BE": {
        ChannelKind.BOL: ("DPD-BE", ""),
        ChannelKind.AMAZON: ("DPD", ""),
        ChannelKind.SHOPIFY: ("DPD", ""),
    },
    "GLS": {
        ChannelKind.BOL: ("GLS", ""),
        ChannelKind.AMAZON: ("GLS", ""),
        ChannelKind.SHOPIFY: ("GLS", ""),
    },
    "UPS": {
        ChannelKind.BOL: ("UPS", ""),
        ChannelKind.AMAZON: ("UPS", ""),
        ChannelKind.SHOPIFY: ("UPS", ""),
        ChannelKind.WOOCOMMERCE: ("UPS Netherlands", ""),
    },
    "BPOST": {
        ChannelKind.BOL: ("BPOST_BE", ""),
        ChannelKind.AMAZON: ("Other", "bpost"),
        ChannelKind.SHOPIFY: ("BPost", ""),
    },
    "FEDEX": {
        ChannelKind.BOL: ("FEDEX_NL", ""),
        ChannelKind.AMAZON: ("FedEx", ""),
        ChannelKind.SHOPIFY: ("FedEx", ""),
    },
    "BUDBEE": {ChannelKind.BOL: ("BUDBEE", ""), ChannelKind.AMAZON: ("Other", "Budbee")},
    "TRUNKRS": {ChannelKind.BOL: ("TRUNKRS", ""), ChannelKind.AMAZON: ("Other", "Trunkrs")},
}


def normalise(name: str) -> str:
    """'Post NL', 'post-nl', 'POSTNL' -> 'postnl'."""
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


@dataclass(frozen=True)
class Suggestion:
    code: str
    carrier_name: str = ""

    def __str__(self) -> str:
        return f"{self.code} + carrier name {self.carrier_name}" if self.carrier_name else self.code


def suggest(kind: str, *names: str) -> Suggestion | None:
    """The confirmed code of a carrier on a channel kind, from any of its names."""
    for name in names:
        key = ALIASES.get(normalise(name))
        found = SUGGESTED.get(key or "", {}).get(kind)
        if found:
            return Suggestion(*found)
    return None


def carrier_names(channel: Channel, carrier: str) -> list[str]:
    """The names a carrier goes by: as given, and for an Exact shipping method code its
    description (so a mapping for 'PostNL' also serves Exact's method 'PNL PostNL')."""
    names = [carrier]
    method = ShippingMethod.objects.filter(
        connection_id=channel.connection_id, code__iexact=carrier.strip()
    ).first()
    if method is not None and method.description:
        names.append(method.description)
    return names


def find_mapping(
    channel: Channel, carrier: str, *, mappings: Iterable[CarrierMapping] | None = None
) -> CarrierMapping | None:
    """The channel's mapping for a carrier: by Exact shipping method first, then by name."""
    if not carrier.strip():
        return None
    rows = list(
        mappings
        if mappings is not None
        else channel.carrier_mappings.select_related("shipping_method")
    )
    key = normalise(carrier)
    for mapping in rows:
        if mapping.shipping_method is not None and normalise(mapping.shipping_method.code) == key:
            return mapping
    names = {normalise(n) for n in carrier_names(channel, carrier)}
    return next((m for m in rows if normalise(m.carrier) in names), None)


def unmapped_reason(channel: Channel, carrier: str) -> str:
    """Why a carrier cannot be sent to this channel, in the e-commerce manager's words."""
    if not carrier.strip():
        return (
            "No carrier: the shipment names no carrier (or Exact's delivery has no shipping "
            "method). Add one, then retry."
        )
    hint = suggest(channel.kind, *carrier_names(channel, carrier))
    advice = f" (suggested {channel.get_kind_display()} code: {hint})" if hint else ""
    return (
        f'Carrier "{carrier}" has no mapping on channel {channel.name}: add it under the '
        f"channel's carriers{advice}, then retry. Nothing was sent."
    )


def mapping_problem(channel: Channel, mapping: CarrierMapping) -> str:
    """A mapping the channel would refuse, caught before sending."""
    other = mapping.channel_code.strip().lower() == "other"
    if channel.kind == ChannelKind.AMAZON and other and not mapping.channel_carrier_name.strip():
        return (
            f'Amazon needs a carrier name with code "Other": fill in the carrier name of '
            f'the mapping for "{mapping.carrier}" on channel {channel.name}.'
        )
    if not mapping.channel_code.strip():
        return f'The mapping for "{mapping.carrier}" on channel {channel.name} has no code.'
    return ""


def tracking_url(
    mapping: CarrierMapping | None, tracking_number: str, fallback: str = "", *, method: str = ""
) -> str:
    """The tracking link: the mapping's template, else the given one, else Exact's method's."""
    for template in (mapping.tracking_url if mapping else "", fallback, method):
        if template:
            return template.replace("{tracking}", tracking_number).replace("{0}", tracking_number)
    return ""


def add_suggested_mappings(channel: Channel, carriers: Iterable[str]) -> list[CarrierMapping]:
    """Create the suggested mapping for each named carrier the channel has none for."""
    created = []
    for carrier in carriers:
        if not carrier.strip() or find_mapping(channel, carrier) is not None:
            continue
        hint = suggest(channel.kind, *carrier_names(channel, carrier))
        if hint is None:
            continue
        method = ShippingMethod.objects.filter(
            connection_id=channel.connection_id, code__iexact=carrier.strip()
        ).first()
        created.append(
            CarrierMapping.objects.create(
                channel=channel,
                carrier=carrier.strip()[:60],
                shipping_method=method,
                channel_code=hint.code,
                channel_carrier_name=hint.carrier_name,
            )
        )
    return created
