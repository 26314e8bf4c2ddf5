"""Everything decided before a sales order is sent: customer, VAT codes, items - in words.

An order that fails a check waits in "needs attention" with the reasons listed, and is forwarded
automatically once the mapping is fixed (no retyping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from channels_app.models import Channel, ChannelOrder, ChannelOrderLine, CustomerMode, VatMapping
from exactsync.models import Account, VatCode


@dataclass
class Plan:
    """What would be sent, or why not."""

    customer: Account | None = None
    create_customer: bool = False
    vat: dict[int, VatCode] = field(default_factory=dict)  # line id -> VAT code
    shipping_vat: VatCode | None = None
    problems: list[str] = field(default_factory=list)


def vat_code_for(
    channel: Channel, country: str, rate: Decimal | None, mappings: list[VatMapping]
) -> VatCode | None:
    """(country, rate) -> Exact VAT code: an exact country row first, then any-country, then the default."""
    if rate is not None:
        for wanted_country in (country, ""):
            for mapping in mappings:
                if mapping.country == wanted_country and mapping.rate == Decimal(rate).quantize(
                    Decimal("0.001")
                ):
                    return mapping.vat_code
    return channel.default_vat_code


def resolve_customer(order: ChannelOrder, plan: Plan) -> None:
    channel = order.channel
    if order.exact_customer_id:  # picked by staff, or matched before
        plan.customer = order.exact_customer
        return
    if channel.customer_mode == CustomerMode.MAPPED:
        mapping = (
            channel.customer_mappings.filter(country=order.country)
            .select_related("customer")
            .first()
        )
        plan.customer = mapping.customer if mapping else channel.customer
        if plan.customer is None:
            plan.problems.append(
                f"No Exact customer is mapped for channel {channel.name}"
                f"{' and country ' + order.country if order.country else ''}."
            )
        return
    accounts = Account.objects.filter(
        connection=channel.connection, is_customer=True, blocked=False
    )
    for value, lookup, label in (
        (order.buyer_vat_number, "vat_number__iexact", "VAT number"),
        (order.buyer_coc_number, "coc_number", "chamber of commerce number"),
        (order.buyer_email, "email__iexact", "e-mail"),
    ):
        if value:
            matches = list(accounts.filter(**{lookup: value.strip()})[:2])
            if len(matches) == 1:
                plan.customer = matches[0]
                return
            if len(matches) > 1:
                plan.problems.append(
                    f"Two Exact customers have {label} {value}: pick the right one on the order."
                )
                return
    if channel.create_customers and (order.buyer_company or order.buyer_name):
        plan.create_customer = True
    else:
        plan.problems.append(
            f"No Exact account matches the buyer ({order.buyer_company or order.buyer_name}, "
            f"VAT {order.buyer_vat_number or '-'}, {order.buyer_email or 'no e-mail'}): "
            "pick the account on the order."
        )


def check(order: ChannelOrder) -> Plan:
    """Customer, items and VAT for every line; the reasons in words when something is missing."""
    plan = Plan()
    channel = order.channel
    resolve_customer(order, plan)
    if plan.customer is not None and plan.customer.blocked:
        plan.problems.append(
            f"Exact customer {plan.customer.code} {plan.customer.name} is blocked."
        )
    mappings = list(channel.vat_mappings.select_related("vat_code"))
    lines: list[ChannelOrderLine] = [
        ln
        for ln in order.lines.select_related("product", "listing")
        if ln.open_quantity > 0 and not ln.marketplace_fulfilled
    ]
    if not lines:
        plan.problems.append(
            "The order has no lines left to send (all cancelled or fulfilled by the marketplace)."
        )
    for line in lines:
        what = line.sku or line.ean or line.listing_external_id
        product = line.product
        if product is None:
            plan.problems.append(f"Unknown listing {what}: link it to a product.")
            continue
        if not product.is_sales_item:
            plan.problems.append(f"{product.code} is not a sales item in Exact.")
        if not product.is_sellable:
            plan.problems.append(
                f"{product.code} is inactive in Exact (end date passed or deleted)."
            )
        vat = vat_code_for(channel, order.country, line.vat_rate, mappings)
        if vat is None:
            rate = (
                f"{line.vat_rate.normalize():f}%"
                if line.vat_rate is not None
                else "an unknown rate"
            )
            plan.problems.append(
                f"No VAT code for {order.country or 'this country'} at {rate} ({product.code}): "
                "add it to the channel's VAT table or set a default."
            )
        elif vat.is_blocked:
            plan.problems.append(f"VAT code {vat.code} is blocked in Exact.")
        else:
            plan.vat[line.pk] = vat
    if order.shipping_incl and channel.shipping_item_id:
        plan.shipping_vat = vat_code_for(channel, order.country, order.shipping_vat_rate, mappings)
        if plan.shipping_vat is None:
            plan.problems.append(
                "No VAT code for the shipping costs: set the channel's default VAT code."
            )
    return plan
