"""Python data helpers for items, accounts, supplier items, stock and BOMs ("typed in Exact").

Each helper takes the lock, changes rows (every changed row gets a new Timestamp), fires webhook
events for subscribed topics through the division's change hook, and returns copies of the rows.
"""

from __future__ import annotations

import random
from typing import Any

from . import rows as r
from . import schema
from .formats import BusinessError, PayloadError, new_guid, pad_code
from .payload import coerce_fields
from .rows import ENTITY_TYPE
from .store import DivisionState, Row

ITEM_DEFAULTS: dict[str, Any] = {
    "IsSalesItem": True,
    "IsPurchaseItem": True,
    "IsStockItem": True,
    "IsMakeItem": 0,
    "IsBatchItem": 0,
    "IsSerialItem": False,
    "IsFractionAllowedItem": False,
    "IsWebshopItem": 1,
    "IsTaxableItem": 1,
    "StartDate": None,
    "EndDate": None,
    "CostPriceStandard": 0.0,
    "AverageCost": 0.0,
    "CostPriceCurrency": "EUR",
    "StandardSalesPrice": 0.0,
    "Unit": "pc",
    "UnitDescription": "Stuk",
    "UnitType": "A",
    "SalesVatCode": "1",
}


class CatalogueMixin:
    """Items, accounts, supplier items, stock positions and bills of material."""

    lock: Any
    state: DivisionState
    user_id: str
    supplier_item_deleted_entity_type: int | None
    _rng: random.Random

    def _guid(self) -> str:
        return new_guid(self._rng)

    def _delete(self, table: str, key: str, entity_type: int | None) -> Row | None:
        row = self.state[table].remove(key)
        if row is not None:
            r.record_deleted(self.state, self._guid(), self.user_id, entity_type, key)
            self.state.emit(table, "Delete", row)
        return row

    # -- items ---------------------------------------------------------------------------------
    def add_item(self, **fields: Any) -> Row:
        """Create an item (Exact field names); stock items get linked to the main warehouse."""
        with self.lock:
            st = self.state
            values = coerce_fields(schema.ITEM, fields, "Item")
            code = values.get("Code")
            if not code or r.by_code(st, "items", code):
                raise ValueError(f"item code {code!r} missing or taken")
            row = {"ID": self._guid(), "Description": code, **ITEM_DEFAULTS, **values}
            r.insert_indexed(st, "items", row)
            st.emit("items", "Create", row)
            if row["IsStockItem"] and st.main_warehouse:
                pos = r.link_warehouse(
                    st, (self._guid(), self._guid()), row, st["warehouses"].rows[st.main_warehouse]
                )
                st.emit("stock_positions", "Create", pos)
            return dict(row)

    def update_item(self, code: str, **fields: Any) -> Row:
        """Change item fields (e.g. EndDate, Barcode, Description); bumps its Timestamp."""
        with self.lock:
            st = self.state
            row = r.require(st, "items", code)
            values = coerce_fields(schema.ITEM, fields, "Item")
            if "Code" in values and values["Code"] != row["Code"]:
                del st.by_code["items"][row["Code"]]
                st.by_code["items"][values["Code"]] = row["ID"]
            row.update(values)
            st["items"].touch(row["ID"])
            st.emit("items", "Update", row)
            return dict(row)

    def delete_item(self, code: str) -> Row:
        """Delete an item with its supplier links, warehouse links and stock positions."""
        with self.lock:
            st = self.state
            row = r.require(st, "items", code)
            item_id = row["ID"]
            for (item, supplier), key in list(st.supplier_item_by_pair.items()):
                if item == item_id:
                    del st.supplier_item_by_pair[(item, supplier)]
                    self._delete("supplier_items", key, self.supplier_item_deleted_entity_type)
            for index, table in (
                (st.position_by_pair, "stock_positions"),
                (st.item_warehouse_by_pair, "item_warehouses"),
            ):
                for pair, key in list(index.items()):
                    if pair[0] == item_id:
                        del index[pair]
                        self._delete(table, key, ENTITY_TYPE[table])
            st.stock_total.pop(item_id, None)
            del st.by_code["items"][row["Code"]]
            self._delete("items", item_id, ENTITY_TYPE["items"])
            return dict(row)

    def get_item(self, code: str) -> Row | None:
        """A copy of the item row, or None."""
        with self.lock:
            row = r.by_code(self.state, "items", code)
            return dict(row) if row else None

    # -- accounts ------------------------------------------------------------------------------
    def add_account(self, **fields: Any) -> Row:
        """Create a supplier (IsSupplier=True) and/or customer (Status='C'); Code gets padded."""
        with self.lock:
            st = self.state
            values = coerce_fields(schema.ACCOUNT, fields, "Account")
            if values.get("Code") is None:
                numbers = [int(c) for c in st.by_code["accounts"] if c.isdigit()]
                values["Code"] = str(max(numbers, default=0) + 1)
            if r.by_code(st, "accounts", values["Code"]):
                raise ValueError(f"account code {values['Code']!r} taken")
            values["Code"] = pad_code(values["Code"])
            row = {
                "ID": self._guid(),
                "Name": values["Code"].strip(),
                "IsSupplier": False,
                "IsSales": False,
                "Blocked": False,
                "Status": None,
                "Type": "A",
                "Country": "NL",
                **values,
            }
            if row["IsSupplier"]:
                row.setdefault("PurchaseCurrency", "EUR")
                row.setdefault("PurchaseVATCode", "1")
            r.insert_indexed(st, "accounts", row)
            st.emit("accounts", "Create", row)
            return dict(row)

    def create_account(self, payload: Any) -> Row:
        """POST crm/Accounts: a new customer or supplier (the REST twin of add_account)."""
        writable = set(schema.ACCOUNT) - {"ID", "Created", "Modified", "Division"}
        unknown = sorted(k for k in payload if k not in schema.ACCOUNT)
        if unknown:
            raise PayloadError(
                f"The property '{unknown[0]}' does not exist on type 'Exact.Web.Api.Models.Account'. "
                "Make sure to only use property names that are defined by the type."
            )
        values = {k: v for k, v in payload.items() if k in writable and v is not None}
        if not str(values.get("Name") or "").strip():
            raise BusinessError("Verplicht: Naam")
        return self.add_account(**values)

    def update_account(self, code: str, **fields: Any) -> Row:
        """Change account fields (Blocked, Name, ...); bumps its Timestamp."""
        with self.lock:
            row = r.require(self.state, "accounts", code)
            values = coerce_fields(schema.ACCOUNT, fields, "Account")
            values.pop("Code", None)
            row.update(values)
            self.state["accounts"].touch(row["ID"])
            self.state.emit("accounts", "Update", row)
            return dict(row)

    def delete_account(self, code: str) -> Row:
        """Delete an account (sync/Deleted EntityType 2)."""
        with self.lock:
            row = r.require(self.state, "accounts", code)
            del self.state.by_code["accounts"][row["Code"].strip()]
            self._delete("accounts", row["ID"], ENTITY_TYPE["accounts"])
            return dict(row)

    def get_account(self, code: str) -> Row | None:
        """A copy of the account row (code with or without padding), or None."""
        with self.lock:
            row = r.by_code(self.state, "accounts", code)
            return dict(row) if row else None

    # -- supplier items ------------------------------------------------------------------------
    def _pair(self, item_code: str, supplier_code: str) -> tuple[Row, Row]:
        return r.require(self.state, "items", item_code), r.require(
            self.state, "accounts", supplier_code
        )

    def add_supplier_item(self, item_code: str, supplier_code: str, **fields: Any) -> Row:
        """Link an item to a supplier; MainSupplier defaults to True for the item's first link."""
        with self.lock:
            st = self.state
            item, supplier = self._pair(item_code, supplier_code)
            values = coerce_fields(schema.SUPPLIER_ITEM, fields, "SupplierItem")
            has_other = any(pair[0] == item["ID"] for pair in st.supplier_item_by_pair)
            values.setdefault("MainSupplier", not has_other)
            row = r.insert_supplier_item(st, self._guid(), item, supplier, **values)
            return dict(row)

    def update_supplier_item(self, item_code: str, supplier_code: str, **fields: Any) -> Row:
        """Change a supplier link (PurchasePrice, MinimumQuantity, PurchaseUnit...)."""
        with self.lock:
            st = self.state
            item, supplier = self._pair(item_code, supplier_code)
            key = st.supplier_item_by_pair[(item["ID"], supplier["ID"])]
            row = st["supplier_items"].rows[key]
            values = coerce_fields(schema.SUPPLIER_ITEM, fields, "SupplierItem")
            if "PurchaseUnit" in values:
                values.setdefault(
                    "PurchaseUnitDescription", r.unit_description(st, values["PurchaseUnit"])
                )
            row.update(values)
            st["supplier_items"].touch(key)
            return dict(row)

    def delete_supplier_item(self, item_code: str, supplier_code: str) -> Row:
        """Remove a supplier link. No sync/Deleted row unless `supplier_item_deleted_entity_type`
        is set (the reference lists no EntityType for SupplierItem)."""
        with self.lock:
            st = self.state
            item, supplier = self._pair(item_code, supplier_code)
            key = st.supplier_item_by_pair.pop((item["ID"], supplier["ID"]))
            row = self._delete("supplier_items", key, self.supplier_item_deleted_entity_type)
            return dict(row or {})

    # -- stock ---------------------------------------------------------------------------------
    def _position(self, item_code: str, warehouse_code: str) -> tuple[Row, bool]:
        st = self.state
        item = r.require(st, "items", item_code)
        warehouse = r.require(st, "warehouses", warehouse_code)
        created = (item["ID"], warehouse["ID"]) not in st.position_by_pair
        return r.link_warehouse(st, (self._guid(), self._guid()), item, warehouse), created

    def set_stock(
        self,
        item_code: str,
        warehouse_code: str,
        *,
        current: float | None = None,
        free: float | None = None,
        reserved: float | None = None,
        planning_in: float | None = None,
        planning_out: float | None = None,
    ) -> Row:
        """Set figures of one stock position; unset FreeStock follows the sandbox rule
        max(0, current - reserved - planning_out), ProjectedStock = current + in - out."""
        with self.lock:
            st = self.state
            pos, created = self._position(item_code, warehouse_code)
            if current is not None:
                st.stock_total[pos["ItemId"]] = (
                    st.stock_total.get(pos["ItemId"], 0.0) + float(current) - pos["CurrentStock"]
                )
                pos["CurrentStock"] = float(current)
            for name, value in (
                ("ReservedStock", reserved),
                ("PlanningIn", planning_in),
                ("PlanningOut", planning_out),
            ):
                if value is not None:
                    pos[name] = float(value)
            r.recompute(pos, free=free)
            st["stock_positions"].touch(pos["ID"])
            st.emit("stock_positions", "Create" if created else "Update", pos)
            return dict(pos)

    def change_stock(self, item_code: str, warehouse_code: str, delta: float) -> Row:
        """A manual stock adjustment: CurrentStock += delta, FreeStock recomputed."""
        with self.lock:
            pos, created = self._position(item_code, warehouse_code)
            r.adjust_position(self.state, pos, current=float(delta))
            self.state.emit("stock_positions", "Create" if created else "Update", pos)
            return dict(pos)

    def stock(self, item_code: str, warehouse_code: str) -> Row | None:
        """A copy of the stock position of item x warehouse, or None."""
        with self.lock:
            st = self.state
            item, warehouse = (
                r.by_code(st, "items", item_code),
                r.by_code(st, "warehouses", warehouse_code),
            )
            if item is None or warehouse is None:
                return None
            key = st.position_by_pair.get((item["ID"], warehouse["ID"]))
            return dict(st["stock_positions"].rows[key]) if key else None

    def random_stock_change(self, rng: random.Random | None = None) -> Row | None:
        """Change one random stock position by a few units (demo activity, latency benchmark)."""
        rng = rng or self._rng
        with self.lock:
            st = self.state
            key = st["stock_positions"].random_key(rng)
            if key is None:
                return None
            pos = st["stock_positions"].rows[key]
            delta = float(rng.choice([-3, -2, -1, 1, 2, 3, 5]))
            delta = max(delta, -pos["CurrentStock"]) or 1.0
            r.adjust_position(st, pos, current=delta)
            st.emit("stock_positions", "Update", pos)
            return dict(pos)

    def random_stock_changes(self, count: int, rng: random.Random | None = None) -> int:
        """`count` random stock changes at once, each with its own webhook (a burst)."""
        rng = rng or self._rng
        return sum(1 for _ in range(int(count)) if self.random_stock_change(rng) is not None)

    # -- bills of material ---------------------------------------------------------------------
    def add_assembly_bom(self, kit_code: str, parts: list[tuple[str, float]]) -> Row:
        """An assembly BOM (kit exploded on delivery) with `[(part_code, qty), ...]`."""
        with self.lock:
            st = self.state
            kit = r.require(st, "items", kit_code)
            resolved = [(r.require(st, "items", code), float(qty)) for code, qty in parts]
            header = r.insert_assembly_bom(st, [self._guid() for _ in resolved], kit, resolved)
            return {
                **header,
                "AssemblyBillOfMaterialMaterials": [
                    dict(m) for m in st.child_rows("assembly_materials", kit["ID"])
                ],
            }

    def add_manufacturing_bom(self, item_code: str, parts: list[tuple[str, float]]) -> Row:
        """A default active manufacturing BOM version with `[(part_code, qty), ...]`."""
        with self.lock:
            st = self.state
            item = r.require(st, "items", item_code)
            resolved = [(r.require(st, "items", code), float(qty)) for code, qty in parts]
            version = r.insert_manufacturing_bom(
                st, [self._guid() for _ in range(len(resolved) + 1)], item, resolved
            )
            return {
                **version,
                "Materials": [dict(m) for m in st.child_rows("bom_materials", version["ID"])],
            }
