"""Computed read-only fields: rows as an endpoint shows them (reference 5.1, 5.4, 3.6)."""

from __future__ import annotations

from . import schema as s
from .store import DivisionState, Row


def item_view(state: DivisionState, row: Row) -> Row:
    """Items carry the read-only `Stock` (sum of current stock over warehouses)."""
    return {**row, "Stock": state.stock_total.get(row["ID"], 0.0)}


def item_warehouse_view(state: DivisionState, row: Row) -> Row:
    """ItemWarehouses show the quantities of the matching stock position (read-only fields)."""
    key = state.position_by_pair.get((row["Item"], row["Warehouse"]))
    pos = state["stock_positions"].get(key) or {}
    return {
        **row,
        "CurrentStock": pos.get("CurrentStock", 0.0),
        "PlannedStockIn": pos.get("PlanningIn", 0.0),
        "PlannedStockOut": pos.get("PlanningOut", 0.0),
        "ProjectedStock": pos.get("ProjectedStock", 0.0),
        "ReservedStock": pos.get("ReservedStock", 0.0),
    }


def po_line_view(state: DivisionState, row: Row) -> Row:
    """A PO line with live stock figures (InStock / ProjectedStock are read-only on lines)."""
    po = state["purchase_orders"].get(row["PurchaseOrderID"]) or {}
    key = state.position_by_pair.get((row["Item"], po.get("Warehouse")))
    pos = state["stock_positions"].get(key) or {}
    return {
        **row,
        "InStock": pos.get("CurrentStock", 0.0),
        "ProjectedStock": pos.get("ProjectedStock", 0.0),
    }


def po_sync_view(state: DivisionState, row: Row) -> Row:
    """Line grain of `sync/PurchaseOrder/PurchaseOrders`: header fields repeated on each line."""
    po = state["purchase_orders"].get(row["PurchaseOrderID"]) or {}
    merged = dict(row)
    for name in s.PO_HEADER_ON_SYNC_LINE:
        merged[name] = po.get(name)
    return merged
