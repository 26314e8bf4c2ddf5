"""Purchase orders and goods receipts (reference 5.6): creation with Exact's validation texts,
PlanningIn on the order's warehouse, receipts raising stock and line/header statuses.

Status codes (OrderStatus/ReceiptStatus): 10 open, 20 partial, 30 complete, 40 cancelled.
Source: 11 when created through the REST API; 1 ("typed in Exact", sandbox choice) for orders
made with `add_purchase_order`. Quantities: `Quantity` (item units) =
`QuantityInPurchaseUnits` x the SupplierItem's `PurchaseUnitFactor` (reference 5.2).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from . import rows as r
from . import schema
from .formats import BusinessError, EntityNotFound, date_ms, new_guid, wire_date
from .payload import clean
from .store import DivisionState, Row

DAY_MS = 86_400_000
PO_TYPE = "Exact.Web.Api.Models.PurchaseOrder"
PO_LINE_TYPE = "Exact.Web.Api.Models.PurchaseOrderLine"


def status_of(done: float, total: float) -> int:
    """10 open, 20 partial, 30 complete (the receipt/delivery progression for POs)."""
    if done <= 0:
        return 10
    return 30 if done >= total - 1e-9 else 20


def check_item_active(item: Row, now_ms: int) -> None:
    """`Artikel: Non actief` after EndDate, `Artikel: Toekomstig` before StartDate (OPT-ERR)."""
    end, start = date_ms(item.get("EndDate")), date_ms(item.get("StartDate"))
    if end is not None and end <= now_ms:
        raise BusinessError("Artikel: Non actief")
    if start is not None and start > now_ms:
        raise BusinessError("Artikel: Toekomstig")


def vat_code(state: DivisionState, code: str | None) -> Row:
    """A usable VAT code row: unknown -> `Ongeldige referentie: Btw-code`, blocked -> `Geblokkeerd`."""
    row = r.by_code(state, "vat_codes", code) if code else None
    if row is None:
        raise BusinessError("Ongeldige referentie: Btw-code")
    if row["IsBlocked"]:
        raise BusinessError(f"Geblokkeerd: Btw code ({row['Code']})")
    return row


def po_header(
    supplier: Row, warehouse: Row, lines: list[Row], *, order_date: str, source: int
) -> Row:
    """Server-filled header fields of a new purchase order (statuses 10, amounts from lines)."""
    amount = round(sum(b["AmountFC"] for b in lines), 2)
    return {
        "Supplier": supplier["ID"],
        "SupplierCode": supplier["Code"],
        "SupplierName": supplier["Name"],
        "OrderDate": order_date,
        "Currency": "EUR",
        "ExchangeRate": 1.0,
        "Warehouse": warehouse["ID"],
        "WarehouseCode": warehouse["Code"],
        "WarehouseDescription": warehouse["Description"],
        "OrderStatus": 10,
        "ReceiptStatus": 10,
        "InvoiceStatus": 10,
        "ApprovalStatus": 1,
        "Source": source,
        "DropShipment": False,
        "PurchaseOrderLineCount": len(lines),
        "AmountFC": amount,
        "AmountDC": amount,
        "VATAmount": round(sum(b["VATAmount"] for b in lines), 2),
    }


class PurchasingMixin:
    """Purchase orders, PO lines and goods receipts."""

    lock: Any
    state: DivisionState
    _rng: random.Random

    now: Callable[[], float]  # provided by ExactSandbox

    # -- creation ------------------------------------------------------------------------------
    def create_purchase_order(self, payload: Any, *, source: int = 11) -> Row:
        """Validate and store a PurchaseOrders POST body with deep-inserted lines."""
        st = self.state
        data = clean(payload, schema.PURCHASE_ORDER, PO_TYPE, schema.WRITABLE["PurchaseOrder"])
        lines = [
            clean(
                line, schema.PURCHASE_ORDER_LINE, PO_LINE_TYPE, schema.WRITABLE["PurchaseOrderLine"]
            )
            for line in data.pop("PurchaseOrderLines", None) or []
        ]
        supplier, warehouse = self._po_references(data)
        if not lines:
            raise BusinessError("Verplicht: Orderregels")
        now_ms = int(self.now() * 1000)
        today = now_ms - now_ms % DAY_MS
        lead_days = supplier.get("PurchaseLeadDays") or 0
        receipt_date = data.get("ReceiptDate") or wire_date(today + lead_days * DAY_MS)
        built = [self._po_line(line, supplier, warehouse, now_ms, receipt_date) for line in lines]
        header = po_header(supplier, warehouse, built, order_date=wire_date(today), source=source)
        header.update(
            {
                "PurchaseOrderID": new_guid(self._rng),
                "OrderNumber": st.next_number("purchase_orders", 1),
                "ReceiptDate": receipt_date,
            }
        )
        header.update({k: v for k, v in data.items() if v is not None})
        st["purchase_orders"].insert(header)
        st.by_number["purchase_orders"][header["OrderNumber"]] = header["PurchaseOrderID"]
        for n, line in enumerate(built, start=1):
            line.update(
                {
                    "ID": new_guid(self._rng),
                    "PurchaseOrderID": header["PurchaseOrderID"],
                    "LineNumber": n,
                }
            )
            line["ReceiptDate"] = line["ReceiptDate"] or header["ReceiptDate"]
            st["purchase_order_lines"].insert(line)
            st.add_child("purchase_order_lines", header["PurchaseOrderID"], line["ID"])
            self._planning_in(line["Item"], warehouse["ID"], line["Quantity"])
        st.emit("purchase_orders", "Create", header)
        return header

    def _po_references(self, data: Row) -> tuple[Row, Row]:
        """The supplier (must exist, be a supplier, not blocked) and warehouse (main by default)."""
        st = self.state
        if not data.get("Supplier"):
            raise BusinessError("Verplicht: Leverancier")
        supplier = st["accounts"].get(data["Supplier"])
        if supplier is None or not supplier.get("IsSupplier"):
            raise BusinessError("Ongeldige referentie: Leverancier")
        if supplier.get("Blocked"):
            raise BusinessError("Geblokkeerd: Leverancier")
        warehouse = st["warehouses"].get(data.get("Warehouse") or st.main_warehouse)
        if warehouse is None:
            raise BusinessError("Ongeldige referentie: Magazijn")
        return supplier, warehouse

    def _po_line(
        self, line: Row, supplier: Row, warehouse: Row, now_ms: int, receipt_date: str
    ) -> Row:
        st = self.state
        if not line.get("Item"):
            raise BusinessError("Verplicht: Artikel")
        item = st["items"].get(line["Item"])
        if item is None:
            raise BusinessError("Ongeldige referentie: Artikel")
        if not item.get("IsPurchaseItem"):
            raise BusinessError("Verplicht: Inkoop")
        check_item_active(item, now_ms)
        link_key = st.supplier_item_by_pair.get((item["ID"], supplier["ID"]))
        if link_key is None:
            raise BusinessError("Het artikel en de leverancier zijn niet gekoppeld")
        if (item["ID"], warehouse["ID"]) not in st.item_warehouse_by_pair:
            raise BusinessError("Het artikel en het magazijn zijn niet gekoppeld.")
        link = st["supplier_items"].rows[link_key]
        vat = vat_code(st, line.get("VATCode") or link.get("PurchaseVATCode") or "1")
        factor = link.get("PurchaseUnitFactor") or 1.0
        if line.get("QuantityInPurchaseUnits") is not None:
            qty_pu = line["QuantityInPurchaseUnits"]
        elif line.get("Quantity") is not None:
            qty_pu = line["Quantity"] / factor
        else:
            raise BusinessError("Verplicht: Aantal")
        unit_price = line.get("UnitPrice")
        if unit_price is None:
            unit_price = (
                line.get("NetPrice")
                if line.get("NetPrice") is not None
                else link.get("PurchasePrice")
            )
        if not unit_price and line.get("NetPrice") is None:
            raise BusinessError("Niet gevonden: Inkoopprijs")
        discount = line.get("Discount") or 0.0
        net = (
            line["NetPrice"]
            if line.get("NetPrice") is not None
            else round(unit_price * (1 - discount), 4)
        )
        amount = round(qty_pu * net, 2)
        return {
            "Item": item["ID"],
            "ItemCode": item["Code"],
            "ItemDescription": item["Description"],
            "Description": line.get("Description") or item["Description"],
            "QuantityInPurchaseUnits": qty_pu,
            "Quantity": round(qty_pu * factor, 6),
            "UnitPrice": unit_price,
            "NetPrice": net,
            "Discount": discount,
            "VATCode": vat["Code"],
            "VATPercentage": vat["Percentage"],
            "VATAmount": round(amount * vat["Percentage"], 2),
            "AmountDC": amount,
            "AmountFC": amount,
            "ReceiptDate": line.get("ReceiptDate"),
            "ReceivedQuantity": 0.0,
            "InvoicedQuantity": 0.0,
            "Unit": link.get("PurchaseUnit"),
            "UnitDescription": link.get("PurchaseUnitDescription"),
            "SupplierItemCode": link.get("SupplierItemCode"),
            "Notes": line.get("Notes"),
        }

    def _planning_in(
        self, item_id: str, warehouse_id: str, qty: float, received: float = 0.0
    ) -> None:
        st = self.state
        key = st.position_by_pair.get((item_id, warehouse_id))
        if key is None:
            item, warehouse = st["items"].rows[item_id], st["warehouses"].rows[warehouse_id]
            pos = r.link_warehouse(st, (new_guid(self._rng), new_guid(self._rng)), item, warehouse)
        else:
            pos = st["stock_positions"].rows[key]
        r.adjust_position(st, pos, current=received, planning_in=qty)
        st.emit("stock_positions", "Update", pos)

    def add_purchase_order(
        self,
        supplier_code: str,
        lines: list[tuple[str, float, float]],
        warehouse_code: str | None = None,
        your_ref: str = "",
        description: str = "",
    ) -> Row:
        """A purchase order typed directly in Exact (Source 1): lines are (item_code,
        qty_in_purchase_units, net_price). Raises BusinessError with Exact's text if invalid."""
        with self.lock:
            st = self.state
            supplier = r.require(st, "accounts", supplier_code)
            payload: dict[str, Any] = {
                "Supplier": supplier["ID"],
                "YourRef": your_ref or None,
                "Description": description or None,
                "PurchaseOrderLines": [
                    {
                        "Item": r.require(st, "items", code)["ID"],
                        "QuantityInPurchaseUnits": qty,
                        "NetPrice": price,
                    }
                    for code, qty, price in lines
                ],
            }
            if warehouse_code is not None:
                payload["Warehouse"] = r.require(st, "warehouses", warehouse_code)["ID"]
            return self.purchase_order_copy(self.create_purchase_order(payload, source=1))

    def purchase_order_copy(self, header: Row) -> Row:
        """A PO header with its lines under `PurchaseOrderLines` (copies)."""
        lines = self.state.child_rows("purchase_order_lines", header["PurchaseOrderID"])
        return {**header, "PurchaseOrderLines": [dict(line) for line in lines]}

    def purchase_orders(self, your_ref: str | None = None) -> list[Row]:
        """All purchase orders (optionally with this YourRef), lines included."""
        with self.lock:
            return [
                self.purchase_order_copy(po)
                for po in self.state["purchase_orders"].values()
                if your_ref is None or po.get("YourRef") == your_ref
            ]

    # -- update / delete -----------------------------------------------------------------------
    def update_purchase_order(self, key: str, payload: Any) -> None:
        """PUT on a purchase order header (lines are not changed through PUT here)."""
        st = self.state
        po = st["purchase_orders"].get(key)
        if po is None:
            raise EntityNotFound("PurchaseOrders")
        data = clean(payload, schema.PURCHASE_ORDER, PO_TYPE, schema.WRITABLE["PurchaseOrder"])
        data.pop("PurchaseOrderLines", None)
        if data.get("Supplier") and data["Supplier"] != po["Supplier"]:
            raise BusinessError("Wijzigen niet toegestaan: Leverancier")
        data.pop("Warehouse", None)
        po.update(data)
        self.touch_purchase_order(po)

    def touch_purchase_order(self, po: Row) -> None:
        """A header change: new Timestamps for the header and every line (the line-grain sync
        view repeats header fields, so each of its rows changed), one PurchaseOrders event."""
        st = self.state
        st["purchase_orders"].touch(po["PurchaseOrderID"])
        for line in st.child_rows("purchase_order_lines", po["PurchaseOrderID"]):
            st["purchase_order_lines"].touch(line["ID"])
        st.emit("purchase_orders", "Update", po)

    def delete_purchase_order(self, key: str, user_id: str) -> None:
        """DELETE a purchase order with nothing received (sync/Deleted EntityType 22)."""
        st = self.state
        po = st["purchase_orders"].get(key)
        if po is None:
            raise EntityNotFound("PurchaseOrders")
        lines = st.child_rows("purchase_order_lines", key)
        if any(line["ReceivedQuantity"] > 0 for line in lines):
            raise BusinessError(
                "Verwijderen niet toegestaan: Er zijn al goederen ontvangen voor deze inkooporder."
            )
        for line in lines:
            self._planning_in(line["Item"], po["Warehouse"], -line["Quantity"])
            st["purchase_order_lines"].remove(line["ID"])
        st["purchase_orders"].remove(key)
        del st.by_number["purchase_orders"][po["OrderNumber"]]
        r.record_deleted(st, new_guid(self._rng), user_id, 22, key)
        st.emit("purchase_orders", "Delete", po)
