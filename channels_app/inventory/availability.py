"""The quantity a channel offers per product, and how it was computed.

    quantity = floor(free stock over the channel's warehouses - open holds) - buffer,
               capped by the channel's maximum, never below 0.

A kit (a product with assembly BOM lines) offers its own free stock (when Exact keeps the kit
itself in stock) minus the holds on the kit, plus as many kits as its scarcest component allows:
min over the components of floor(component availability / quantity per kit), where a component's
availability uses the same warehouses and holds (nested kits recurse). Buffer and cap apply once,
to the product that is listed.

Everything is computed for many products at once: one query for the warehouses, the BOM tree,
the stock levels and the holds each, whatever the number of products.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from channels_app.models import Channel, Listing, StockHold
from exactsync.models import BomKind, BomLine, Product, StockLevel, Warehouse

CHUNK = 2000  # ids per IN (...) query
ZERO = Decimal("0")
MAX_DEPTH = 10  # BOM nesting; deeper (or a cycle) counts as no kits from components


@dataclass(frozen=True)
class WarehouseChoice:
    """Whose free stock counts for a channel: ids (None = every warehouse) and why."""

    ids: frozenset[int] | None
    codes: tuple[str, ...]
    source: str  # "channel", "connection" or "all"

    def describe(self) -> str:
        if self.ids is None:
            return "all warehouses (none chosen on the channel or the Exact connection)"
        where = "the channel's" if self.source == "channel" else "the Exact connection's"
        return f"{', '.join(self.codes)} ({where} choice)"


@dataclass
class Component:
    """One BOM line of a kit, with what the component allows."""

    per_kit: Decimal
    breakdown: Breakdown
    kits: int  # floor(max(0, component net) / per_kit)


@dataclass
class Breakdown:
    """The terms before buffer and cap, for one product over one set of warehouses."""

    product_id: int
    code: str
    free_by_warehouse: list[tuple[str, Decimal]] = field(default_factory=list)
    free: Decimal = ZERO
    held: Decimal = ZERO
    is_kit: bool = False
    own_stock_counted: bool = True  # a kit's own stock counts when Exact keeps kits in stock
    components: list[Component] = field(default_factory=list)
    kits_from_components: int = 0
    net: Decimal = ZERO  # own stock counted - holds (+ kits from components)

    @property
    def limiting(self) -> Component | None:
        """The scarcest component of a kit."""
        return min(self.components, key=lambda c: c.kits) if self.components else None


@dataclass
class Availability:
    """The quantity offered for one product on one channel (one listing), with every term."""

    channel_id: int
    product_id: int
    breakdown: Breakdown
    warehouses: WarehouseChoice
    buffer: int
    buffer_source: str  # "channel" or "listing"
    cap: int | None
    quantity: int
    computed_at: datetime
    listing_id: int | None = None

    @property
    def before_buffer(self) -> int:
        return math.floor(self.breakdown.net)

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.before_buffer - self.buffer > self.cap

    def terms(self) -> list[tuple[str, str]]:
        """(label, value) lines for people, in the order the formula applies them."""
        b = self.breakdown
        rows: list[tuple[str, str]] = [("Warehouses", self.warehouses.describe())]
        if not b.is_kit or b.own_stock_counted:
            label = "Kit's own free stock" if b.is_kit else "Free stock"
            per = ", ".join(f"{code}: {_n(q)}" for code, q in b.free_by_warehouse) or "none"
            rows.append((label, f"{_n(b.free)} ({per})"))
        rows.append(("Open holds (orders not yet in Exact)", f"- {_n(b.held)}"))
        if b.is_kit:
            limiting = b.limiting
            scarce = f", limited by {limiting.breakdown.code}" if limiting else ""
            rows.append(("Kits from components", f"+ {b.kits_from_components}{scarce}"))
        rows.append(("Before buffer (rounded down)", str(self.before_buffer)))
        rows.append((f"Buffer ({self.buffer_source}'s)", f"- {self.buffer}"))
        if self.cap is not None:
            rows.append(("Cap", f"{self.cap}{' (applied)' if self.capped else ''}"))
        rows.append(("Offered (never below 0)", str(self.quantity)))
        return rows


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(set(ids))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def warehouse_choice(channel: Channel) -> WarehouseChoice:
    """The channel's warehouses; none chosen = the connection's stock warehouses; none = all."""
    chosen = list(channel.warehouses.values_list("pk", "code"))
    source = "channel"
    if not chosen:
        chosen = list(
            Warehouse.objects.filter(
                pk__in=channel.connection.stock_warehouses.values("pk")
            ).values_list("pk", "code")
        )
        source = "connection"
    if not chosen:
        return WarehouseChoice(None, (), "all")
    chosen.sort(key=lambda w: w[1])
    return WarehouseChoice(frozenset(pk for pk, _ in chosen), tuple(c for _, c in chosen), source)


class _Inputs:
    """Everything the formula reads, loaded once for a set of products and their BOM trees."""

    def __init__(self, product_ids: Iterable[int], warehouses: WarehouseChoice) -> None:
        self.bom: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        wanted = set(product_ids)
        frontier = set(wanted)
        for _ in range(MAX_DEPTH):
            found: set[int] = set()
            for chunk in _chunks(frontier):
                lines = BomLine.objects.filter(kit_id__in=chunk, kind=BomKind.ASSEMBLY)
                for kit, component, quantity in lines.values_list(
                    "kit_id", "component_id", "quantity"
                ):
                    self.bom[kit].append((component, quantity))
                    found.add(component)
            frontier = found - wanted
            wanted |= found
            if not frontier:
                break
        self.products: dict[int, tuple[str, bool]] = {}
        self.free: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
        self.held: dict[int, Decimal] = {}
        for chunk in _chunks(wanted):
            for pk, code, stock_item in Product.objects.filter(pk__in=chunk).values_list(
                "pk", "code", "is_stock_item"
            ):
                self.products[pk] = (code, stock_item)
            levels = StockLevel.objects.filter(product_id__in=chunk)
            if warehouses.ids is not None:
                levels = levels.filter(warehouse_id__in=warehouses.ids)
            for product_id, code, free in levels.values_list(
                "product_id", "warehouse__code", "free"
            ):
                self.free[product_id].append((code, free))
            holds = (
                StockHold.objects.filter(product_id__in=chunk, released_at__isnull=True)
                .values("product_id")
                .annotate(total=Sum("quantity"))
            )
            for row in holds:
                self.held[row["product_id"]] = row["total"] or ZERO


class _Calculator:
    def __init__(self, inputs: _Inputs) -> None:
        self.inputs = inputs
        self.done: dict[int, Breakdown] = {}

    def breakdown(self, product_id: int, path: tuple[int, ...] = ()) -> Breakdown:
        if product_id in self.done:
            return self.done[product_id]
        code, stock_item = self.inputs.products.get(product_id, (f"#{product_id}", True))
        free_rows = sorted(self.inputs.free.get(product_id, []))
        b = Breakdown(
            product_id=product_id,
            code=code,
            free_by_warehouse=free_rows,
            free=sum((q for _, q in free_rows), ZERO),
            held=self.inputs.held.get(product_id, ZERO),
            is_kit=product_id in self.inputs.bom,
        )
        if not b.is_kit:
            b.net = b.free - b.held
        else:
            b.own_stock_counted = stock_item
            own = b.free if stock_item else ZERO
            inside = (*path, product_id)
            for component_id, per_kit in self.inputs.bom[product_id]:
                if component_id in inside or len(inside) >= MAX_DEPTH:
                    inner = Breakdown(component_id, f"#{component_id} (BOM cycle or too deep)")
                else:
                    inner = self.breakdown(component_id, inside)
                kits = max(0, math.floor(inner.net / per_kit))
                b.components.append(Component(per_kit=per_kit, breakdown=inner, kits=kits))
            b.kits_from_components = min((c.kits for c in b.components), default=0)
            b.net = own - b.held + b.kits_from_components
        self.done[product_id] = b
        return b


def breakdowns(product_ids: Iterable[int], warehouses: WarehouseChoice) -> dict[int, Breakdown]:
    """Net availability (before buffer and cap) per product, kits resolved, in a few queries."""
    ids = set(product_ids)
    calculator = _Calculator(_Inputs(ids, warehouses))
    return {pk: calculator.breakdown(pk) for pk in ids}


def finish(
    channel: Channel,
    breakdown: Breakdown,
    warehouses: WarehouseChoice,
    *,
    buffer_override: int | None = None,
    listing_id: int | None = None,
    now: datetime | None = None,
) -> Availability:
    """Apply buffer, cap and the floor at 0 to a breakdown."""
    buffer = buffer_override if buffer_override is not None else channel.stock_buffer
    quantity = math.floor(breakdown.net) - buffer
    if channel.stock_cap is not None:
        quantity = min(quantity, channel.stock_cap)
    return Availability(
        channel_id=channel.pk,
        product_id=breakdown.product_id,
        breakdown=breakdown,
        warehouses=warehouses,
        buffer=buffer,
        buffer_source="listing" if buffer_override is not None else "channel",
        cap=channel.stock_cap,
        quantity=max(0, quantity),
        computed_at=now or timezone.now(),
        listing_id=listing_id,
    )


def listing_availability(
    channel: Channel, listings: Iterable[tuple[int, int, int | None]]
) -> dict[int, Availability]:
    """listing id -> Availability, for (listing id, product id, buffer override) rows of one
    channel. The service the push pass and reconcile use."""
    rows = list(listings)
    warehouses = warehouse_choice(channel)
    found = breakdowns({product_id for _, product_id, _ in rows}, warehouses)
    now = timezone.now()
    return {
        listing_id: finish(
            channel,
            found[product_id],
            warehouses,
            buffer_override=override,
            listing_id=listing_id,
            now=now,
        )
        for listing_id, product_id, override in rows
    }


def compute_availability(channel: Channel, product_ids: Iterable[int]) -> dict[int, Availability]:
    """product id -> Availability on `channel` with the channel's own buffer (no listing)."""
    warehouses = warehouse_choice(channel)
    found = breakdowns(product_ids, warehouses)
    now = timezone.now()
    return {pk: finish(channel, b, warehouses, now=now) for pk, b in found.items()}


def explain_availability(
    channel: Channel, product: Product, listing: Listing | None = None
) -> Availability:
    """The number and every term, for one product on one channel (the listing's buffer override
    applies when a listing is given or the channel has exactly one for the product)."""
    if listing is None:
        listings = list(Listing.objects.filter(channel=channel, product=product)[:2])
        listing = listings[0] if len(listings) == 1 else None
    warehouses = warehouse_choice(channel)
    breakdown = breakdowns([product.pk], warehouses)[product.pk]
    return finish(
        channel,
        breakdown,
        warehouses,
        buffer_override=listing.buffer_override if listing else None,
        listing_id=listing.pk if listing else None,
    )
