"""Fills a division with deterministic demo data (the catalogue itself comes from seed_data.py):
reference data, suppliers and customers, items, supplier links, stock and bills of material."""

from __future__ import annotations

import random
from typing import Any

from .formats import midnight_ms, new_guid, pad_code, wire_date
from .rows import (
    insert_assembly_bom,
    insert_manufacturing_bom,
    insert_supplier_item,
    link_warehouse,
)
from .seed_data import (
    CHANNEL_CUSTOMERS,
    DAY_MS,
    ITEM_GROUPS,
    SHIPPING_METHODS,
    SUPPLIER_NAMES,
    UNITS,
    VAT_CODES,
    ItemBasics,
    item_basics,
)
from .store import DivisionState


class Seeder:
    """Fills an empty DivisionState; used by `ExactSandbox.reset`."""

    def __init__(self, state: DivisionState, seed: int, now: float) -> None:
        self.state = state
        self.rng = random.Random(f"division:{state.code}:{seed}")
        self.seed = seed
        self.today = midnight_ms(now)
        self.kit_codes: set[str] = set()

    def guid(self) -> str:
        """A deterministic GUID."""
        return new_guid(self.rng)

    def reference_data(self, warehouses: int) -> None:
        """VAT codes, shipping methods, units, warehouses: what every division has."""
        st = self.state
        for code, text, pct, kind, blocked in VAT_CODES:
            self._add(
                "vat_codes",
                {
                    "ID": self.guid(),
                    "Code": code,
                    "Description": text,
                    "Percentage": pct,
                    "Type": kind,
                    "VATTransactionType": "B",
                    "IsBlocked": blocked,
                },
            )
        for code, text, url in SHIPPING_METHODS:
            self._add(
                "shipping_methods",
                {
                    "ID": self.guid(),
                    "Code": code,
                    "Description": text,
                    "Active": True,
                    "TrackingURL": url,
                    "Amount": 0.0,
                    "VATCode": "1",
                },
            )
        for code, text, kind, main in UNITS:
            self._add(
                "units",
                {
                    "ID": self.guid(),
                    "Code": code,
                    "Description": text,
                    "Type": kind,
                    "Active": True,
                    "Main": main,
                },
            )
        for n in range(1, warehouses + 1):
            row = {
                "ID": self.guid(),
                "Code": str(n),
                "Description": "Hoofdmagazijn" if n == 1 else f"Magazijn {n}",
                "Main": 1 if n == 1 else 0,
                "UseStorageLocations": 0,
            }
            self._add("warehouses", row)
            if n == 1:
                st.main_warehouse = row["ID"]

    def _add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.state[table].insert(row)
        if table in self.state.by_code:
            key = row["Code"].strip() if isinstance(row.get("Code"), str) else row.get("Code")
            self.state.by_code[table][key] = row["ID"]
        return row

    def accounts(self, suppliers: int, customers: int) -> list[dict[str, Any]]:
        """Suppliers (the last one blocked), channel customers and a few B2B customers."""
        made = []
        for i in range(suppliers):
            base = SUPPLIER_NAMES[i % len(SUPPLIER_NAMES)]
            name = base if i < len(SUPPLIER_NAMES) else f"{base} {i // len(SUPPLIER_NAMES) + 1}"
            made.append(
                self._add(
                    "accounts",
                    {
                        "ID": self.guid(),
                        "Code": pad_code(1001 + i),
                        "Name": name,
                        "IsSupplier": True,
                        "IsSales": False,
                        "IsPurchase": True,
                        "Blocked": i == suppliers - 1,
                        "Status": None,
                        "Type": "A",
                        "Country": "NL",
                        "PurchaseCurrency": "EUR",
                        "PurchaseLeadDays": self.rng.randint(2, 21),
                        "PurchaseVATCode": "1",
                        "Email": f"inkoop@supplier{i + 1}.example",
                        "Language": "NL",
                    },
                )
            )
        for code, name, country in CHANNEL_CUSTOMERS:
            self._add(
                "accounts",
                {
                    "ID": self.guid(),
                    "Code": pad_code(code),
                    "Name": name,
                    "IsSupplier": False,
                    "IsSales": True,
                    "Blocked": False,
                    "Status": "C",
                    "Type": "A",
                    "Country": country,
                    "SalesCurrency": "EUR",
                    "SalesVATCode": "1",
                    "Language": "NL",
                },
            )
        for i in range(customers):
            self._add(
                "accounts",
                {
                    "ID": self.guid(),
                    "Code": pad_code(3001 + i),
                    "Name": f"B2B Klant {i + 1} B.V.",
                    "IsSupplier": False,
                    "IsSales": True,
                    "Blocked": False,
                    "Status": "C",
                    "Type": "A",
                    "Country": "NL",
                    "SalesCurrency": "EUR",
                    "VATNumber": f"NL{self.rng.randint(10**8, 10**9 - 1)}B01",
                    "ChamberOfCommerce": f"{self.rng.randint(10**7, 10**8 - 1)}",
                    "Email": f"inkoop@klant{i + 1}.example",
                    "City": "Utrecht",
                    "SalesVATCode": "1",
                    "Language": "NL",
                },
            )
        return made

    def items(self, basics: list[ItemBasics]) -> list[dict[str, Any]]:
        """Item rows from the basics; the first stock item past #10 becomes the make item."""
        groups = [(self.guid(), code, text) for code, text in ITEM_GROUPS]
        stock = [b for b in basics if b.kind == "stock" and b.end is None]
        make_code = stock[min(10, len(stock) - 1)].code if stock else None
        start = wire_date(self.today - 5 * 365 * DAY_MS)
        rows = []
        for b in basics:
            group = groups[int(b.code[4:]) % len(groups)]
            end = None
            if b.end == "past":
                end = wire_date(self.today - self.rng.randint(30, 400) * DAY_MS)
            elif b.end == "future":
                end = wire_date(self.today + self.rng.randint(30, 200) * DAY_MS)
            is_make = b.code == make_code
            rows.append(
                self._add(
                    "items",
                    {
                        "ID": self.guid(),
                        "Code": b.code,
                        "Description": b.description,
                        "Barcode": b.ean,
                        "SearchCode": b.code,
                        "IsSalesItem": True,
                        "IsPurchaseItem": b.kind == "stock" and not is_make,
                        "IsStockItem": b.kind == "stock",
                        "IsMakeItem": 1 if is_make else 0,
                        "IsBatchItem": 0,
                        "IsSerialItem": False,
                        "IsFractionAllowedItem": False,
                        "IsWebshopItem": 1,
                        "IsTaxableItem": 1,
                        "StartDate": start,
                        "EndDate": end,
                        "CostPriceStandard": b.cost,
                        "AverageCost": round(b.cost * self.rng.uniform(0.95, 1.05), 2),
                        "CostPriceCurrency": "EUR",
                        "StandardSalesPrice": b.sales_price,
                        "Unit": "pc",
                        "UnitDescription": "Stuk",
                        "UnitType": "A",
                        "ItemGroup": group[0],
                        "ItemGroupCode": group[1],
                        "ItemGroupDescription": group[2],
                        "SalesVatCode": "2" if int(b.code[4:]) % 7 == 0 else "1",
                        "GrossWeight": round(self.rng.uniform(0.1, 12), 2),
                        "NetWeight": None,
                    },
                )
            )
        return rows

    def supplier_items(self, items: list[dict[str, Any]], suppliers: list[dict[str, Any]]) -> None:
        """1-2 supplier links per purchase item (60% get two); the first, the MainSupplier, goes
        round-robin over the suppliers so each one (the blocked one too) has items.

        PurchasePrice (per purchase unit) stays below 0.93 x CostPriceStandard x factor, so it never
        equals the item's CostPriceStandard or AverageCost (0.95-1.05 x cost).
        """
        rng = self.rng
        purchase = [it for it in items if it["IsPurchaseItem"]]
        for j, item in enumerate(purchase):
            chosen = [suppliers[j % len(suppliers)]]
            if len(suppliers) > 1 and rng.random() < 0.6:
                other = (j + rng.randrange(1, len(suppliers))) % len(suppliers)
                chosen.append(suppliers[other])
            for n, supplier in enumerate(chosen):
                unit, factor = (
                    ("pc", 1.0)
                    if rng.random() < 0.6
                    else (rng.choice(["box", "doos"]), float(rng.choice([6, 12, 24])))
                )
                insert_supplier_item(
                    self.state,
                    self.guid(),
                    item,
                    supplier,
                    SupplierItemCode=f"S{supplier['Code'].strip()}-{rng.randint(10000, 99999)}",
                    MainSupplier=n == 0,
                    PurchaseUnit=unit,
                    PurchaseUnitFactor=factor,
                    PurchasePrice=round(
                        item["CostPriceStandard"] * factor * rng.uniform(0.80, 0.93), 2
                    ),
                    MinimumQuantity=float(rng.choice([2, 5, 10, 25]))
                    if rng.random() < 0.3
                    else 0.0,
                    PurchaseLeadTime=rng.randint(2, 21),
                )

    def stock(self, items: list[dict[str, Any]], per_item: int | None) -> None:
        """Stock positions + ItemWarehouses: every stock item in the main warehouse and ~40% of them
        in each other warehouse (100k items -> ~130k positions); with `per_item`, every stock item
        in the first `per_item` warehouses."""
        rng = self.rng
        warehouses = list(self.state["warehouses"].values())
        for item in items:
            if not item["IsStockItem"]:
                continue
            for n, wh in enumerate(warehouses):
                linked = n < per_item if per_item else (n == 0 or rng.random() < 0.4)
                if not linked:
                    continue
                current = 0.0 if rng.random() < 0.1 else float(rng.randint(1, 250))
                link_warehouse(
                    self.state,
                    (self.guid(), self.guid()),
                    item,
                    wh,
                    current=current,
                    reorder_point=float(rng.choice([0, 5, 10, 20])),
                )

    def boms(self, items: list[dict[str, Any]]) -> None:
        """Assembly BOMs of 2-3 parts for every kit (every third kit also contains the previous
        kit: nested), and one manufacturing BOM for the make item."""
        rng = self.rng
        parts = [it for it in items if it["IsStockItem"] and it["EndDate"] is None]
        kits = [
            it
            for it in items
            if not it["IsPurchaseItem"] and not it["IsStockItem"] and it["Code"] in self.kit_codes
        ]
        for k, kit in enumerate(kits):
            chosen = [
                (p, float(rng.randint(1, 3)))
                for p in rng.sample(parts, min(len(parts), rng.randint(2, 3)))
            ]
            if k % 3 == 2:
                chosen = [*chosen[:2], (kits[k - 1], 1.0)]
            insert_assembly_bom(self.state, [self.guid() for _ in chosen], kit, chosen)
        make = next((it for it in items if it["IsMakeItem"]), None)
        if make is not None and len(parts) > 2:
            chosen = [
                (p, float(rng.randint(1, 4)))
                for p in rng.sample([p for p in parts if p is not make], 2)
            ]
            insert_manufacturing_bom(self.state, [self.guid() for _ in range(3)], make, chosen)

    def build(
        self,
        *,
        items: int,
        suppliers: int | None,
        warehouses: int,
        customers: int | None,
        kits: int | None,
        stock_positions_per_item: int | None,
    ) -> None:
        """The whole division, in a fixed order (so Timestamps are deterministic too)."""
        self.reference_data(warehouses)
        supplier_rows = self.accounts(
            suppliers if suppliers is not None else max(5, items // 50),
            customers if customers is not None else 5,
        )
        basics = item_basics(self.seed, items, kits)
        self.kit_codes = {b.code for b in basics if b.kind == "kit"}
        item_rows = self.items(basics)
        if supplier_rows:
            self.supplier_items(item_rows, supplier_rows)
        self.stock(item_rows, stock_positions_per_item)
        self.boms(item_rows)
