"""Row builders shared by the seeder and the data helpers: insert a row with its denormalised
read-only fields (ItemCode, SupplierName...) and keep the natural-key indexes in step.

These functions never fire webhooks; callers decide (the seeder does not, helpers do).

FreeStock rule (the reference calls Exact's formula unverified, section 5.4):
    FreeStock = max(0, CurrentStock - ReservedStock - PlanningOut)
where PlanningOut is the open (undelivered) quantity of open sales orders on that warehouse.
ProjectedStock = CurrentStock + PlanningIn - PlanningOut (reference 5.4).
"""

from __future__ import annotations

from typing import Any

from .formats import BusinessError
from .store import DivisionState, Row

# reference 3.6 EntityType codes for sync/Deleted
ENTITY_TYPE = {
    "accounts": 2,
    "items": 9,
    "stock_positions": 15,
    "goods_deliveries": 16,
    "goods_delivery_lines": 17,
    "item_warehouses": 19,
    "purchase_orders": 22,
    "sales_orders": 32,
    "sales_order_lines": 33,
    "bom_materials": 54,
    "bom_versions": 55,
}


def insert_indexed(state: DivisionState, table: str, row: Row) -> Row:
    """Insert into a table that has a Code index (items, accounts, warehouses...)."""
    state[table].insert(row)
    state.by_code[table][str(row["Code"]).strip()] = row["ID"]
    return row


def by_code(state: DivisionState, table: str, code: Any) -> Row | None:
    """Row by natural code (account codes compared without their padding)."""
    key = state.by_code[table].get(str(code).strip())
    return state[table].get(key)


def require(state: DivisionState, table: str, code: Any) -> Row:
    """Row by code, or a LookupError naming what is missing (helpers only)."""
    row = by_code(state, table, code)
    if row is None:
        raise LookupError(f"{table}: no row with code {code!r}")
    return row


def insert_supplier_item(
    state: DivisionState, guid: str, item: Row, supplier: Row, **fields: Any
) -> Row:
    """A SupplierItem row linking item and supplier (reference 5.2)."""
    pair = (item["ID"], supplier["ID"])
    if pair in state.supplier_item_by_pair:
        raise ValueError(f"supplier item {item['Code']} / {supplier['Code'].strip()} exists")
    unit = fields.get("PurchaseUnit", "pc")
    row: Row = {
        "ID": guid,
        "Item": item["ID"],
        "ItemCode": item["Code"],
        "ItemDescription": item["Description"],
        "Supplier": supplier["ID"],
        "SupplierCode": supplier["Code"],
        "SupplierDescription": supplier["Name"],
        "SupplierItemCode": None,
        "MainSupplier": False,
        "PurchasePrice": 0.0,
        "Currency": "EUR",
        "PurchaseUnit": unit,
        "PurchaseUnitDescription": unit_description(state, unit),
        "PurchaseUnitFactor": 1.0,
        "MinimumQuantity": 0.0,
        "PurchaseLotSize": 0,
        "PurchaseLeadTime": 0,
        "PurchaseVATCode": "1",
        "DropShipment": 0,
        "CopyRemarks": 0,
    }
    row.update(fields)
    state["supplier_items"].insert(row)
    state.supplier_item_by_pair[pair] = guid
    return row


def unit_description(state: DivisionState, code: str | None) -> str | None:
    """The description of a unit code ("pc" -> "Stuk")."""
    unit = by_code(state, "units", code) if code else None
    return unit["Description"] if unit else code


def link_warehouse(
    state: DivisionState,
    ids: tuple[str, str],
    item: Row,
    warehouse: Row,
    *,
    current: float = 0.0,
    reorder_point: float = 0.0,
) -> Row:
    """Create the ItemWarehouses link and its stock position (idempotent); returns the position."""
    pair = (item["ID"], warehouse["ID"])
    existing = state.position_by_pair.get(pair)
    if existing:
        return state["stock_positions"].rows[existing]
    link_id, pos_id = ids
    state["item_warehouses"].insert(
        {
            "ID": link_id,
            "Item": item["ID"],
            "ItemCode": item["Code"],
            "ItemDescription": item["Description"],
            "Warehouse": warehouse["ID"],
            "WarehouseCode": warehouse["Code"],
            "WarehouseDescription": warehouse["Description"],
            "SafetyStock": 0.0,
            "ReorderPoint": reorder_point,
            "ReorderQuantity": 0.0,
            "MaximumStock": 0.0,
            "OrderPolicy": 1,
            "ReplenishmentType": 1 if item.get("IsPurchaseItem") else 5,
        }
    )
    state.item_warehouse_by_pair[pair] = link_id
    pos: Row = {
        "ID": pos_id,
        "ItemId": item["ID"],
        "ItemCode": item["Code"],
        "ItemDescription": item["Description"],
        "Warehouse": warehouse["ID"],
        "WarehouseCode": warehouse["Code"],
        "WarehouseDescription": warehouse["Description"],
        "CurrentStock": float(current),
        "FreeStock": 0.0,
        "ReservedStock": 0.0,
        "PlanningIn": 0.0,
        "PlanningOut": 0.0,
        "ProjectedStock": 0.0,
        "ReorderPoint": reorder_point,
        "UnitCode": item.get("Unit"),
        "UnitDescription": item.get("UnitDescription"),
    }
    recompute(pos)
    state["stock_positions"].insert(pos)
    state.position_by_pair[pair] = pos_id
    state.stock_total[item["ID"]] = state.stock_total.get(item["ID"], 0.0) + pos["CurrentStock"]
    return pos


def recompute(pos: Row, *, free: float | None = None) -> None:
    """Derive ProjectedStock and FreeStock (see module docstring); `free` overrides once."""
    current, planning_in, planning_out = pos["CurrentStock"], pos["PlanningIn"], pos["PlanningOut"]
    pos["ProjectedStock"] = round(current + planning_in - planning_out, 6)
    if free is None:
        free = max(0.0, current - pos["ReservedStock"] - planning_out)
    pos["FreeStock"] = round(float(free), 6)


def adjust_position(
    state: DivisionState,
    pos: Row,
    *,
    current: float = 0.0,
    planning_in: float = 0.0,
    planning_out: float = 0.0,
) -> None:
    """Apply deltas to a position (planning never below 0), recompute, bump its Timestamp."""
    pos["CurrentStock"] = round(pos["CurrentStock"] + current, 6)
    pos["PlanningIn"] = max(0.0, round(pos["PlanningIn"] + planning_in, 6))
    pos["PlanningOut"] = max(0.0, round(pos["PlanningOut"] + planning_out, 6))
    state.stock_total[pos["ItemId"]] = round(state.stock_total.get(pos["ItemId"], 0.0) + current, 6)
    recompute(pos)
    state["stock_positions"].touch(pos["ID"])


def insert_assembly_bom(
    state: DivisionState, guids: list[str], kit: Row, parts: list[tuple[Row, float]]
) -> Row:
    """An assembly BOM header (ID = the kit's item ID, reference 5.5) with its material rows."""
    if state["assembly_headers"].get(kit["ID"]):
        raise ValueError(f"kit {kit['Code']} already has an assembly BOM")
    header = state["assembly_headers"].insert(
        {
            "ID": kit["ID"],
            "Code": kit["Code"],
            "Description": kit["Description"],
            "BatchQuantity": 1.0,
            "AssembledLeadDays": 0,
            "CostPrice": 0.0,
            "UpdateCostPrice": False,
            "UseExplosion": 1,
        }
    )
    for n, (part, qty) in enumerate(parts, start=1):
        row = state["assembly_materials"].insert(
            {
                "ID": guids[n - 1],
                "AssembledItem": kit["ID"],
                "AssembledItemCode": kit["Code"],
                "AssembledItemDescription": kit["Description"],
                "PartItem": part["ID"],
                "PartItemCode": part["Code"],
                "PartItemDescription": part["Description"],
                "Quantity": float(qty),
                "QuantityBatch": float(qty),
                "BatchQuantity": 1.0,
                "LineNumber": n,
                "UseExplosion": 1,
            }
        )
        state.add_child("assembly_materials", kit["ID"], row["ID"])
    return header


def insert_manufacturing_bom(
    state: DivisionState, guids: list[str], item: Row, parts: list[tuple[Row, float]]
) -> Row:
    """A default, active (Status 30) BillOfMaterialVersion with its materials (reference 5.5)."""
    version = state["bom_versions"].insert(
        {
            "ID": guids[0],
            "Item": item["ID"],
            "ItemCode": item["Code"],
            "ItemDescription": item["Description"],
            "IsDefault": 1,
            "Status": 30,
            "StatusDescription": "Actief",
            "Type": 20,
            "TypeDescription": "Productierecept",
            "VersionNumber": 1,
            "Description": "Versie 1",
            "BatchQuantity": 1.0,
            "CalculatedCostPrice": 0.0,
        }
    )
    for n, (part, qty) in enumerate(parts, start=1):
        row = state["bom_materials"].insert(
            {
                "ID": guids[n],
                "ItemVersion": version["ID"],
                "PartItem": part["ID"],
                "PartItemCode": part["Code"],
                "PartItemDescription": part["Description"],
                "Quantity": float(qty),
                "QuantityBatch": float(qty),
                "Type": 1,
                "LineNumber": n,
                "WastePercentage": 0.0,
            }
        )
        state.add_child("bom_materials", version["ID"], row["ID"])
    return version


def record_deleted(
    state: DivisionState, guid: str, user: str, entity_type: int | None, key: str
) -> None:
    """A `sync/Deleted` row (reference 3.6); entity types without a code write nothing."""
    if entity_type is None:
        return
    state["deleted"].insert(
        {
            "ID": guid,
            "DeletedBy": user,
            "DeletedDate": state.now_wire(),
            "EntityKey": key,
            "EntityType": entity_type,
        }
    )


def explode(state: DivisionState, item: Row, qty: float, depth: int = 0) -> list[tuple[Row, float]]:
    """Stock items moved when `qty` of `item` is sold: kits explode into parts, recursively."""
    if depth > 10:
        raise BusinessError("Samenstelling: Recursief")
    materials = state.child_rows("assembly_materials", item["ID"])
    if not materials:
        return [(item, qty)] if item.get("IsStockItem") else []
    out: list[tuple[Row, float]] = []
    for m in materials:
        part = state["items"].get(m["PartItem"])
        if part is not None:
            out.extend(explode(state, part, qty * m["Quantity"], depth + 1))
    return out
