"""Goods receipts of purchase orders (reference 5.6): `GoodsReceipts` + `GoodsReceiptLines`,
`ReceivedQuantity` and ReceiptStatus/OrderStatus on the order, CurrentStock up, PlanningIn down.
There is no sync twin; readers filter on `Modified`/`Created` (reference 3.6).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from . import schema
from .formats import BusinessError, new_guid, wire_date
from .payload import clean
from .purchasing import DAY_MS, status_of
from .store import DivisionState, Row

GR_TYPE = "Exact.Web.Api.Models.GoodsReceipt"
GR_LINE_TYPE = "Exact.Web.Api.Models.GoodsReceiptLine"


class ReceiptMixin:
    """Receiving purchase orders."""

    lock: Any
    state: DivisionState
    _rng: random.Random
    now: Callable[[], float]
    _planning_in: Callable[..., None]
    touch_purchase_order: Callable[[Row], None]

    # -- receipts ------------------------------------------------------------------------------
    def receive_purchase_order(
        self, order_number: int, lines: list[tuple[str, float]] | None = None
    ) -> Row:
        """A goods receipt for all open quantities, or for `[(item_code, qty_in_item_units)]`."""
        with self.lock:
            st = self.state
            key = st.by_number["purchase_orders"].get(int(order_number))
            if key is None:
                raise LookupError(f"no purchase order {order_number}")
            po_lines = st.child_rows("purchase_order_lines", key)
            todo: list[tuple[Row, float]] = []
            if lines is None:
                todo = [
                    (line, line["Quantity"] - line["ReceivedQuantity"])
                    for line in po_lines
                    if line["Quantity"] - line["ReceivedQuantity"] > 0
                ]
            else:
                for code, qty in lines:
                    match = [line for line in po_lines if line["ItemCode"] == code]
                    if not match:
                        raise LookupError(f"item {code} is not on purchase order {order_number}")
                    todo.append((match[0], float(qty)))
            if not todo:
                raise BusinessError("Niets te ontvangen: Inkooporder is volledig ontvangen")
            return self.receive_lines(todo, {})

    def receive_lines(self, todo: list[tuple[Row, float]], header_fields: Row) -> Row:
        """Book a receipt: GoodsReceipt + lines, ReceivedQuantity, statuses, stock (lock held)."""
        st = self.state
        first_po = st["purchase_orders"].rows[todo[0][0]["PurchaseOrderID"]]
        today = int(self.now() * 1000) // DAY_MS * DAY_MS
        header: Row = {
            "ID": new_guid(self._rng),
            "ReceiptNumber": st.next_number("goods_receipts", 1),
            "ReceiptDate": wire_date(today),
            "Supplier": first_po["Supplier"],
            "SupplierCode": first_po["SupplierCode"],
            "SupplierName": first_po["SupplierName"],
            "Warehouse": first_po["Warehouse"],
            "WarehouseCode": first_po["WarehouseCode"],
            "WarehouseDescription": first_po["WarehouseDescription"],
            "YourRef": None,
            "Description": f"Ontvangst inkooporder {first_po['OrderNumber']}",
            "Remarks": None,
            "GoodsReceiptLineCount": len(todo),
        }
        header.update({k: v for k, v in header_fields.items() if v is not None})
        st["goods_receipts"].insert(header)
        st.by_number["goods_receipts"][header["ReceiptNumber"]] = header["ID"]
        touched: dict[str, Row] = {}
        for n, (line, qty) in enumerate(todo, start=1):
            po = st["purchase_orders"].rows[line["PurchaseOrderID"]]
            row = st["goods_receipt_lines"].insert(
                {
                    "ID": new_guid(self._rng),
                    "GoodsReceiptID": header["ID"],
                    "LineNumber": n,
                    "PurchaseOrderLineID": line["ID"],
                    "PurchaseOrderID": po["PurchaseOrderID"],
                    "PurchaseOrderNumber": po["OrderNumber"],
                    "Item": line["Item"],
                    "ItemCode": line["ItemCode"],
                    "ItemDescription": line["ItemDescription"],
                    "QuantityOrdered": line["Quantity"],
                    "QuantityReceived": qty,
                    "Unitcode": st["items"].rows[line["Item"]].get("Unit"),
                    "SupplierItemCode": line.get("SupplierItemCode"),
                }
            )
            st.add_child("goods_receipt_lines", header["ID"], row["ID"])
            line["ReceivedQuantity"] = round(line["ReceivedQuantity"] + qty, 6)
            open_before = max(0.0, line["Quantity"] - (line["ReceivedQuantity"] - qty))
            self._planning_in(line["Item"], po["Warehouse"], -min(qty, open_before), received=qty)
            touched[po["PurchaseOrderID"]] = po
        for po in touched.values():
            po_lines = st.child_rows("purchase_order_lines", po["PurchaseOrderID"])
            status = status_of(
                sum(x["ReceivedQuantity"] for x in po_lines), sum(x["Quantity"] for x in po_lines)
            )
            po["ReceiptStatus"] = po["OrderStatus"] = status
            self.touch_purchase_order(po)
        return self.receipt_copy(header)

    def receipt_copy(self, header: Row) -> Row:
        """A goods receipt with its lines under `GoodsReceiptLines` (copies)."""
        lines = self.state.child_rows("goods_receipt_lines", header["ID"])
        return {**header, "GoodsReceiptLines": [dict(line) for line in lines]}

    def receipts(self) -> list[Row]:
        """All goods receipts, lines included."""
        with self.lock:
            return [self.receipt_copy(h) for h in self.state["goods_receipts"].values()]

    def create_goods_receipt(self, payload: Any) -> Row:
        """A GoodsReceipts POST: lines name `PurchaseOrderLineID` and `QuantityReceived`."""
        st = self.state
        data = clean(payload, schema.GOODS_RECEIPT, GR_TYPE, schema.WRITABLE["GoodsReceipt"])
        todo = []
        for raw in data.pop("GoodsReceiptLines", None) or []:
            line = clean(
                raw, schema.GOODS_RECEIPT_LINE, GR_LINE_TYPE, schema.WRITABLE["GoodsReceiptLine"]
            )
            if not line.get("PurchaseOrderLineID"):
                raise BusinessError("Verplicht: Inkooporderregel")
            po_line = st["purchase_order_lines"].get(line["PurchaseOrderLineID"])
            if po_line is None:
                raise BusinessError("Ongeldige referentie: Inkooporderregel")
            if line.get("QuantityReceived") is None:
                raise BusinessError("Verplicht: Aantal")
            todo.append((po_line, line["QuantityReceived"]))
        if not todo:
            raise BusinessError("Verplicht: Ontvangstregels")
        return self.receive_lines(todo, data)
